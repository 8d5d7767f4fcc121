"""Where ``experiments.coordination`` gets its panel (``data=...``).

* ``synthetic``: the synthetic world's digital indicators (``framework.data.synthetic``),
  aggregated to regions: ``level: clusters`` averages the indicators of the cities of each of
  ``n_clusters`` clusters per year (cities ranked by their mean of the world's moderator, DIFI,
  and cut into equal groups: ``cluster_by: moderator``; or contiguous blocks of city ids:
  ``cluster_by: id``), ``level: cities`` keeps every city as a region.
* ``file``: a user's CSV, Parquet or Stata file, ``layout: wide`` or ``long``
  (:mod:`framework.coordination.inputs`).
* ``paper``: seed 002's own Table 3 (indices, not indicators), shipped as
  ``framework/coordination/paper/table3.csv`` with its Table 4 and the within-cluster values
  of its text as the reference of the replication check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from framework.coordination.inputs import index_panel, indicator_panel
from framework.data.files import read_table
from framework.data.synthetic import WorldKnobs, generate_world
from framework.errors import UserInputError, show_value
from framework.indices.system import COMPOSITE, IndicatorSystem

PAPER_DIR = Path(__file__).resolve().parent / "paper"
PAPER_SUBSYSTEMS = ["digital_infrastructure", "digital_industrialisation", "industrial_digitalisation"]
LEVELS = ("clusters", "cities")
CLUSTER_BY = ("moderator", "id")


@dataclass(frozen=True)
class Source:
    kind: str
    """``indicators`` (eq. 1-3 still to apply) or ``indices`` (given, e.g. Table 3)."""
    frame: pd.DataFrame
    description: str
    members: dict[str, list[str]] = field(default_factory=dict)
    """Synthetic clusters: region -> its cities."""


def load_source(data: Mapping[str, Any], system: IndicatorSystem, seed: int) -> Source:
    kind = data.get("kind")
    if kind == "synthetic":
        return synthetic_source(data, system, seed)
    if kind == "file":
        path = data.get("path")
        if not path:
            raise UserInputError("data=file needs data.path: the CSV, Parquet or Stata file of indicators")
        frame = read_table(str(path))
        panel = indicator_panel(frame, system, data.get("columns") or {}, str(data.get("layout", "wide")), source=str(path))
        return Source("indicators", panel, f"{path} ({panel['region'].nunique()} regions, {panel['year'].nunique()} years)")
    if kind == "paper":
        path = Path(str(data.get("path") or PAPER_DIR / "table3.csv"))
        frame = read_paper_csv(path)
        wide = index_panel(frame, str(path), [*PAPER_SUBSYSTEMS, COMPOSITE])
        return Source("indices", wide, f"seed 002, Table 3 ({path.name}): {wide['region'].nunique()} clusters, {wide['year'].min()}-{wide['year'].max()}")
    raise UserInputError(f"data.kind = {kind!r}: use data=synthetic, data=file or data=paper")


def read_paper_csv(path: Path) -> pd.DataFrame:
    """A shipped CSV of seed 002's numbers (``#`` lines cite the source)."""
    if not path.is_file():
        raise UserInputError(f"{path}: no such file")
    return pd.read_csv(path, comment="#")


def synthetic_source(data: Mapping[str, Any], system: IndicatorSystem, seed: int) -> Source:
    level = str(data.get("level", "clusters"))
    if level not in LEVELS:
        raise UserInputError(f"data.level = {level!r}: use clusters or cities")
    world_seed = int(data.get("seed") if data.get("seed") is not None else seed)
    world = generate_world(WorldKnobs.from_config(data.get("world")), seed=world_seed)
    cities = world.indicators.rename(columns={"unit": "region", "time": "year"})
    missing = [n for n in system.indicators if n not in cities.columns]
    if missing:
        raise UserInputError(
            f"system.subsystems names indicator {missing[0]!r}, which the synthetic world does not have "
            f"(it has {', '.join(c for c in cities.columns if c not in ('region', 'year'))})"
        )
    if level == "cities":
        panel = indicator_panel(cities, system, {"region": "region", "year": "year"}, source=f"synthetic world (seed={world_seed})")
        return Source("indicators", panel, f"synthetic world (seed={world_seed}), {panel['region'].nunique()} cities")
    n = int(data.get("n_clusters", 3))
    units = world.panel.frame.groupby("unit", sort=True)["moderator"].mean()
    if not 2 <= n <= len(units):
        raise UserInputError(f"data.n_clusters = {n}: give 2 to {len(units)} clusters")
    how = str(data.get("cluster_by", "moderator"))
    if how not in CLUSTER_BY:
        raise UserInputError(f"data.cluster_by = {how!r}: use moderator or id")
    ordered = list(units.sort_values(ascending=False, kind="stable").index) if how == "moderator" else list(units.index)
    width = len(str(n))
    labels = {u: f"K{k + 1:0{width}d}" for k, block in enumerate(np.array_split(np.array(ordered), n)) for u in block}
    cities["cluster"] = cities["region"].map(labels)
    means = cities.groupby(["cluster", "year"], sort=True)[system.indicators].mean().reset_index()
    means = means.rename(columns={"cluster": "region"})
    panel = indicator_panel(means, system, {"region": "region", "year": "year"}, source=f"synthetic world (seed={world_seed})")
    members = {k: sorted(u for u, lab in labels.items() if lab == k) for k in sorted(set(labels.values()))}
    order = "highest mean DIFI first" if how == "moderator" else "by city id"
    return Source("indicators", panel, f"synthetic world (seed={world_seed}): {len(members)} clusters of "
                  f"{min(map(len, members.values()))}-{max(map(len, members.values()))} cities ({order}), indicators averaged per year",
                  members)


def paper_reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seed 002's Table 4 (``subsystem, group, year, D``) and its text's within-cluster values
    (``region, year, D, label``)."""
    table4 = read_paper_csv(PAPER_DIR / "table4.csv")
    text = read_paper_csv(PAPER_DIR / "text_within.csv")
    return table4, text


def parse_groups(value: Any, key: str = "groups") -> list[list[str]] | None:
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(g, (list, tuple)) for g in value):
        raise UserInputError(f"{key} = {show_value(value, 80)}: give a list of region lists, e.g. [[A, B], [A, B, C]]")
    return [[str(r) for r in g] for g in value]
