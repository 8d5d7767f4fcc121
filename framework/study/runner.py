"""Run every replication of a plan on a design, in parallel processes, reporting progress as
draws finish.

Each draw is one task (the design's draw is made once and every cell runs on it); the rows
are sorted afterwards, so the result does not depend on which worker ran which draw. Worker
processes live for the whole study, so what a family compiles once per process (the
Bayesian model) or fits once on columns a design keeps fixed is reused across draws. With a
:class:`~framework.study.checkpoints.DrawStore`, each finished draw is saved as it arrives and
the draws already saved are not run again. Where the draws run (a local pool, a Dask
cluster) is :mod:`framework.study.backends`.
"""

from __future__ import annotations

import time
from typing import Callable

import pandas as pd
from framework.study.backends import Backend
from framework.study.checkpoints import DrawStore
from framework.study.designs import Design
from framework.study.plan import StudyPlan
from framework.study.replicate import ROW_FIELDS, run_replication

Progress = Callable[[str, int, int, float, int], None]
"""Called as draws finish: design, draws done, draws in all, seconds so far, draws that were
already done when the study started (kept from an earlier run)."""


def run_study(plan: StudyPlan, design: Design, n_jobs: int = 1, progress: Progress | None = None,
              store: DrawStore | None = None, backend: Backend | None = None) -> pd.DataFrame:
    """All rows of the plan on ``design`` (see :mod:`framework.study.replicate`), sorted by draw
    and cell; with ``store``, the draws it holds are taken from it and the others saved to it.
    The draws run on ``backend`` (default: ``n_jobs`` local worker processes)."""
    started = time.perf_counter()
    kept = store.finished(design.name, plan.seeds) if store is not None else {}
    todo = [seed for seed in plan.seeds if seed not in kept]
    backend = backend or Backend("local", n_jobs)
    results = backend.map_unordered(_replicate, todo, plan, design)
    rows = [row for seed in plan.seeds if seed in kept for row in kept[seed]]
    if kept and progress is not None:
        progress(design.name, len(kept), plan.replications, 0.0, len(kept))
    for done, (seed, draw) in enumerate(results, start=len(kept) + 1):
        if store is not None:
            store.save(design.name, seed, draw)
        rows.extend(draw)
        if progress is not None:
            progress(design.name, done, plan.replications, time.perf_counter() - started, len(kept))
    frame = pd.DataFrame(rows)
    for column in ROW_FIELDS:
        if column not in frame.columns:
            frame[column] = None
    order = {name: k for k, name in enumerate(plan.configurations)}
    specs = {name: k for k, name in enumerate(plan.specs)}
    frame = frame.assign(_c=frame["configuration"].map(order), _s=frame["spec"].map(specs))
    return frame.sort_values(["seed", "_c", "_s"], kind="stable").drop(columns=["_c", "_s"]).reset_index(drop=True)


def _replicate(seed: int, plan: StudyPlan, design: Design) -> tuple[int, list[dict]]:
    return seed, run_replication(seed, plan, design)
