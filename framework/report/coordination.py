"""The comparison report's section on seed 002's coordination analysis.

``python -m experiments.coordination`` writes ``<run dir>/coordination/coordination.json`` and
its tables and plots; :func:`sections` finds every such directory under the results directory
and lays out its Table 3 and Table 4 analogues, the within-region D, the entropy weights, the
line plots and, for seed 002's own Table 3, the replication check with its discrepancies.
"""

from __future__ import annotations

from pathlib import Path

from framework.coordination import tables
from framework.coordination.analysis import OUTPUT_DIR, SUMMARY, load_outputs
from framework.rendering.document import Figure, Paragraph, Section
from framework.report.text import slug


def sections(root: Path) -> list[Section]:
    found = sorted(p.parent for p in Path(root).rglob(SUMMARY) if p.parent.name == OUTPUT_DIR)
    if not found:
        return []
    out = [Section("Coordination of the digital economy (seed 002)", "coordination", [Paragraph(
        "Entropy-weighted subsystem indices (seed 002 eq. 1-3) and their coupling coordination D (eq. 4-6) within each region, "
        "across its subsystems, and between regions, for each subsystem and the composite, with the ten levels of its Table 2. "
        f"{len(found)} analysis run(s) under this directory.")])]
    for i, directory in enumerate(found, 1):
        out.append(_one(directory, root, i))
    return out


def _one(directory: Path, root: Path, i: int) -> Section:
    summary, analysis = load_outputs(directory)
    where = directory.relative_to(root) if directory.is_relative_to(root) else directory
    name = f"coordination-{i}-{slug(str(where))}"
    section = Section(f"Coordination run {i}: {summary.get('source')}", name, level=3)
    section.blocks.append(Paragraph(f"{where}. Normalisation: {summary.get('pooling_text')}."
                                    + (f" Eq. 2 shift {summary['shift']}." if summary.get("shift") is not None else ""), lead="Run."))
    if analysis.comparison is not None and len(analysis.comparison):
        section.blocks.append(_named(tables.replication_table(analysis.comparison), name))
    for note in summary.get("notes") or []:
        section.blocks.append(Paragraph(note, kind="warn" if analysis.comparison is not None else "note"))
    section.blocks.append(_named(tables.table3(analysis.indices)[1], name))
    section.blocks.append(_named(tables.within_table(analysis.within, len(analysis.indices.subsystems))[1], name))
    if analysis.between is not None and len(analysis.between):
        section.blocks.append(_named(tables.table4(analysis.between)[1], name))
    if analysis.indices.weights is not None and len(analysis.indices.weights):
        section.blocks.append(_named(tables.weights_table(analysis.indices.weights), name))
    captions = {"indices": "Indices by region over time (eq. 1-3).", "within": "D within each region across its subsystems.",
                "between": "D between regions for each subsystem and the composite."}
    for stem, png in analysis.figures.items():
        section.blocks.append(Figure(f"{name}-{stem}", captions.get(stem, stem), png))
    return section


def _named(table, prefix: str):
    """Table file names unique per run (the LaTeX files of the report share one folder)."""
    table.name = f"{prefix}-{table.name.removeprefix('coordination-')}"
    return table
