"""Averages of the rows' effects, for every posterior draw of a collapsed fit."""

from __future__ import annotations

import numpy as np

from framework.bayes.sampling import CollapsedData, CollapsedPosterior


def weighted_effects(data: CollapsedData, fitted: CollapsedPosterior, slope_design: np.ndarray, to_units: float,
                     weights: np.ndarray) -> np.ndarray:
    """Each row's effect is ``to_units * (slope_design_row @ theta + u_i)``; returns its averages
    under each row of ``weights`` (G x rows, in ``data``'s sorted order): (chains, draws, G)."""
    unit = data.rows.unit
    by_unit = np.stack([np.bincount(unit, weights=w, minlength=data.rows.n_units) for w in weights])
    effects = fitted.theta @ (weights @ slope_design).T + fitted.unit_slope @ by_unit.T
    return to_units * effects


def row_average(data: CollapsedData, fitted: CollapsedPosterior, slope_design: np.ndarray, to_units: float) -> np.ndarray:
    """The average of the rows' effects over every row, for every draw: (chains, draws)."""
    n = data.rows.n_rows
    return weighted_effects(data, fitted, slope_design, to_units, np.full((1, n), 1.0 / n))[..., 0]
