"""``hydra/launcher=cluster_local``: a sweep with the Slurm launcher's settings
(``conf/hydra/launcher/cluster.yaml``) run on this machine.

Hydra's submitit launcher hands every setting that is not a generic resource (partition,
account, ...) to submitit prefixed with the executor's name. Here they keep the ``slurm_``
prefix while submitit's own ``AutoExecutor`` runs the jobs with its local executor: submitit
checks each Slurm setting against its Slurm executor's parameters (a misspelled or unknown one
fails as it would on the cluster), applies the generic ones (``timeout_min``,
``cpus_per_task``, ``mem_gb``, ...) to local jobs, and the jobs go through the same pickling,
job folders and result collection as on Slurm. It rehearses a cluster sweep where no cluster is.
"""

from __future__ import annotations

from typing import Sequence

from hydra.core.utils import JobReturn
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher


class SlurmSettingsLocalLauncher(SlurmLauncher):
    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        import submitit

        slurm_executor = submitit.AutoExecutor

        def local_executor(folder, cluster=None, **kwargs):
            return slurm_executor(folder, cluster="local", **kwargs)

        submitit.AutoExecutor = local_executor
        try:
            return super().launch(job_overrides, initial_job_idx)
        finally:
            submitit.AutoExecutor = slurm_executor
