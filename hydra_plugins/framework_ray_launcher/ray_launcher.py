"""A Hydra launcher that runs each job of a sweep as one Ray task.

Hydra's own Ray launcher pins releases of Ray (1.x) and Hydra (1.4 pre-releases) that the
lock file cannot take, so the sweep goes through Ray's core API instead: ``ray.init`` on the
cluster's address (or a local instance), one ``ray.remote`` task per job, each job's
``JobReturn`` collected as it finishes. Each task sets up Hydra's state in its worker and calls
``hydra.core.utils.run_job`` exactly as Hydra's joblib launcher does in a loky worker, so runs,
records and callbacks behave as under the default launcher.
"""

from __future__ import annotations

import logging
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

log = logging.getLogger(__name__)


class RayLauncher(Launcher):
    def __init__(self, address: Optional[str] = None, num_cpus: Optional[int] = None, cpus_per_run: float = 1.0,
                 runtime_env: Optional[dict] = None, progress: bool = True) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.cpus_per_run = cpus_per_run
        self.runtime_env = dict(runtime_env or {})
        self.progress = progress
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.task_function = task_function
        self.hydra_context = hydra_context

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from . import _core

        return _core.launch(self, job_overrides, initial_job_idx)
