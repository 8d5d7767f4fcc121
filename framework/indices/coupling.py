"""Coupling degree, coupling-coordination degree and coordination levels of seed 002.

For ``n >= 2`` subsystem indices ``S_1..S_n`` (each a composite index, eq. 3, in ``[0, 1]``),
row by row:

* eq. 4, coupling degree::

      C = [ prod_k S_k / ( (sum_k S_k) / n )**n ]**(1/n)  =  geometric_mean(S) / arithmetic_mean(S)

  so ``C`` lies in ``[0, 1]`` (AM-GM), equals 1 when all ``S_k`` are equal and 0 as soon as
  one ``S_k`` is 0. When *all* ``S_k`` are 0 the ratio is 0/0; we **define C = 0** there
  (no development, no coupling). Rounding can push ``C`` a last ulp above 1; it is clipped.

* eq. 6, comprehensive coordination index ``T = sum_k beta_k S_k`` with equal weights
  ``beta_k = 1/n`` by default (seed 002's choice); optional weights must be ``>= 0`` and sum
  to 1.

* eq. 5, coupling-coordination degree ``D = sqrt(C * T)``, in ``[0, 1]`` when ``S_k`` are.

* Table 2, ten coordination levels: level ``k`` for ``(k-1)/10 <= D < k/10`` (k = 1..9) and
  level 10 for ``0.9 <= D <= 1.0`` (inclusive). The labels are the paper's English labels,
  kept as printed (:data:`LEVEL_LABELS`). Because computed ``D`` values carry rounding (``0.1
  + 0.2 == 0.30000000000000004``, ``0.3 * 3 == 0.8999999999999999``), a value within
  ``tol`` (default :data:`BOUNDARY_TOL` = 1e-9) *below* a boundary counts as on the boundary,
  i.e. in the upper level; ``D`` within ``tol`` outside ``[0, 1]`` is treated as 0 or 1.

Errors (:class:`framework.errors.UserInputError`, one line, naming row and column): fewer
than two subsystems, no rows, NaN/inf or negative ``S``, ``S > 1`` where ``D`` is computed,
bad weights, ``D`` outside ``[0, 1]`` when classifying.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

import numpy as np
import pandas as pd

from framework.errors import UserInputError, show_value

__all__ = [
    "LEVEL_LABELS",
    "BOUNDARY_TOL",
    "CoordinationLevel",
    "coupling_degree",
    "comprehensive_index",
    "coordination_degree",
    "coordination_level",
    "coordination_levels",
    "coupling_coordination",
]


LEVEL_LABELS: tuple[str, ...] = (
    "extreme disorder",
    "severe disorder",
    "moderate disorder",
    "on the verge of becoming dysfunctional",
    "barely in tune",
    "sue for harmonization",
    "Primary coordination",
    "Intermediate level coordination",
    "good coordination",
    "Quality coordination",
)
"""Seed 002, Table 2, "Degree of coupling coordination" for levels 1..10, as printed."""

BOUNDARY_TOL = 1e-9
"""Absolute tolerance on D at the Table 2 boundaries and at the ends of [0, 1]."""


class CoordinationLevel(NamedTuple):
    level: int
    label: str


class _Subsystems(NamedTuple):
    values: np.ndarray  # (rows, n)
    columns: list[str]
    index: pd.Index | None  # DataFrame index, for messages and aligned output
    single: bool  # a single 1-D vector was given


def _where(r: int, c: int | None, s: _Subsystems) -> str:
    row = f"row {r}" if s.index is None else f"row {r} (index {show_value(s.index[r])})"
    return row if c is None else f"{row}, column {show_value(s.columns[c])}"


def _subsystems(data: Any, what: str, max_one: bool = False) -> _Subsystems:
    index = data.index if isinstance(data, pd.DataFrame) else None
    try:
        s = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise UserInputError(f"{what}: subsystem indices must be numbers ({exc})") from None
    single = s.ndim == 1
    if single:
        s = s.reshape(1, -1)
    if s.ndim != 2:
        raise UserInputError(f"{what}: expected a (rows, n) array of subsystem indices, got shape {s.shape}")
    columns = [str(c) for c in data.columns] if index is not None else [str(j) for j in range(s.shape[1])]
    out = _Subsystems(s, columns, index, single)
    if s.shape[1] < 2:
        raise UserInputError(f"{what}: coupling needs n >= 2 subsystems (columns), got {s.shape[1]}")
    if s.shape[0] == 0:
        raise UserInputError(f"{what}: no rows of subsystem indices given")
    bad = ~np.isfinite(s)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise UserInputError(f"{what}: subsystem index at {_where(r, c, out)} is {s[r, c]} (NaN or infinite)")
    neg = s < 0
    if neg.any():
        r, c = np.argwhere(neg)[0]
        raise UserInputError(
            f"{what}: subsystem index at {_where(r, c, out)} is negative ({show_value(s[r, c])}); S must be >= 0"
        )
    if max_one:
        big = s > 1.0 + BOUNDARY_TOL
        if big.any():
            r, c = np.argwhere(big)[0]
            raise UserInputError(
                f"{what}: subsystem index at {_where(r, c, out)} is {show_value(s[r, c])} > 1; "
                "eq. 5 needs S in [0, 1] so that D is in [0, 1]"
            )
    return out


def _shape_output(values: np.ndarray, s: _Subsystems, name: str) -> Any:
    if s.single:
        return float(values[0])
    if s.index is not None:
        return pd.Series(values, index=s.index, name=name)
    return values


def _weights(weights: Any, s: _Subsystems, what: str) -> np.ndarray:
    n = s.values.shape[1]
    if weights is None:
        return np.full(n, 1.0 / n)
    if isinstance(weights, Mapping) or isinstance(weights, pd.Series):
        mapping = dict(weights.items())
        keys = [str(k) for k in mapping]
        missing = [c for c in s.columns if c not in keys]
        if missing:
            raise UserInputError(f"{what}: no weight given for subsystem column {show_value(missing[0])}")
        by_name = {str(k): v for k, v in mapping.items()}
        weights = [by_name[c] for c in s.columns]
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as exc:
        raise UserInputError(f"{what}: weights must be numbers ({exc})") from None
    if w.shape != (n,):
        raise UserInputError(f"{what}: {w.size} weights given for {n} subsystems")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        j = int(np.argmax(bad))
        raise UserInputError(
            f"{what}: weight of subsystem {show_value(s.columns[j])} is {show_value(w[j])}; weights must be >= 0"
        )
    if abs(w.sum() - 1.0) > 1e-9:
        raise UserInputError(f"{what}: weights sum to {show_value(w.sum())}, not 1 (eq. 6)")
    return w


def _c(s: np.ndarray) -> np.ndarray:
    mean = s.mean(axis=1)
    with np.errstate(divide="ignore"):
        geo = np.exp(np.log(s).mean(axis=1))  # log(0) = -inf -> geometric mean 0
    c = np.divide(geo, mean, out=np.zeros_like(mean), where=mean > 0)  # all-zero row: C := 0
    return np.minimum(c, 1.0)


def coupling_degree(subsystems: Any) -> np.ndarray | pd.Series | float:
    """Seed 002 eq. 4: ``C = [prod S_k / (mean S)^n]^(1/n)`` per row (``n`` = columns >= 2).

    ``subsystems``: ``(rows, n)`` array or DataFrame (a 1-D vector is one row). ``S >= 0``;
    ``C = 0`` by definition for a row of zeros. Returns a float, an ndarray, or a Series
    aligned with a DataFrame's index (named ``"C"``).
    """
    s = _subsystems(subsystems, "coupling_degree")
    return _shape_output(_c(s.values), s, "C")


def comprehensive_index(subsystems: Any, weights: Any = None) -> np.ndarray | pd.Series | float:
    """Seed 002 eq. 6: ``T = sum_k beta_k S_k``, equal ``beta_k = 1/n`` unless ``weights``
    (sequence in column order, or mapping / Series by column name; ``>= 0``, sum 1) is given.
    Output shaped like :func:`coupling_degree` (Series named ``"T"``)."""
    s = _subsystems(subsystems, "comprehensive_index")
    w = _weights(weights, s, "comprehensive_index")
    return _shape_output(s.values @ w, s, "T")


def _d(s: _Subsystems, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = _c(s.values)
    t = s.values @ w
    d = np.sqrt(np.clip(c * t, 0.0, None))
    return c, t, d


def coordination_degree(subsystems: Any, weights: Any = None) -> np.ndarray | pd.Series | float:
    """Seed 002 eq. 5: ``D = sqrt(C * T)`` with ``C`` from eq. 4 and ``T`` from eq. 6.

    Requires ``0 <= S <= 1``. Output shaped like :func:`coupling_degree` (Series named
    ``"D"``).
    """
    s = _subsystems(subsystems, "coordination_degree", max_one=True)
    w = _weights(weights, s, "coordination_degree")
    return _shape_output(_d(s, w)[2], s, "D")


def _levels(d: np.ndarray, tol: float, labels: pd.Index | None, what: str) -> np.ndarray:
    if not (np.isfinite(tol) and 0 <= tol < 0.05):
        raise UserInputError(f"{what}: tol must be in [0, 0.05), got {show_value(tol)}")
    bad = ~np.isfinite(d) | (d < -tol) | (d > 1.0 + tol)
    if bad.any():
        i = int(np.argmax(bad))
        where = f"index {i}" if labels is None else f"index {i} (label {show_value(labels[i])})"
        raise UserInputError(f"{what}: D at {where} is {show_value(d[i])}; Table 2 classifies only 0 <= D <= 1")
    level = np.floor(10.0 * (d + tol)).astype(int) + 1
    return np.clip(level, 1, 10)


def coordination_level(d: float, tol: float = BOUNDARY_TOL) -> CoordinationLevel:
    """Seed 002 Table 2 for one ``D``: ``(level, label)``; level ``k`` for
    ``(k-1)/10 <= D < k/10``, level 10 for ``0.9 <= D <= 1.0``; values within ``tol`` below
    a boundary count as on it (upper level)."""
    try:
        value = float(d)
    except (TypeError, ValueError):
        raise UserInputError(f"coordination_level: D must be a number, got {show_value(d)}") from None
    level = int(_levels(np.array([value]), tol, None, "coordination_level")[0])
    return CoordinationLevel(level, LEVEL_LABELS[level - 1])


def coordination_levels(d: Any, tol: float = BOUNDARY_TOL) -> pd.DataFrame:
    """Vectorised :func:`coordination_level`: a DataFrame with integer ``level`` and string
    ``label`` columns, aligned with a Series' index (else a RangeIndex)."""
    labels = d.index if isinstance(d, pd.Series) else None
    try:
        values = np.asarray(d, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise UserInputError(f"coordination_levels: D must be numbers ({exc})") from None
    level = _levels(values, tol, labels, "coordination_levels")
    return pd.DataFrame(
        {"level": level, "label": [LEVEL_LABELS[k - 1] for k in level]},
        index=labels if labels is not None else pd.RangeIndex(len(values)),
    )


def coupling_coordination(subsystems: Any, weights: Any = None, tol: float = BOUNDARY_TOL) -> pd.DataFrame:
    """Everything at once, per row: ``C`` (eq. 4), ``T`` (eq. 6), ``D`` (eq. 5) and the
    Table 2 ``level`` and ``label``. Returns a DataFrame aligned with a DataFrame input's
    index (else a RangeIndex)."""
    s = _subsystems(subsystems, "coupling_coordination", max_one=True)
    w = _weights(weights, s, "coupling_coordination")
    c, t, d = _d(s, w)
    index = s.index if s.index is not None else pd.RangeIndex(len(d))
    levels = coordination_levels(pd.Series(d, index=index), tol=tol)
    return pd.DataFrame({"C": c, "T": t, "D": d, "level": levels["level"].to_numpy(),
                         "label": levels["label"].to_numpy()}, index=index)
