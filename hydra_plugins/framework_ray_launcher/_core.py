"""The Ray launcher's work: start or join Ray, one task per job, results in job order."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, configure_log, filter_overrides, run_job, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict

from framework.study.backends import check_ray_address, start_ray

log = logging.getLogger(__name__)

CRASHED: List[str] = []
"""This process's runs whose Ray task died without a result (a worker killed for memory, a node
lost): no record exists for them, so ``python -m experiments.run`` counts them as failed."""


def execute_job(idx: int, overrides: Sequence[str], hydra_context: HydraContext, config: DictConfig,
                task_function: TaskFunction, singleton_state: Dict[Any, Any]) -> JobReturn:
    """One job in a Ray worker, set up as Hydra's joblib launcher sets up a loky worker."""
    setup_globals()
    Singleton.set_state(singleton_state)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    return run_job(hydra_context=hydra_context, config=sweep_config, task_function=task_function,
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")


def launch(launcher, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
    import ray

    setup_globals()
    assert launcher.config is not None and launcher.task_function is not None and launcher.hydra_context is not None
    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    sweep_dir = Path(str(launcher.config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)

    runtime_env = OmegaConf.to_container(launcher.runtime_env, resolve=True) if isinstance(
        launcher.runtime_env, DictConfig) else dict(launcher.runtime_env)
    try:
        check_ray_address(launcher.address)
        started = start_ray(launcher.address, launcher.num_cpus, runtime_env=runtime_env or None)
    except Exception as error:  # one line, as for every other bad setting, and nothing launched
        what = f"hydra.launcher.address = {launcher.address!r}" if launcher.address else "hydra/launcher=ray"
        print(f"error: {what}: {type(error).__name__}: {str(error).strip().splitlines()[0]}", file=sys.stderr)
        _remove_if_only_the_sweep_file(sweep_dir)
        raise SystemExit(2) from None
    where = f"the Ray cluster at {launcher.address}" if launcher.address else "a local Ray instance"
    log.info(f"Ray is launching {len(job_overrides)} jobs on {where} ({launcher.cpus_per_run:g} CPU each)")
    log.info(f"Launching jobs, sweep output dir : {sweep_dir}")
    for idx, overrides in enumerate(job_overrides):
        log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
    try:
        remote = ray.remote(num_cpus=launcher.cpus_per_run, max_retries=0)(execute_job)
        shared = [ray.put(value) for value in (launcher.hydra_context, launcher.config, launcher.task_function,
                                               Singleton.get_state())]
        pending = {remote.remote(initial_job_idx + idx, list(overrides), *shared): idx
                   for idx, overrides in enumerate(job_overrides)}
        runs: List[Any] = [None] * len(job_overrides)
        bar = _bar(len(job_overrides), launcher.progress)
        waiting = list(pending)
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            idx = pending[done[0]]
            try:
                runs[idx] = ray.get(done[0])
            except Exception as error:  # the task died; the other runs go on
                runs[idx] = _crashed(initial_job_idx + idx, job_overrides[idx], error)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
    finally:
        if started:
            ray.shutdown()
    return runs


def _crashed(idx: int, overrides: Sequence[str], error: Exception) -> JobReturn:
    # a task error wraps the exception raised in the worker; name that one, not the wrapper
    cause = getattr(error, "cause", None) or error
    first = (str(cause).strip().splitlines() or [""])[0]
    line = f"run #{idx} ({' '.join(filter_overrides(overrides))}) died on Ray: {type(cause).__name__}: {first}"
    print(f"error: {line}", file=sys.stderr, flush=True)
    CRASHED.append(line)
    job = JobReturn(overrides=list(overrides), status=JobStatus.FAILED)
    job._return_value = error
    return job


def _remove_if_only_the_sweep_file(sweep_dir: Path) -> None:
    """Nothing ran: the folder Hydra's sweeper made for this sweep goes with its multirun.yaml."""
    if [p.name for p in sweep_dir.iterdir()] == ["multirun.yaml"]:
        (sweep_dir / "multirun.yaml").unlink()
        sweep_dir.rmdir()


def _bar(total: int, wanted: bool):
    if not wanted:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="[sweep] runs", unit="run", file=sys.stderr, dynamic_ncols=True)
