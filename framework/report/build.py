"""The comparison report: collect the records, analyse, lay out, write (atomically).

This module only orchestrates: the sections' words and tables are in
:mod:`framework.report.sections` (the report's own) and :mod:`framework.report.supplements`
(the study's and the coordination analysis's), the document model and its writers in
:mod:`framework.rendering.document`.

``build_report(dir)`` writes ``<dir>/runs.parquet`` and ``<dir>/runs.csv`` (the collection),
then ``<dir>/report/`` with ``index.html`` (self-contained), ``report.md`` (+ ``figures/``)
and ``tables/*.tex``. The report directory is rendered under a temporary name and renamed
into place, so a failure leaves the previous report (or none), never a half-written one.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from framework.io import write_folder
from framework.rendering.document import Document, Section, to_html, to_latex_table, to_markdown
from framework.report import analysis, sections
from framework.report.collect import collect, find_records, write_collection
from framework.report.columns import paper_columns
from framework.report.supplements import supplement_sections

REPORT_DIR = "report"


class NoRecords(Exception):
    """The directory holds no result.json."""


def build_report(directory: str | os.PathLike) -> Path:
    """Collect, analyse and write the report of every record under ``directory``; returns
    the path of ``index.html``."""
    root = Path(directory)
    if not root.is_dir():
        raise NoRecords(f"{root}: no such directory")
    extra = supplement_sections(root)
    if not find_records(root):
        if not extra:
            raise NoRecords(f"{root}: no result.json under it")
        return write_report(_document(extra, f"outputs under {root.resolve()}"), root / REPORT_DIR)
    frame = collect(root)
    write_collection(frame, root)
    df = analysis.prepare(frame)
    doc = make_document(df, root, extra)
    return write_report(doc, root / REPORT_DIR)


# --- writing ------------------------------------------------------------------------------------
def write_report(doc: Document, target: Path) -> Path:
    def fill(folder: Path) -> None:
        (folder / "figures").mkdir()
        (folder / "tables").mkdir()
        for figure in doc.figures():
            (folder / "figures" / f"{figure.name}.png").write_bytes(figure.png)
        for table in doc.tables():
            (folder / "tables" / f"{table.name}.tex").write_text(to_latex_table(table), encoding="utf-8")
        (folder / "report.md").write_text(to_markdown(doc), encoding="utf-8")
        (folder / "index.html").write_text(to_html(doc), encoding="utf-8")

    write_folder(target, fill)
    return target / "index.html"


# --- the document -------------------------------------------------------------------------------
def make_document(df: pd.DataFrame, root: Path, extra: list[Section] | None = None) -> Document:
    synthetic = bool(df["truth"].notna().any())
    columns = paper_columns()
    parts = [
        *sections.summary_sections(df, synthetic, analysis.hypotheses(columns)),
        *sections.paper_table_sections(df, synthetic, columns),
        *sections.figure_sections(df),
        *sections.agreement_sections(df, synthetic),
        sections.runtime_section(df),
        sections.failures_section(df),
        *(extra or []),
    ]
    return _document(parts, f"{len(analysis.runs(df))} run(s) under {root.resolve()}")


def _document(parts: list[Section], what: str) -> Document:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return Document(title="Gini\u2013UIL: comparison report", subtitle=f"{what} \u2014 generated {stamp}", sections=parts)
