"""What the regression sees: screened covariates, checked weights, dummies, effects removed.

Every function here takes the frame of a :class:`~framework.spec.SpecData` (columns ``unit``,
``time``, ``outcome``, the terms, the covariates and optionally ``weights``), sorted by unit
and period, and the checked :class:`~framework.estimators.twfe.config.Settings`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.errors import UserInputError, show_value
from framework.estimators.twfe.config import Settings
from framework.numerics.transforms import demean, one_hot, time_codes, two_way_demean, unit_codes, within_constant

CONST = "_const"
PERIOD_PREFIX = "_period_"
UNIT_PREFIX = "_unit_"
MEAN_SUFFIX = "_unitmean"
WEIGHTS = "weights"
TOL = 1e-10


# --- covariates and terms the effects absorb -----------------------------------------------------
def screen_covariates(frame: pd.DataFrame, covariates: list[str], settings: Settings) -> tuple[list[str], dict[str, str]]:
    """The covariates the model can estimate, and the dropped ones with the reason."""
    kept, dropped = [], {}
    for column in covariates:
        reason = absorbed(frame, column, settings)
        if reason:
            dropped[column] = reason
        else:
            kept.append(column)
    return kept, dropped


def absorbed(frame: pd.DataFrame, column: str, settings: Settings) -> str | None:
    """Why the effects actually in the model absorb ``column``, or None.

    Unit effects absorb a column constant within every unit under ``within``, ``dummies`` and
    ``fd`` (``cre`` models them by unit means and keeps it); period effects absorb one that is
    the same for every unit in each period; a constant column is absorbed under every choice.
    """
    values = frame[column].to_numpy(dtype=float)
    scale = max(1.0, float(np.max(np.abs(values)))) if len(values) else 1.0
    if np.ptp(values) <= TOL * scale:
        return "constant"
    if settings.unit_effects and settings.fe != "cre" and within_constant(frame, column, "unit", TOL):
        return "constant within every unit (time-invariant): absorbed by the unit effects"
    if settings.time_effects and within_constant(frame, column, "time", TOL):
        return "the same for every unit in each period: absorbed by the period effects"
    return None


# --- weights -----------------------------------------------------------------------------------
def checked_weights(frame: pd.DataFrame, names) -> pd.Series | None:
    """The ``weights`` column, or None without one; a missing, infinite or non-positive weight
    is refused in one line naming the user's column and the first such row."""
    if WEIGHTS not in frame.columns:
        return None
    values = pd.to_numeric(frame[WEIGHTS], errors="coerce").astype(float)
    bad = ~(np.isfinite(values.to_numpy()) & (values.to_numpy() > 0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        label = lambda role: names.get(role, role)  # noqa: E731
        raw = frame[WEIGHTS].iloc[row]
        value = "missing" if pd.isna(raw) else show_value(raw)
        raise UserInputError(
            f"weights column {label(WEIGHTS)!r} must be positive and finite: {int(bad.sum())} of {len(frame)} rows are not; "
            f"first: {label('unit')} {show_value(frame['unit'].iloc[row])}, {label('time')} {show_value(frame['time'].iloc[row])} "
            f"(row {row + 1} of the sample) has {value}"
        )
    return values


# --- columns of the designs --------------------------------------------------------------------
def with_constant(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([pd.Series(1.0, index=frame.index, name=CONST), frame], axis=1)


def dummies(indexed: pd.DataFrame, level: str) -> pd.DataFrame:
    """One-hot columns of an index level (``unit`` or ``time``), first level dropped."""
    prefix = UNIT_PREFIX if level == "unit" else PERIOD_PREFIX
    return one_hot(pd.Series(indexed.index.get_level_values(level), index=indexed.index), prefix, prefix_sep="")


def unit_means(columns: pd.DataFrame, weights: pd.Series | None) -> pd.DataFrame:
    """Each column's mean over its unit's rows (weighted by ``weights`` when given)."""
    by = columns.groupby(level="unit")
    if weights is None:
        means = by.transform("mean")
    else:
        weighted = columns.mul(weights, axis=0).groupby(level="unit").transform("sum")
        means = weighted.div(weights.groupby(level="unit").transform("sum"), axis=0)
    means.columns = [f"{c}{MEAN_SUFFIX}" for c in means.columns]
    return means


def independent_columns(base: pd.DataFrame, candidates: pd.DataFrame) -> list[str]:
    """Candidates, in order, that add to the column space of ``base`` and of those kept before."""
    basis = np.linalg.qr(base.to_numpy(dtype=float))[0]
    kept: list[str] = []
    for column in candidates.columns:
        values = candidates[column].to_numpy(dtype=float)
        residual = values - basis @ (basis.T @ values)
        residual -= basis @ (basis.T @ residual)  # twice is enough (Gram-Schmidt, re-orthogonalised)
        norm = float(np.linalg.norm(residual))
        if norm > 1e-8 * max(float(np.linalg.norm(values)), 1.0):
            kept.append(column)
            basis = np.column_stack([basis, residual / norm])
    return kept


def require_full_rank(design: pd.DataFrame, settings: Settings) -> None:
    matrix = design.to_numpy(dtype=float)
    if np.linalg.matrix_rank(matrix) < matrix.shape[1]:
        raise UserInputError(f"{settings.choice_text()}: the terms and covariates are collinear in this sample")


# --- effects removed, for the rank check and the within R^2 ------------------------------------
def remove_effects(frame: pd.DataFrame, columns: list[str], settings: Settings, weights: pd.Series | None) -> np.ndarray:
    """``columns`` with the model's effects partialled out (weighted when there are weights).

    ``fe=none`` has no effects; its slopes are judged against the unit and period effects
    partialled out, as for the default model.
    """
    values = frame[columns].to_numpy(dtype=float)
    units, times = unit_codes(frame), time_codes(frame)
    both = settings.fe == "none" or settings.effects == "two_way"
    groupings = [units, times] if both else [units] if settings.effects == "unit" else [times]
    if weights is None:
        return two_way_demean(values, units, times) if both else demean(values, groupings)
    return weighted_demean(values, groupings, weights.to_numpy(dtype=float))


def weighted_demean(values: np.ndarray, groupings: list[np.ndarray], weights: np.ndarray,
                    tol: float = 1e-13, max_iter: int = 1_000) -> np.ndarray:
    """``values`` less their weighted least-squares projection on the groupings' dummies.

    One grouping: less the weighted group means, exact. Two: alternating weighted projections
    until the weighted means vanish (least squares on the dummies if they do not converge).
    """
    out = np.array(values, dtype=float, copy=True)
    totals = [np.bincount(code, weights=weights) for code in groupings]

    def sweep(code: np.ndarray, total: np.ndarray) -> float:
        means = np.column_stack([np.bincount(code, weights=weights * out[:, j], minlength=total.size) for j in range(out.shape[1])])
        means /= total[:, None]
        out[:] -= means[code]
        return float(np.abs(means).max(initial=0.0))

    if len(groupings) == 1:
        sweep(groupings[0], totals[0])
        return out
    scale = max(1.0, float(np.abs(out).max(initial=0.0)))
    for _ in range(max_iter):
        change = max(sweep(code, total) for code, total in zip(groupings, totals))
        if change <= tol * scale:
            return out
    root = np.sqrt(weights)[:, None]
    effects = np.column_stack([np.ones(len(out)), *(np.eye(int(c.max()) + 1)[c][:, 1:] for c in groupings)])
    fitted = effects @ np.linalg.lstsq(effects * root, values * root, rcond=None)[0]
    return values - fitted


def within_r2(demeaned: np.ndarray, beta: np.ndarray, weights: pd.Series | None = None) -> float | None:
    """Within R^2 (reghdfe's): 1 - sum w (y.. - X.. b)^2 / sum w y..^2.

    ``demeaned`` holds y and the regressors with the model's effects partialled out (every
    row of the sample) and ``b`` is the fit's own slope on the terms and covariates, so
    ``within``, ``dummies`` and ``cre`` give the same value and ``fd`` and ``none`` say how
    much of the within variation their slopes explain (it can be negative).
    """
    y, x = demeaned[:, 0], demeaned[:, 1:]
    w = np.ones(len(y)) if weights is None else weights.to_numpy(dtype=float)
    total = float(y @ (w * y)) if weights is not None else float(y @ y)
    if total <= 0:
        return None
    resid = y - x @ beta
    explained = float(resid @ (w * resid)) if weights is not None else float(resid @ resid)
    return float(1.0 - explained / total)
