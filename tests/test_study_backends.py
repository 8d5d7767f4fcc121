"""Where a study's draws run (framework/study/backends.py): a real local Dask cluster of worker
processes and a local Ray instance give every number the local pool gives, and the Slurm
cluster spec composes into the job script a user's cluster would run."""

from __future__ import annotations

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from framework.errors import UserInputError
from framework.study import StudyPlan, run_study
from framework.study.backends import Backend
from framework.study.designs import WorldDesign
from tests.conftest import ROOT
from tests.test_study import SMALL_WORLD, TWFE, _cell

TIMED = ["runtime_s", "draw_s"]


def test_a_dask_cluster_of_worker_processes_gives_the_local_numbers():
    plan, design = StudyPlan(4, 7, (_cell("twfe", TWFE),)), WorldDesign(SMALL_WORLD)
    local = run_study(plan, design, n_jobs=1)
    done = []
    on_dask = run_study(plan, design, backend=Backend("dask", 2), progress=lambda *args: done.append(args[1]))
    assert done == [1, 2, 3, 4]
    pd.testing.assert_frame_equal(on_dask.drop(columns=TIMED), local.drop(columns=TIMED))


def test_a_local_ray_instance_gives_the_local_numbers():
    plan, design = StudyPlan(3, 7, (_cell("twfe", TWFE),)), WorldDesign(SMALL_WORLD)
    local = run_study(plan, design, n_jobs=1)
    on_ray = run_study(plan, design, backend=Backend("ray", 2))
    pd.testing.assert_frame_equal(on_ray.drop(columns=TIMED), local.drop(columns=TIMED))


def test_an_unknown_backend_is_refused_in_one_line():
    with pytest.raises(UserInputError, match="study.backend = 'spark': use local, dask or ray"):
        Backend.from_config({"backend": "spark"})
    assert Backend.from_config({"backend": "dask", "n_jobs": 2, "dask": {"workers": 8}}).workers == 8
    with pytest.raises(UserInputError, match="study.dask.workers = 0: need at least 1 worker"):
        Backend.from_config({"backend": "dask", "n_jobs": 2, "dask": {"workers": 0}})


def test_the_slurm_spec_becomes_the_job_script_a_cluster_runs():
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(config_name="simulate", overrides=[
            "study.backend=dask", "+cluster=slurm", "study.dask.cluster.queue=short", "study.dask.cluster.account=econ",
            "study.dask.cluster.walltime=04:00:00"])
    spec = cfg.study.dask.cluster
    cluster = instantiate(spec)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH -p short" in script and "#SBATCH -A econ" in script and "#SBATCH -t 04:00:00" in script
    assert "--nthreads 1" in script


def test_the_command_refuses_an_unknown_backend_before_any_work(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "experiments.simulate", "study=quick", "study.backend=spark",
                           f"hydra.run.dir={tmp_path}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["error: study.backend = 'spark': use local, dask or ray"]
    assert not (tmp_path / "draws").exists() and "building the design" not in done.stdout


def test_a_ray_address_where_nothing_answers_is_refused_in_one_line_before_any_work():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UserInputError, match=rf"study.ray.address = '127.0.0.1:{port}': nothing answers at 127.0.0.1:{port}"):
        Backend.from_config({"backend": "ray", "ray": {"address": f"127.0.0.1:{port}"}})
    with pytest.raises(UserInputError, match="study.ray.address = 'head-node': expected host:port"):
        Backend.from_config({"backend": "ray", "ray": {"address": "head-node"}})
    assert Backend.from_config({"backend": "ray", "ray": {"address": None}}).ray == {"address": None}
