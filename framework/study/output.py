"""The study's outputs under ``<dir>/study/``, written atomically (a temporary folder renamed
into place), so an interrupted study leaves the previous outputs or none:

``replications.parquet``  one row per draw, configuration, spec and term (or failed run)
``summary.csv``           the measures, verdict and rank per configuration, spec and term
``summary.md``            the ranked table and the recommendation, for reading
``study.json``            the design, the world's knobs (and calibration), timing, provenance
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pandas as pd

STUDY_DIR = "study"
SHOWN = ["rank", "configuration", "verdict", "bias", "bias_mcse", "rmse", "coverage", "coverage_mcse", "width", "sign_sig", "se_ratio", "failure_rate", "runtime_mean_s"]


def write_study(directory: Path, rows: pd.DataFrame, ranked: pd.DataFrame, recommendation: list[str], meta: dict) -> Path:
    target = Path(directory) / STUDY_DIR
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=".study-tmp-", dir=target.parent))
    try:
        os.chmod(temp, 0o755)
        rows.to_parquet(temp / "replications.parquet", index=False)
        ranked.to_csv(temp / "summary.csv", index=False)
        (temp / "summary.md").write_text(summary_markdown(ranked, recommendation), encoding="utf-8")
        (temp / "study.json").write_text(json.dumps({**meta, "recommendation": recommendation}, indent=2, default=str), encoding="utf-8")
        old = None
        if target.exists():
            old = target.parent / f".study-old-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
        os.replace(temp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
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
