"""The structured design's model of the user's outcome, fitted once on the user's panel:

    Y_it = alpha_i + gamma_t + g(X_it) + theta D_it + e_it

with unit and period effects alpha_i, gamma_t, a flexible function g of the controls (any
scikit-learn regressor, LightGBM by default) and the file's own partially linear within
estimate theta. It is fitted by backfitting: given g, theta and the two-way effects come from
the exact two-way within regression of Y - g(X) on D; given those, g is the learner's
prediction of Y - alpha_i - gamma_t - theta D from X. The learner's predictions are
*out of fold* (folds by unit), so the residuals e_it keep the noise an honest fit leaves and

    signal_it = alpha_i + gamma_t + g(X_it),      Y_it = signal_it + theta D_it + e_it

holds exactly on the file: the structured world with the file's own residuals and effect
theta reproduces the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, cross_val_predict

from framework.data.panel import Panel
from framework.errors import UserInputError
from framework.learners import build_learner
from framework.numerics.transforms import time_codes, two_way_demean, unit_codes

# the treatment's within variation below this share of its total variance cannot carry a slope
MIN_WITHIN_SHARE = 1e-10


@dataclass(frozen=True)
class OutcomeFit:
    signal: np.ndarray
    """alpha_i + gamma_t + g(X_it), one value per row of the panel."""
    effect: float
    """theta: the file's partially linear two-way within estimate."""
    residuals: np.ndarray
    """e_it = Y_it - signal_it - theta D_it (two-way demeaned)."""
    controls_share: float
    """Share of the outcome's two-way within variance that g(X) accounts for."""
    residual_sd: float

    def record(self) -> dict:
        return {"effect": self.effect, "controls_share": self.controls_share, "residual_sd": self.residual_sd}


def fit_outcome(panel: Panel, learner: Mapping[str, Any] | None, folds: int, iterations: int, seed: int) -> OutcomeFit:
    frame = panel.frame
    units, times = unit_codes(frame), time_codes(frame)
    y = frame["outcome"].to_numpy(float)
    d = frame["treatment"].to_numpy(float)
    d_within = two_way_demean(d, units, times)
    if d_within.var() <= MIN_WITHIN_SHARE * max(d.var(), 1e-300):
        raise UserInputError(
            f"study design structured: the treatment ({panel.label('treatment')}) does not vary within units and periods "
            f"in {panel.source}, so no effect of it can be built into the outcome and recovered"
        )
    controls = [c for c in panel.controls if frame[c].std() > 0]
    g = np.zeros_like(y)
    model = build_learner(learner, seed) if controls else None
    n_folds = min(folds, panel.n_units)
    for _ in range(max(iterations, 1) if controls else 1):
        theta, effects = _within(y - g, d, d_within, units, times)
        if model is None:
            break
        target = y - theta * d - effects
        splitter = GroupKFold(n_splits=n_folds)
        g = cross_val_predict(clone(model), frame[controls].to_numpy(float), target, groups=units, cv=splitter)
    theta, effects = _within(y - g, d, d_within, units, times)
    signal = effects + g
    residuals = y - signal - theta * d
    y_within = two_way_demean(y, units, times)
    g_within = two_way_demean(g, units, times)
    share = float(1 - np.var(y_within - g_within) / np.var(y_within)) if np.var(y_within) > 0 else 0.0
    return OutcomeFit(signal, float(theta), residuals, share if controls else 0.0, float(np.std(residuals)))


def _within(r: np.ndarray, d: np.ndarray, d_within: np.ndarray, units, times) -> tuple[float, np.ndarray]:
    """theta of the two-way within regression of ``r`` on ``d``, and the fitted unit plus period
    effects of ``r - theta d``."""
    r_within = two_way_demean(r, units, times)
    theta = float(d_within @ r_within / (d_within @ d_within))
    rest = r - theta * d
    return theta, rest - two_way_demean(rest, units, times)
