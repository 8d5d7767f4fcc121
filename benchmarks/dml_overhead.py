"""DML through the framework versus the same DoubleML call made directly.

    .venv/bin/python benchmarks/dml_overhead.py [--fe fd] [--learner gbdt] [--repeats 5]

Both sides fit the same model on the same rows (the calibrated world, Table 2 (2)): the same
learner, folds, seed and design (year indicators among the covariates), and the script checks
that they return the same coefficient. "framework" is ``framework.pipeline.run`` with the
panel handed in (spec, estimator from config, record, with the nuisance cache off);
"estimator" is the estimator alone on the prepared data; "direct" builds the DoubleML data
and model by hand and fits. Repeats alternate the three; the medians are compared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from doubleml import DoubleMLPanelData, DoubleMLPLPR  # noqa: E402

from framework.data.synthetic import generate_world  # noqa: E402
from framework.estimators import build_estimator  # noqa: E402
from framework.learners import build_learner  # noqa: E402
from framework.pipeline import run  # noqa: E402
from framework.spec import Spec, apply_spec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APPROACH = {"fd": "fd_exact", "within": "wg_approx", "cre": "cre_general"}


def learner_config(name: str, seed: int) -> dict:
    node = OmegaConf.merge({"seed": seed}, {"learner": OmegaConf.load(ROOT / "conf" / "learner" / f"{name}.yaml")})
    return OmegaConf.to_container(node, resolve=True)["learner"]


def direct(frame: pd.DataFrame, controls: list[str], fe: str, learner, folds: int, seed: int) -> float:
    """DoubleML's panel model by hand: controls and year indicators as covariates."""
    years = pd.get_dummies(frame["time"].astype(str), prefix="year", drop_first=True, dtype=float)
    design = pd.concat([frame[["outcome", "treatment", "time"] + controls], years], axis=1)
    design["city"] = pd.factorize(frame["unit"], sort=True)[0]
    data = DoubleMLPanelData(design, y_col="outcome", d_cols=["treatment"], t_col="time", id_col="city",
                             x_cols=controls + list(years.columns), static_panel=True)
    np.random.seed(seed)
    model = DoubleMLPLPR(data, learner, learner, approach=APPROACH[fe], n_folds=folds, n_rep=1)
    return float(model.fit().coef[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fe", default="fd", choices=sorted(APPROACH))
    parser.add_argument("--learner", default="gbdt")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    panel = generate_world(seed=args.seed).panel
    data = apply_spec(panel, Spec.from_config({}))
    learner_cfg = learner_config(args.learner, args.seed)
    config = {
        "seed": args.seed, "data": {"kind": "synthetic"}, "estimator": {"name": "dml", "fe": args.fe},
        "learner": learner_cfg, "split": {"folds": args.folds, "n_rep": 1}, "cache": {"nuisance": False},
    }
    handed = (panel, panel.sha256())

    def framework() -> float:
        record = run(config, panel=handed, debug=True).record
        return record["coefficients"][0]["estimate"]

    def estimator() -> float:
        fitted = build_estimator(config["estimator"], learner_cfg, config["split"], args.seed).fit(data)
        return fitted.coefficients_[0].estimate

    def by_hand() -> float:
        return direct(data.frame, list(data.covariates), args.fe, build_learner(learner_cfg, args.seed), args.folds, args.seed)

    sides = {"framework": framework, "estimator": estimator, "direct": by_hand}
    by_hand()  # warm-up: imports and first-call costs out of the timings
    times = {name: [] for name in sides}
    values = {}
    for _ in range(args.repeats):
        for name, call in sides.items():
            started = time.perf_counter()
            values[name] = call()
            times[name].append(time.perf_counter() - started)
    same = len({round(v, 12) for v in values.values()}) == 1
    print(f"DML fe={args.fe}, learner={args.learner}, {args.folds} folds, n={data.n_obs}, {args.repeats} repeats (median s)")
    for name in sides:
        print(f"  {name:10s} {statistics.median(times[name]):7.3f} s   (min {min(times[name]):.3f})   coef {values[name]:+.6f}")
    base = statistics.median(times["direct"])
    print(f"  same coefficient on every side: {same}")
    print(f"  ratio framework / direct: {statistics.median(times['framework']) / base:.3f}")
    print(f"  ratio estimator / direct: {statistics.median(times['estimator']) / base:.3f}")


if __name__ == "__main__":
    main()
