"""The study's outputs under ``<dir>/study/``, written atomically (a temporary folder renamed
into place), so an interrupted study leaves the previous outputs or none:

``replications.parquet``  one row per draw, configuration, spec and term (or failed run)
``summary.csv``           the measures, verdict and rank per configuration, spec and term
``summary.md``            the ranked table and the recommendation, for reading
``study.json``            the design, the world's knobs (and calibration), timing, provenance
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from framework.io import write_folder

STUDY_DIR = "study"
SHOWN = ["rank", "configuration", "verdict", "bias", "bias_mcse", "rmse", "coverage", "coverage_mcse", "width", "sign_sig", "se_ratio", "failure_rate", "runtime_mean_s"]


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
    for (spec, term), group in ranked.groupby(["spec", "term"], sort=False):
        lines += ["", f"## {spec}: {term} (truth {group['truth_mean'].mean():+.4f} on average)", ""]
        lines.append("| " + " | ".join(SHOWN) + " |")
        lines.append("|" + "---|" * len(SHOWN))
        for _, row in group.iterrows():
            lines.append("| " + " | ".join(_cell(row[c]) for c in SHOWN) + " |")
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.3f}"
    return str(value)
