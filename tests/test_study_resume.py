"""Checkpoints of a study (framework/study/checkpoints.py): finished draws kept on disk, a
study killed part-way resumes with only the missing draws and the same summary, and kept
draws of another study are not reused."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from framework.study import StudyPlan, run_study
from framework.study import runner
from framework.study.checkpoints import DrawStore
from framework.study.designs import WorldDesign
from tests.conftest import ROOT
from tests.test_study import SMALL_WORLD, TWFE, _cell

PARTS = {"first_seed": 7, "cells": [{"configuration": "twfe"}]}


def test_kept_rows_read_back_exactly(tmp_path):
    store, note = DrawStore.open(tmp_path, PARTS)
    rows = [{"estimate": 0.1 + 0.2, "p_value": math.nan, "ci_low": -math.inf, "error": None, "converged": True, "n_obs": 2783}]
    store.save("world", 7, rows)
    again, note = DrawStore.open(tmp_path, PARTS)
    assert note is None
    (kept,) = again.finished("world", [7, 8]).values()
    assert kept[0]["estimate"] == 0.1 + 0.2 and math.isnan(kept[0]["p_value"]) and kept[0]["ci_low"] == -math.inf
    assert {k: v for k, v in kept[0].items() if k not in ("p_value",)} == {k: v for k, v in rows[0].items() if k != "p_value"}


def test_another_study_starts_fresh_and_says_what_changed(tmp_path):
    store, _ = DrawStore.open(tmp_path, PARTS)
    store.save("world", 7, [{"estimate": 1.0}])
    changed, note = DrawStore.open(tmp_path, {**PARTS, "first_seed": 8})
    assert "first_seed changed" in note and "starting fresh" in note
    assert changed.finished("world", [7]) == {}
    changed.save("world", 7, [{"estimate": 2.0}])
    fresh, note = DrawStore.open(tmp_path, {**PARTS, "first_seed": 8}, fresh=True)
    assert "study.resume=false" in note and fresh.finished("world", [7]) == {}


def test_run_study_takes_kept_draws_and_runs_only_the_others(tmp_path, monkeypatch):
    plan, design = StudyPlan(3, 7, (_cell("twfe", TWFE),)), WorldDesign(SMALL_WORLD)
    plain = run_study(plan, design, n_jobs=1)
    store, _ = DrawStore.open(tmp_path, PARTS)
    first = run_study(StudyPlan(2, 7, plan.cells), design, n_jobs=1, store=store)
    ran = []
    original = runner.run_replication
    monkeypatch.setattr(runner, "run_replication", lambda seed, *args: ran.append(seed) or original(seed, *args))
    lines = []
    resumed = run_study(plan, design, n_jobs=1, store=store, progress=lambda *args: lines.append(args))
    assert ran == [9]  # draws 7 and 8 were kept
    assert lines[0] == ("world", 2, 3, 0.0, 2)
    timed = ["runtime_s", "draw_s"]
    pd.testing.assert_frame_equal(resumed.drop(columns=timed), plain.drop(columns=timed))
    pd.testing.assert_frame_equal(resumed.iloc[:len(first)], first)  # the kept draws' rows, timings included


STUDY = [sys.executable, "-m", "experiments.simulate", "study=quick", "study.replications=5", "study.n_jobs=1",
         "study.select.configurations=[twfe]", "study.select.specs=[baseline]", "study.stability.resamples=50"]
TIMED = ["runtime_s", "draw_s", "runtime_mean_s"]


def _run(directory, **kwargs):
    return subprocess.run([*STUDY, f"hydra.run.dir={directory}"], cwd=ROOT, capture_output=True, text=True, **kwargs)


def test_a_killed_study_resumes_with_the_same_summary_and_reruns_no_finished_draw(tmp_path):
    killed = tmp_path / "killed"
    process = subprocess.Popen([*STUDY, f"hydra.run.dir={killed}"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    kept_dir = killed / "draws" / "world"
    deadline = time.monotonic() + 300
    while len(list(kept_dir.glob("seed-*.json"))) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "the study ended before it could be interrupted"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed / "study").exists()  # it really was stopped before the end
    kept = {path.name: path.stat().st_mtime_ns for path in kept_dir.glob("seed-*.json")}

    resumed = _run(killed, check=True)
    assert f"{len(kept)}/5 draws already done" in resumed.stderr
    assert {name: (kept_dir / name).stat().st_mtime_ns for name in kept} == kept  # not computed again
    _run(tmp_path / "whole", check=True)
    summaries = [pd.read_csv(d / "study" / "summary.csv").drop(columns=TIMED, errors="ignore") for d in (killed, tmp_path / "whole")]
    pd.testing.assert_frame_equal(*summaries)
    rows = [pd.read_parquet(d / "study" / "replications.parquet").drop(columns=TIMED, errors="ignore") for d in (killed, tmp_path / "whole")]
    pd.testing.assert_frame_equal(*rows)


@pytest.mark.parametrize("override", ["study.first_seed=2000"])
def test_the_command_says_when_kept_draws_belong_to_another_study(tmp_path, override):
    short = [a for a in STUDY if not a.startswith("study.replications")] + ["study.replications=1"]
    subprocess.run([*short, f"hydra.run.dir={tmp_path}"], cwd=ROOT, capture_output=True, text=True, check=True)
    changed = subprocess.run([*short, override, f"hydra.run.dir={tmp_path}"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "first_seed changed" in changed.stdout and "starting fresh" in changed.stdout
    assert [p.name for p in (tmp_path / "draws" / "world").iterdir()] == ["seed-2000.json"]
