"""``python -m experiments.run`` end to end, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from framework.data.synthetic import WorldKnobs, generate_world
from tests.conftest import ROOT

SMALL = ["learner=lightgbm", "data.world.n_cities=40"]


def run_command(*overrides: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "experiments.run", *overrides], cwd=cwd, capture_output=True, text=True, timeout=300,
        env=environment,
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
    assert {"term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "interval", "truth"} <= set(coef)
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


def test_a_sweep_records_a_failure_finishes_the_other_runs_reports_and_exits_1(tmp_path):
    # fe=none with controls=none leaves the learners nothing: that run must fail, alone.
    done = run_command("-m", *SMALL, "controls=none", "estimator.fe=fd,none", f"hydra.sweep.dir={tmp_path}")
    assert done.returncode == 1, done.stderr
    statuses = sorted(json.loads(p.read_text())["status"] for p in tmp_path.rglob("result.json"))
    assert statuses == ["failed", "ok"]
    assert "Traceback" not in done.stderr
    assert "1 of 2 runs failed; see the report" in done.stderr.splitlines()
    # a plain -m sweep (no +experiment=) ends with the report's path
    assert done.stdout.strip().splitlines()[-1] == f"report: {tmp_path / 'report' / 'index.html'}"
    assert (tmp_path / "report" / "index.html").is_file()


# --- one line for every error of the command line -------------------------------------

CLI_ERRORS = {
    "group": (["estimator=nope"], "estimator=nope", ["accepted values of estimator: bayes_dml, bayes_hier, causal_forest, dml, twfe"]),
    "learner": (["learner=nope"], "learner=nope", ["gbdt", "lightgbm", "xgboost", "random_forest", "lasso", "custom"]),
    "sample": (["sample=nope"], "sample=nope", ["full", "winsor_1_99", "no_municipalities", "high_uil"]),
    "close": (["learner=lightgm"], "learner=lightgm", ["did you mean learner=lightgbm?"]),
    "key": (["windoww.start=2015"], "windoww.start", ["did you mean window?"]),
    "nested key": (["estimator.fee=fd"], "estimator.fee", ["did you mean estimator.fe?"]),
    "data key": (["data.columns.outcome=gini"], "data.columns.outcome", ["data=synthetic has: kind, seed, world"]),
    "int": (["seed=abc"], "seed = 'abc'", ["whole number"]),
    "folds": (["split.folds=abc"], "split.folds = 'abc'", ["whole number"]),
    "float": (["data.world.confounding=lots"], "data.world.confounding = 'lots'", ["give a number"]),
    "bool": (["cache.nuisance=maybe"], "cache.nuisance = 'maybe'", ["true or false"]),
    "parse": (["data.columns.outcome=log(wage)"], "data.columns.outcome=log(wage)", ["quotes", "\"data.columns.outcome='log(wage)'\""]),
    "sweep": (["estimator.fe=fd,none"], "estimator.fe", ["add -m"]),
}


def assert_one_line(done: subprocess.CompletedProcess, *expected: str) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode not in (0, None), done.stdout
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in done.stderr + done.stdout
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0][len("error: "):]


@pytest.mark.parametrize("case", list(CLI_ERRORS))
def test_command_line_errors_are_one_line_and_a_failed_record(tmp_path, case):
    overrides, key, expected = CLI_ERRORS[case]
    run_dir = tmp_path / "run"
    done = run_command(*overrides, f"hydra.run.dir={run_dir}")
    message = assert_one_line(done, key, *expected)
    assert done.returncode == 2
    assert sorted(p.name for p in run_dir.iterdir()) == ["result.json"]  # no .hydra, nothing else
    record = record_in(run_dir)
    assert record["status"] == "failed" and record["error"] == message
    assert done.stdout.strip().splitlines()[-1] == f"result: {run_dir / 'result.json'} (failed)"


def test_without_a_run_dir_the_record_goes_where_the_config_puts_runs(tmp_path):
    done = run_command("estimator=nope", cwd=tmp_path)
    assert_one_line(done, "estimator=nope", "dml")
    (record,) = list((tmp_path / "results" / "runs").glob("*/*/result.json"))
    assert sorted(p.name for p in record.parent.iterdir()) == ["result.json"]
    assert json.loads(record.read_text())["status"] == "failed"
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_a_bad_type_keeps_the_composed_config_in_the_record(tmp_path):
    done = run_command("seed=abc", "learner=lightgbm", f"hydra.run.dir={tmp_path}")
    assert_one_line(done, "seed")
    record = record_in(tmp_path)
    assert record["config"]["seed"] == "abc" and record["config"]["learner"]["_target_"] == "lightgbm.LGBMRegressor"
    assert record["choices"]["learner"] == "lightgbm" and record["estimator"] == "dml"


@pytest.mark.parametrize("how", [("debug=true",), ("HYDRA_FULL_ERROR",)])
def test_debug_keeps_the_traceback(tmp_path, how):
    env = {"HYDRA_FULL_ERROR": "1"} if how == ("HYDRA_FULL_ERROR",) else None
    extra = [] if env else list(how)
    done = run_command("estimator=nope", *extra, f"hydra.run.dir={tmp_path / 'run'}", env=env)
    assert done.returncode != 0 and "Traceback" in done.stderr
    assert len(done.stderr.strip().splitlines()) > 1


@pytest.mark.parametrize("overrides, key", [
    (["estimator=dml,nope"], "estimator=nope"),
    (["seed=1,abc"], "seed = 'abc'"),
    (["windoww.start=2015,2016"], "windoww.start"),
    (["estimator.fe=fd,within", "learner=gbdt,nope"], "learner=nope"),
])
def test_an_invalid_override_in_a_sweep_is_one_line(tmp_path, overrides, key):
    done = run_command("-m", *overrides, f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert_one_line(done, key)
    assert not (tmp_path / "sweep").exists()  # nothing ran, nothing written


# --- re-runs are never stale ----------------------------------------------------------


def test_a_rerun_after_the_data_file_changed_recomputes(tmp_path):
    frame = generate_world(WorldKnobs(n_cities=40), seed=2).panel.frame.drop(columns=["effect", "moderator_effect"])
    path = tmp_path / "panel.parquet"
    frame.to_parquet(path)
    command = ("estimator=twfe", "data=file", f"data.path={path}", "data.columns.id=unit", "data.columns.time=time",
               "data.columns.outcome=outcome", "data.columns.treatment=treatment", "data.columns.controls=[GDP,DL]",
               f"hydra.run.dir={tmp_path / 'run'}")
    first = run_command(*command)
    assert first.returncode == 0, first.stderr
    before = record_in(tmp_path / "run")
    again = run_command(*command)
    assert again.returncode == 0 and "already done, skipped" in again.stdout

    frame["outcome"] = frame["outcome"] + 0.5 * frame["treatment"]  # the effect grows by 0.5
    frame.to_parquet(path)
    changed = run_command(*command)
    assert changed.returncode == 0, changed.stderr
    assert "skipped" not in changed.stdout
    after = record_in(tmp_path / "run")
    assert after["provenance"]["data_sha256"] != before["provenance"]["data_sha256"]
    old, new = before["coefficients"][0]["estimate"], after["coefficients"][0]["estimate"]
    assert new == pytest.approx(old + 0.5, abs=1e-9)
    assert f"treatment {new:+.4f}" in changed.stdout


# --- unusual column names: Hydra's quoting ---------------------------------------------


def test_unusual_column_names_quoted_as_the_readme_says(tmp_path):
    frame = generate_world(WorldKnobs(n_cities=40), seed=3).panel.frame
    renamed = frame.rename(columns={"unit": "Stadt ID", "time": "Jahr", "outcome": "gini (night light)",
                                    "treatment": "Größe", "GDP": "log(gdp)", "DL": "a=b", "SN": "c,d"})
    path = tmp_path / "panel.csv"
    renamed.drop(columns=["effect", "moderator_effect"]).to_csv(path, index=False)
    # exactly what Hydra receives once the shell has removed its own quotes (README examples)
    done = run_command(
        "estimator=twfe", "data=file", f"data.path={path}",
        r"data.columns.id=Stadt\ ID",                 # backslash escape
        "data.columns.time=Jahr",
        'data.columns.outcome="gini (night light)"',    # double quotes
        "data.columns.treatment='Größe'",               # single quotes (non-ASCII)
        "data.columns.controls=['log(gdp)','a=b','c,d']",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert done.returncode == 0, done.stderr
    record = record_in(tmp_path / "run")
    columns = record["config"]["data"]["columns"]
    assert columns["id"] == "Stadt ID" and columns["outcome"] == "gini (night light)" and columns["treatment"] == "Größe"
    assert columns["controls"] == ["log(gdp)", "a=b", "c,d"]
    assert record["spec"]["covariates"] == ["log(gdp)", "a=b", "c,d"]
