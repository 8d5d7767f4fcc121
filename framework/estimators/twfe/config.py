"""The settings of ``estimator=twfe``, read and checked, and what they mean for linearmodels.

Unknown keys and ``fe`` values are refused before this by
:meth:`framework.estimators.base.Estimator.check_config`; here each value is checked and the
combinations that mean nothing are refused in one line (``docs/estimators/twfe.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from framework.errors import UserInputError
from framework.estimators.base import FE_CHOICES
from framework.settings import choice, flag

COV_TYPES = {
    "clustered": "clustered",
    "robust": "heteroskedasticity-robust (White)",
    "unadjusted": "homoskedastic",
}
EFFECTS = ("two_way", "unit", "time")
"""Which fixed effects the model holds: unit and period, unit only, period only."""
CLUSTERS = {"unit": "by unit", "time": "by period", "two_way": "two-way by unit and period", "none": ""}
"""What ``cov_type=clustered`` clusters by (linearmodels' ``cluster_entity`` / ``cluster_time``)."""
EFFECT_WORDS = {"two_way": "unit and period", "unit": "unit", "time": "period"}
DEFAULTS = {"fe": "within", "effects": "two_way", "cov_type": "clustered", "cluster": "unit", "debiased": True, "group_debias": True}


@dataclass(frozen=True)
class Settings:
    """One checked combination of the family's settings."""

    fe: str = "within"
    effects: str = "two_way"
    cov_type: str = "clustered"
    cluster: str = "unit"
    debiased: bool = True
    group_debias: bool = True

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        get = lambda key: config.get(key, DEFAULTS[key])  # noqa: E731
        settings = cls(
            fe=choice(get("fe"), "estimator.fe", FE_CHOICES),
            effects=choice(get("effects"), "estimator.effects", EFFECTS),
            cov_type=choice(get("cov_type"), "estimator.cov_type", COV_TYPES),
            cluster=choice(get("cluster"), "estimator.cluster", CLUSTERS),
            debiased=flag(get("debiased"), "estimator.debiased"),
            group_debias=flag(get("group_debias"), "estimator.group_debias"),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse, in one line, a combination that means nothing."""
        choice(self.fe, "estimator.fe", FE_CHOICES)
        choice(self.effects, "estimator.effects", EFFECTS)
        choice(self.cov_type, "estimator.cov_type", COV_TYPES)
        choice(self.cluster, "estimator.cluster", CLUSTERS)
        if self.fe == "none" and self.effects != "two_way":
            raise UserInputError(
                f"estimator.effects={self.effects} with estimator.fe=none: fe=none has no effects (pooled OLS); "
                "use estimator.fe=within or dummies for one kind of effects, or leave estimator.effects at two_way"
            )
        if self.fe in ("fd", "cre") and self.effects == "time":
            what = "first differences always remove" if self.fe == "fd" else "the Mundlak unit means always model"
            raise UserInputError(
                f"estimator.effects=time with estimator.fe={self.fe}: {what} the unit effects; "
                "use estimator.fe=within or dummies for period effects alone"
            )
        if self.cov_type == "clustered" and self.cluster == "none":
            raise UserInputError(
                "estimator.cluster=none with estimator.cov_type=clustered: for standard errors without clusters "
                "use estimator.cov_type=robust or unadjusted"
            )
        if self.cov_type != "clustered" and self.cluster in ("time", "two_way"):
            raise UserInputError(
                f"estimator.cluster={self.cluster} with estimator.cov_type={self.cov_type}: clusters apply only to "
                "estimator.cov_type=clustered"
            )
        if self.fe == "fd" and self.cov_type == "clustered" and self.cluster != "unit":
            raise UserInputError(
                f"estimator.cluster={self.cluster} with estimator.fe=fd: a first difference spans two periods, so "
                "linearmodels' FirstDifferenceOLS clusters by unit only; use estimator.cluster=unit or estimator.cov_type=robust"
            )

    # --- what the settings mean ------------------------------------------------------------------
    @property
    def unit_effects(self) -> bool:
        """Whether the model removes unit effects (``fd`` always does; ``none`` never)."""
        return self.fe != "none" and self.effects in ("two_way", "unit")

    @property
    def time_effects(self) -> bool:
        """Whether the model holds period effects (``none`` never)."""
        return self.fe != "none" and self.effects in ("two_way", "time")

    @property
    def clusters(self) -> str | None:
        """What the standard errors are clustered by, or None when they are not clustered."""
        return self.cluster if self.cov_type == "clustered" else None

    def choice_text(self) -> str:
        """``estimator.fe=within`` (and the effects when they are not the default), for messages."""
        text = f"estimator.fe={self.fe}"
        return text if self.effects == "two_way" else f"{text} with estimator.effects={self.effects}"

    def effects_text(self) -> str:
        """``unit and period effects``, ``unit effects``, ``period effects`` or ``no effects``."""
        if self.fe == "none":
            return "no effects"
        return f"{EFFECT_WORDS[self.effects]} effects"

    def cov_options(self) -> dict[str, Any]:
        """Keyword arguments of linearmodels' ``fit``."""
        options: dict[str, Any] = {"cov_type": self.cov_type, "debiased": self.debiased}
        if self.clusters:
            if self.clusters in ("unit", "two_way"):
                options["cluster_entity"] = True
            if self.clusters in ("time", "two_way"):
                options["cluster_time"] = True
            options["group_debias"] = self.group_debias
        return options

    def se_label(self) -> str:
        factors = ["n/(n-K)"] if self.debiased else []
        if self.clusters and self.group_debias:
            per = " for each of the three one-way parts" if self.clusters == "two_way" else ""
            factors.append(f"G/(G-1) (n-1)/n{per}")
        name = ": CR1" if len(factors) == 2 and self.clusters != "two_way" else ""
        kind = f"clustered {CLUSTERS[self.clusters]}" if self.clusters else COV_TYPES[self.cov_type]
        if self.nested_effects_uncounted:
            word = EFFECT_WORDS[self.effects]
            name += f"; K without the {word} effects, which are nested in the clusters"
        return f"{kind} (linearmodels; small-sample factors: {' and '.join(factors) or 'none'}{name})"

    @property
    def nested_effects_uncounted(self) -> bool:
        """PanelOLS leaves a single kind of effects out of K when they are nested in the one-way
        clusters (``fe=within`` with ``effects=unit, cluster=unit`` or ``time, time``)."""
        return self.fe == "within" and self.clusters is not None and self.effects == self.clusters

    def model_label(self) -> str:
        """The linearmodels model behind the choice."""
        unit, time = self.unit_effects, self.time_effects
        if self.fe == "within":
            return f"PanelOLS(entity_effects={unit}, time_effects={time})"
        if self.fe == "dummies":
            parts = ["constant", *(["unit dummies"] if unit else []), *(["period dummies"] if time else [])]
            return f"PooledOLS({' + '.join(parts)})"
        if self.fe == "fd":
            return "FirstDifferenceOLS(differenced period dummies)" if time else "FirstDifferenceOLS(no period dummies)"
        if self.fe == "cre":
            return "PooledOLS(constant + period dummies + unit means: Mundlak)" if time else "PooledOLS(constant + unit means: Mundlak)"
        return "PooledOLS(constant), no unit or period effects"
