"""Turning a user's table and ``data.columns`` mapping into a validated :class:`Panel`.

:func:`panel_from_frame` checks, in this order, and raises
:class:`~framework.errors.UserInputError` with one line at the first problem:

1. the mapping: ``id``, ``time``, ``outcome``, ``treatment`` set; no unknown keys; no column
   given two roles; no control named like a panel role column;
2. every mapped column exists (a misspelling gets the closest existing name);
3. missing values (``data.missing``): with ``error`` (the default) the first missing value
   stops the run (step 4 names it); with ``drop`` every row that misses a value in a column
   the run uses (id, time, outcome, treatment, controls, the optional roles in use) is left
   out -- listwise deletion -- and the panel records how many rows each column cost
   (:attr:`Panel.dropped`) and which rows went (:attr:`Panel.dropped_rows`);
4. the values, column by column: ids present; ``time`` numeric and integer-valued;
   ``outcome``, ``treatment``, controls and ``moderator`` numeric, without missing or
   infinite values; ``municipality`` / ``resource_city`` 0/1 (or boolean) and constant
   within each unit;
5. the panel: no duplicated (id, time) pair, at least two periods, a treatment that varies.

Unbalanced panels are fine. Messages name the file (``source``), the column (the user's
name and its ``data.columns`` key) and, where one applies, the row.

Row convention: **"row N" is the 1-based data row**, the header not counted -- the N-th
record of the table, i.e. Stata's observation number and Parquet row N-1 (0-based). For a
CSV source (``.csv``/``.csv.gz``) the text line is added too: "row N (line N+1)", since the
header occupies line 1 (blank lines, which the reader skips, are not counted). Rows keep
their numbers in the file when ``data.missing=drop`` leaves others out.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from framework.data.panel import CORE_ROLES, EFFECT, OPTIONAL_ROLES, Panel
from framework.errors import UserInputError, show_value

REQUIRED_KEYS = ("id", "time", "outcome", "treatment")
"""``data.columns`` keys that must be set; ``id`` becomes the panel role ``unit``."""
INDICATOR_ROLES = ("municipality", "resource_city")
KNOWN_KEYS = REQUIRED_KEYS + ("controls",) + OPTIONAL_ROLES
_ROLE_OF = {"id": "unit", **{key: key for key in KNOWN_KEYS if key != "id"}}
_WHAT = {
    "id": "the unit (city) id",
    "time": "the period (year)",
    "outcome": "the outcome",
    "treatment": "the treatment",
}
_RESERVED = set(CORE_ROLES) | set(OPTIONAL_ROLES) | {EFFECT}
MISSING_POLICIES = ("error", "drop")
"""``data.missing``: stop at the first missing value, or leave out the rows that have one."""
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_MISSING_HINT = "fill them, or set data.missing=drop to leave those rows out"


class _Rows:
    """Formats row positions (0-based) the way the module docstring describes.

    ``original`` maps positions in the frame being checked to positions in the source, so
    messages keep the file's row numbers after ``data.missing=drop`` removed rows.
    """

    def __init__(self, source: str, original: np.ndarray | None = None):
        self.csv = source.lower().endswith((".csv", ".csv.gz"))
        self.original = original

    def _source(self, i: int) -> int:
        return int(i) if self.original is None else int(self.original[int(i)])

    def at(self, i: int) -> str:
        i = self._source(i)
        return f"row {i + 1}" + (f" (line {i + 2})" if self.csv else "")

    def many(self, positions: Iterable[int], limit: int = 5) -> str:
        positions = [self._source(i) for i in positions]
        text = "rows " + _join([str(i + 1) for i in positions], limit)
        if self.csv:
            text += " (lines " + _join([str(i + 2) for i in positions], limit) + ")"
        return text


def _join(items: list[str], limit: int) -> str:
    extra = len(items) - limit
    if extra > 0:
        return ", ".join(items[:limit]) + f", ... ({extra} more)"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _shown(value: Any) -> str:
    return show_value(value, limit=40)


def _col(key: str, name: str) -> str:
    return f"column '{name}' (data.columns.{key})"


# --- 1. the mapping -------------------------------------------------------------------


def _name(key: str, value: Any, source: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UserInputError(
            f"data.columns.{key} must be one column name of {source}, got {_shown(value)}"
        )
    return str(value)


def _read_mapping(
    columns: Mapping[str, Any] | None, source: str
) -> tuple[dict[str, str], list[str]]:
    """The mapped keys (config key -> column name, unset ones left out) and the controls."""
    columns = {} if columns is None else columns
    for key in columns:
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
            hint = f"; did you mean data.columns.{close[0]}?" if close else ""
            raise UserInputError(
                f"unknown key data.columns.{key} (data: {source}){hint} "
                f"Known keys: {', '.join(KNOWN_KEYS)}"
            )
    mapped: dict[str, str] = {}
    for key in REQUIRED_KEYS + OPTIONAL_ROLES:
        name = _name(key, columns.get(key), source)
        if name is None and key in REQUIRED_KEYS:
            raise UserInputError(
                f"data.columns.{key} is required: name the column of {source} that holds "
                f"{_WHAT[key]}"
            )
        if name is not None:
            mapped[key] = name
    raw = columns.get("controls")
    if raw is None:
        controls: list[str] = []
    elif isinstance(raw, str):
        controls = [raw] if raw.strip() else []
    elif isinstance(raw, Iterable) and not isinstance(raw, Mapping):
        entries = [_name("controls", item, source) for item in raw]
        if None in entries:
            raise UserInputError(f"data.columns.controls has an empty entry (data: {source})")
        controls = [entry for entry in entries if entry is not None]
    else:
        raise UserInputError(
            f"data.columns.controls must be a list of column names of {source}, "
            f"got {_shown(raw)}"
        )
    return mapped, controls


def _check_roles_distinct(mapped: dict[str, str], controls: list[str], source: str) -> None:
    seen: dict[str, str] = {}
    for key, name in [*mapped.items(), *(("controls", c) for c in controls)]:
        if name in seen:
            where = (
                "listed twice in data.columns.controls"
                if seen[name] == key == "controls"
                else f"mapped to both data.columns.{seen[name]} and data.columns.{key}"
            )
            raise UserInputError(
                f"column '{name}' of {source} is {where}; give each column one role"
            )
        seen[name] = key
    for name in controls:
        if name in _RESERVED:
            raise UserInputError(
                f"control {_col('controls', name)} of {source} has the name of the panel "
                f"column '{name}'; rename it in the file"
            )


# --- 2. the columns exist -------------------------------------------------------------


def _check_present(frame: pd.DataFrame, key: str, name: str, source: str, hint: str = "") -> None:
    available = [str(c) for c in frame.columns]
    count = available.count(name)
    if count == 1:
        return
    if count > 1:
        raise UserInputError(
            f"{_col(key, name)} appears {count} times in {source}; make the names unique"
        )
    lower = [c for c in available if c.lower() == name.lower()]
    close = lower[:1] or difflib.get_close_matches(name, available, n=1, cutoff=0.6)
    suggestion = f"; did you mean '{close[0]}'?" if close else "."
    shown = _join(available, limit=15) if len(available) > 15 else ", ".join(available)
    raise UserInputError(f"{_col(key, name)} not found in {source}{suggestion} Available: {shown}{hint}")


# --- 3. the values --------------------------------------------------------------------


def _units(series: pd.Series, name: str, source: str, rows: _Rows) -> pd.Series:
    missing = series.isna().to_numpy()
    if series.dtype.kind not in "biuf":  # text ids: a blank string is no id either
        missing = missing | series.astype(str).str.strip().eq("").to_numpy(dtype=bool)
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise UserInputError(
            f"{_col('id', name)} of {source} has {int(missing.sum())} missing id(s); "
            f"first at {rows.at(first)}; {_MISSING_HINT}"
        )
    if series.dtype.kind == "f" and np.all(np.mod(series.to_numpy(), 1) == 0):
        series = series.astype(np.int64)  # 101.0 -> "101"
    return series.astype(str)


def _numeric(series: pd.Series, key: str, name: str, source: str, rows: _Rows) -> np.ndarray:
    """Float values of a numeric role, refusing text, dates, missing and infinite values."""
    if series.dtype.kind in "mM" or isinstance(series.dtype, (pd.DatetimeTZDtype, pd.PeriodDtype)):
        raise UserInputError(
            f"{_col(key, name)} of {source} holds dates or durations; give numbers "
            f"(for time, an integer period such as the year)"
        )
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    coerced = pd.to_numeric(series, errors="coerce")
    values = coerced.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) & series.notna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        value = series.iloc[first]
        comma = rows.csv and isinstance(value, str) and _DECIMAL_COMMA.match(value.strip()) is not None
        hint = " (decimal commas? set \"data.read.decimal=','\")" if comma else ""
        raise UserInputError(
            f"{_col(key, name)} of {source} must be numeric but has {int(bad.sum())} "
            f"non-numeric value(s); first at {rows.at(first)}: {_shown(value)}{hint}"
        )
    missing, infinite = np.isnan(values), np.isinf(values)
    if missing.any() or infinite.any():
        first = int(np.flatnonzero(missing | infinite)[0])
        counts = [
            f"{int(mask.sum())} {what}"
            for mask, what in ((missing, "missing"), (infinite, "infinite"))
            if mask.any()
        ]
        advice = _MISSING_HINT if missing.any() else "replace or drop those rows"
        raise UserInputError(
            f"{_col(key, name)} of {source} has {' and '.join(counts)} value(s); first at "
            f"{rows.at(first)}: {'missing' if missing[first] else _shown(values[first])}; {advice}"
        )
    return values


def _times(series: pd.Series, name: str, source: str, rows: _Rows) -> np.ndarray:
    values = _numeric(series, "time", name, source, rows)
    fractional = values != np.round(values)
    if fractional.any():
        first = int(np.flatnonzero(fractional)[0])
        raise UserInputError(
            f"{_col('time', name)} of {source} must hold integer periods but has "
            f"{int(fractional.sum())} non-integer value(s); first at {rows.at(first)}: "
            f"{_shown(values[first])}"
        )
    return values.astype(np.int64)


def _indicator(
    series: pd.Series, key: str, name: str, units: pd.Series, source: str, rows: _Rows
) -> np.ndarray:
    values = _numeric(series, key, name, source, rows)
    other = ~np.isin(values, (0.0, 1.0))
    if other.any():
        first = int(np.flatnonzero(other)[0])
        raise UserInputError(
            f"{_col(key, name)} of {source} must be a 0/1 indicator but has "
            f"{int(other.sum())} other value(s); first at {rows.at(first)}: "
            f"{_shown(series.iloc[first])}"
        )
    by_unit = pd.Series(values).groupby(units.to_numpy(), sort=False)
    changed = values != by_unit.transform("first").to_numpy()
    if changed.any():
        i = int(np.flatnonzero(changed)[0])
        unit = units.iloc[i]
        j = int(np.flatnonzero((units == unit).to_numpy())[0])
        n_units = int((by_unit.nunique() > 1).sum())
        raise UserInputError(
            f"{_col(key, name)} of {source} must be constant within each unit but changes "
            f"within {n_units} unit(s); first: unit '{unit}', {rows.many([j, i])} "
            f"({int(values[j])} then {int(values[i])})"
        )
    return values.astype(np.int64)


# --- 4. the panel ---------------------------------------------------------------------


def _missing_mask(series: pd.Series, key: str) -> np.ndarray:
    """Rows without a value: NaN/None/NaT, and blank text in the id column."""
    missing = series.isna().to_numpy(dtype=bool)
    if key == "id" and series.dtype.kind not in "biuf":
        missing = missing | series.astype(str).str.strip().eq("").to_numpy(dtype=bool)
    return missing


def _drop_missing(
    frame: pd.DataFrame, in_use: list[tuple[str, str]], source: str
) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """Listwise deletion on the columns in use: the rows kept, their positions in ``frame``,
    and per column (the user's name) the number of rows missing a value there."""
    masks = {name: _missing_mask(frame[name], key) for key, name in in_use}
    dropped = {name: int(mask.sum()) for name, mask in masks.items() if mask.any()}
    gone = np.zeros(len(frame), dtype=bool)
    for mask in masks.values():
        gone |= mask
    kept = np.flatnonzero(~gone)
    if len(kept) == 0:
        counts = ", ".join(f"'{name}' {count}" for name, count in dropped.items())
        raise UserInputError(
            f"data.missing=drop leaves no rows in {source}: every one of its {len(frame)} rows misses a "
            f"value in a column in use (rows missing a value per column: {counts})"
        )
    return frame.iloc[kept].reset_index(drop=True), kept, dropped


def _check_panel(out: pd.DataFrame, names: dict[str, str], source: str, rows: _Rows) -> None:
    duplicated = out.duplicated(["unit", "time"], keep=False).to_numpy()
    if duplicated.any():
        n_pairs = int(out[duplicated].drop_duplicates(["unit", "time"]).shape[0])
        first = int(np.flatnonzero(duplicated)[0])
        unit, time = out["unit"].iloc[first], int(out["time"].iloc[first])
        where = np.flatnonzero(((out["unit"] == unit) & (out["time"] == time)).to_numpy())
        raise UserInputError(
            f"{source} has {n_pairs} duplicated (id, time) pair(s) in {_col('id', names['unit'])} "
            f"and {_col('time', names['time'])}; first: {names['unit']} '{unit}', "
            f"{names['time']} {time} at {rows.many(where)}; each unit may appear once per period"
        )
    periods = np.unique(out["time"].to_numpy())
    if len(periods) < 2:
        raise UserInputError(
            f"{source} has a single period ({int(periods[0])}) in {_col('time', names['time'])}; "
            f"a panel needs at least two"
        )
    treatment = out["treatment"].to_numpy()
    if np.ptp(treatment) == 0:
        raise UserInputError(
            f"{_col('treatment', names['treatment'])} of {source} is constant "
            f"(every row is {_shown(treatment[0])}); a treatment that never varies has no effect "
            f"to estimate"
        )


def panel_from_frame(
    frame: pd.DataFrame,
    columns: Mapping[str, Any] | None,
    source: str,
    used_roles: Iterable[str] | None = None,
    missing: str = "error",
    not_found_hint: str = "",
) -> Panel:
    """Validate ``frame`` against the ``data.columns`` mapping and build the :class:`Panel`.

    ``columns`` holds the config keys ``id``, ``time``, ``outcome``, ``treatment`` (required),
    ``controls`` (a list) and optionally ``moderator``, ``municipality``, ``resource_city``
    (None or missing = not mapped). ``source`` names the data in messages (the path as the
    user gave it). ``used_roles`` lists the optional roles the run needs: only those are
    value-checked and carried into the panel (default: every mapped optional role); the
    other mapped ones must still exist as columns. Rows are named "row N", the 1-based data
    row, plus "(line N+1)" for CSV sources (see the module docstring). ``missing``
    (``data.missing``) is ``error`` or ``drop`` (listwise deletion on the columns in use; the
    panel's ``dropped`` and ``dropped_rows`` say what went). ``not_found_hint`` is appended to
    a "column not found" message (the reader's separator hint).

    The panel has ``unit`` (str), ``time`` (int64), ``outcome``, ``treatment``, the controls
    under their own names and ``moderator`` (float64), ``municipality`` / ``resource_city``
    (int64 0/1); rows sorted by (unit, time). Raises :class:`UserInputError` on the first
    problem found.
    """
    source = str(source)
    if missing not in MISSING_POLICIES:
        raise UserInputError(
            f"data.missing = {_shown(missing)} (data: {source}): use data.missing=error (stop at the first "
            f"missing value) or data.missing=drop (leave out the rows that miss a value in a column in use)"
        )
    mapped, controls = _read_mapping(columns, source)
    if used_roles is None:
        used = {key for key in OPTIONAL_ROLES if key in mapped}
    else:
        used = set(used_roles)
        unknown = used - set(OPTIONAL_ROLES) - set(CORE_ROLES)
        if unknown:
            raise ValueError(f"used_roles names unknown roles: {sorted(unknown)}")
    _check_roles_distinct(mapped, controls, source)
    for key, name in [*mapped.items(), *(("controls", c) for c in controls)]:
        _check_present(frame, key, name, source, not_found_hint)
    if len(frame) == 0:
        raise UserInputError(f"{source} has no data rows")

    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    rows_read = len(frame)
    dropped: dict[str, int] = {}
    kept: np.ndarray | None = None
    if missing == "drop":
        in_use = [(key, name) for key, name in mapped.items() if key in REQUIRED_KEYS or key in used]
        in_use += [("controls", name) for name in controls]
        frame, kept, dropped = _drop_missing(frame, in_use, source)
    rows = _Rows(source, kept)
    units = _units(frame[mapped["id"]], mapped["id"], source, rows)
    data: dict[str, Any] = {
        "unit": units.to_numpy(),
        "time": _times(frame[mapped["time"]], mapped["time"], source, rows),
    }
    for key in ("outcome", "treatment"):
        data[key] = _numeric(frame[mapped[key]], key, mapped[key], source, rows)
    for name in controls:
        data[name] = _numeric(frame[name], "controls", name, source, rows)
    for key in OPTIONAL_ROLES:
        if key in mapped and key in used:
            series = frame[mapped[key]]
            if key in INDICATOR_ROLES:
                data[key] = _indicator(series, key, mapped[key], units, source, rows)
            else:
                data[key] = _numeric(series, key, mapped[key], source, rows)

    out = pd.DataFrame(data)
    out["unit"] = out["unit"].astype(str)
    names = {
        _ROLE_OF[key]: name for key, name in mapped.items() if key in REQUIRED_KEYS or key in used
    }
    _check_panel(out, names, source, rows)
    out = out.sort_values(["unit", "time"], kind="mergesort").reset_index(drop=True)
    dropped_rows = () if kept is None else tuple(int(i) + 1 for i in np.setdiff1d(np.arange(rows_read), kept))
    return Panel(
        frame=out, controls=tuple(controls), source=source, names=names,
        missing=missing, rows_read=rows_read, dropped=dropped, dropped_rows=dropped_rows,
    )
