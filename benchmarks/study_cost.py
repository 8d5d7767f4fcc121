"""The Monte Carlo study's cost per replication per estimator configuration.

    .venv/bin/python benchmarks/study_cost.py [--draws 6] [--study core] [--design world] [--target 200] [--workers 2] [override ...]

Runs ``python -m experiments.simulate`` with ``--draws`` replications on one worker (so
each fit has a core to itself) and prints, per configuration: the first draw's cost (which
includes what a process builds once: imports, the Bayesian model's compilation for each
spec's shape), the steady cost per draw (the median over the later draws, every spec
summed), its share of a draw, and the projected wall time of a study of ``--target`` draws
on ``--workers`` workers. The study's own wall time and the world's drawing time are printed
beside them. ``--design`` picks the study's design (``world``, ``structured``, ``placebo``,
``calibrated``; built from one draw of the world unless the overrides name ``data=file``), so
the cost of a configuration can be compared across designs on panels of the same shape; any
further arguments are passed to the study as overrides.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=6)
    parser.add_argument("--study", default="core")
    parser.add_argument("--target", type=int, default=200, help="replications of the study to project")
    parser.add_argument("--workers", type=int, default=2, help="workers of the projected study")
    parser.add_argument("--design", default="world", help="the study's design (study.design)")
    parser.add_argument("overrides", nargs="*", help="further overrides of the study, e.g. data=file data.path=...")
    args = parser.parse_args()
    if args.draws < 2:
        parser.error("--draws must be at least 2 (the first draw pays the one-off costs)")

    with tempfile.TemporaryDirectory() as directory:
        command = [sys.executable, "-m", "experiments.simulate", f"study={args.study}", f"study.replications={args.draws}",
                   "study.n_jobs=1", f"study.design={args.design}", "study.stability.resamples=0", *args.overrides,
                   f"hydra.run.dir={directory}"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"study failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
        rows = pd.read_parquet(Path(directory) / "study" / "replications.parquet")
        meta = json.loads((Path(directory) / "study" / "study.json").read_text())

    runs = rows.drop_duplicates(["seed", "configuration", "spec"])
    per_draw = runs.groupby(["configuration", "seed"], sort=False)["runtime_s"].sum().unstack("seed")
    first, later = per_draw.iloc[:, 0], per_draw.iloc[:, 1:]
    steady = later.median(axis=1)
    total = steady.sum()
    draw_s = float(meta["draw_s"][args.design])
    print(f"study={args.study}, design {args.design}: {args.draws} draws x {len(meta['specs'])} specs on 1 worker, "
          f"wall {meta['wall_s']:.1f} s; making a draw {draw_s:.2f} s")
    print(f"{'configuration':<16}{'first draw s':>14}{'steady s/draw':>15}{'share':>8}")
    for name in per_draw.index:
        print(f"{name:<16}{first[name]:>14.2f}{steady[name]:>15.2f}{steady[name] / total:>8.1%}")
    print(f"{'all':<16}{first.sum():>14.2f}{total:>15.2f}{1:>8.0%}")
    one_off = float((first - steady).clip(lower=0).sum())
    projected = (args.target * (total + draw_s)) / args.workers + one_off
    print(f"one-off cost per worker process (first draw minus steady): {one_off:.1f} s")
    print(f"projected: {args.target} draws on {args.workers} workers = {projected / 60:.1f} min "
          f"(steady {total + draw_s:.2f} s per draw / {args.workers} workers + one-off {one_off:.0f} s), if the workers scale perfectly")


if __name__ == "__main__":
    main()
