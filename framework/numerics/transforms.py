"""Panel transforms shared by the estimator families and the apps.

Frames carry the panel's roles as columns: ``unit`` and ``time`` (see
:class:`framework.data.panel.Panel`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

UNIT_CODE = "unit_code"
DEMEAN_TOL = 1e-13


def unit_codes(frame: pd.DataFrame) -> np.ndarray:
    """Integer unit codes 0..n_units-1 (sorted by unit id), e.g. for clustering and grouping."""
    return pd.factorize(frame["unit"], sort=True)[0]


def time_codes(frame: pd.DataFrame) -> np.ndarray:
    """Integer period codes 0..n_periods-1 (sorted by period)."""
    return pd.factorize(frame["time"], sort=True)[0]


def one_hot(values: pd.Series, prefix: str, prefix_sep: str = "_") -> pd.DataFrame:
    """One-hot columns of ``values`` (as text), first level dropped."""
    return pd.get_dummies(values.astype(str), prefix=prefix, prefix_sep=prefix_sep, drop_first=True, dtype=float)


def with_dummies(frame: pd.DataFrame, covariates: list[str], by: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Add one-hot columns for each of ``by`` (first level dropped) to the covariates."""
    pieces = [frame]
    x_cols = list(covariates)
    for column in by:
        dummies = one_hot(frame[column], f"fe_{column}")
        pieces.append(dummies)
        x_cols += list(dummies.columns)
    return pd.concat(pieces, axis=1), x_cols


def group_means(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Means of ``values`` (n,) or (n, k) within each code, one row per code."""
    values = np.asarray(values, dtype=float)
    counts = np.bincount(codes)
    if values.ndim == 1:
        return np.bincount(codes, weights=values) / counts
    return np.column_stack([np.bincount(codes, weights=column) / counts for column in values.T])


def demean(values, groupings: Sequence[np.ndarray], tol: float = DEMEAN_TOL, max_iter: int = 1_000) -> np.ndarray:
    """``values`` (n,) or (n, k) less the effects of one or two groupings (integer codes).

    One grouping: less its group means, exact in one pass. Two (units and periods): exact in
    unbalanced panels by alternating projections (demean by the first, then by the second,
    until the means vanish); a panel that does not converge falls back to least squares on
    the dummies.
    """
    raw = np.asarray(values, dtype=float)
    flat = raw.ndim == 1
    out = raw.reshape(len(raw), -1).copy()
    codes = [np.asarray(code) for code in groupings]
    if not codes:
        return out.ravel() if flat else out
    if len(codes) == 1:
        out -= group_means(out, codes[0])[codes[0]]
        return out.ravel() if flat else out
    counts = [np.maximum(np.bincount(code), 1).astype(float) for code in codes]
    scale = max(1.0, float(np.abs(out).max(initial=0.0)))
    for _ in range(max_iter):
        change = 0.0
        for code, count in zip(codes, counts):
            means = np.column_stack([np.bincount(code, weights=out[:, j], minlength=count.size) for j in range(out.shape[1])])
            means /= count[:, None]
            out -= means[code]
            change = max(change, float(np.abs(means).max(initial=0.0)))
        if change <= tol * scale:
            return out.ravel() if flat else out
    dummies = [np.eye(int(code.max()) + 1)[code][:, 1:] for code in codes]
    effects = np.column_stack([np.ones(len(out)), *dummies])
    matrix = raw.reshape(len(raw), -1)
    out = matrix - effects @ np.linalg.lstsq(effects, matrix, rcond=None)[0]
    return out.ravel() if flat else out


def two_way_demean(values, units, times, tol: float = DEMEAN_TOL, max_iter: int = 1_000) -> np.ndarray:
    """``values`` with unit and period effects partialled out, exact in unbalanced panels."""
    return demean(values, [units, times], tol=tol, max_iter=max_iter)


def varies_within(frame: pd.DataFrame, column: str, by: str, tol: float) -> pd.Series:
    """Per group of ``by``: whether ``column`` takes more than one value (a spread above ``tol``
    x the column's scale)."""
    values = frame[column].astype(float)
    grouped = values.groupby(frame[by].to_numpy())
    scale = max(1.0, float(values.abs().max()))
    return (grouped.max() - grouped.min()) > tol * scale


def within_constant(frame: pd.DataFrame, column: str, by: str, tol: float) -> bool:
    """Whether ``column`` takes one value within every group of ``by`` (up to ``tol`` x its scale)."""
    return not bool(varies_within(frame, column, by, tol).any())


def adjacent_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows (of a frame sorted by unit and time) whose unit has a row in the preceding period.

    The preceding period is the previous of the distinct periods in the sample, as in
    linearmodels' first differences: a unit's first row and the row after a gap have none.
    """
    periods = np.sort(frame["time"].unique())
    position = pd.Series(np.searchsorted(periods, frame["time"].to_numpy()), index=frame.index)
    return ((position - position.groupby(frame["unit"].to_numpy()).shift(1)) == 1).to_numpy()


def period_halves(periods) -> dict[str, tuple[int, int]]:
    """The sample's periods split in two windows, the first holding floor(n/2) of the n distinct
    periods (2011-2021 -> 2011-2015 and 2016-2021), labelled ``first-last``; one window when
    there is a single period."""
    values = sorted({int(p) for p in periods})
    cut = max(len(values) // 2, 1)
    windows = [values[:cut], values[cut:]]
    return {f"{w[0]}-{w[-1]}": (w[0], w[-1]) for w in windows if w}
