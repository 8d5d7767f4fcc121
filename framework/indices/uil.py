"""The industrial-structure upgrading index (UIL) of seed 000, eq. 2, and its inverse.

Seed 000 eq. 2, with ``P_k`` the share of sector ``k`` (1 primary, 2 secondary, 3 tertiary)
in the city's GDP::

    UIL = sum_{k=1..3} k * P_k = P1 + 2 P2 + 3 P3,    P1 + P2 + P3 = 1,  P_k in [0, 1]   (eq. 2)

so ``UIL`` lies in ``[1, 3]`` (1: all primary, 3: all tertiary).

Inverse (:func:`shares_for_uil`, for synthetic data). Substituting ``P2 = 1 - P1 - P3`` gives
``UIL = P1 + 2 (1 - P1 - P3) + 3 P3 = 2 - P1 + P3``, hence for a target ``u``::

    P3 = u - 2 + P1,    P2 = 1 - P1 - P3 = 3 - u - 2 P1.

Feasibility fixes the range of the free share ``P1``:

* ``P1 >= 0`` and ``P3 >= 0``  ->  ``P1 >= lo = max(0, 2 - u)``;
* ``P2 >= 0``                  ->  ``P1 <= hi = (3 - u) / 2``;
* ``P1 <= 1`` and ``P3 <= 1``  follow from ``P1 <= hi`` when ``1 <= u <= 3``.

``lo <= hi`` holds exactly when ``1 <= u <= 3`` (for ``u <= 2``: ``2 - u <= (3 - u)/2`` iff
``u >= 1``; for ``u > 2``: ``0 <= (3 - u)/2`` iff ``u <= 3``). So every ``f in [0, 1]`` gives a
valid share vector ``P1 = lo + f (hi - lo)``; ``f = 0`` puts the least possible weight on the
primary sector, ``f = 1`` the most. By construction ``uil(shares) == u`` up to
floating-point rounding (checked to 1e-12 in the tests).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from framework.errors import UserInputError, show_value

__all__ = ["uil", "shares_for_uil", "SECTOR_COLUMNS"]


SECTOR_COLUMNS = ("primary", "secondary", "tertiary")


def _row_label(pos: int, index: pd.Index | None) -> str:
    return f"row {pos}" if index is None else f"row {pos} (index {show_value(index[pos])})"


def uil(shares: Any, tol: float = 1e-6) -> np.ndarray | pd.Series | float:
    """Seed 000 eq. 2: ``UIL = 1*P1 + 2*P2 + 3*P3`` for each row of sector shares.

    ``shares`` is an ``(n, 3)`` array or DataFrame with columns in the order primary,
    secondary, tertiary (a single length-3 vector is one row). Each share must lie in
    ``[0, 1]`` and each row must sum to one within ``tol`` (absolute).

    Returns a Series aligned with a DataFrame's index (named ``"uil"``), an ndarray for an
    array, or a float for a single length-3 vector. A NaN, a share outside ``[0, 1]`` or a row
    whose sum misses one by more than ``tol`` raises :class:`UserInputError` naming the first
    offending row (and column, or the row's sum).
    """
    if not (np.isfinite(tol) and tol >= 0):
        raise UserInputError(f"uil: tol must be a finite number >= 0, got {show_value(tol)}")
    index = shares.index if isinstance(shares, pd.DataFrame) else None
    columns = [str(c) for c in shares.columns] if isinstance(shares, pd.DataFrame) else list(SECTOR_COLUMNS)
    try:
        p = np.asarray(shares, dtype=float)
    except (TypeError, ValueError) as exc:
        raise UserInputError(f"uil: shares must be numbers ({exc})") from None
    single = p.ndim == 1
    if single:
        p = p.reshape(1, -1)
    if p.ndim != 2 or p.shape[1] != 3:
        raise UserInputError(
            f"uil: shares must have 3 columns (primary, secondary, tertiary), got shape {np.shape(shares)}"
        )
    if p.shape[0] == 0:
        raise UserInputError("uil: shares has no rows")
    bad = ~np.isfinite(p)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise UserInputError(
            f"uil: share in {_row_label(r, index)}, column {show_value(columns[c])} is {p[r, c]} (NaN or infinite)"
        )
    out_of_range = (p < 0) | (p > 1)
    if out_of_range.any():
        r, c = np.argwhere(out_of_range)[0]
        raise UserInputError(
            f"uil: share in {_row_label(r, index)}, column {show_value(columns[c])} is {show_value(p[r, c])}; "
            "shares must lie in [0, 1]"
        )
    sums = p.sum(axis=1)
    off = np.abs(sums - 1.0) > tol
    if off.any():
        r = int(np.argmax(off))
        raise UserInputError(
            f"uil: shares in {_row_label(r, index)} sum to {show_value(sums[r])}, not 1 (tolerance {tol})"
        )
    values = p @ np.array([1.0, 2.0, 3.0])
    if single:
        return float(values[0])
    if index is not None:
        return pd.Series(values, index=index, name="uil")
    return values


def shares_for_uil(uil_values: Any, primary_position: Any) -> np.ndarray | pd.DataFrame:
    """Valid sector shares ``(P1, P2, P3)`` whose UIL (eq. 2) equals each target.

    ``uil_values``: targets in ``[1, 3]`` (1-D array-like or Series). ``primary_position``:
    ``f in [0, 1]``, a scalar or one per target, placing ``P1`` within its feasible range::

        lo = max(0, 2 - u),  hi = (3 - u) / 2,  P1 = lo + f (hi - lo),
        P3 = u - 2 + P1,     P2 = 1 - P1 - P3.

    (Derivation in the module docstring.) Returns an ``(n, 3)`` ndarray, or a DataFrame with
    columns ``primary, secondary, tertiary`` aligned with the index when ``uil_values`` is a
    Series. Targets outside ``[1, 3]``, ``f`` outside ``[0, 1]`` and NaNs raise
    :class:`UserInputError` naming the first offending row.
    """
    index = uil_values.index if isinstance(uil_values, pd.Series) else None
    try:
        u = np.asarray(uil_values, dtype=float)
        f = np.asarray(primary_position, dtype=float)
    except (TypeError, ValueError) as exc:
        raise UserInputError(
            f"shares_for_uil: targets and primary_position must be numbers ({exc})"
        ) from None
    if u.ndim == 0:
        u = u.reshape(1)
    if u.ndim != 1:
        raise UserInputError(f"shares_for_uil: uil_values must be one-dimensional, got shape {u.shape}")
    if f.ndim == 0:
        f = np.full(u.shape, float(f))
    if f.shape != u.shape:
        raise UserInputError(
            f"shares_for_uil: primary_position has shape {f.shape} but uil_values has shape {u.shape}"
        )
    bad_u = ~np.isfinite(u) | (u < 1.0) | (u > 3.0)
    if bad_u.any():
        r = int(np.argmax(bad_u))
        raise UserInputError(
            f"shares_for_uil: target UIL in {_row_label(r, index)} is {show_value(u[r])}; eq. 2 allows only [1, 3]"
        )
    bad_f = ~np.isfinite(f) | (f < 0.0) | (f > 1.0)
    if bad_f.any():
        r = int(np.argmax(bad_f))
        raise UserInputError(
            f"shares_for_uil: primary_position in {_row_label(r, index)} is {show_value(f[r])}; "
            "it must lie in [0, 1]"
        )
    lo = np.maximum(0.0, 2.0 - u)
    hi = (3.0 - u) / 2.0
    p1 = lo + f * (hi - lo)
    p3 = u - 2.0 + p1
    # P1 + P3 <= 1 in exact arithmetic; clip the last-ulp rounding so P2 is never -1e-17.
    p2 = np.maximum(0.0, 1.0 - p1 - p3)
    out = np.column_stack([p1, p2, p3])
    if index is not None:
        return pd.DataFrame(out, index=index, columns=list(SECTOR_COLUMNS))
    return out
