"""Where a study's draws run, each draw one task, results handed back as they finish.

``local``  a joblib process pool on this machine (``study.n_jobs`` workers; one worker runs
           in the study's own process)
``dask``   a Dask cluster: a running scheduler (``study.dask.address``), a cluster the study
           starts from a spec (``study.dask.cluster``, e.g. dask-jobqueue's ``SLURMCluster``:
           ``+cluster=slurm``), or by default a ``distributed.LocalCluster`` of single-threaded
           worker processes
``ray``    a Ray cluster: a running one (``study.ray.address``, e.g. ``auto`` on a cluster
           node) or by default a local Ray instance with ``study.n_jobs`` CPUs; one CPU per
           draw

Either way the worker processes live for the whole study, so what a family keeps per process
(compiled code, nuisances fitted on columns a design keeps fixed) is reused across draws, and
a draw's rows depend only on its seed: the numbers are the same whatever the backend and the
number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

from framework.errors import UserInputError

BACKENDS = ("local", "dask", "ray")


@dataclass(frozen=True)
class Backend:
    name: str = "local"
    workers: int = 1
    dask: Mapping[str, Any] = field(default_factory=dict)
    ray: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, study: Mapping[str, Any]) -> "Backend":
        name = study.get("backend") or "local"
        if name not in BACKENDS:
            raise UserInputError(f"study.backend = {name!r}: use {', '.join(BACKENDS[:-1])} or {BACKENDS[-1]}")
        key, workers = "study.n_jobs", int(study.get("n_jobs") or 1)
        dask = dict(study.get("dask") or {})
        if dask.get("workers") is not None:
            key, workers = "study.dask.workers", int(dask["workers"])
        if workers < 1:
            raise UserInputError(f"{key} = {workers}: need at least 1 worker")
        ray = dict(study.get("ray") or {})
        if name == "ray":  # before any work: Ray itself would retry an unreachable head for minutes
            try:
                check_ray_address(ray.get("address"))
            except (ValueError, ConnectionError) as error:
                raise UserInputError(f"study.ray.address = {ray.get('address')!r}: {error}") from None
        return cls(name, workers, dask, ray)

    def map_unordered(self, task: Callable, items: Iterable, *shared) -> Iterator:
        """``task(item, *shared)`` for every item, yielded as each finishes (in any order)."""
        items = list(items)
        if not items:
            return iter(())
        if self.name == "dask":
            return _dask(self, task, items, shared)
        if self.name == "ray":
            return _ray(self, task, items, shared)
        if self.workers == 1 or len(items) == 1:
            return (task(item, *shared) for item in items)
        from joblib import Parallel, delayed

        return Parallel(n_jobs=self.workers, return_as="generator_unordered")(delayed(task)(item, *shared) for item in items)

    def describe(self) -> str:
        if self.name == "local":
            return f"{self.workers} local worker(s)"
        if self.name == "ray":
            address = self.ray.get("address")
            return f"the Ray cluster at {address}" if address else f"a local Ray instance with {self.workers} CPU(s)"
        if self.dask.get("address"):
            return f"the Dask scheduler at {self.dask['address']}"
        cluster = self.dask.get("cluster")
        kind = cluster.get("_target_", "a cluster") if isinstance(cluster, Mapping) else "a Dask LocalCluster"
        return f"{kind} with {self.workers} worker(s)"


def _dask(backend: Backend, task: Callable, items: list, shared: tuple) -> Iterator:
    from distributed import Client, LocalCluster, as_completed

    address, spec = backend.dask.get("address"), backend.dask.get("cluster")
    cluster = None
    if address:
        client = Client(address)
    else:
        if spec:
            from hydra.utils import instantiate

            cluster = instantiate(dict(spec))
            cluster.scale(backend.workers)
        else:
            cluster = LocalCluster(n_workers=backend.workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        client = Client(cluster)
    try:
        # the plan and the design go to every worker once, not with every draw
        handles = client.scatter(list(shared), broadcast=True) if shared else []
        futures = [client.submit(task, item, *handles, pure=False) for item in items]
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _ray(backend: Backend, task: Callable, items: list, shared: tuple) -> Iterator:
    import ray

    started = start_ray(backend.ray.get("address"), backend.workers, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1)(task)
        # the plan and the design go to the object store once, not with every draw
        handles = [ray.put(value) for value in shared]
        pending = [remote.remote(item, *handles) for item in items]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


def start_ray(address: str | None, num_cpus: int | None, **options) -> bool:
    """Join the Ray cluster at ``address``, or start a local instance of ``num_cpus`` CPUs
    (``None``: all); ``False`` when Ray was already initialised in this process, so that only
    the caller that started it shuts it down. ``options`` go to ``ray.init``."""
    import ray

    if ray.is_initialized():
        return False
    # "local": a new instance even where a cluster started by `ray start` runs (or ran) here
    ray.init(address=address or "local", num_cpus=None if address else num_cpus, include_dashboard=False,
             logging_level="ERROR", **options)
    return True


def check_ray_address(address: str | None, timeout_s: float = 5.0) -> None:
    """A ``host:port`` (or ``ray://host:port``) where nothing answers fails here at once
    (``ConnectionError``), a malformed one with ``ValueError``: Ray itself retries an
    unreachable head for minutes. ``None`` (a local instance) and ``auto`` pass."""
    if not address or address == "auto":
        return
    import socket

    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("expected host:port, 'ray://host:port' or 'auto'")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as error:
        raise ConnectionError(f"nothing answers at {host}:{port} ({error.strerror or error})") from None
