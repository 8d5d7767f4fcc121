"""Run one configuration (or, with ``-m``, a sweep) and write ``<run dir>/result.json``.

    python -m experiments.run [overrides]
    python -m experiments.run -m learner=gbdt,lightgbm estimator.fe=within,fd

The command line is checked before Hydra runs it (:mod:`experiments._cli`): an unknown choice,
a misspelled key, a value of the wrong type or an override Hydra cannot parse stops with one
line on stderr that names the key, exit status 2 and -- for a single run -- a ``failed``
record in the directory the run would have used (and nothing else there).

A failed run writes ``status: failed`` with a one-line error and exits 1. A sweep records a
failure and goes on with the other runs; it always ends with the comparison report's path
(``experiments.callbacks.ReportOnMultirunEnd``, attached in ``conf/config.yaml``) and exits 1
when any of its runs failed. A run whose directory already holds an ``ok`` record of the same
resolved config, the same data (fingerprint) and the same framework version is skipped, so a
sweep re-run into the same directory (``hydra.sweep.dir=...``) only redoes what failed or
changed. ``debug=true`` (or ``HYDRA_FULL_ERROR=1``) shows tracebacks instead of one line.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from framework.pipeline import run
from framework.records import failed_record, finished_record, provenance, write_artifacts, write_record

USAGE_ERROR = 2
"""Exit status of a command line that does not compose (1: a run failed)."""


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    config = OmegaConf.to_container(cfg, resolve=True)
    debug = bool(config.pop("debug", False))
    directory = Path(hydra_cfg.runtime.output_dir)
    done = finished_record(directory, config, data_sha256=lambda: data_fingerprint(config))
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
        _leave_only_the_record(directory)
        print(f"error: {record['error']}", file=sys.stderr)
        print(f"result: {path} (failed)")
        if not sweeping:
            sys.exit(1)
        return
    print(_summary(record))
    print(f"result: {path}")


def _leave_only_the_record(directory: Path) -> None:
    """A failed run's folder keeps its failed ``result.json`` alone: Hydra's copy of the config
    (the record holds the resolved config) and its empty job log go."""
    shutil.rmtree(directory / ".hydra", ignore_errors=True)
    for log in directory.glob("*.log"):
        if log.stat().st_size == 0:
            log.unlink(missing_ok=True)


def data_fingerprint(config: dict) -> str | None:
    """The fingerprint a run of ``config`` would record as ``provenance.data_sha256``, or ``None``.

    A file: its SHA-256 (reading it costs far less than a run). The synthetic world: drawn
    again and fingerprinted exactly as the run does (``load_panel``). Comparing the config alone
    would do -- the world is a pure function of ``data.world``, the seed and the moderator --
    but only while the generator's code stays the same; drawing it costs about 0.5 s for the
    default 253 cities x 11 years (0.1 s for 40 cities), against tens of seconds for a run, so
    a changed generator is caught too.
    """
    from framework.io import file_sha256
    from framework.pipeline import load_panel
    from framework.spec import Spec

    data = config.get("data") or {}
    try:
        if data.get("kind") == "file":
            return file_sha256(str(data.get("path")))
        return load_panel(data, Spec.from_config(config), int(config.get("seed", 0)), config.get("moderator"))[1]
    except Exception:  # the run itself will say what is wrong
        return None


def _summary(record: dict) -> str:
    parts = []
    for c in record["coefficients"]:
        truth = "" if c["truth"] is None else f", truth {c['truth']:+.4f}"
        parts.append(f"{c['term']} {c['estimate']:+.4f} (SE {c['std_error']:.4f}{truth})")
    # the fe the estimator used (a family may resolve a null fe to its model's own)
    fe = (record.get("diagnostics") or {}).get("fe") or record["spec"].get("fe")
    return f"{record['estimator']} fe={fe} learner={record.get('learner')} n={record['n_obs']}: " + "; ".join(parts)


def cli(argv: list[str] | None = None) -> None:
    """``python -m experiments.run``: check the command line, run it through Hydra, and exit 1
    when a sweep had a failed run."""
    from experiments import callbacks
    from experiments._cli import CommandLineError, check_command_line

    argv = sys.argv[1:] if argv is None else argv
    try:
        check_command_line(argv)
    except CommandLineError as error:
        if error.debug:
            raise (error.__cause__ or error)
        _refuse(error, argv)
    callbacks.SWEEPS.clear()
    main()
    failed = [outcome for outcome in callbacks.SWEEPS if outcome.failed]
    # runs whose Ray task died left no record to count (hydra/launcher=ray)
    ray_launcher = sys.modules.get("hydra_plugins.framework_ray_launcher._core")
    if failed or (ray_launcher is not None and ray_launcher.CRASHED):
        sys.exit(1)


def _refuse(error, argv: list[str]) -> None:
    """One line on stderr, a ``failed`` record where the single run would have written, exit 2."""
    started = time.perf_counter()
    print(f"error: {error}", file=sys.stderr)
    if error.run_dir is not None:
        config = error.config
        seed = config.get("seed") if isinstance(config.get("seed"), int) else None
        record = failed_record(
            estimator=(config.get("estimator") or {}).get("name") if isinstance(config.get("estimator"), dict) else None,
            config=config,
            error=str(error),
            runtime_s=time.perf_counter() - started,
            provenance=provenance(None, seed),
        )
        record["choices"] = error.choices
        record["command_line"] = list(argv)
        path = write_record(record, error.run_dir)
        print(f"result: {path} (failed)")
    sys.exit(USAGE_ERROR)


if __name__ == "__main__":
    cli()
