"""The names of the three measures of digitalisation a run can use as its moderator
(``moderator=``), and what the run's spec record says about each.

* ``difi`` (default): the digital-inclusive-finance index of seed 000, the true moderator of
  the synthetic world;
* ``digital_index`` and ``digital_coordination``: seed 002's entropy composite and coupling
  coordination D of the world's digital indicators, noisy proxies of DIFI.

Only the vocabulary lives here (no data generator is imported), so the spec layer can check
a config and word its record without the synthetic world; the values themselves are computed
by :mod:`framework.data.synthetic.moderators`.
"""

from __future__ import annotations

from typing import Any, Mapping

from framework.errors import UserInputError

TRUE_MODERATOR = "difi"
PROXIES = ("digital_index", "digital_coordination")
MEASURES = (TRUE_MODERATOR, *PROXIES)
LABELS = {"difi": "DIFI", "digital_index": "digital index", "digital_coordination": "digital coordination D"}
NOTES = {
    "digital_index": "moderator = seed 002's entropy composite of the 14 digital indicators (eq. 1-3), a noisy proxy of DIFI, "
                     "the true moderator: truth of treatment_x_moderator = slope of the true effects on the proxy; "
                     "the moderator's own coefficient has no structural truth (null)",
    "digital_coordination": "moderator = seed 002's coupling coordination D (eq. 4-6, n = 3) of the three digital subsystem "
                            "indices, a noisy proxy of DIFI, the true moderator: truth of treatment_x_moderator = slope of the "
                            "true effects on the proxy; the moderator's own coefficient has no structural truth (null)",
}


def measure_name(config: Mapping[str, Any] | str | None) -> str:
    name = config if isinstance(config, str) or config is None else config.get("name")
    name = TRUE_MODERATOR if name is None else str(name)
    if name not in MEASURES:
        raise UserInputError(f"moderator = {name!r}: use one of {', '.join(MEASURES)}")
    return name
