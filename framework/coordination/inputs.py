"""Panels of indicators (or of ready indices) per region and year, validated.

Two layouts are read:

* ``wide``: one row per region-year, one column per indicator;
* ``long``: one row per region-year-indicator, with an indicator-name column and a value column.

Both become one wide frame with columns ``region``, ``year`` and the system's indicators, in
the system's order, sorted by region and year. Columns the system does not name are ignored.
Every problem is one :class:`~framework.errors.UserInputError` line naming the source, the
column and the region-year (and the data row, counted from 0 after the header):

* a region-year without a value for an indicator (a missing cell, or no long row for it);
* a negative value of an indicator whose direction is ``positive`` (seed 002's indicators are
  ratios and shares, so a negative value means a wrong column or a wrong direction);
* a region-year given twice, a year that is not an integer, a non-numeric indicator.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from framework.errors import UserInputError, show_value
from framework.indices.entropy import POSITIVE
from framework.indices.system import IndicatorSystem

LAYOUTS = ("wide", "long")


def _column(frame: pd.DataFrame, name: Any, role: str, source: str) -> str:
    if not name:
        raise UserInputError(f"{source}: data.columns.{role} is not set; name the column that holds the {role}")
    if name not in frame.columns:
        raise UserInputError(f"{source}: column {show_value(name)} (data.columns.{role}) is not in the file (columns: {list(frame.columns)[:12]})")
    return str(name)


def _keys(frame: pd.DataFrame, region: str, year: str, source: str) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for col, role in ((region, "region"), (year, "year")):
        missing = frame[col].isna().to_numpy()
        if missing.any():
            row = int(np.argmax(missing))
            raise UserInputError(f"{source}: column {show_value(col)} ({role}) is empty at row {row}")
    out["region"] = frame[region].astype(str).to_numpy()
    years = pd.to_numeric(frame[year], errors="coerce")
    bad = (years.isna() | (years != np.round(years))).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise UserInputError(f"{source}: column {show_value(year)} (year) has {show_value(frame[year].iloc[row])} at row {row}; give an integer year")
    out["year"] = years.astype(int).to_numpy()
    return out


def _no_duplicates(keys: pd.DataFrame, extra: list[str], source: str, what: str) -> None:
    dup = keys.duplicated(["region", "year", *extra], keep="first").to_numpy()
    if dup.any():
        row = int(np.argmax(dup))
        r = keys.iloc[row]
        more = "".join(f", {e} {show_value(r[e])}" for e in extra)
        raise UserInputError(f"{source}: region {show_value(r['region'])}, year {int(r['year'])}{more} is given twice (row {row}); {what}")


def indicator_panel(
    frame: pd.DataFrame,
    system: IndicatorSystem,
    columns: Mapping[str, Any],
    layout: str = "wide",
    source: str = "data",
) -> pd.DataFrame:
    """The validated wide frame ``region, year, <indicators>`` (see the module docstring)."""
    if layout not in LAYOUTS:
        raise UserInputError(f"data.layout = {show_value(layout)}: use wide or long")
    region = _column(frame, columns.get("region"), "region", source)
    year = _column(frame, columns.get("year"), "year", source)
    keys = _keys(frame, region, year, source)
    rows = pd.Series(np.arange(len(frame)), index=frame.index)
    if layout == "wide":
        _no_duplicates(keys, [], source, "give one row per region and year")
        wide = keys.copy()
        row_of = pd.DataFrame({c: rows for c in system.indicators}, index=frame.index)
        for name in system.indicators:
            if name not in frame.columns:
                raise UserInputError(
                    f"{source}: indicator {show_value(name)} (subsystem {system.subsystem_of(name)!r} in system.subsystems) is not a column of the file"
                )
            wide[name] = _numbers(frame[name], name, source)
    else:
        indicator = _column(frame, columns.get("indicator"), "indicator", source)
        value = _column(frame, columns.get("value"), "value", source)
        keys["indicator"] = frame[indicator].astype(str).to_numpy()
        keys["value"] = _numbers(frame[value], value, source)
        keys["row"] = rows.to_numpy()
        keys = keys[keys["indicator"].isin(system.indicators)]
        present = set(keys["indicator"])
        absent = [n for n in system.indicators if n not in present]
        if absent:
            raise UserInputError(
                f"{source}: indicator {show_value(absent[0])} (subsystem {system.subsystem_of(absent[0])!r}) has no row in column {show_value(indicator)}"
            )
        _no_duplicates(keys, ["indicator"], source, "give one value per region, year and indicator")
        wide = keys.pivot(index=["region", "year"], columns="indicator", values="value").reset_index()
        row_of = keys.pivot(index=["region", "year"], columns="indicator", values="row").reset_index(drop=True)
        # a region-year that lacks some indicator's row is a missing value, like an empty cell
        wide = wide[["region", "year", *system.indicators]]
        row_of = row_of.reindex(columns=system.indicators)
    wide = wide.reset_index(drop=True)
    row_of = row_of.reset_index(drop=True)
    for name in system.indicators:
        values = wide[name].to_numpy(dtype=float)
        missing = np.isnan(values)
        if missing.any():
            i = int(np.argmax(missing))
            where = f"region {show_value(wide['region'].iloc[i])}, year {int(wide['year'].iloc[i])}"
            row = row_of[name].iloc[i]
            at = f" (row {int(row)})" if layout == "wide" and pd.notna(row) else " (no row for it)" if layout == "long" else ""
            raise UserInputError(f"{source}: {where} has no value for indicator {show_value(name)}{at}; every region-year needs every indicator")
        if system.directions[name] == POSITIVE:
            negative = values < 0
            if negative.any():
                i = int(np.argmax(negative))
                raise UserInputError(
                    f"{source}: indicator {show_value(name)} is negative ({show_value(values[i])}) at region "
                    f"{show_value(wide['region'].iloc[i])}, year {int(wide['year'].iloc[i])} (row {int(row_of[name].iloc[i])}), "
                    "but its direction is positive; check the column or set its direction to negative in system.subsystems"
                )
    return wide.sort_values(["region", "year"], kind="stable").reset_index(drop=True)


def _numbers(series: pd.Series, name: str, source: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        raise UserInputError(f"{source}: column {show_value(name)} is boolean; indicators must be numbers")
    values = pd.to_numeric(series, errors="coerce")
    bad = (values.isna() & series.notna()).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise UserInputError(f"{source}: column {show_value(name)} has {show_value(series.iloc[row])} at row {row}; indicators must be numbers")
    inf = np.isinf(values.to_numpy(dtype=float))
    if inf.any():
        row = int(np.argmax(inf))
        raise UserInputError(f"{source}: column {show_value(name)} is infinite at row {row}")
    return values.astype(float)


def index_panel(frame: pd.DataFrame, source: str, subsystems: list[str] | None = None) -> pd.DataFrame:
    """Ready indices in long form (``region, year, subsystem, index``) as a wide frame
    ``region, year, <subsystem...>`` (e.g. seed 002's Table 3); each index in ``[0, 1]``."""
    for col in ("region", "year", "subsystem", "index"):
        if col not in frame.columns:
            raise UserInputError(f"{source}: column {col!r} is missing; an index table has region, year, subsystem, index")
    keys = _keys(frame, "region", "year", source)
    keys["subsystem"] = frame["subsystem"].astype(str).to_numpy()
    keys["index"] = _numbers(frame["index"], "index", source).to_numpy()
    _no_duplicates(keys, ["subsystem"], source, "give one index per region, year and subsystem")
    bad = ((keys["index"] < 0) | (keys["index"] > 1)).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise UserInputError(f"{source}: index {show_value(keys['index'].iloc[row])} at row {row} is outside [0, 1] (seed 002, eq. 3)")
    order = subsystems or list(dict.fromkeys(keys["subsystem"]))
    wide = keys.pivot(index=["region", "year"], columns="subsystem", values="index")
    missing = [s for s in order if s not in wide.columns]
    if missing:
        raise UserInputError(f"{source}: subsystem {missing[0]!r} has no rows")
    wide = wide[order]
    holes = wide.isna().to_numpy()
    if holes.any():
        r, c = np.argwhere(holes)[0]
        region, year = wide.index[r]
        raise UserInputError(f"{source}: region {region!r}, year {int(year)} has no index for subsystem {order[c]!r}")
    wide.columns.name = None
    return wide.reset_index()
