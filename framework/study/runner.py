"""Run every replication of a plan on a design, in parallel processes, reporting progress as
draws finish.

Each draw is one task (the design's draw is made once and every cell runs on it); the rows
are sorted afterwards, so the result does not depend on which worker ran which draw. Worker
processes live for the whole study, so what a family compiles once per process (the
Bayesian model) or fits once on columns a design keeps fixed is reused across draws.
"""

from __future__ import annotations

import time
from typing import Callable

import pandas as pd
from joblib import Parallel, delayed

from framework.study.designs import Design
from framework.study.plan import StudyPlan
from framework.study.replicate import ROW_FIELDS, run_replication

Progress = Callable[[str, int, int, float], None]


def run_study(plan: StudyPlan, design: Design, n_jobs: int = 1, progress: Progress | None = None) -> pd.DataFrame:
    """All rows of the plan on ``design`` (see :mod:`framework.study.replicate`), sorted by draw and cell."""
    started = time.perf_counter()
    if n_jobs == 1:
        results = (run_replication(seed, plan, design) for seed in plan.seeds)
    else:
        tasks = (delayed(run_replication)(seed, plan, design) for seed in plan.seeds)
        results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(tasks)
    rows = []
    for done, draw in enumerate(results, start=1):
        rows.extend(draw)
        if progress is not None:
            progress(design.name, done, plan.replications, time.perf_counter() - started)
    frame = pd.DataFrame(rows)
    for column in ROW_FIELDS:
        if column not in frame.columns:
            frame[column] = None
    order = {name: k for k, name in enumerate(plan.configurations)}
    specs = {name: k for k, name in enumerate(plan.specs)}
    frame = frame.assign(_c=frame["configuration"].map(order), _s=frame["spec"].map(specs))
    return frame.sort_values(["seed", "_c", "_s"], kind="stable").drop(columns=["_c", "_s"]).reset_index(drop=True)


def print_progress(design: str, done: int, total: int, elapsed: float) -> None:
    rate = elapsed / done
    left = rate * (total - done)
    print(f"[study] {design}: {done}/{total} draws, {rate:.1f} s per draw, {elapsed / 60:.1f} min so far, about {left / 60:.1f} min left", flush=True)
