"""``python -m experiments.run`` end to end, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from framework.data.synthetic import WorldKnobs, generate_world
from tests.conftest import ROOT

SMALL = ["learner=lightgbm", "data.world.n_cities=40"]


def run_command(*overrides: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "experiments.run", *overrides], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def record_in(directory: Path) -> dict:
    (path,) = directory.rglob("result.json")
    return json.loads(path.read_text())


def test_one_run_writes_the_design_record(tmp_path):
    done = run_command(*SMALL, f"hydra.run.dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"result: {tmp_path / 'result.json'}"
    record = record_in(tmp_path)
    for key in ("status", "error", "estimator", "spec", "config", "n_obs", "n_units", "coefficients", "diagnostics", "runtime_s", "provenance"):
        assert key in record
    assert record["status"] == "ok" and record["error"] is None
    assert record["estimator"] == "dml"
    assert record["spec"]["window"] == [2011, 2021]
    assert {"sample", "controls", "moderation", "fe"} <= set(record["spec"])
    assert record["n_obs"] == 440 and record["n_units"] == 40
    (coef,) = record["coefficients"]
    assert set(coef) == {"term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "interval", "truth"}
    assert coef["term"] == "treatment" and coef["interval"] == "confidence"
    assert coef["truth"] == pytest.approx(record_truth_by_hand(), abs=1e-12)
    provenance = record["provenance"]
    assert len(provenance["data_sha256"]) == 64 and provenance["seed"] == 0
    assert provenance["packages"]["doubleml"] and provenance["created_at"]
    assert record["config"]["learner"]["_target_"] == "lightgbm.LGBMRegressor"


def record_truth_by_hand() -> float:
    return float(generate_world(WorldKnobs(n_cities=40), seed=0).panel.frame["effect"].mean())


def test_same_config_and_seed_give_the_same_numbers(tmp_path):
    for name in ("a", "b"):
        assert run_command(*SMALL, "seed=7", f"hydra.run.dir={tmp_path / name}").returncode == 0
    first, second = record_in(tmp_path / "a"), record_in(tmp_path / "b")
    assert first["coefficients"] == second["coefficients"]
    assert first["provenance"]["data_sha256"] == second["provenance"]["data_sha256"]


def test_bad_input_is_one_line_and_a_failed_record(tmp_path):
    done = run_command("data=file", "data.path=no_such_panel.csv", f"hydra.run.dir={tmp_path}")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "no_such_panel.csv" in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
    record = record_in(tmp_path)
    assert record["status"] == "failed" and "no_such_panel.csv" in record["error"]
    assert "\n" not in record["error"]


def test_a_users_file_runs_end_to_end_with_null_truth(tmp_path):
    frame = generate_world(WorldKnobs(n_cities=40), seed=1).panel.frame
    renamed = frame.rename(columns={"unit": "city", "time": "year", "outcome": "gini", "treatment": "uil", "moderator": "difi"})
    renamed.drop(columns=["effect"]).to_parquet(tmp_path / "panel.parquet")
    done = run_command(
        "learner=lightgbm",
        "data=file",
        f"data.path={tmp_path / 'panel.parquet'}",
        "data.columns.id=city",
        "data.columns.time=year",
        "data.columns.outcome=gini",
        "data.columns.treatment=uil",
        "data.columns.controls=[GDP,DL,SN,EI,ES]",
        "data.columns.moderator=difi",
        "moderation=normalized",
        "window=rapid_2016_2021",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert done.returncode == 0, done.stderr
    record = record_in(tmp_path / "run")
    assert [c["term"] for c in record["coefficients"]] == ["treatment", "moderator", "treatment_x_moderator"]
    assert all(c["truth"] is None for c in record["coefficients"])
    assert record["spec"]["window"] == [2016, 2021] and record["n_obs"] == 240


def test_a_sweep_records_a_failure_and_finishes_the_other_runs(tmp_path):
    # fe=none with controls=none leaves the learners nothing: that run must fail, alone.
    done = run_command("-m", *SMALL, "controls=none", "estimator.fe=fd,none", f"hydra.sweep.dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    statuses = sorted(json.loads(p.read_text())["status"] for p in tmp_path.rglob("result.json"))
    assert statuses == ["failed", "ok"]
    assert "Traceback" not in done.stderr
