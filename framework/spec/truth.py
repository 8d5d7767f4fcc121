"""The true value of every reported coefficient, for synthetic panels.

The world knows each row's marginal effect of the treatment (``effect``, tau_it) and of the
moderator (``moderator_effect``) on the outcome, holding city and year effects fixed. For
the rows a spec keeps:

* without moderation, ``treatment`` = the mean of tau_it over those rows;
* with moderation, write tau_it = a + b M~_it + r_it (least squares on 1 and the transformed
  moderator M~, which has mean zero). Then ``treatment`` = a (the mean effect),
  ``treatment_x_moderator`` = b, and ``moderator`` = s * mean(moderator_effect): the
  moderator's effect at the sample's mean treatment, where s converts M~ back to moderator
  units. Parts of tau_it that vary only by year or only by city multiply the centred
  treatment in the interaction and are absorbed by the year and city effects when moved onto
  M~, so they reach b but not the moderator's own coefficient.

When the moderator is a proxy of the world's true moderator (``moderator=digital_index`` or
``digital_coordination``, :mod:`framework.data.synthetic.moderators`), M~ is the transformed
proxy, so b is the slope of the true effects on the proxy; the moderator's own coefficient has
no structural truth there and is ``None``.

See ``docs/SYNTHETIC_WORLD.md`` for the derivation.
"""

from __future__ import annotations

import numpy as np

from framework.data.panel import EFFECT, MODERATOR_EFFECT, Panel
from framework.spec.specdata import SpecData


def true_values(data: SpecData, panel: Panel) -> dict[str, float | None]:
    """The truth of every term of ``data`` (drawn from ``panel`` by :func:`apply_spec`); ``None``
    for each term when the panel is not synthetic."""
    if not panel.is_synthetic:
        return {term: None for term in data.terms}
    truth = panel.frame.iloc[list(data.source_rows)]
    effect = truth[EFFECT].to_numpy(dtype=float)
    if not data.spec.moderated:
        return {"treatment": float(effect.mean())}
    tilde = data.frame[data.terms["moderator"]].to_numpy(dtype=float)
    design = np.column_stack([np.ones_like(tilde), tilde])
    (intercept, slope), *_ = np.linalg.lstsq(design, effect, rcond=None)
    direct = float(truth[MODERATOR_EFFECT].mean()) if MODERATOR_EFFECT in truth.columns else 0.0
    return {
        "treatment": float(intercept),
        # a proxy of the true moderator has no effect of its own on the outcome
        "moderator": None if data.spec.moderator_is_proxy else float(data.moderator_scale * direct),
        "treatment_x_moderator": float(slope),
    }
