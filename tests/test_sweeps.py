"""Sweeps on Hydra launchers: records from every job, failures isolated, finished runs skipped."""

from __future__ import annotations

import json
import time

import pytest
from omegaconf import OmegaConf

from experiments.callbacks import sweep_records
from experiments.run import data_fingerprint
from framework.records import finished_record, write_record
from framework.records.provenance import git_commit
from framework.records.record import FRAMEWORK_PACKAGE, framework_version
from tests.test_run_command import SMALL, run_command


def statuses(directory):
    return {p.parent.name: json.loads(p.read_text())["status"] for p in directory.rglob("result.json")}


@pytest.mark.parametrize("launcher", [
    ("hydra/launcher=joblib",),
    ("hydra/launcher=submitit_local",),
    # the Slurm launcher's settings, checked by submitit's Slurm executor, jobs run locally
    ("hydra/launcher=cluster_local", "hydra.launcher.partition=cpu", "hydra.launcher.account=econ",
     "hydra.launcher.timeout_min=30"),
], ids=lambda launcher: launcher[0].split("=")[1])
def test_launchers_produce_a_record_per_job(tmp_path, launcher):
    done = run_command("-m", *launcher, *SMALL, "estimator.fe=fd,within", f"hydra.sweep.dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    assert statuses(tmp_path) == {"0": "ok", "1": "ok"}


def test_the_slurm_settings_are_checked_as_slurm_settings(tmp_path):
    from hydra_plugins.framework_slurm_local.slurm_local_launcher import SlurmSettingsLocalLauncher

    launcher = SlurmSettingsLocalLauncher(submitit_folder=str(tmp_path), partition="cpu", timeout_min=5)
    launcher.config = OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}}})
    launcher.params["no_such_slurm_setting"] = 1
    with pytest.raises(NameError, match="no_such_slurm_setting"):
        launcher.launch([["seed=1"]], 0)


def test_rerun_skips_finished_runs_and_redoes_failed_ones(tmp_path):
    sweep = ("-m", "hydra/launcher=basic", *SMALL, "controls=none", "estimator.fe=fd,none", f"hydra.sweep.dir={tmp_path}")
    first = run_command(*sweep)
    assert first.returncode == 1, first.stderr  # a run failed
    assert "1 of 2 runs failed; see the report" in first.stderr
    assert statuses(tmp_path) == {"0": "ok", "1": "failed"}
    ok_before = (tmp_path / "0" / "result.json").read_text()

    again = run_command(*sweep)
    assert again.returncode == 1, again.stderr  # the failed run failed again; the ok one counts as a run
    assert "1 of 2 runs failed; see the report" in again.stderr
    assert again.stdout.strip().splitlines()[-1] == f"report: {tmp_path / 'report' / 'index.html'}"
    assert again.stdout.count("already done, skipped") == 1
    assert (tmp_path / "0" / "result.json").read_text() == ok_before  # untouched
    failed = json.loads((tmp_path / "1" / "result.json").read_text())
    assert failed["status"] == "failed"  # redone (and failing again for the same reason)
    assert failed["provenance"]["created_at"] >= json.loads(ok_before)["provenance"]["created_at"]


def test_paper_experiment_composes_every_column():
    done = run_command("+experiment=paper", "--cfg", "hydra")
    assert done.returncode == 0, done.stderr
    assert "+column: t2c1,t2c2,t3c1,t3c2,t4c1,t4c2,t4c3,t4c4,t5c1,t5c2,t5c3,t5c4,t6c1,t6c2" in done.stdout
    xgb = run_command("+experiment=paper", "+column=t3c2", "--cfg", "job")
    assert "_target_: xgboost.XGBRegressor" in xgb.stdout and "fe: dummies" in xgb.stdout
    folds = run_command("+experiment=paper", "+column=t3c1", "--cfg", "job")
    assert "folds: 6" in folds.stdout


def test_every_sweep_ends_with_the_report_and_experiments_keep_the_callback():
    for command in ((), ("+experiment=paper",), ("+experiment=compare",)):
        done = run_command(*command, "--cfg", "hydra")
        assert done.returncode == 0, done.stderr
        assert "_target_: experiments.callbacks.ReportOnMultirunEnd" in done.stdout


def test_the_sweeps_own_records_count_not_older_ones(tmp_path):
    old = tmp_path / "7"
    write_record({"status": "failed"}, old)
    since = time.time() + 1e-3
    time.sleep(0.05)
    for name, status in (("0", "ok"), ("1", "failed")):
        (tmp_path / name / ".hydra").mkdir(parents=True)
        (tmp_path / name / ".hydra" / "hydra.yaml").write_text("{}")
        write_record({"status": status}, tmp_path / name)
    assert sorted(r["status"] for r in sweep_records(tmp_path, since)) == ["failed", "ok"]
    assert len(sweep_records(tmp_path)) == 3


def ok_record_in(directory, config, data_sha256, version, commit=None):
    record = {"status": "ok", "config": config, "coefficients": [],
              "provenance": {"data_sha256": data_sha256, "packages": {FRAMEWORK_PACKAGE: version},
                             "git_commit": git_commit() if commit is None else commit}}
    write_record(record, directory)
    return record


def test_a_finished_record_needs_the_same_config_data_and_framework(tmp_path):
    config = {"seed": 0, "data": {"kind": "synthetic"}}
    ok_record_in(tmp_path, config, "a" * 64, framework_version())
    assert finished_record(tmp_path, config, data_sha256="a" * 64) is not None
    assert finished_record(tmp_path, config, data_sha256=lambda: "a" * 64) is not None
    assert finished_record(tmp_path, config, data_sha256="b" * 64) is None       # the data changed
    assert finished_record(tmp_path, config, data_sha256=None) is None           # cannot tell: run again
    assert finished_record(tmp_path, {**config, "seed": 1}, data_sha256="a" * 64) is None
    ok_record_in(tmp_path, config, "a" * 64, "0.0.0-other")
    assert finished_record(tmp_path, config, data_sha256="a" * 64) is None       # another framework version
    ok_record_in(tmp_path, config, "a" * 64, framework_version(), commit="0" * 40)
    assert finished_record(tmp_path, config, data_sha256="a" * 64) is None       # the same version, other code


def test_the_fingerprint_is_only_computed_when_the_config_matches(tmp_path):
    ok_record_in(tmp_path, {"seed": 0}, "a" * 64, framework_version())

    def never():
        raise AssertionError("fingerprinted a run whose config differs")

    assert finished_record(tmp_path, {"seed": 1}, data_sha256=never) is None


def test_the_skip_check_fingerprints_data_as_the_run_records_it(tmp_path):
    from framework.io import file_sha256
    from framework.pipeline import load_panel
    from framework.spec import Spec

    config = {"seed": 4, "data": {"kind": "synthetic", "seed": 4, "world": {"n_cities": 20}}, "moderator": {"name": "difi"}}
    assert data_fingerprint(config) == load_panel(config["data"], Spec(), 4, config["moderator"])[1]
    path = tmp_path / "panel.csv"
    path.write_text("a,b\n1,2\n")
    assert data_fingerprint({"data": {"kind": "file", "path": str(path)}}) == file_sha256(path)
    assert data_fingerprint({"data": {"kind": "file", "path": str(tmp_path / "gone.csv")}}) is None
