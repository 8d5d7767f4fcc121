"""The slope's heterogeneity groups and the averaging weights every Bayesian model of this
family reports by: period windows (<= period_end, later), units by their mean treatment
(above / at or below the median of the unit means) and rows by their treatment (above / at or
below its median)."""

from __future__ import annotations

import numpy as np

from framework.estimators.bayes_hier.design import _weights
from framework.numerics.transforms import group_means


class SlopeGroups:
    """Groups of one sample's rows (frame order)."""

    def __init__(self, data, time: np.ndarray, d: np.ndarray, unit: np.ndarray, heterogeneity: tuple[str, ...],
                 period_end: int):
        early = time <= period_end
        self.early = early
        self.both_periods = bool(early.any() and (~early).any())
        first, last = int(time.min()), int(time.max())
        self.period_labels = [f"{first}-{period_end}", f"{period_end + 1}-{last}"]
        self.period_n_obs = dict(zip(self.period_labels, (int(early.sum()), int((~early).sum()))))
        unit_mean_d = group_means(d, unit)
        self.unit_high = unit_mean_d > np.median(unit_mean_d)
        modelled = []
        if not data.spec.moderated:
            if "period" in heterogeneity and self.both_periods:
                modelled.append("period")
            if "treatment_group" in heterogeneity and self.unit_high.any() and (~self.unit_high).any():
                modelled.append("treatment_group")
        self.modelled = modelled
        self.period_weights = _weights([early, ~early]) if self.both_periods else None
        high = d > np.median(d)
        self.half_labels = ["above_median", "at_or_below_median"]
        self.half_weights = _weights([high, ~high])
        self.half_n_obs = dict(zip(self.half_labels, (int(high.sum()), int((~high).sum()))))
