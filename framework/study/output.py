"""The study's outputs under ``<dir>/study/``, written atomically (a temporary folder renamed
into place), so an interrupted study leaves the previous outputs or none:

``replications.parquet``  one row per design, draw, configuration, spec and term (or failed run)
``summary.csv``           the measures, verdict, rank and p_top per design, configuration, spec and term
``summary.md``            the ranked table and the recommendation, for reading
``study.json``            the plan, each design's record (fit, calibration table, warnings), timing, provenance
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from framework.io import write_folder

STUDY_DIR = "study"
SHOWN = ["rank", "configuration", "verdict", "p_top", "bias", "bias_mcse", "rmse", "coverage", "coverage_mcse", "width", "sign_sig", "se_ratio", "failure_rate", "runtime_mean_s"]


def write_study(directory: Path, rows: pd.DataFrame, ranked: pd.DataFrame, recommendation: list[str], meta: dict) -> Path:
    def fill(folder: Path) -> None:
        rows.to_parquet(folder / "replications.parquet", index=False)
        ranked.to_csv(folder / "summary.csv", index=False)
        (folder / "summary.md").write_text(summary_markdown(ranked, recommendation), encoding="utf-8")
        (folder / "study.json").write_text(json.dumps({**meta, "recommendation": recommendation}, indent=2, default=str), encoding="utf-8")

    target = Path(directory) / STUDY_DIR
    write_folder(target, fill)
    return target


def summary_markdown(ranked: pd.DataFrame, recommendation: list[str]) -> str:
    lines = ["# Monte Carlo study", "", "## Recommendation", ""]
    lines += [f"- {line}" for line in recommendation]
    shown = [c for c in SHOWN if c in ranked.columns]
    for (spec, term, design), group in ranked.groupby(["spec", "term", "design"], sort=False):
        lines += ["", f"## {spec}: {term}, {design} design (truth {group['truth_mean'].mean():+.4f} on average)", ""]
        lines.append("| " + " | ".join(shown) + " |")
        lines.append("|" + "---|" * len(shown))
        for _, row in group.iterrows():
            lines.append("| " + " | ".join(_cell(row[c]) for c in shown) + " |")
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.3f}"
    return str(value)
