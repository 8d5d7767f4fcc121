"""Entropy-weighted composite indices of seed 002, eq. 1-3.

For ``m`` rows (regions, region-years) and indicators ``j``:

* eq. 1, min-max ("polar deviation") normalisation. Seed 002 prints only the positive form;
  we also offer the usual reversed form for an indicator where more is worse::

      positive:  x'_ij = (x_ij - min_j) / (max_j - min_j)
      negative:  x'_ij = (max_j - x_ij) / (max_j - min_j)

  ``min_j`` / ``max_j`` are taken over all rows given (default) or within each group of an
  optional key ``by`` (e.g. per year).

* eq. 2, shift away from zero so the logarithm below is defined::

      y'_ij = x'_ij + 0.0001          (the shift is a parameter, default 1e-4)

* entropy weights. Seed 002 names the entropy-value method but does not print it; we use the
  standard one, over all ``m`` rows given::

      p_ij = y'_ij / sum_i y'_ij
      e_j  = -(1 / ln m) * sum_i p_ij ln p_ij          (with 0 ln 0 = 0 when shift = 0)
      d_j  = 1 - e_j
      w_j  = d_j / sum_j d_j

* eq. 3, composite index::

      S_i = sum_j y'_ij * w_j

Errors (:class:`framework.errors.UserInputError`, one line): a missing or non-numeric
indicator column, a NaN (naming column and first row), an indicator without variation
(``max == min``, a zero divisor in eq. 1; naming the column and, with ``by``, the group), an
unknown direction, fewer than two rows, a negative shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from framework.errors import UserInputError, show_value

__all__ = [
    "EntropyIndex",
    "minmax_normalise",
    "entropy_weights",
    "composite_index",
    "entropy_index",
    "POSITIVE",
    "NEGATIVE",
]


POSITIVE = "positive"
NEGATIVE = "negative"


@dataclass(frozen=True)
class EntropyIndex:
    """Result of :func:`entropy_index`.

    ``weights``: Series of ``w_j`` indexed by indicator name (sums to 1).
    ``normalised``: DataFrame of shifted normalised values ``y'_ij`` (eq. 1-2), rows aligned
    with the input frame, one column per indicator.
    ``index``: Series of ``S_i`` (eq. 3) aligned with the input rows, named ``"index"``.
    """

    weights: pd.Series
    normalised: pd.DataFrame
    index: pd.Series


def _resolve_directions(indicators: list[str], directions: Any) -> dict[str, str]:
    if directions is None:
        return {c: POSITIVE for c in indicators}
    if isinstance(directions, str):
        directions = {c: directions for c in indicators}
    elif not isinstance(directions, Mapping):
        directions = list(directions)
        if len(directions) != len(indicators):
            raise UserInputError(
                f"entropy: {len(directions)} directions given for {len(indicators)} indicators {indicators}"
            )
        directions = dict(zip(indicators, directions))
    unknown = [k for k in directions if k not in indicators]
    if unknown:
        raise UserInputError(
            f"entropy: direction given for {show_value(unknown[0])}, which is not among the indicators {indicators}"
        )
    out = {}
    for c in indicators:
        d = str(directions.get(c, POSITIVE)).strip().lower()
        if d not in (POSITIVE, NEGATIVE):
            raise UserInputError(
                f"entropy: direction of indicator {show_value(c)} is {show_value(directions.get(c))}; "
                "use 'positive' or 'negative'"
            )
        out[c] = d
    return out


def _indicator_values(frame: pd.DataFrame, indicators: Sequence[str]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise UserInputError(f"entropy: expected a pandas DataFrame, got {type(frame).__name__}")
    if isinstance(indicators, str):
        indicators = [indicators]
    indicators = list(indicators)
    if not indicators:
        raise UserInputError("entropy: no indicator columns given")
    if len(set(indicators)) != len(indicators):
        dup = next(c for c in indicators if indicators.count(c) > 1)
        raise UserInputError(f"entropy: indicator {show_value(dup)} is listed twice")
    for c in indicators:
        if c not in frame.columns:
            raise UserInputError(
                f"entropy: indicator column {show_value(c)} is not in the data (columns: {list(frame.columns)})"
            )
        if not (pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])):
            raise UserInputError(
                f"entropy: indicator column {show_value(c)} is not numeric (dtype {frame[c].dtype})"
            )
    if len(frame) < 2:
        raise UserInputError(f"entropy: need at least 2 rows to normalise and weight, got {len(frame)}")
    values = frame[indicators].astype(float)
    for c in indicators:
        bad = ~np.isfinite(values[c].to_numpy())
        if bad.any():
            pos = int(np.argmax(bad))
            raise UserInputError(
                f"entropy: indicator column {show_value(c)} has {values[c].iloc[pos]} (NaN or infinite) "
                f"at row {pos} (index {show_value(frame.index[pos])})"
            )
    return values


def _group_keys(frame: pd.DataFrame, by: Any) -> Any:
    """The grouping passed to ``DataFrame.groupby`` for per-group normalisation."""
    names = [by] if isinstance(by, str) or not isinstance(by, (list, tuple)) else list(by)
    for name in names:
        if isinstance(name, str):
            if name not in frame.columns:
                raise UserInputError(f"entropy: group column {show_value(name)} (by=) is not in the data")
            missing = frame[name].isna().to_numpy()
            if missing.any():
                pos = int(np.argmax(missing))
                raise UserInputError(
                    f"entropy: group column {show_value(name)} is missing at row {pos} "
                    f"(index {show_value(frame.index[pos])})"
                )
    return [frame[n] if isinstance(n, str) else n for n in names]


def minmax_normalise(
    frame: pd.DataFrame,
    indicators: Sequence[str],
    directions: Any = None,
    by: Any = None,
) -> pd.DataFrame:
    """Seed 002 eq. 1: min-max normalisation of each indicator to ``[0, 1]``.

    ``directions``: ``None`` (all positive), one string for all, a sequence aligned with
    ``indicators`` or a mapping ``{indicator: 'positive' | 'negative'}`` (missing entries are
    positive). Positive: ``(x - min) / (max - min)``; negative: ``(max - x) / (max - min)``.
    ``by``: ``None`` pools min/max over all rows; a column name (or list of names / arrays)
    takes them within each group instead.

    Returns a DataFrame (rows aligned with ``frame``, one column per indicator). An indicator
    with ``max == min`` (overall, or in some group) raises :class:`UserInputError` naming the
    column (and group).
    """
    values = _indicator_values(frame, indicators)
    cols = list(values.columns)
    dirs = _resolve_directions(cols, directions)
    if by is None:
        lo = values.min()
        hi = values.max()
        lo_rows = pd.DataFrame(np.tile(lo.to_numpy(), (len(values), 1)), index=values.index, columns=cols)
        hi_rows = pd.DataFrame(np.tile(hi.to_numpy(), (len(values), 1)), index=values.index, columns=cols)
    else:
        keys = _group_keys(frame, by)
        grouped = values.groupby(keys, sort=False)
        lo_rows = grouped.transform("min")
        hi_rows = grouped.transform("max")
    span = hi_rows - lo_rows
    for c in cols:
        flat = (span[c].to_numpy() == 0)
        if flat.any():
            pos = int(np.argmax(flat))
            where = "" if by is None else f" within group {_group_label(frame, by, pos)}"
            raise UserInputError(
                f"entropy: indicator column {show_value(c)} has no variation{where} (max == min == "
                f"{show_value(values[c].iloc[pos])}), so eq. 1 divides by zero"
            )
    out = pd.DataFrame(index=values.index)
    for c in cols:
        if dirs[c] == POSITIVE:
            out[c] = (values[c] - lo_rows[c]) / span[c]
        else:
            out[c] = (hi_rows[c] - values[c]) / span[c]
    return out


def _group_label(frame: pd.DataFrame, by: Any, pos: int) -> str:
    names = [by] if isinstance(by, str) or not isinstance(by, (list, tuple)) else list(by)
    parts = []
    for n in names:
        if isinstance(n, str):
            parts.append(f"{n}={show_value(frame[n].iloc[pos])}")
        else:
            parts.append(repr(np.asarray(n)[pos]))
    return ", ".join(parts)


def entropy_weights(normalised: pd.DataFrame) -> pd.Series:
    """Standard entropy-value weights of the (shifted, non-negative) normalised matrix.

    ``p_ij = y_ij / sum_i y_ij``, ``e_j = -(1/ln m) sum_i p_ij ln p_ij`` (``0 ln 0 = 0``),
    ``d_j = 1 - e_j``, ``w_j = d_j / sum_j d_j``, over the ``m`` rows given. Returns a Series
    indexed by column (indicator) name, named ``"weight"``.
    """
    y = normalised.to_numpy(dtype=float)
    cols = list(normalised.columns)
    m = y.shape[0]
    if m < 2:
        raise UserInputError(f"entropy: need at least 2 rows for entropy weights (ln m > 0), got {m}")
    bad = ~np.isfinite(y) | (y < 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise UserInputError(
            f"entropy: normalised value of column {show_value(cols[c])} at row {r} is {show_value(y[r, c])}; "
            "it must be finite and >= 0"
        )
    totals = y.sum(axis=0)
    if (totals == 0).any():
        c = int(np.argmax(totals == 0))
        raise UserInputError(
            f"entropy: normalised column {show_value(cols[c])} sums to zero, so p_ij is undefined"
        )
    p = y / totals
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(m)
    d = 1.0 - e
    if not d.sum() > 0:
        raise UserInputError(
            "entropy: every indicator has maximal entropy (no variation), so no weights exist"
        )
    return pd.Series(d / d.sum(), index=pd.Index(cols, name="indicator"), name="weight")


def composite_index(normalised: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Seed 002 eq. 3: ``S_i = sum_j y'_ij * w_j``, aligned with the rows of ``normalised``."""
    missing = [c for c in normalised.columns if c not in weights.index]
    if missing:
        raise UserInputError(f"entropy: no weight for indicator column {show_value(missing[0])}")
    w = weights.reindex(normalised.columns).to_numpy(dtype=float)
    return pd.Series(normalised.to_numpy(dtype=float) @ w, index=normalised.index, name="index")


def entropy_index(
    frame: pd.DataFrame,
    indicators: Sequence[str],
    directions: Any = None,
    shift: float = 1e-4,
    by: Any = None,
) -> EntropyIndex:
    """Seed 002 eq. 1-3 with entropy weights: normalise, shift, weight, aggregate.

    * eq. 1: min-max normalisation per indicator (``directions`` as in
      :func:`minmax_normalise`), pooled over all rows (``by=None``) or within each group of
      ``by`` (e.g. ``by="year"``);
    * eq. 2: ``y' = x' + shift`` (seed 002: 0.0001);
    * entropy weights (:func:`entropy_weights`) over all rows given — with ``by`` the
      normalisation is per group but there is still one weight vector; for per-group weights
      call this function on each group;
    * eq. 3: ``S_i = sum_j y'_ij w_j``.

    Returns :class:`EntropyIndex` (``.weights``, ``.normalised``, ``.index``).
    """
    if not (np.isfinite(shift) and shift >= 0):
        raise UserInputError(f"entropy: shift must be a finite number >= 0, got {show_value(shift)}")
    x = minmax_normalise(frame, indicators, directions=directions, by=by)
    y = x + shift
    w = entropy_weights(y)
    s = composite_index(y, w)
    return EntropyIndex(weights=w, normalised=y, index=s)
