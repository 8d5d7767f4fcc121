"""Sweeps on Ray (hydra_plugins/framework_ray_launcher): the compare experiment on a real Ray
cluster that the test starts on the loopback address and stops afterwards, with the numbers the
basic launcher gives; an address where nothing answers stops in one line."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_run_command import SMALL, run_command

RAY = Path(sys.executable).with_name("ray")
COMPARE = ("+experiment=compare", *SMALL, "+column=t2c1,t4c1", "+variant=dml_fd_lightgbm,twfe_within")


def estimates(directory: Path) -> dict:
    found = {}
    for path in directory.rglob("result.json"):
        record = json.loads(path.read_text())
        assert record["status"] == "ok", record.get("error")
        found[(record["choices"]["column"], record["choices"]["variant"])] = [
            (c["term"], c["estimate"], c["std_error"]) for c in record["coefficients"]]
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def ray_cluster(tmp_path):
    """A one-node Ray cluster on 127.0.0.1 with token authentication; yields (address, env).

    ``ray start --block`` keeps the head in the foreground, so stopping that one process
    stops this cluster and nothing else (``ray stop`` would stop every Ray on the machine)."""
    port = free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
           "RAY_USAGE_STATS_ENABLED": "0"}
    head = subprocess.Popen([str(RAY), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
                             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not _answers(port):
            assert head.poll() is None, head.stderr.read()
            assert time.monotonic() < deadline, "the Ray head did not start within 120 s"
            time.sleep(0.5)
        yield f"127.0.0.1:{port}", {key: env[key] for key in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN")}
    finally:
        head.terminate()
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(shutil.which(str(RAY)) is None, reason="the ray command is installed with ray")
def test_compare_runs_on_a_ray_cluster_with_the_basic_launchers_numbers(tmp_path, ray_cluster):
    address, env = ray_cluster
    on_ray = run_command(*COMPARE, "hydra/launcher=ray", f"hydra.launcher.address={address}",
                         f"hydra.sweep.dir={tmp_path / 'ray'}", env=env)
    assert on_ray.returncode == 0, on_ray.stderr
    assert on_ray.stdout.strip().splitlines()[-1] == f"report: {tmp_path / 'ray' / 'report' / 'index.html'}"
    assert "[sweep] runs: 100%" in on_ray.stderr and "4/4" in on_ray.stderr  # the progress bar

    basic = run_command(*COMPARE, "hydra/launcher=basic", f"hydra.sweep.dir={tmp_path / 'basic'}")
    assert basic.returncode == 0, basic.stderr
    assert len(estimates(tmp_path / "ray")) == 4
    assert estimates(tmp_path / "ray") == estimates(tmp_path / "basic")


def test_an_address_where_nothing_answers_stops_in_one_line(tmp_path):
    port = free_port()  # bound and released: nothing listens there
    done = run_command("-m", "hydra/launcher=ray", f"hydra.launcher.address=127.0.0.1:{port}", *SMALL,
                       "estimator=twfe,dml", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: hydra.launcher.address = '127.0.0.1:{port}': ConnectionError: nothing answers at 127.0.0.1:{port} (Connection refused)"]
    assert not (tmp_path / "sweep").exists()


def _dies_on_the_second_run(idx, overrides, *shared):
    from hydra.core.utils import JobReturn, JobStatus

    if idx == 1:
        os._exit(3)  # as a worker killed for memory
    return JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED, _return_value=idx)


def test_a_run_whose_ray_worker_dies_is_failed_and_the_others_finish(tmp_path, monkeypatch, capsys):
    from omegaconf import OmegaConf

    from hydra_plugins.framework_ray_launcher import _core
    from hydra_plugins.framework_ray_launcher.ray_launcher import RayLauncher

    import ray.cloudpickle

    # the workers cannot import this test module by name: ship the task by value
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    monkeypatch.setattr(_core, "execute_job", _dies_on_the_second_run)
    monkeypatch.setattr(_core, "CRASHED", [])
    launcher = RayLauncher(num_cpus=1, progress=False)
    launcher.setup(hydra_context=object(), task_function=lambda cfg: None, config=OmegaConf.create(
        {"hydra": {"sweep": {"dir": str(tmp_path)}, "hydra_logging": None, "verbose": False}}))
    runs = launcher.launch([["seed=0"], ["seed=1"], ["seed=2"]], 0)
    assert [run.status.name for run in runs] == ["COMPLETED", "FAILED", "COMPLETED"]
    assert [runs[0].return_value, runs[2].return_value] == [0, 2]
    assert len(_core.CRASHED) == 1 and _core.CRASHED[0].startswith("run #1 (seed=1) died on Ray: ")
    assert f"error: {_core.CRASHED[0]}" in capsys.readouterr().err
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
