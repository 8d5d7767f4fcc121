"""The `paper` sweep without the nuisance cache, filling it, and re-run from it.

    .venv/bin/python benchmarks/nuisance_cache.py [--out /tmp/bench_cache] [--jobs 2]

Three sweeps of ``+experiment=paper`` (14 runs, DML with GBDT and city/year dummies) into
fresh sweep directories, one after another in this one script:

1. uncached   ``cache.nuisance=false``
2. cold       ``cache.nuisance=true`` with an empty ``cache.dir`` (every learner fitted, stored)
3. warm       the same again with the cache that (2) filled (a re-run: every learner read back)

It prints each sweep's wall time (report included) and the sum of its runs' own
``runtime_s``, the ratios to (1), and checks that the three sweeps report the same
coefficients run for run.
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


def sweep(directory: Path, jobs: int, *overrides: str) -> float:
    command = [sys.executable, "-m", "experiments.run", "+experiment=paper", f"hydra.sweep.dir={directory}",
               f"hydra.launcher.n_jobs={jobs}", *overrides]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"sweep failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return wall


def records(directory: Path) -> dict[str, dict]:
    out = {}
    for path in sorted(directory.rglob("result.json")):
        record = json.loads(path.read_text())
        out[record["choices"].get("column") or path.parent.name] = record
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_nuisance_cache"))
    parser.add_argument("--jobs", type=int, default=2, help="joblib workers (hydra.launcher.n_jobs)")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    cache = args.out / "cache"
    plans = {
        "uncached": ("cache.nuisance=false",),
        "cold": ("cache.nuisance=true", f"cache.dir={cache}"),
        "warm": ("cache.nuisance=true", f"cache.dir={cache}"),
    }
    results = {}
    for name, overrides in plans.items():
        directory = args.out / name
        wall = sweep(directory, args.jobs, *overrides)
        runs = records(directory)
        statuses = [r["diagnostics"].get("nuisance_cache", {}).get("status") for r in runs.values()]
        results[name] = (wall, sum(r["runtime_s"] for r in runs.values()), runs, statuses)
        print(f"{name:9s} wall {wall:7.1f} s   sum of runtime_s {results[name][1]:7.1f} s   "
              f"runs {len(runs)}   cache {dict((s, statuses.count(s)) for s in sorted(set(map(str, statuses))))}", flush=True)
    base_wall, base_sum = results["uncached"][0], results["uncached"][1]
    for name in ("cold", "warm"):
        wall, total = results[name][0], results[name][1]
        print(f"{name:9s} / uncached: wall {wall / base_wall:.3f}   runtime_s {total / base_sum:.3f}"
              f"   (speed-up x{base_wall / wall:.2f} wall, x{base_sum / total:.2f} runtime_s)")
    coefficients = {name: {k: r["coefficients"] for k, r in results[name][2].items()} for name in results}
    print(f"same coefficients in all three sweeps: {coefficients['uncached'] == coefficients['cold'] == coefficients['warm']}")
    size = sum(p.stat().st_size for p in cache.glob("*.npz"))
    print(f"cache: {len(list(cache.glob('*.npz')))} entries, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
