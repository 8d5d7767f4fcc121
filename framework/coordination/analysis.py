"""The coordination analysis end to end: source -> indices (eq. 1-3) -> coupling coordination
within and between regions (eq. 4-6, Table 2) -> tables, weights, plots, replication check.

:func:`analyse` takes the plain config of ``experiments.coordination`` and computes everything
in memory (every bad input fails here, before anything is written); :func:`write_outputs`
writes it into ``<run dir>/coordination/`` through a temporary directory renamed into place,
so a failure leaves nothing half written.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from framework.coordination import plots, replication, tables
from framework.coordination.sources import PAPER_SUBSYSTEMS, load_source, paper_reference, parse_groups
from framework.indices.composite import (
    Indices,
    between_regions,
    build_indices,
    check_groups,
    default_groups,
    given_indices,
    group_label,
    within_regions,
)
from framework.indices.system import IndicatorSystem
from framework.io import write_folder
from framework.rendering.document import to_latex_table, to_markdown_table

OUTPUT_DIR = "coordination"
SUMMARY = "coordination.json"


@dataclass
class Analysis:
    summary: dict
    indices: Indices
    within: pd.DataFrame
    between: pd.DataFrame
    comparison: pd.DataFrame | None = None
    figures: dict[str, bytes] = field(default_factory=dict)


def analyse(config: Mapping[str, Any]) -> Analysis:
    data = config.get("data") or {}
    seed = int(config.get("seed", 0))
    pooling = str((config.get("pooling") or {}).get("name", "all"))
    shift = float(config.get("shift", 1e-4))
    if data.get("kind") == "paper":
        source = load_source(data, None, seed)
        indices = given_indices(source.frame, PAPER_SUBSYSTEMS)
        system_note = "indices as published (seed 002, Table 3): eq. 1-3 are not re-applied; no entropy weights"
    else:
        system = IndicatorSystem.from_config((config.get("system") or {}).get("subsystems"))
        source = load_source(data, system, seed)
        indices = build_indices(source.frame, system, pooling=pooling, shift=shift, source=source.description.split(" (")[0])
        system_note = None
    regions = sorted(indices.frame["region"].unique())
    between_cfg = config.get("between") or {}
    groups = parse_groups(data.get("groups"), "data.groups")
    groups = check_groups(groups, regions, "data.groups") if groups else default_groups(regions, int(between_cfg.get("max_regions", 10)))
    within = within_regions(indices)
    between = between_regions(indices, groups)
    comparison = None
    notes = []
    if data.get("kind") == "paper":
        table4, text = paper_reference()
        comparison = replication.compare(within, between, table4, text)
        notes = replication.discrepancies(comparison)
    if len(regions) > int(between_cfg.get("max_regions", 10)) and not data.get("groups"):
        notes.append(f"{len(regions)} regions: pairs between regions are left out (more than between.max_regions = "
                     f"{between_cfg.get('max_regions', 10)}); D between all regions together is kept.")
    if indices.capped:
        notes.append(f"{indices.capped} index value(s) exceed 1 by at most the eq. 2 shift ({shift}) and were capped at 1 for eq. 4-6.")
    summary = {
        "source": source.description,
        "data": data.get("kind"),
        "input": source.kind,
        "pooling": pooling if source.kind == "indicators" else None,
        "pooling_text": {"all": "eq. 1 min and max over all region-years (one scale for every year)",
                         "year": "eq. 1 min and max within each year (entropy weights still over all region-years)"}.get(pooling)
        if source.kind == "indicators" else system_note,
        "shift": shift if source.kind == "indicators" else None,
        "subsystems": indices.subsystems,
        "regions": regions,
        "members": source.members,
        "years": sorted(int(y) for y in indices.frame["year"].unique()),
        "groups": [group_label(g) for g in groups],
        "capped": indices.capped,
        "notes": notes,
    }
    figures = {
        "indices": plots.indices_plot(_indices_long(indices), indices.columns),
        "within": plots.within_plot(within),
    }
    if len(between):
        figures["between"] = plots.between_plot(between)
    return Analysis(summary, indices, within, between, comparison, figures)


def _indices_long(indices: Indices) -> pd.DataFrame:
    return indices.frame.melt(id_vars=["region", "year"], value_vars=indices.columns, var_name="subsystem", value_name="index")


def _write_table(directory: Path, name: str, frame: pd.DataFrame, block) -> list[str]:
    frame.to_csv(directory / f"{name}.csv", index=False)
    (directory / f"{name}.md").write_text(to_markdown_table(block), encoding="utf-8")
    (directory / f"{name}.tex").write_text(to_latex_table(block), encoding="utf-8")
    return [f"{name}.csv", f"{name}.md", f"{name}.tex"]


def write_outputs(analysis: Analysis, run_dir: str | os.PathLike) -> Path:
    """Write everything into ``<run_dir>/coordination/`` atomically; returns that directory."""
    target = Path(run_dir) / OUTPUT_DIR
    write_folder(target, lambda folder: _fill(analysis, folder))
    return target


def _fill(analysis: Analysis, temp: Path) -> None:
    files = []
    analysis.indices.frame.to_csv(temp / "indices.csv", index=False)
    analysis.within.to_csv(temp / "within.csv", index=False)
    analysis.between.to_csv(temp / "between.csv", index=False)
    files += ["indices.csv", "within.csv", "between.csv"]
    frame, block = tables.table3(analysis.indices)
    files += _write_table(temp, "table3", frame, block)
    if len(analysis.between):
        frame, block = tables.table4(analysis.between)
        files += _write_table(temp, "table4", frame, block)
    frame, block = tables.within_table(analysis.within, len(analysis.indices.subsystems))
    files += _write_table(temp, "within_table", frame, block)
    if analysis.indices.weights is not None:
        files += _write_table(temp, "weights", analysis.indices.weights, tables.weights_table(analysis.indices.weights))
    if analysis.comparison is not None:
        files += _write_table(temp, "replication", analysis.comparison, tables.replication_table(analysis.comparison))
    (temp / "figures").mkdir()
    for name, png in analysis.figures.items():
        (temp / "figures" / f"{name}.png").write_bytes(png)
        files.append(f"figures/{name}.png")
    (temp / SUMMARY).write_text(json.dumps({**analysis.summary, "files": files}, indent=2), encoding="utf-8")


def load_outputs(directory: Path) -> tuple[dict, Analysis]:
    """Read a written ``coordination/`` directory back (for the comparison report)."""
    summary = json.loads((directory / SUMMARY).read_text(encoding="utf-8"))
    frame = pd.read_csv(directory / "indices.csv")
    frame["region"] = frame["region"].astype(str)
    columns = [c for c in frame.columns if c not in ("region", "year")]
    subsystems = summary.get("subsystems") or columns
    indices = Indices(frame, columns, subsystems, _read(directory / "weights.csv"), int(summary.get("capped") or 0))
    figures = {p.stem: p.read_bytes() for p in sorted((directory / "figures").glob("*.png"))}
    analysis = Analysis(summary, indices, _read(directory / "within.csv"), _read(directory / "between.csv"),
                        _read(directory / "replication.csv"), figures)
    return summary, analysis


def _read(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()

