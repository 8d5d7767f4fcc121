"""The synthetic world's knobs: every number that shapes it, settable from ``conf/data/synthetic.yaml``.

Defaults are calibrated to Table 1 of the seed paper (means and standard deviations of Gini,
UIL, the five controls and DIFI) and to its headline estimates: a pooled effect of UIL on the
Gini near -0.10, positive in 2011-2015 and negative in 2016-2021, negative for industrially
advanced cities and positive for lagging ones, and an interaction with DIFI near -0.0017 per
DIFI unit (Table 6, column 1).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

from framework.errors import UserInputError


@dataclass(frozen=True)
class WorldKnobs:
    # shape of the panel
    n_cities: int = 253
    start_year: int = 2011
    end_year: int = 2021
    n_municipalities: int = 4
    resource_share: float = 0.4
    townships_min: int = 10
    townships_max: int = 40

    # strength multipliers (1 = calibrated default, 0 = switched off)
    confounding: float = 1.0
    """City and year effects (and the controls) correlated with UIL; 0 = no confounding."""
    nonlinearity: float = 1.0
    """Non-linear dependence of Gini and UIL on the controls; 0 = linear."""
    heterogeneity: float = 1.0
    """Variation of the effect of UIL around its mean; 0 = constant effect."""

    # the effect of UIL on the Gini: effect_it = mean + heterogeneity * (parts below)
    effect_mean: float = -0.10
    effect_difi_slope: float = -0.0002
    """Change in the effect per DIFI unit (DIFI centred on its world mean)."""
    effect_early_shift: float = 0.26
    """Added to the effect in the early window (years <= early_window_end), centred."""
    early_window_end: int = 2015
    effect_level_slope: float = -0.12
    """Change in the effect per SD of the city's pre-sample industrial level."""
    moderator_direct: float = -0.0002
    """Direct effect of one DIFI unit on the Gini, holding UIL fixed."""

    # noise
    outcome_noise: float = 0.040
    treatment_noise: float = 0.040
    noise_ar1: float = 0.0
    """Lag-1 autocorrelation of the Gini's shocks within a city over consecutive years, in [0, 1);
    0 = independent shocks (the shocks' marginal SD is the same for every value)."""
    hidden_confounder: tuple[float, float] = (0.0, 0.0)
    """A confounder the world generates and leaves out of the data, as its partial R-squares
    (outcome, treatment): the share of UIL's shock variance it explains, and of the Gini's shock
    variance left once UIL is known (docs/SENSITIVITY.md); one number sets both; 0 = none."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "WorldKnobs":
        config = dict(config or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise UserInputError(
                f"unknown synthetic-world knob(s) data.world.{', data.world.'.join(unknown)}; "
                f"known knobs: {', '.join(sorted(known))}"
            )
        if "hidden_confounder" in config:
            config["hidden_confounder"] = _strength_pair(config["hidden_confounder"])
        knobs = cls(**config)
        knobs.check()
        return knobs

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    def check(self) -> None:
        def bad(key: str, why: str) -> UserInputError:
            return UserInputError(f"data.world.{key} = {getattr(self, key)!r}: {why}")

        if self.n_cities < 10:
            raise bad("n_cities", "the world needs at least 10 cities")
        if self.end_year - self.start_year < 1:
            raise bad("end_year", "the world needs at least two years")
        if not 0 <= self.n_municipalities < self.n_cities:
            raise bad("n_municipalities", "must be between 0 and n_cities - 1")
        if not 0.0 <= self.resource_share <= 1.0:
            raise bad("resource_share", "must be a share in [0, 1]")
        if not 3 <= self.townships_min <= self.townships_max:
            raise bad("townships_min", "need 3 <= townships_min <= townships_max")
        for key in ("confounding", "nonlinearity", "heterogeneity", "outcome_noise", "treatment_noise"):
            if getattr(self, key) < 0:
                raise bad(key, "must be non-negative")
        if len(self.hidden_confounder) != 2 or not all(0.0 <= float(v) < 1.0 for v in self.hidden_confounder):
            raise bad("hidden_confounder", "use partial R-squares [outcome, treatment] in [0, 1), or one number for both")
        if not 0.0 <= self.noise_ar1 < 1.0:
            raise bad("noise_ar1", "must be in [0, 1) (the within-city lag-1 autocorrelation of the Gini's shocks)")


def _strength_pair(value: Any) -> tuple[float, float]:
    """``hidden_confounder`` as (outcome, treatment): a number is both."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value), float(value))
    try:
        values = [float(v) for v in value]
    except (TypeError, ValueError):
        raise UserInputError(f"data.world.hidden_confounder = {value!r}: use [outcome, treatment] partial R-squares, or one number") from None
    if len(values) != 2:
        raise UserInputError(f"data.world.hidden_confounder = {values}: use [outcome, treatment] partial R-squares, or one number")
    return (values[0], values[1])
