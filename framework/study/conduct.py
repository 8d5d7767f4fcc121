"""A whole study, from the plan and its designs to verdicts, stability and recommendation;
what the entry points (``experiments/simulate.py``, ``experiments/check_designs.py``) write
and print is theirs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import pandas as pd

from framework.study.backends import Backend
from framework.study.checkpoints import DrawStore
from framework.study.designs import FILE_DESIGNS, Design
from framework.study.metrics import summarise
from framework.study.plan import StudyPlan
from framework.study.recommend import Thresholds, ranking, recommend, verdicts
from framework.study.runner import Progress, run_study
from framework.study.stability import top_stability

CAVEAT = (
    "Caveat: a design keeps what it can of your data but must invent the rest (the outcome's response, the effect and "
    "its heterogeneity, the confounding). Simulations like these can prefer the wrong estimator when a design misses "
    "what matters for the estimators compared (Advani, Kitagawa & S\u0142oczy\u0144ski 2019); how often each design "
    "reproduces the true ranking on the synthetic world is measured in docs/STUDY.md."
)


@dataclass(frozen=True)
class StudyResult:
    rows: pd.DataFrame
    ranked: pd.DataFrame
    """The summary with verdicts, ranks and each configuration's ``p_top``."""
    recommendation: list[str]
    wall_s: float


def conduct(plan: StudyPlan, designs: Sequence[Design], thresholds: Thresholds, n_jobs: int = 1,
            progress: Progress | None = None, resamples: int = 200, seed: int = 0,
            store: DrawStore | None = None, backend: Backend | None = None) -> StudyResult:
    """Every draw of every design (those ``store`` keeps are not run again) on ``backend``
    (default: ``n_jobs`` local workers), then the verdicts, their stability under resampling
    of the draws, and the recommendation."""
    started = time.perf_counter()
    rows = pd.concat([run_study(plan, design, n_jobs=n_jobs, progress=progress, store=store, backend=backend)
                      for design in designs], ignore_index=True)
    judged = verdicts(summarise(rows), thresholds)
    stability = top_stability(rows, thresholds, resamples=resamples, seed=seed) if resamples else None
    ranked = ranking(judged)
    if stability is not None:
        ranked = ranked.merge(stability, on=["design", "spec", "term", "configuration"], how="left")
    recommendation = recommend(judged, stability)
    if any(d.name in FILE_DESIGNS for d in designs):
        recommendation.append(CAVEAT)
    for design in designs:
        recommendation += [f"Warning: {w}" for w in design.warnings()]
    return StudyResult(rows, ranked, recommendation, time.perf_counter() - started)
