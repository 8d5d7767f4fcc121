"""The night-light Gini coefficient of seed 000, eq. 1.

Seed 000 (Yu & Zhang) measures intracity disparity of city ``i`` in year ``t`` from the
night-light intensities ``L_ikt`` of its ``n_i`` urban and township areas::

    Gini_it = sum_{k=1..n_i} sum_{r=1..n_i} |L_ikt - L_irt| / (2 * n_i**2 * mean(L_it))   (eq. 1)

This is the *n²* form (mean absolute difference over all ordered pairs, self-pairs
included, divided by twice the mean). It is **not** the "unbiased" ``n(n-1)`` form; the two
differ by the factor ``n / (n - 1)``. The n² form lies in ``[0, (n-1)/n]``: 0 when every area
is equally bright, ``(n-1)/n`` when all light is in one area (e.g. ``[0, 0, 0, 4] -> 3/4``).

Computation in O(n log n). Sort the lights ascending, ``x_(1) <= ... <= x_(n)``. In the double
sum each unordered pair appears twice and ``|x_(i) - x_(j)| = x_(j) - x_(i)`` for ``i < j``;
the ``i``-th smallest value is subtracted by the ``n - i`` larger ones and subtracts the
``i - 1`` smaller ones, so::

    sum_k sum_r |L_k - L_r| = 2 * sum_{i=1..n} (2i - n - 1) * x_(i)

and therefore, with ``n * mean(L) = sum(L)``::

    Gini = sum_{i=1..n} (2i - n - 1) * x_(i) / (n * sum(L)).

Bad input (empty, NaN/inf, negative lights, all lights zero so the mean is 0) raises
:class:`framework.errors.UserInputError` with one line naming the offending position.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from framework.errors import UserInputError, show_value

__all__ = ["gini", "gini_by_group"]


def _as_lights(lights: Any, what: str) -> tuple[np.ndarray, pd.Index | None]:
    """A 1-D float array of lights plus the pandas index (if any) for messages."""
    labels = lights.index if isinstance(lights, pd.Series) else None
    try:
        values = np.asarray(lights, dtype=float)
    except (TypeError, ValueError) as exc:
        raise UserInputError(f"{what}: lights must be numbers ({exc})") from None
    if values.ndim != 1:
        raise UserInputError(f"{what}: lights must be one-dimensional, got shape {values.shape}")
    return values, labels


def _where(pos: int, labels: pd.Index | None) -> str:
    if labels is None:
        return f"index {pos}"
    return f"index {pos} (label {show_value(labels[pos])})"


def _check_lights(values: np.ndarray, labels: pd.Index | None, what: str, nonzero: bool = True) -> None:
    """Empty, NaN/inf and negative lights are errors; so are all-zero lights if ``nonzero``."""
    if values.size == 0:
        raise UserInputError(f"{what}: no lights given (empty input); the Gini needs at least one area")
    bad = ~np.isfinite(values)
    if bad.any():
        pos = int(np.argmax(bad))
        raise UserInputError(f"{what}: light at {_where(pos, labels)} is {values[pos]} (NaN or infinite)")
    neg = values < 0
    if neg.any():
        pos = int(np.argmax(neg))
        raise UserInputError(
            f"{what}: light at {_where(pos, labels)} is negative ({values[pos]}); night lights must be >= 0"
        )
    if nonzero and not values.any():
        raise UserInputError(
            f"{what}: all {values.size} lights are zero, so the mean light is 0 and eq. 1 is undefined"
        )


def gini(lights: Any) -> float:
    """Seed 000 eq. 1 (n² form): ``sum_k sum_r |L_k - L_r| / (2 n² mean(L))``.

    ``lights`` is a 1-D array-like (list, ndarray, Series) of non-negative night-light
    intensities, one per urban/township area of one city-year. Computed in O(n log n) as
    ``sum_i (2i - n - 1) x_(i) / (n * sum(x))`` over the ascending sort ``x_(1..n)``
    (see the module docstring for the identity).

    Raises :class:`UserInputError` for empty input, NaN/inf, negative values, or all zeros.
    """
    values, labels = _as_lights(lights, "gini")
    _check_lights(values, labels, "gini")
    n = values.size
    x = np.sort(values)
    ranks = np.arange(1, n + 1, dtype=float)
    return float(np.dot(2.0 * ranks - n - 1.0, x) / (n * x.sum()))


def gini_by_group(values: Any, groups: Any) -> pd.Series:
    """Seed 000 eq. 1 for many groups at once (e.g. one Gini per city-year).

    ``values`` holds the lights of all areas; ``groups`` the group key of each area: a 1-D
    array-like of the same length, or a DataFrame with one column per key part for a
    compound key such as (city, year). Vectorised: one sort by (group, light), then within
    each group the rank-weighted sum ``sum_i (2i - n_g - 1) x_(i) / (n_g * sum_g)``.

    Returns a float Series named ``"gini"`` indexed by group (sorted by key; a MultiIndex for
    compound keys). Every group is checked like :func:`gini`; the message names the
    offending position (and group).
    """
    x, labels = _as_lights(values, "gini_by_group")
    if isinstance(groups, pd.DataFrame):
        keys = [groups[c].to_numpy() for c in groups.columns]
        names = list(groups.columns)
    else:
        keys = [np.asarray(groups.to_numpy() if isinstance(groups, pd.Series) else groups)]
        names = [groups.name if isinstance(groups, pd.Series) else None]
    if not keys:
        raise UserInputError("gini_by_group: groups is a DataFrame with no columns")
    for key in keys:
        if key.ndim != 1 or key.shape[0] != x.shape[0]:
            raise UserInputError(
                f"gini_by_group: groups must be one key per light; "
                f"got shape {key.shape} for {x.shape[0]} lights"
            )
    _check_lights(x, labels, "gini_by_group", nonzero=False)
    for key in keys:
        missing = pd.isna(key)
        if missing.any():
            pos = int(np.argmax(missing))
            raise UserInputError(f"gini_by_group: group key at {_where(pos, labels)} is missing (NaN/None)")

    cols = {f"_g{j}": k for j, k in enumerate(keys)}
    key_cols = list(cols)
    frame = pd.DataFrame({**cols, "_x": x})
    frame = frame.sort_values(key_cols + ["_x"], kind="mergesort")
    grouped = frame.groupby(key_cols, sort=True)
    rank = grouped.cumcount().to_numpy(dtype=float) + 1.0
    n = grouped["_x"].transform("size").to_numpy(dtype=float)
    frame["_w"] = (2.0 * rank - n - 1.0) * frame["_x"].to_numpy()
    agg = frame.groupby(key_cols, sort=True).agg(num=("_w", "sum"), total=("_x", "sum"), n=("_x", "size"))
    zero = agg["total"].to_numpy() == 0
    if zero.any():
        group = agg.index[int(np.argmax(zero))]
        raise UserInputError(
            f"gini_by_group: all lights of group {show_value(group)} are zero, "
            "so its mean light is 0 and eq. 1 is undefined"
        )
    out = agg["num"] / (agg["n"] * agg["total"])
    out.index = out.index.set_names(names if len(names) > 1 else names[0])
    return out.rename("gini").astype(float)
