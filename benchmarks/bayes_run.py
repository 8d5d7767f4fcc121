"""One Bayesian run in a fresh process, as a user starts it: wall time with a cold and a warm
compile cache, compile and sampling time, and effective samples per second of ``treatment``.

    .venv/bin/python benchmarks/bayes_run.py [--repeats 2] [--explicit] [--panel wage]

Each run is ``python -m experiments.run estimator=bayes_hier ...`` in a new process.

- cold: Numba's cache directory (``NUMBA_CACHE_DIR``) is a new empty folder, so the collapsed
  model's log density is compiled, as on a new machine;
- warm: the same folder again, as on a machine that has run the model once before.

Rows: the collapsed model (the default) on the default synthetic world and on linearmodels'
wage panel (545 men x 8 years, union -> log wage, controls married and expersq); the
Bayesian DML variant on the world; with ``--explicit``, the explicit PyMC model on the world
(``+variant=bayes_hier_cre``), for the before/after of ESS per second. Figures go to
``docs/BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAGE = ["data=file", "data.columns.id=nr", "data.columns.time=year", "data.columns.outcome=lwage",
        "data.columns.treatment=union", "data.columns.controls=[married,expersq]"]


def run(overrides: list[str], cache: Path, out: Path) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "experiments.run", *overrides, f"hydra.run.dir={out}"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    wall = time.perf_counter() - started
    record = json.loads((out / "result.json").read_text())
    d = record["diagnostics"]
    ess = (d.get("ess_bulk") or {}).get("treatment")
    sampling = d["sampling_time_s"]
    return {"wall_s": wall, "runtime_s": record["runtime_s"], "compile_s": d["compile_time_s"], "sampling_s": sampling,
            "ess": ess, "ess_per_s": ess / sampling if ess else None, "estimate": record["coefficients"][0]["estimate"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="warm runs per row (the cold run is one)")
    parser.add_argument("--explicit", action="store_true", help="also the explicit PyMC model (slow)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bayes_run_"))
    wage = work / "wage_panel.csv"
    subprocess.run([sys.executable, "-c", "from linearmodels.datasets import wage_panel; "
                    f"wage_panel.load().to_csv({str(wage)!r}, index=False)"], check=True)
    rows = {
        "collapsed, default world": ["estimator=bayes_hier"],
        "collapsed, wage panel": ["estimator=bayes_hier", *WAGE, f"data.path={wage}"],
        "bayes_dml, default world": ["+variant=bayes_dml_fd_lightgbm"],
    }
    if args.explicit:
        rows["explicit (before), default world"] = ["+variant=bayes_hier_cre"]
    print("| run | cache | wall s | runtime s | compile s | sampling s | ESS bulk of treatment | ESS / s sampling | estimate |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k, (name, overrides) in enumerate(rows.items()):
        cache = work / f"numba_{k}"
        for j, label in enumerate(["cold"] + ["warm"] * args.repeats):
            r = run(overrides, cache, work / f"run_{k}_{j}")
            ess = "" if r["ess"] is None else f"{r['ess']:,.0f}"
            per_s = "" if r["ess_per_s"] is None else f"{r['ess_per_s']:,.0f}"
            print(f"| {name} | {label} | {r['wall_s']:.1f} | {r['runtime_s']:.1f} | {r['compile_s']:.2f} | "
                  f"{r['sampling_s']:.1f} | {ess} | {per_s} | {r['estimate']:+.4f} |", flush=True)


if __name__ == "__main__":
    main()
