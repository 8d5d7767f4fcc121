"""Design-matrix helpers shared by the estimator families."""

from __future__ import annotations

import numpy as np
import pandas as pd

UNIT_CODE = "unit_code"


def with_dummies(frame: pd.DataFrame, covariates: list[str], by: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Add one-hot columns for each of ``by`` (first level dropped) to the covariates."""
    pieces = [frame]
    x_cols = list(covariates)
    for column in by:
        dummies = pd.get_dummies(frame[column].astype(str), prefix=f"fe_{column}", drop_first=True, dtype=float)
        pieces.append(dummies)
        x_cols += list(dummies.columns)
    return pd.concat(pieces, axis=1), x_cols


def unit_codes(frame: pd.DataFrame):
    """Integer city codes 0..n_units-1 (sorted by unit id), e.g. for clustering and grouping."""
    return pd.factorize(frame["unit"], sort=True)[0]


def time_codes(frame: pd.DataFrame):
    """Integer period codes 0..n_periods-1 (sorted by period)."""
    return pd.factorize(frame["time"], sort=True)[0]


def two_way_demean(values, units, times, tol: float = 1e-13, max_iter: int = 1_000) -> np.ndarray:
    """``values`` (n,) or (n, k) with city and year effects partialled out, exact in unbalanced panels.

    ``units`` and ``times`` are integer codes. Alternating projections (demean by city, then
    by year, until the means vanish); a panel that does not converge falls back to least
    squares on the city and year dummies.
    """
    raw = np.asarray(values, dtype=float)
    flat = raw.ndim == 1
    out = raw.reshape(len(raw), -1).copy()
    codes = [np.asarray(units), np.asarray(times)]
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
