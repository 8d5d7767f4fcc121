"""Control functions of the collapsed model: each control's level through a cubic B-spline
basis (scikit-learn's ``SplineTransformer``, knots at quantiles), so that the mean can bend with
each control as the synthetic world's and real panels' controls do.

A control with few distinct values cannot carry a spline: a binary one enters as itself, one
with at most ``max_levels`` values as indicators of its values (first dropped). The B-spline
basis of degree 3 reproduces every cubic polynomial of the control, the linear term included,
so the spline model nests the linear one.
"""

from __future__ import annotations

import numpy as np

MAX_LEVELS = 8


def control_basis(values: np.ndarray, interior_knots: int, max_levels: int = MAX_LEVELS) -> tuple[np.ndarray, str]:
    """The basis columns of one control (rows x columns) and how it entered: ``spline``,
    ``indicators`` or ``linear``."""
    from sklearn.preprocessing import SplineTransformer

    values = np.asarray(values, dtype=float)
    levels = np.unique(values)
    if levels.size <= 2 or interior_knots == 0:
        return values[:, None], "linear"
    if levels.size <= max_levels:
        return (values[:, None] == levels[None, 1:]).astype(float), "indicators"
    quantiles = np.quantile(values, np.linspace(0.0, 1.0, interior_knots + 2))
    knots = np.unique(quantiles)
    if knots.size < 3:  # most rows share a value: the spline's knots collapse
        return values[:, None], "linear"
    spline = SplineTransformer(knots=knots[:, None], degree=3, extrapolation="linear", include_bias=False)
    return spline.fit_transform(values[:, None]), "spline"
