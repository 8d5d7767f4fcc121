"""``hydra/launcher=ray``: a sweep's runs as Ray tasks, on a running Ray cluster or a local
instance (``conf/hydra/launcher/ray.yaml`` holds the settings a user changes)."""

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from hydra.core.config_store import ConfigStore


@dataclass
class RayLauncherConf:
    _target_: str = "hydra_plugins.framework_ray_launcher.ray_launcher.RayLauncher"
    # a running cluster ("auto" on one of its nodes, "ray://host:10001" from outside);
    # null starts a local instance for the sweep and stops it afterwards
    address: Optional[str] = None
    # CPUs of the local instance (null: all of this machine's); ignored with an address
    num_cpus: Optional[int] = None
    # CPUs one run holds while it runs: runs at once = cluster CPUs / cpus_per_run
    cpus_per_run: float = 1.0
    # Ray's runtime environment for the runs (e.g. {working_dir: ., env_vars: {...}}); on a
    # cluster whose nodes do not share this folder, working_dir ships the project to them
    runtime_env: Dict[str, Any] = field(default_factory=dict)
    # a bar of runs done, rate and time left on the console (tqdm)
    progress: bool = True


ConfigStore.instance().store(group="hydra/launcher", name="ray_base", node=RayLauncherConf,
                             provider="framework_ray_launcher")
