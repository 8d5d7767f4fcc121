"""The Monte Carlo study: its arithmetic against hand values, its verdicts on configurations
whose bias is known, the calibration against knobs known by construction, and the command."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from framework.data.synthetic import WorldKnobs, generate_world
from framework.study import Cell, StudyPlan, Thresholds, ranking, recommend, run_study, summarise, verdicts
from framework.study.designs import WorldDesign
from framework.study.calibrate import Scales, calibrate, moments
from framework.study.replicate import run_replication
from tests.conftest import ROOT, learner_config


def _row(seed, configuration, estimate, truth, low, high, status="ok", se=0.1, converged=None):
    return {"seed": seed, "configuration": configuration, "spec": "baseline", "status": status, "error": None if status == "ok" else "boom",
            "term": "treatment" if status == "ok" else None, "estimate": estimate, "std_error": se, "ci_low": low, "ci_high": high,
            "p_value": None, "interval": "confidence", "truth": truth, "n_obs": 10, "runtime_s": 2.0, "converged": converged}


def test_measures_match_hand_values():
    rows = pd.DataFrame([
        _row(1, "a", -0.10, -0.10, -0.30, 0.10, se=0.10),   # error 0, covers, not significant
        _row(2, "a", -0.40, -0.20, -0.50, -0.30, se=0.05),  # error -0.2, misses, right side
        _row(3, "a", 0.10, -0.20, 0.05, 0.15, se=0.03),     # error +0.3, misses, wrong side
        _row(4, "a", None, None, None, None, status="failed"),
    ])
    (s,) = summarise(rows).to_dict("records")
    errors = np.array([0.0, -0.2, 0.3])
    assert s["runs"] == 4 and s["ok"] == 3 and s["failure_rate"] == pytest.approx(0.25)
    assert s["bias"] == pytest.approx(errors.mean())
    assert s["bias_mcse"] == pytest.approx(errors.std(ddof=1) / math.sqrt(3))
    assert s["rmse"] == pytest.approx(math.sqrt((0 + 0.04 + 0.09) / 3))
    assert s["coverage"] == pytest.approx(1 / 3)
    assert s["coverage_mcse"] == pytest.approx(math.sqrt((1 / 3) * (2 / 3) / 3))
    assert s["width"] == pytest.approx((0.4 + 0.2 + 0.1) / 3)
    assert s["sign_sig"] == pytest.approx(1 / 3)
    assert s["truth_mean"] == pytest.approx(-0.5 / 3)
    assert s["se_ratio"] == pytest.approx(np.mean([0.10, 0.05, 0.03]) / np.std([-0.1, -0.4, 0.1], ddof=1))
    assert s["runtime_mean_s"] == pytest.approx(2.0)


def test_unconverged_share_counts_only_runs_that_report_convergence():
    rows = pd.DataFrame([_row(1, "b", 0.0, 0.0, -1, 1, converged=True), _row(2, "b", 0.0, 0.0, -1, 1, converged=False),
                         _row(3, "b", 0.0, 0.0, -1, 1, converged=False), _row(1, "c", 0.0, 0.0, -1, 1)])
    summary = summarise(rows).set_index("configuration")
    assert summary.loc["b", "unconverged"] == pytest.approx(2 / 3)
    assert math.isnan(summary.loc["c", "unconverged"])


def test_a_configuration_that_always_fails_keeps_a_row():
    rows = pd.DataFrame([_row(1, "a", 0.0, 0.0, -1, 1), _row(1, "z", None, None, None, None, status="failed")])
    judged = verdicts(summarise(rows)).set_index("configuration")
    assert judged.loc["z", "failure_rate"] == 1.0 and judged.loc["z", "verdict"] == "fails"


def _synthetic_rows(configuration, bias, sd, coverage_width, n=200, seed=0):
    rng = np.random.default_rng(seed)
    truth = -0.1
    estimates = truth + bias + sd * rng.standard_normal(n)
    return [_row(r, configuration, e, truth, e - coverage_width, e + coverage_width) for r, e in enumerate(estimates)]


def test_verdicts_separate_biased_undercovering_and_trustworthy():
    rows = pd.DataFrame(
        _synthetic_rows("unbiased", 0.0, 0.05, 1.96 * 0.05)
        + _synthetic_rows("biased", 0.15, 0.05, 1.96 * 0.05, seed=1)
        + _synthetic_rows("narrow", 0.0, 0.05, 0.5 * 0.05, seed=2)
    )
    judged = verdicts(summarise(rows), Thresholds()).set_index("configuration")
    assert judged.loc["unbiased", "verdict"] == "trust"
    assert judged.loc["biased", "verdict"] == "biased"
    assert judged.loc["narrow", "verdict"] == "undercovers"
    ranked = ranking(judged.reset_index())
    assert ranked["configuration"].tolist() == ["unbiased", "narrow", "biased"]
    (line,) = recommend(judged.reset_index())
    assert line.startswith("baseline, treatment: trust unbiased") and "Avoid biased" in line


def _cell(configuration, estimator, learner=None, **spec):
    config = {
        "data": {"kind": "synthetic", "seed": "${seed}", "world": {}},
        "estimator": estimator, "learner": learner, "split": {"folds": 3, "n_rep": 1},
        "window": {"name": "all"}, "sample": {"name": "full"}, "controls": {"name": "paper"}, "moderation": {"name": "none"},
        "seed": 0, **spec,
    }
    return Cell(configuration, "baseline", config)


TWFE = {"name": "twfe", "fe": "within", "cov_type": "clustered", "debiased": True, "group_debias": True}
SMALL_WORLD = {"n_cities": 40}


def _learner():
    learner = learner_config("lightgbm")
    learner.update(n_estimators=60, random_state="${seed}")
    return learner


def test_a_tiny_study_flags_the_paper_dummies_as_biased_and_trusts_twfe():
    """On the calibrated world tree learners cannot learn city dummies (city effects stay in
    the estimate), so DML with fe=dummies is biased by construction; TWFE is unbiased in a
    world without confounding, non-linearity or heterogeneity."""
    cells = (_cell("dml_dummies", {"name": "dml", "fe": "dummies"}, _learner()), _cell("twfe", TWFE))
    biased = run_study(StudyPlan(6, 100, cells[:1]), WorldDesign(SMALL_WORLD), n_jobs=1)
    plain = run_study(StudyPlan(6, 100, cells[1:]), WorldDesign({**SMALL_WORLD, "confounding": 0.0, "nonlinearity": 0.0, "heterogeneity": 0.0}), n_jobs=1)
    judged = verdicts(summarise(pd.concat([biased, plain])))
    judged = judged.set_index("configuration")
    assert judged.loc["dml_dummies", "verdict"] == "biased"
    assert judged.loc["dml_dummies", "bias"] > 0.2
    assert judged.loc["twfe", "verdict"] == "trust"
    assert abs(judged.loc["twfe", "bias"]) < 3 * judged.loc["twfe", "bias_mcse"]


def test_draws_are_reproducible_and_independent_of_the_workers():
    plan, design = StudyPlan(4, 7, (_cell("twfe", TWFE),)), WorldDesign(SMALL_WORLD)
    one, two = run_study(plan, design, n_jobs=1), run_study(plan, design, n_jobs=2)
    columns = ["seed", "configuration", "spec", "term", "estimate", "std_error", "truth"]
    pd.testing.assert_frame_equal(one[columns], two[columns])
    again = pd.DataFrame(run_replication(9, plan, design))
    assert again["estimate"].tolist() == pd.DataFrame(run_replication(9, plan, design))["estimate"].tolist()
    assert sorted(one["seed"].unique()) == [7, 8, 9, 10]


def test_calibration_recovers_the_knobs_of_a_world_it_is_given():
    target = generate_world(WorldKnobs(n_cities=60, start_year=2013, end_year=2020, confounding=0.5, treatment_noise=0.02), seed=5).panel
    grid = {"confounding": [0.0, 0.5, 1.5], "treatment_noise": [0.02, 0.07], "outcome_noise": [0.04]}
    found = calibrate(target, grid=grid, draws=2, seed=11)
    assert (found.knobs.confounding, found.knobs.treatment_noise) == (0.5, 0.02)
    assert (found.knobs.n_cities, found.knobs.start_year, found.knobs.end_year) == (60, 2013, 2020)
    assert found.achieved["within_share_treatment"] == pytest.approx(found.target["within_share_treatment"], abs=0.05)


def test_units_map_a_draw_onto_the_file_and_scale_the_truth():
    panel = generate_world(WorldKnobs(n_cities=30), seed=1).panel
    mapped = Scales(10.0, 2.0, 5.0, 0.5).apply(panel)
    frame = mapped.frame
    assert frame["outcome"].mean() == pytest.approx(10.0) and frame["outcome"].std() == pytest.approx(2.0)
    assert frame["treatment"].mean() == pytest.approx(5.0) and frame["treatment"].std() == pytest.approx(0.5)
    ratio = (2.0 / panel.frame["outcome"].std()) / (0.5 / panel.frame["treatment"].std())
    np.testing.assert_allclose(frame["effect"], panel.frame["effect"] * ratio)


def test_moments_by_hand_on_a_tiny_panel():
    from framework.data.panel import Panel

    frame = pd.DataFrame({"unit": ["a", "a", "b", "b"], "time": [1, 2, 1, 2], "outcome": [1.0, 3.0, 5.0, 7.0],
                          "treatment": [0.0, 2.0, 1.0, 1.0], "x": [1.0, 2.0, 3.0, 5.0]})
    m = moments(Panel(frame=frame, controls=("x",), source="hand"))
    # outcome: city means 2 and 6, deviations -1, 1, -1, 1: within variance 4/3 of total 20/3
    assert m["within_share_outcome"] == pytest.approx((4 / 3) / (20 / 3))
    assert m["within_share_treatment"] == pytest.approx((2 / 3) / (2 / 3))
    assert m["corr_controls"] == pytest.approx(abs(np.corrcoef([0, 2, 1, 1], [1, 2, 3, 5])[0, 1]))


def _simulate(*overrides, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "experiments.simulate", *overrides], cwd=cwd, capture_output=True, text=True, timeout=600)


QUICK = ["study=quick", "study.replications=2", "study.n_jobs=1", "study.select.configurations=[twfe]", "data.world.n_cities=40"]


def test_the_command_writes_the_study_and_the_report(tmp_path):
    done = _simulate(*QUICK, f"hydra.run.dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"report: {tmp_path / 'report' / 'index.html'}"
    summary = pd.read_csv(tmp_path / "study" / "summary.csv")
    assert set(summary["spec"]) == {"baseline", "infra_2011_2015"} and set(summary["configuration"]) == {"twfe"}
    meta = json.loads((tmp_path / "study" / "study.json").read_text())
    assert meta["replications"] == 2 and meta["world"]["n_cities"] == 40 and meta["provenance"]["git_commit"]
    assert "Monte Carlo study" in (tmp_path / "report" / "index.html").read_text()
    assert "[study] world: 2/2 draws" in done.stderr  # progress goes to stderr


def test_a_knob_sweep_compares_the_worlds(tmp_path):
    done = _simulate("-m", *QUICK, "data.world.confounding=0,1", f"hydra.sweep.dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "report" / "index.html").read_text()
    assert "where each configuration breaks" in html and "confounding=0" in html and "confounding=1" in html


def test_an_unknown_configuration_fails_in_one_line_and_writes_nothing(tmp_path):
    done = _simulate("study=quick", "study.select.configurations=[nope]", f"hydra.run.dir={tmp_path}")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["error: study.select.configurations: unknown nope; study.configurations has dml_dummies, dml_fd, twfe"]
    assert not (tmp_path / "study").exists()


def test_each_cell_gets_its_own_measure_of_the_moderator():
    moderated = {"moderation": {"name": "centered"}}
    cells = tuple(
        Cell(name, "moderation", {**_cell(name, TWFE, **moderated).config, "moderator": {"name": name}})
        for name in ("difi", "digital_index")
    )
    rows = pd.DataFrame(run_replication(3, StudyPlan(1, 3, cells), WorldDesign(SMALL_WORLD)))
    interaction = rows[rows["term"] == "treatment_x_moderator"].set_index("configuration")
    assert interaction.loc["difi", "estimate"] != interaction.loc["digital_index", "estimate"]
    moderator_truth = rows[rows["term"] == "moderator"].set_index("configuration")["truth"]
    assert pd.notna(moderator_truth["difi"]) and pd.isna(moderator_truth["digital_index"])


def test_an_impossible_draw_is_recorded_as_failed_and_the_study_goes_on(monkeypatch):
    import framework.study.designs.world as world
    from framework.errors import UserInputError

    real = world.generate_world

    def sometimes(knobs, seed):
        if seed == 8:
            raise UserInputError("the synthetic-world knobs push UIL outside [1, 3]")
        return real(knobs, seed=seed)

    monkeypatch.setattr(world, "generate_world", sometimes)
    rows = run_study(StudyPlan(3, 7, (_cell("twfe", TWFE),)), WorldDesign(SMALL_WORLD), n_jobs=1)
    failed = rows[rows["seed"] == 8]
    assert failed["status"].tolist() == ["failed"] and "UIL outside [1, 3]" in failed["error"].iloc[0]
    (summary,) = summarise(rows).to_dict("records")
    assert summary["runs"] == 3 and summary["ok"] == 2 and summary["failure_rate"] == pytest.approx(1 / 3)


def test_a_study_calibrated_to_a_file(tmp_path):
    world = WorldKnobs(n_cities=30, start_year=2012, end_year=2019, confounding=0.5)
    frame = generate_world(world, seed=2).panel.frame
    frame = frame.rename(columns={"unit": "city", "time": "year", "outcome": "gini", "treatment": "uil"})
    frame["gini"] = 100 * frame["gini"]  # the file's own units
    frame[["city", "year", "gini", "uil", "GDP", "DL"]].to_csv(tmp_path / "panel.csv", index=False)
    done = _simulate(
        "study=quick", "study.replications=2", "study.n_jobs=1", "study.select.configurations=[twfe]", "study.select.specs=[baseline]",
        "study.design=calibrated", "data=file", f"data.path={tmp_path / 'panel.csv'}", "data.columns.id=city", "data.columns.time=year",
        "data.columns.outcome=gini", "data.columns.treatment=uil", "data.columns.controls=[GDP,DL]", "study.calibration.draws=1",
        "study.calibration.grid.confounding=[0.5,2.0]", "study.calibration.grid.treatment_noise=[0.04]", "study.calibration.grid.outcome_noise=[0.04]",
        f"hydra.run.dir={tmp_path / 'out'}",
    )
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "out" / "study" / "study.json").read_text())
    knobs = meta["calibration"]["knobs"]
    assert (knobs["n_cities"], knobs["start_year"], knobs["end_year"], knobs["confounding"]) == (30, 2012, 2019, 0.5)
    assert meta["calibration"]["units"]["outcome_mean"] == pytest.approx(frame["gini"].mean())
    assert len(meta["provenance"]["data_sha256"]) == 64
    rows = pd.read_parquet(tmp_path / "out" / "study" / "replications.parquet")
    assert (rows["n_obs"] == 30 * 8).all()
    assert "The world calibrated to the file" in (tmp_path / "out" / "report" / "index.html").read_text()


def test_one_draw_gives_no_bias_verdict_and_specs_keep_the_design_order():
    rows = pd.DataFrame([{**_row(1, "a", 0.3, -0.1, 0.2, 0.4), "spec": "zeta"}, {**_row(1, "a", -0.1, -0.1, -0.2, 0.0), "spec": "alpha"}])
    ranked = ranking(verdicts(summarise(rows)))
    assert ranked["spec"].tolist() == ["zeta", "alpha"]
    assert ranked.set_index("spec").loc["zeta", "verdict"] == "undercovers"  # misses the truth, bias unmeasurable
    assert ranked.set_index("spec").loc["alpha", "verdict"] == "trust"
