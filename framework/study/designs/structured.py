"""The structured (plasmode) design: the user's panel with an outcome whose effect is known.

Units, periods, controls and treatment are the file's, exactly. The outcome of draw r is

    Y*_it = alpha_i + gamma_t + g(X_it) + tau_it D_it + e*_it

with alpha_i, gamma_t and g fitted once on the file (:mod:`.outcome_model`), tau_it the effect
the design sets, and e*_it the fitted residuals of a whole unit path: unit i takes the
residual path of a unit drawn with replacement among those observed in all of i's periods
(:mod:`.paths`), so serial correlation and each path's scale survive while the residuals lose
any link to unit i's own treatment.

The effect is ``study.structured.effect`` (``auto``: theta, the file's own partially linear
within estimate) and, with ``study.structured.heterogeneity`` = h > 0,

    tau_it = tau (1 + h z_it),   z_it = (std. unit mean of D + std. period) / sqrt(2),

standardised over the panel's rows, so the effect grows with the unit's treatment level and
over time and averages tau over the panel. Each row's tau_it is its true effect, so every
spec's truth (its rows' mean, or the moderation slope) is exact by construction.

Assumes: the outcome's dependence on the controls and on the unit and period effects is what
the fit finds; the residuals are exchangeable across units with the same observed periods.
Not mimicked: confounding that the controls and fixed effects do not capture (by
construction there is none), and any effect shape beyond tau_it above.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from framework.data.panel import EFFECT, MODERATOR_EFFECT, Panel
from framework.errors import UserInputError
from framework.settings import integer, number, positive, reject_unknown
from framework.study.designs.base import Design, Draw, FixedDraw
from framework.study.designs.outcome_model import OutcomeFit, fit_outcome
from framework.study.designs.paths import UnitPaths, within_autocorrelation

SETTINGS = ("effect", "heterogeneity", "learner", "folds", "iterations")


class StructuredDesign(Design):
    name = "structured"
    assumptions = (
        "Your units, periods, controls and treatment exactly; the outcome is rebuilt as fitted unit and period effects "
        "+ a fitted flexible function of the controls + a known effect of the treatment + your own residual paths, "
        "resampled across units. The truth is the effect the design sets, exact for every spec. It has no confounding "
        "beyond the controls and fixed effects, and an effect no more varied than the heterogeneity setting."
    )
    fixed_inputs = True

    def __init__(self, source: Panel, fit: OutcomeFit, effect: float, heterogeneity: float):
        self.source = source
        self.fit = fit
        self.effect = float(effect)
        self.heterogeneity = float(heterogeneity)
        self.paths = UnitPaths.of(source.frame)
        self.effects_ = self.effect * (1.0 + self.heterogeneity * _gradient(source))
        # the moderator acts on this outcome only through g, when it is also a control
        self.moderator_in_g_ = source.has("moderator") and any(
            np.array_equal(source.frame["moderator"].to_numpy(), source.frame[c].to_numpy()) for c in source.controls
        )

    @classmethod
    def build(cls, source: Panel, settings: Mapping[str, Any], seed: int) -> "StructuredDesign":
        settings = dict(settings or {})
        reject_unknown(settings, SETTINGS, "the structured design", prefix="study.structured")
        if source.controls and not (settings.get("learner") or {}).get("_target_"):
            raise UserInputError("study.structured.learner: no _target_ given; name the regressor that fits the controls' function")
        fit = fit_outcome(
            source, settings.get("learner"),
            folds=integer(settings.get("folds", 5), "study.structured.folds", minimum=2),
            iterations=integer(settings.get("iterations", 3), "study.structured.iterations", minimum=1),
            seed=seed,
        )
        effect = settings.get("effect", "auto")
        effect = fit.effect if effect in (None, "auto") else number(effect, "study.structured.effect")
        heterogeneity = positive(settings.get("heterogeneity", 0.0), "study.structured.heterogeneity", allow_zero=True)
        return cls(source, fit, effect, heterogeneity)

    def outcome(self, residual_source: np.ndarray) -> np.ndarray:
        """Y* with unit i's residual path taken from unit ``residual_source[i]``."""
        residuals = self.paths.take(self.fit.residuals, residual_source)
        return self.fit.signal + self.effects_ * self.source.frame["treatment"].to_numpy(float) + residuals

    def draw(self, seed: int) -> Draw:
        frame = self.source.frame.copy()
        frame["outcome"] = self.outcome(self.paths.resample(np.random.default_rng(seed)))
        frame[EFFECT] = self.effects_
        frame[MODERATOR_EFFECT] = np.nan if self.moderator_in_g_ else 0.0
        return FixedDraw(self.source.with_frame(frame))

    def record(self) -> dict:
        frame = self.source.frame.assign(residual=self.fit.residuals)
        return {
            **super().record(),
            "effect": self.effect,
            "effect_source": "the file's own within estimate" if self.effect == self.fit.effect else "set by study.structured.effect",
            "heterogeneity": self.heterogeneity,
            "effect_range": [float(self.effects_.min()), float(self.effects_.max())],
            "fit": self.fit.record(),
            "residual_autocorrelation": within_autocorrelation(frame, "residual"),
            "balanced": self.paths.balanced,
        }


def _gradient(panel: Panel) -> np.ndarray:
    """z_it of the module docstring: standardised unit-mean treatment and period, combined."""
    frame = panel.frame
    level = frame.groupby("unit")["treatment"].transform("mean").to_numpy(float)
    period = frame["time"].to_numpy(float)
    parts = [(v - v.mean()) / v.std() for v in (level, period) if v.std() > 0]
    if not parts:
        return np.zeros(len(frame))
    z = np.sum(parts, axis=0) / np.sqrt(len(parts))
    return (z - z.mean()) / z.std() if z.std() > 0 else z
