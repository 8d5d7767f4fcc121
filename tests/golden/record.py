"""The fixed set of runs whose numbers must not move when the code is only reorganised.

    python tests/golden/record.py            # (re)write tests/golden/golden.json

Each case is a list of overrides composed exactly as ``python -m experiments.run`` composes
them: every column of the ``paper`` experiment (DML with the paper's dummies) and runs of each
family on the synthetic world, seed 0. ``tests/test_golden.py`` re-runs them and compares
every estimate, SE, interval bound and truth. Rewrite the file only when a change is meant to
move the numbers, and say so in the commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden.json")
RECORDED_ON = Path(__file__).with_name("recorded_on.txt")
PAPER_COLUMNS = ("t2c1", "t2c2", "t3c1", "t3c2", "t4c1", "t4c2", "t4c3", "t4c4", "t5c1", "t5c2", "t5c3", "t5c4", "t6c1", "t6c2")
LIGHT_BAYES = ["estimator.draws=300", "estimator.tune=300", "estimator.chains=2", "estimator.cores=1"]
EXPLICIT_BAYES = ["estimator.model=explicit", "estimator.fe=cre"]
LIGHT_FOREST = ["estimator.n_estimators=40", "estimator.crossfit_estimators=20"]
CASES: dict[str, list[str]] = {
    **{f"paper_{c}": ["estimator=dml", "estimator.fe=dummies", f"+column={c}"] for c in PAPER_COLUMNS},
    "dml_default": [],
    "dml_within_moderated": ["estimator.fe=within", "moderation=normalized", "learner=lasso"],
    "causal_forest_default": ["estimator=causal_forest", "learner=lasso", *LIGHT_FOREST],
    "causal_forest_moderated": ["estimator=causal_forest", "learner=lasso", "moderation=centered", *LIGHT_FOREST],
    # bayes_hier's explicit model (its default until the collapsed model), pinned so its numbers stay
    "bayes_hier_explicit": ["estimator=bayes_hier", *EXPLICIT_BAYES, *LIGHT_BAYES],
    "bayes_hier_explicit_moderated": ["estimator=bayes_hier", *EXPLICIT_BAYES, "moderation=centered", *LIGHT_BAYES],
    "twfe_default": ["estimator=twfe"],
    "twfe_moderated_cre": ["estimator=twfe", "estimator.fe=cre", "moderation=normalized", "sample=resource_control"],
    "twfe_fd_window": ["estimator=twfe", "estimator.fe=fd", "window=infra_2011_2015"],
}
FIELDS = ("estimate", "std_error", "ci_low", "ci_high", "p_value", "truth")


def config_for(overrides: list[str]) -> dict:
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        composed = compose(config_name="config", overrides=[*overrides, "seed=0", "cache.nuisance=false"])
    config = OmegaConf.to_container(composed, resolve=True)
    config.pop("debug", None)
    config.pop("hydra", None)
    return config


def numbers(record: dict) -> dict:
    """The figures a reorganisation must leave as they are: one entry per coefficient."""
    if record["status"] != "ok":
        raise RuntimeError(f"golden run failed: {record['error']}")
    return {
        "n_obs": record["n_obs"],
        "coefficients": {c["term"]: {k: c[k] for k in FIELDS} for c in record["coefficients"]},
    }


def run_case(name: str) -> dict:
    from framework.pipeline import run

    result = run(config_for(CASES[name]), debug=True)
    return numbers(result.record)


def machine() -> str:
    """The processor model and the vector extensions NumPy uses on it: runs on the same
    string reproduce the recorded numbers to 1e-12."""
    import platform

    import numpy as np

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model)
    except OSError:
        pass
    features = np._core._multiarray_umath.__cpu_features__
    return f"{model} | " + " ".join(sorted(name for name, on in features.items() if on))


def main() -> None:
    names = sys.argv[1:] or list(CASES)
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    for name in names:
        golden[name] = run_case(name)
        print(name, json.dumps(golden[name]["coefficients"].get("treatment")), flush=True)
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    RECORDED_ON.write_text(machine() + "\n")


if __name__ == "__main__":
    main()
