"""Sweeps on Hydra launchers: records from every job, failures isolated, finished runs skipped."""

from __future__ import annotations

import json

import pytest

from tests.test_run_command import SMALL, run_command


def statuses(directory):
    return {p.parent.name: json.loads(p.read_text())["status"] for p in directory.rglob("result.json")}


@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_launchers_produce_a_record_per_job(tmp_path, launcher):
    done = run_command("-m", f"hydra/launcher={launcher}", *SMALL, "estimator.fe=fd,within", f"hydra.sweep.dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    assert statuses(tmp_path) == {"0": "ok", "1": "ok"}


def test_rerun_skips_finished_runs_and_redoes_failed_ones(tmp_path):
    sweep = ("-m", "hydra/launcher=basic", *SMALL, "controls=none", "estimator.fe=fd,none", f"hydra.sweep.dir={tmp_path}")
    first = run_command(*sweep)
    assert first.returncode == 0, first.stderr
    assert statuses(tmp_path) == {"0": "ok", "1": "failed"}
    ok_before = (tmp_path / "0" / "result.json").read_text()

    again = run_command(*sweep)
    assert again.returncode == 0, again.stderr
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
