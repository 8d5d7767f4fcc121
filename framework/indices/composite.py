"""Seed 002's measurement: subsystem and composite indices (eq. 1-3), then coupling and
coordination within each region (across its subsystems) and between regions (eq. 4-6).

* :func:`build_indices` — for each subsystem, eq. 1 (min-max, reversed for ``negative``
  indicators) pooled over all region-years (``pooling="all"``, the paper's reading: its Table 3
  indices rise over time and span 0.000-1.000 over all cluster-years) or within each year
  (``pooling="year"``), eq. 2 (``+ shift``, 0.0001), entropy weights over all region-years,
  and eq. 3 (``S = sum_j w_j y'_j``). The composite ("comprehensive development") index is
  eq. 1-3 over every indicator of every subsystem, with its own entropy weights.
* :func:`within_regions` — eq. 4-6 per region-year across its ``n`` subsystem indices (``n`` =
  number of subsystems), with the Table 2 level and label.
* :func:`between_regions` — eq. 4-6 per year across the regions of each group (pairs: n = 2;
  all together: n = number of regions) for every subsystem index and the composite.

The eq. 2 shift lets an index reach ``1 + shift`` (a region holding every indicator's maximum);
eq. 4-6 and Table 2 need ``S`` in ``[0, 1]``, so such values are capped at 1 for coupling and
counted (:attr:`Indices.capped`). The equations themselves live in
:mod:`framework.indices.entropy` and :mod:`framework.indices.coupling`; which indicator
belongs to which subsystem, in :mod:`framework.indices.system`. Used by the coordination app
(:mod:`framework.coordination`) and by the synthetic world's moderator measures
(:mod:`framework.data.synthetic.moderators`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd

from framework.errors import UserInputError
from framework.indices.coupling import coupling_coordination
from framework.indices.entropy import entropy_index
from framework.indices.system import COMPOSITE, IndicatorSystem

POOLINGS = {"all": None, "year": "year"}
"""eq. 1's min and max: over all region-years, or within each year."""
DASH = "\u2013"


@dataclass(frozen=True)
class Indices:
    frame: pd.DataFrame
    """region, year, one column per subsystem, and ``composite`` (eq. 3)."""
    columns: list[str]
    """The index columns: the subsystems in config order, then ``composite`` when present."""
    subsystems: list[str]
    weights: pd.DataFrame | None = None
    """indicator, subsystem, direction, weight (within its subsystem), composite_weight."""
    capped: int = 0
    """Index values above 1 (by at most the eq. 2 shift) capped at 1 for eq. 4-6."""


def build_indices(panel: pd.DataFrame, system: IndicatorSystem, pooling: str = "all", shift: float = 1e-4,
                  source: str = "data") -> Indices:
    """Eq. 1-3 for every subsystem and for the composite over all indicators."""
    if pooling not in POOLINGS:
        raise UserInputError(f"pooling = {pooling!r}: use {' or '.join(POOLINGS)}")
    by = POOLINGS[pooling]
    frame = panel[["region", "year"]].copy()
    weights = []
    directions = system.directions
    for subsystem, members in system.subsystems.items():
        result = _entropy(panel, list(members), directions, shift, by, f"{source}: subsystem {subsystem!r}")
        frame[subsystem] = result.index.to_numpy()
        weights.append(pd.DataFrame({"indicator": list(members), "subsystem": subsystem,
                                     "direction": [directions[m] for m in members],
                                     "weight": result.weights.reindex(list(members)).to_numpy()}))
    composite = _entropy(panel, system.indicators, directions, shift, by, f"{source}: composite index")
    frame[COMPOSITE] = composite.index.to_numpy()
    table = pd.concat(weights, ignore_index=True)
    table["composite_weight"] = composite.weights.reindex(table["indicator"]).to_numpy()
    columns = [*system.subsystems, COMPOSITE]
    return Indices(frame.reset_index(drop=True), columns, list(system.subsystems), table, _over_one(frame, columns))


def _entropy(panel, indicators, directions, shift, by, where):
    try:
        return entropy_index(panel, indicators, {k: directions[k] for k in indicators}, shift=shift, by=by)
    except UserInputError as error:
        raise UserInputError(f"{where}: {error}") from None


def given_indices(wide: pd.DataFrame, subsystems: Sequence[str], composite: str | None = COMPOSITE) -> Indices:
    """Indices given ready-made (e.g. seed 002's Table 3): no indicators, no weights."""
    columns = [*subsystems, *([composite] if composite else [])]
    return Indices(wide[["region", "year", *columns]].reset_index(drop=True), columns, list(subsystems), None, 0)


def _over_one(frame: pd.DataFrame, columns: list[str]) -> int:
    return int((frame[columns].to_numpy() > 1.0).sum())


def _capped(values: np.ndarray) -> np.ndarray:
    return np.minimum(values, 1.0)


def within_regions(indices: Indices) -> pd.DataFrame:
    """Eq. 4-6 per region-year across its subsystems (n = number of subsystems) + Table 2."""
    s = pd.DataFrame(_capped(indices.frame[indices.subsystems].to_numpy(dtype=float)), columns=indices.subsystems)
    out = coupling_coordination(s).reset_index(drop=True)
    out.insert(0, "n", len(indices.subsystems))
    out.insert(0, "year", indices.frame["year"].to_numpy())
    out.insert(0, "region", indices.frame["region"].to_numpy())
    return out


def default_groups(regions: Sequence[str], max_regions: int = 10) -> list[list[str]]:
    """Every pair of regions (n = 2), in order, then all regions together when there are 3 or
    more. With more than ``max_regions`` regions the pairs are left out (all together only)."""
    regions = list(regions)
    groups = [list(p) for p in combinations(regions, 2)] if len(regions) <= max_regions else []
    if len(regions) >= 3 or not groups:
        groups.append(regions)
    return groups


def group_label(group: Sequence[str]) -> str:
    """``A–B`` for a pair, ``A–B–C`` for a few regions, ``253 regions (C001...C253)`` for many."""
    if len(group) <= 6:
        return DASH.join(group)
    return f"{len(group)} regions ({group[0]}...{group[-1]})"


def check_groups(groups: Sequence[Sequence[str]], regions: Sequence[str], key: str = "groups") -> list[list[str]]:
    known = set(regions)
    out = []
    for i, group in enumerate(groups):
        group = [str(g) for g in group]
        unknown = [g for g in group if g not in known]
        if unknown:
            raise UserInputError(f"{key}[{i}]: region {unknown[0]!r} is not in the data (regions: {sorted(known)[:12]})")
        if len(set(group)) < 2:
            raise UserInputError(f"{key}[{i}]: a group needs two or more different regions, got {group}")
        out.append(group)
    return out


def between_regions(indices: Indices, groups: Sequence[Sequence[str]]) -> pd.DataFrame:
    """Eq. 4-6 per year across the regions of each group, for every index column (n = group
    size) + Table 2. A group-year where a member has no index is left out."""
    rows = []
    for column in indices.columns:
        table = indices.frame.pivot(index="year", columns="region", values=column)
        for group in groups:
            values = table[list(group)].dropna()
            if values.empty:
                continue
            s = pd.DataFrame(_capped(values.to_numpy(dtype=float)), index=values.index, columns=list(group))
            result = coupling_coordination(s).reset_index()
            result.insert(0, "n", len(group))
            result.insert(0, "group", group_label(group))
            result.insert(0, "subsystem", column)
            rows.append(result)
    if not rows:
        return pd.DataFrame(columns=["subsystem", "group", "n", "year", "C", "T", "D", "level", "label"])
    return pd.concat(rows, ignore_index=True)
