"""The same study on each backend: wall time of the local pool against a Dask LocalCluster and a
local Ray instance with the same number of workers (the overhead ratio), and one worker
against two (the speed-up).

    .venv/bin/python benchmarks/study_backends.py [--draws 40] [--backends local,dask,ray]

Each row is ``python -m experiments.simulate`` in a fresh process, ``study=quick`` with its
three configurations (DML with dummies, DML with first differences, TWFE) on the baseline and
the 2011-2015 window, kept draws off (``study.resume=false``), so every row does the same
work. Wall time is the whole command (imports, the cluster's start and stop, the report).
Figures go to ``docs/BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def study(backend: str, workers: int, draws: int, out: Path) -> tuple[float, pd.DataFrame]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "experiments.simulate", "study=quick", f"study.replications={draws}",
                    f"study.backend={backend}", f"study.n_jobs={workers}", "study.resume=false", f"hydra.run.dir={out}"],
                   cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - started
    return wall, pd.read_parquet(out / "study" / "replications.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=40)
    parser.add_argument("--backends", default="local,dask,ray")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="study_backends_"))
    walls, reference = {}, None
    print("| backend | workers | wall s | ratio to local, same workers | speed-up 1 -> 2 workers | same numbers as local |")
    print("|---|---|---|---|---|---|")
    for backend in args.backends.split(","):
        for workers in (1, 2):
            wall, rows = study(backend, workers, args.draws, work / f"{backend}_{workers}")
            walls[backend, workers] = wall
            numbers = rows[["seed", "configuration", "spec", "term", "estimate", "std_error", "ci_low", "ci_high"]]
            if reference is None:
                reference = numbers
            same = numbers.equals(reference)
            ratio = wall / walls["local", workers] if ("local", workers) in walls else float("nan")
            speedup = walls[backend, 1] / wall if workers == 2 else float("nan")
            print(f"| {backend} | {workers} | {wall:.1f} | {ratio:.2f} | {'' if speedup != speedup else f'{speedup:.2f}'} | {same} |",
                  flush=True)


if __name__ == "__main__":
    main()
