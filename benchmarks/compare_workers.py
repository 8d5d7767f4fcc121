"""The `compare` sweep on 1 versus 2 joblib workers.

    .venv/bin/python benchmarks/compare_workers.py [--columns t2c2,t5c1,t5c2] [--variants all]

Runs ``+experiment=compare`` restricted to the given paper columns (default: the baseline and
both period columns, every variant of conf/variant/ -- 39 runs; ``--columns all`` for the full
156) with ``hydra.launcher.n_jobs=1`` and then ``=2``, each into a fresh sweep directory, with
the nuisance cache off so that neither sweep reads what the other stored. Prints each wall
time (report included), the sum of the runs' ``runtime_s``, and the speed-up.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALL_COLUMNS = "t2c1,t2c2,t4c1,t4c2,t4c3,t4c4,t5c1,t5c2,t5c3,t5c4,t6c1,t6c2"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", default="t2c2,t5c1,t5c2", help="comma-separated column ids, or all")
    parser.add_argument("--variants", default="all", help="comma-separated variant ids, or all")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_compare_workers"))
    args = parser.parse_args()
    columns = ALL_COLUMNS if args.columns == "all" else args.columns
    overrides = [f"+column={columns}", "cache.nuisance=false"]
    if args.variants != "all":
        overrides.append(f"+variant={args.variants}")
    shutil.rmtree(args.out, ignore_errors=True)
    walls = {}
    for workers in [int(w) for w in args.workers.split(",")]:
        directory = args.out / f"jobs{workers}"
        command = [sys.executable, "-m", "experiments.run", "+experiment=compare", f"hydra.sweep.dir={directory}",
                   f"hydra.launcher.n_jobs={workers}", *overrides]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        walls[workers] = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"sweep failed: {' '.join(command)}\n{done.stderr[-2000:]}")
        records = [json.loads(p.read_text()) for p in directory.rglob("result.json")]
        ok = sum(r["status"] == "ok" for r in records)
        runtime = sum(r["runtime_s"] for r in records)
        reused = sum(bool(r.get("diagnostics", {}).get("compiled_model_reused")) for r in records)
        print(f"{workers} worker(s): wall {walls[workers]:7.1f} s   runs {len(records)} ({ok} ok)   "
              f"sum of runtime_s {runtime:7.1f} s   Bayesian runs reusing a compiled model {reused}", flush=True)
    if 1 in walls and 2 in walls:
        print(f"speed-up 2 workers / 1 worker: x{walls[1] / walls[2]:.2f} (wall-time ratio {walls[2] / walls[1]:.3f})")


if __name__ == "__main__":
    main()
