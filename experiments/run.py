"""Run one configuration (or, with ``-m``, a sweep) and write ``<run dir>/result.json``.

    python -m experiments.run [overrides]
    python -m experiments.run -m learner=gbdt,lightgbm estimator.fe=within,fd

A failed run writes ``status: failed`` with a one-line error; a single run then exits
non-zero, while a sweep records the failure and goes on with the other runs. A run whose
directory already holds an ``ok`` record of the same resolved config is skipped, so a sweep
re-run into the same directory (``hydra.sweep.dir=...``) only redoes what failed or changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from framework.pipeline import run
from framework.records import finished_record, write_artifacts, write_record


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    config = OmegaConf.to_container(cfg, resolve=True)
    debug = bool(config.pop("debug", False))
    directory = Path(hydra_cfg.runtime.output_dir)
    done = finished_record(directory, config)
    if done is not None:
        print(_summary(done))
        print(f"result: {directory / 'result.json'} (already done, skipped)")
        return
    result = run(config, choices=dict(hydra_cfg.runtime.choices), debug=debug)
    record = result.record
    if result.artifacts:
        record["artifacts"] = write_artifacts(result.artifacts, directory)
    path = write_record(record, directory)
    sweeping = hydra_cfg.mode == RunMode.MULTIRUN
    if record["status"] != "ok":
        print(f"error: {record['error']}", file=sys.stderr)
        print(f"result: {path} (failed)")
        if not sweeping:
            sys.exit(1)
        return
    print(_summary(record))
    print(f"result: {path}")


def _summary(record: dict) -> str:
    parts = []
    for c in record["coefficients"]:
        truth = "" if c["truth"] is None else f", truth {c['truth']:+.4f}"
        parts.append(f"{c['term']} {c['estimate']:+.4f} (SE {c['std_error']:.4f}{truth})")
    fe = record["spec"].get("fe")
    return f"{record['estimator']} fe={fe} learner={record.get('learner')} n={record['n_obs']}: " + "; ".join(parts)


if __name__ == "__main__":
    main()
