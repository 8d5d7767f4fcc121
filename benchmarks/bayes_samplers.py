"""nutpie versus PyMC's default NUTS on the hierarchical model, and compile-once reuse.

    .venv/bin/python benchmarks/bayes_samplers.py [--draws 1000] [--tune 1000] [--chains 2] [--cores 2]

On the calibrated world (253 cities x 11 years, Table 2 (2), the shipped bayes_hier options):

1. samplers: the same model sampled by nutpie and by PyMC's NUTS (same draws, tuning,
   chains, seed); effective samples per second of the average effect (``treatment``) and of
   the worst parameter (smallest bulk ESS), over sampling time and over compile + sampling.
2. reuse: a second synthetic dataset of the same shape fitted in the same process, through
   the compiled model of the first (data swapped in) and compiled afresh; time per fit and
   whether the draws agree.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import framework.estimators.bayes_hier as bayes_hier  # noqa: E402
from framework.data.synthetic import generate_world  # noqa: E402
from framework.estimators import build_estimator  # noqa: E402
from framework.spec import Spec, apply_spec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--skip-pymc", action="store_true", help="only the reuse part")
    args = parser.parse_args()
    settings = {"draws": args.draws, "tune": args.tune, "chains": args.chains, "cores": args.cores}

    def fit(data, sampler="nutpie", seed=0):
        started = time.perf_counter()
        estimator = build_estimator({"name": "bayes_hier", "model": "explicit", "sampler": sampler, **settings}, None, {}, seed).fit(data)
        return estimator, time.perf_counter() - started

    first = apply_spec(generate_world(seed=0).panel, Spec.from_config({}))
    second = apply_spec(generate_world(seed=1).panel, Spec.from_config({}))
    print(f"bayes_hier (fe=cre, year effects fixed, period and UIL-group offsets), n={first.n_obs}, "
          f"{args.chains} chains x {args.draws} draws after {args.tune} tuning, cores={args.cores}", flush=True)

    bayes_hier._MODELS.clear()
    nutpie_fit, nutpie_total = fit(first)
    rows = {"nutpie": (nutpie_fit, nutpie_total)}
    if not args.skip_pymc:
        rows["pymc"] = fit(first, sampler="pymc")
    print("1. samplers (ESS per second: sampling only | compile + sampling)")
    for name, (estimator, total) in rows.items():
        d = estimator.diagnostics_
        sample_s = d["sampling_time_s"]
        ess_t, ess_min = d["ess_bulk"]["treatment"], d["ess_bulk_min"]
        print(f"  {name:7s} compile {d['compile_time_s']:6.1f} s  sampling {sample_s:6.1f} s  total {total:6.1f} s  "
              f"ESS treatment {ess_t:6.0f} ({ess_t / sample_s:7.1f}/s | {ess_t / total:6.1f}/s)  "
              f"min bulk ESS {ess_min:5.0f} ({ess_min / sample_s:6.1f}/s | {ess_min / total:5.1f}/s)  "
              f"divergences {d['divergences']}  treatment {estimator.coefficients_[0].estimate:+.4f}", flush=True)
    if "pymc" in rows:
        n, p = rows["nutpie"], rows["pymc"]
        n_s, p_s = n[0].diagnostics_["sampling_time_s"], p[0].diagnostics_["sampling_time_s"]
        for label, key in (("treatment", None), ("min bulk", "ess_bulk_min")):
            ess_n = n[0].diagnostics_["ess_bulk"]["treatment"] if key is None else n[0].diagnostics_[key]
            ess_p = p[0].diagnostics_["ess_bulk"]["treatment"] if key is None else p[0].diagnostics_[key]
            print(f"  ratio nutpie / pymc, ESS/s of {label}: sampling only {(ess_n / n_s) / (ess_p / p_s):.2f}, "
                  f"compile + sampling {(ess_n / n[1]) / (ess_p / p[1]):.2f}")

    print("2. a second dataset of the same shape in the same process (nutpie)")
    reused, reused_total = fit(second)
    bayes_hier._MODELS.clear()
    fresh, fresh_total = fit(second)
    same = all(
        np.array_equal(reused.artifacts_["posterior"].posterior[v].values, fresh.artifacts_["posterior"].posterior[v].values)
        for v in ("treatment", "slope_mean", "city_slope", "sigma")
    )
    for label, (estimator, total) in (("compiled afresh", (fresh, fresh_total)), ("reused", (reused, reused_total))):
        d = estimator.diagnostics_
        print(f"  {label:16s} reused={d['compiled_model_reused']!s:5s} compile {d['compile_time_s']:6.2f} s  "
              f"sampling {d['sampling_time_s']:6.1f} s  fit {total:6.1f} s")
    print(f"  fit time ratio reused / afresh: {reused_total / fresh_total:.3f} (x{fresh_total / reused_total:.1f} faster)")
    print(f"  same draws as a fresh compile: {same}")


if __name__ == "__main__":
    main()
