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
from framework.report.sensitivity import sensitivity_sections
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
        return write_report(_document(extra, f"outputs under {root.resolve()}", _outputs_title(root)), root / REPORT_DIR)
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
    """The report's sections. On the paper's kind of data alone (:func:`analysis.paper_mode`)
    the paper's words, tables and hypotheses H1-H4; on other data the data's own column names
    and none of the paper's; a mixed collection gets the paper's sections for its runs of the
    paper's kind and the data's own words for the others. Declared hypotheses, every
    coefficient per spec (on the paper's kind: where controls are estimated) and the
    statistical warnings in every case."""
    synthetic = bool(df["truth"].notna().any())
    paper_mode = analysis.paper_mode(df)
    paper_df = analysis.paper_rows(df)
    paper_ok = bool(paper_df["ok"].any())
    mixed = not paper_mode and paper_ok
    columns = paper_columns() if paper_mode or mixed else {}
    if paper_mode:
        parts = [
            *sections.summary_sections(df, synthetic, analysis.hypotheses(columns)),
            *sections.paper_table_sections(df, synthetic, columns),
            *sections.coefficient_sections(df, synthetic, level=3, only_with_controls=True),
        ]
    elif mixed:
        parts = [
            *sections.summary_sections(df, synthetic, analysis.hypotheses(columns), paper_mode=False, paper_df=paper_df),
            *sections.paper_table_sections(paper_df, synthetic, columns),
            *sections.coefficient_sections(df, synthetic, level=3, only_with_controls=True),
        ]
    else:
        parts = [
            *sections.summary_sections(df, synthetic, (), paper_mode=False),
            *sections.coefficient_sections(df, synthetic, level=2),
        ]
    parts += [
        *sections.figure_sections(df, paper_mode),
        *sections.agreement_sections(df, synthetic),
        *sensitivity_sections(df, analysis.hypotheses(columns) if paper_mode or mixed else ()),
        sections.runtime_section(df),
        sections.failures_section(df),
        sections.warnings_section(df),
        *(extra or []),
    ]
    return _document(parts, f"{len(analysis.runs(df))} run(s) under {root.resolve()}", title(df, paper_mode))


def title(df: pd.DataFrame, paper_mode: bool) -> str:
    """The paper's question on its kind of data; otherwise the data's own treatment and outcome."""
    if paper_mode:
        return TITLE
    others = analysis.runs(df[~df["paper_kind"].astype(bool)])
    pairs = {(t, o) for t, o in zip(others["treatment_column"], others["outcome_column"]) if t is not None and o is not None}
    if len(pairs) == 1:
        treatment, outcome = pairs.pop()
        return f"The effect of {treatment} on {outcome}: comparison report"
    return "Comparison report"


TITLE = "Gini\u2013UIL: comparison report"


def _outputs_title(root: Path) -> str:
    """The paper's question unless a study under ``root`` drew from a user's file."""
    import json

    from framework.report.study import find_studies

    for folder in find_studies(root):
        meta = json.loads((folder / "study.json").read_text(encoding="utf-8"))
        if meta.get("data", "synthetic") != "synthetic":
            return f"Monte Carlo study of {Path(str(meta['data'])).name}: comparison report"
    return TITLE


def _document(parts: list[Section], what: str, title_: str = TITLE) -> Document:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return Document(title=title_, subtitle=f"{what} \u2014 generated {stamp}", sections=parts)
