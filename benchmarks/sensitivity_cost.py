"""What the sensitivity analysis adds to a run: twfe's (sensemakr's formulas, with the benchmarks)
and DML's (DoubleML's analysis at each configured strength), next to the fit itself, on the
default synthetic world.

    .venv/bin/python benchmarks/sensitivity_cost.py [--repeats 3]

Each figure is the median over ``--repeats`` in one process, after a first call that is not
timed; the DML fit is the default run's (first differences, gbdt, 5 folds). Figures go to
``docs/BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from framework.data.synthetic import generate_world
from framework.estimators.dml import DoubleMLEstimator
from framework.estimators.twfe.estimator import TwoWayFixedEffects
from framework.learners import build_learner
from framework.sensitivity import SensitivitySettings
from framework.spec import Spec, apply_spec

GBDT = {"_target_": "sklearn.ensemble.GradientBoostingRegressor", "n_estimators": 100, "learning_rate": 0.1, "max_depth": 3}


def timed(call, repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = apply_spec(generate_world(seed=0).panel, Spec.from_config({}))
    settings = SensitivitySettings()
    twfe = TwoWayFixedEffects()
    twfe_fit = timed(lambda: twfe.fit(data), args.repeats)
    twfe_sens = timed(lambda: twfe.sensitivity(settings, data), args.repeats)
    dml = DoubleMLEstimator(build_learner(GBDT, 0), fe="fd", folds=5, n_rep=1, seed=0)
    dml_fit = timed(lambda: dml.fit(data), 1)
    dml_sens = timed(lambda: dml.sensitivity(settings, data), args.repeats)
    print(f"twfe: fit {twfe_fit:.3f} s, sensitivity with benchmarks {twfe_sens:.3f} s ({twfe_sens / twfe_fit:.0%} of the fit)")
    print(f"dml:  fit {dml_fit:.2f} s, sensitivity at {len(settings.strengths)} strengths {dml_sens:.2f} s "
          f"({dml_sens / dml_fit:.0%} of the fit)")


if __name__ == "__main__":
    main()
