"""The study's designs against truth known by construction: the structured design's exact
effect and residual paths, the placebo design's reassigned treatment, the calibration's
warning, failures and stability in the summary, nuisance reuse across draws with fixed
inputs, and how designs are named and seeded."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from framework.data.panel import EFFECT, Panel
from framework.errors import UserInputError
from framework.spec import Spec, apply_spec, true_values
from framework.study import StudyPlan, Thresholds, recommend, summarise, top_stability, verdicts
from framework.study.calibrate import MOMENT_LABELS, MOMENTS, calibrate
from framework.study.designs import (
    CalibratedDesign, PlaceboDesign, StructuredDesign, WorldDesign, build_designs, design_names,
)
from framework.study.designs.paths import within_autocorrelation
from framework.study.designs.placebo import LEAK_WARNING
from framework.study.replicate import run_replication
from tests.conftest import ROOT, learner_config
from tests.test_study import TWFE, _cell, _row

LINEAR = {"_target_": "sklearn.linear_model.LinearRegression"}


def _tiny_lightgbm(seed=0):
    learner = learner_config("lightgbm", seed)
    learner.update(n_estimators=15, num_leaves=4, min_child_samples=5)
    return learner


def _panel(n=36, periods=8, seed=0, controls=True, effect=0.4, rho=0.0, treatment_rho=0.0, source="file"):
    """A user's file (no truth columns): unit and period effects, a non-linear function of the
    controls, ``effect`` x treatment, and AR(``rho``) noise within units; the treatment is a
    unit level plus AR(``treatment_rho``) noise (plus a pull from x1)."""
    rng = np.random.default_rng(seed)
    gamma = rng.normal(size=periods)
    rows = []
    for i in range(n):
        alpha = rng.normal()
        e = np.empty(periods)
        v = np.empty(periods)
        e[0], v[0] = rng.normal(), rng.normal()
        for t in range(1, periods):
            e[t] = rho * e[t - 1] + np.sqrt(1 - rho**2) * rng.normal()
            v[t] = treatment_rho * v[t - 1] + np.sqrt(1 - treatment_rho**2) * rng.normal()
        for t in range(periods):
            x1, x2 = rng.normal(), rng.normal()
            d = 0.5 * alpha + v[t] + (0.3 * x1 if controls else 0.0)
            y = alpha + gamma[t] + (np.sin(x1) + 0.5 * x2 if controls else 0.0) + effect * d + e[t]
            rows.append({"unit": f"u{i:02d}", "time": 2010 + t, "outcome": y, "treatment": d, "x1": x1, "x2": x2})
    frame = pd.DataFrame(rows)
    if not controls:
        frame = frame.drop(columns=["x1", "x2"])
    return Panel(frame=frame, controls=("x1", "x2") if controls else (), source=source)


def _paths(frame: pd.DataFrame, column: str) -> dict[str, np.ndarray]:
    """Each unit's path of ``column`` in time order."""
    frame = frame.sort_values(["unit", "time"])
    return {unit: group[column].to_numpy(float) for unit, group in frame.groupby("unit", sort=True)}


@pytest.fixture(scope="module")
def source():
    return _panel()


@pytest.fixture(scope="module")
def structured(source):
    return StructuredDesign.build(source, {"learner": LINEAR, "effect": 0.7}, seed=0)


# --- 1. structured design: exact truth ------------------------------------------------------


def test_structured_truth_is_the_set_effect_in_every_row_and_an_oracle_recovers_it(source, structured):
    residual_paths = _paths(source.frame.assign(r=structured.fit.residuals), "r")
    d = source.frame["treatment"].to_numpy(float)
    drawn_outcomes = []
    for seed in (1, 2, 3):
        panel, _ = structured.draw(seed).panel(None)
        frame = panel.frame
        assert panel.is_synthetic
        # units, periods, controls and treatment are the file's, exactly
        pd.testing.assert_frame_equal(frame[["unit", "time", "treatment", "x1", "x2"]], source.frame[["unit", "time", "treatment", "x1", "x2"]])
        assert (frame[EFFECT] == 0.7).all(), "heterogeneity 0: every row's effect is the set effect"
        y = frame["outcome"].to_numpy(float)
        drawn_outcomes.append(y)

        # the oracle: the true outcome equation with this draw's residual paths subtracted
        donor = structured.paths.resample(np.random.default_rng(seed))
        residuals = structured.paths.take(structured.fit.residuals, donor)
        target = y - structured.fit.signal - residuals
        slope = float(d @ target / (d @ d))
        assert slope == pytest.approx(0.7, abs=1e-10)
        assert np.max(np.abs(target - slope * d)) < 1e-10

        # without the oracle's knowledge: Y* - signal - effect D is, unit by unit, some unit's whole fitted residual path
        drawn = _paths(frame.assign(r=y - structured.fit.signal - 0.7 * d), "r")
        units = sorted(residual_paths)
        for k, (unit, path) in enumerate(drawn.items()):
            matches = [other for other, fitted in residual_paths.items() if np.allclose(path, fitted, atol=1e-10, rtol=0)]
            assert matches == [units[donor[k]]], f"{unit} does not carry one whole residual path"
        assert len(set(donor)) < len(donor) or not np.array_equal(donor, np.arange(len(donor)))  # paths were resampled
    assert not np.allclose(drawn_outcomes[0], drawn_outcomes[1]), "draws differ in their outcome"


def test_structured_heterogeneous_effect_truth_per_spec_is_the_mean_of_its_rows(source):
    effect, h = 0.5, 0.8
    design = StructuredDesign.build(source, {"learner": LINEAR, "effect": effect, "heterogeneity": h}, seed=0)
    panel, _ = design.draw(4).panel(None)
    frame = panel.frame
    tau = frame[EFFECT].to_numpy(float)

    # tau_it = tau (1 + h z_it) with z from the standardised unit-mean treatment and period, by hand
    level = frame.groupby("unit")["treatment"].transform("mean").to_numpy(float)
    period = frame["time"].to_numpy(float)
    z = ((level - level.mean()) / level.std() + (period - period.mean()) / period.std()) / np.sqrt(2)
    z = (z - z.mean()) / z.std()
    np.testing.assert_allclose(tau, effect * (1 + h * z), rtol=0, atol=1e-12)
    assert tau.std() > 0.1 and tau.mean() == pytest.approx(effect, abs=1e-12)

    truths = {}
    for half, years in (("first", range(2010, 2014)), ("second", range(2014, 2018))):
        data = apply_spec(panel, Spec.from_config({"window": {"half": half}}))
        truths[half] = true_values(data, panel)["treatment"]
        rows = frame["time"].isin(list(years)).to_numpy()
        assert truths[half] == pytest.approx(tau[rows].mean(), abs=1e-12)
    assert truths["second"] - truths["first"] > 0.1, "the effect grows over time, so the halves' truths differ"
    whole = apply_spec(panel, Spec.from_config({}))
    assert true_values(whole, panel)["treatment"] == pytest.approx(effect, abs=1e-12)


def test_structured_auto_effect_is_the_two_way_within_slope_by_hand():
    panel = _panel(n=30, periods=6, controls=False, seed=5)
    # unbalanced: a few rows missing, so the within transform must be exact there too
    frame = panel.frame.drop(index=[3, 17, 40, 41, 100]).reset_index(drop=True)
    panel = Panel(frame=frame, controls=(), source="unbalanced")
    design = StructuredDesign.build(panel, {"effect": "auto"}, seed=0)
    units = pd.get_dummies(frame["unit"], drop_first=True, dtype=float).to_numpy()
    times = pd.get_dummies(frame["time"], drop_first=True, dtype=float).to_numpy()
    X = np.column_stack([frame["treatment"].to_numpy(float), np.ones(len(frame)), units, times])
    by_hand = np.linalg.lstsq(X, frame["outcome"].to_numpy(float), rcond=None)[0][0]
    assert design.effect == design.fit.effect == pytest.approx(by_hand, rel=1e-9, abs=1e-12)
    assert design.record()["effect_source"] == "the file's own within estimate"
    # with no controls the fit is the two-way within regression: it reproduces the file exactly
    np.testing.assert_allclose(design.fit.signal + design.effect * frame["treatment"] + design.fit.residuals, frame["outcome"], atol=1e-10)


@pytest.mark.parametrize("learner", [LINEAR, _tiny_lightgbm()], ids=["linear", "lightgbm"])
def test_structured_fit_reproduces_the_file(source, learner):
    design = StructuredDesign.build(source, {"learner": learner, "folds": 3, "iterations": 2}, seed=0)
    y, d = source.frame["outcome"].to_numpy(float), source.frame["treatment"].to_numpy(float)
    np.testing.assert_allclose(design.fit.signal + design.fit.effect * d + design.fit.residuals, y, rtol=0, atol=1e-10)
    # each unit taking its own residual path, with the file's own effect, is the file
    np.testing.assert_allclose(design.outcome(np.arange(design.paths.n_units)), y, rtol=0, atol=1e-10)
    # the residuals are two-way demeaned
    frame = source.frame.assign(r=design.fit.residuals)
    assert frame.groupby("unit")["r"].mean().abs().max() < 1e-8
    assert frame.groupby("time")["r"].mean().abs().max() < 1e-8
    assert design.effect == design.fit.effect and 0.2 < design.effect < 0.6  # the file's effect is 0.4


# --- 2. placebo design ------------------------------------------------------------------------


def test_placebo_units_deranges_whole_paths_with_truth_zero(source):
    design = PlaceboDesign.build(source, {"mode": "units"})
    real = _paths(source.frame, "treatment")
    units = sorted(real)
    for seed in range(5):
        panel, _ = design.draw(seed).panel(None)
        assert (panel.frame[EFFECT] == 0).all(), "the placebo's truth is 0 in every row"
        pd.testing.assert_series_equal(panel.frame["outcome"], source.frame["outcome"])  # the real outcome
        donors = []
        for unit, path in _paths(panel.frame, "treatment").items():
            (donor,) = [u for u in units if np.array_equal(real[u], path)]
            assert donor != unit, f"seed {seed}: {unit} kept its own treatment path"
            donors.append(donor)
        assert sorted(donors) == units, "a balanced panel's paths are permuted: each used once"


def test_placebo_drops_a_unit_whose_periods_nobody_covers():
    base = _panel(n=20, periods=8, seed=2).frame
    gap = base[base["unit"] == "u00"].query("time != 2013").assign(unit="gap")
    early = base[base["unit"] == "u01"].head(4).assign(unit="early", time=[2008, 2009, 2010, 2011])
    frame = pd.concat([base, gap, early]).sort_values(["unit", "time"]).reset_index(drop=True)
    frame["treatment"] = np.random.default_rng(9).normal(size=len(frame))  # every path distinct
    panel = Panel(frame=frame, controls=("x1", "x2"), source="unbalanced")
    design = PlaceboDesign(panel, "units")
    assert "placebo: 4 rows of units whose periods no other unit covers are left out of every draw" in design.warnings()
    real = _paths(frame, "treatment")
    full = [u for u in real if u.startswith("u")]
    for seed in range(4):
        drawn, _ = design.draw(seed).panel(None)
        assert "early" not in set(drawn.frame["unit"]) and len(drawn.frame) == len(frame) - 4
        paths = _paths(drawn.frame, "treatment")
        # the unit with a gap takes another unit's path in its own periods
        own_years = np.array([t for t in range(2010, 2018) if t != 2013]) - 2010
        assert any(np.array_equal(paths["gap"], real[u][own_years]) for u in full)
        assert not any(np.array_equal(paths[u], real[u]) for u in full)


def test_placebo_units_refuses_a_panel_where_no_two_units_share_their_periods():
    # unit i is observed in periods i and i + 1 only: no other unit covers both
    frame = pd.DataFrame([{"unit": f"s{i:02d}", "time": 2000 + i + k, "outcome": float(i + k), "treatment": float((i * 7 + k * 3) % 5)}
                          for i in range(12) for k in range(2)])
    panel = Panel(frame=frame, controls=(), source="staircase.csv")
    with pytest.raises(UserInputError, match=r"no two units of staircase\.csv share their observed periods; use study\.placebo\.mode=time"):
        PlaceboDesign(panel, "units")


def test_placebo_time_warns_when_it_leaves_out_single_period_units(source):
    """Known gap (fails today): mode=time drops a unit observed in one period from every draw
    (a single row cannot be shifted) but, unlike mode=units, does not say so."""
    solo = source.frame[source.frame["unit"] == "u00"].head(1).assign(unit="solo")
    frame = pd.concat([source.frame, solo]).sort_values(["unit", "time"]).reset_index(drop=True)
    design = PlaceboDesign(Panel(frame=frame, controls=source.controls, source="solo"), "time")
    drawn, _ = design.draw(0).panel(None)
    assert "solo" not in set(drawn.frame["unit"]) and len(drawn.frame) == len(frame) - 1
    assert any("left out" in w for w in design.warnings()), (
        "BUG: placebo mode=time silently leaves out the 1 row of a unit observed in a single period; "
        "PlaceboDesign.warnings() counts dropped rows only for mode=units"
    )


def test_placebo_time_shifts_each_units_own_path_cyclically(source):
    design = PlaceboDesign.build(source, {"mode": "time"})
    real = _paths(source.frame, "treatment")
    shifts = []
    for seed in range(5):
        panel, _ = design.draw(seed).panel(None)
        assert (panel.frame[EFFECT] == 0).all() and len(panel.frame) == len(source.frame)
        for unit, path in _paths(panel.frame, "treatment").items():
            (k,) = [k for k in range(len(path)) if np.array_equal(np.roll(real[unit], k), path)]
            assert k != 0, f"seed {seed}: {unit} kept its path unshifted"
            shifts.append(k)
    assert len(set(shifts)) > 3


def test_placebo_leak_is_near_zero_for_units_and_material_for_time_on_a_persistent_treatment():
    independent = _panel(n=60, periods=8, seed=3)
    units = PlaceboDesign(independent, "units")
    assert units.leak_ < LEAK_WARNING and not any("within correlation" in w for w in units.warnings())
    persistent = _panel(n=40, periods=8, seed=3, treatment_rho=0.95)
    time = PlaceboDesign(persistent, "time")
    assert time.leak_ > LEAK_WARNING and time.leak_ > units.leak_ + 0.03
    (warning,) = time.warnings()
    assert f"within correlation of {time.leak_:.2f}" in warning and "mode=time" in warning
    # a cyclic shift of a within-demeaned path has mean within covariance -var/(T-1) with the
    # original whatever its serial correlation (the T shifts sum to a constant), so even a
    # serially uncorrelated treatment leaks by about 1/(T-1) at T = 8
    white = PlaceboDesign(_panel(n=40, periods=8, seed=3, treatment_rho=0.0), "time")
    assert white.leak_ == pytest.approx(1 / 7, abs=0.04)


# --- 3. residual paths keep the serial correlation ---------------------------------------------


def test_resampled_residual_paths_keep_each_units_serial_correlation():
    panel = _panel(n=40, periods=10, seed=1, rho=0.7)
    design = StructuredDesign.build(panel, {"learner": LINEAR, "effect": 0.3}, seed=0)
    fitted = within_autocorrelation(panel.frame.assign(r=design.fit.residuals), "r")
    by_unit = {u: np.corrcoef(p[:-1], p[1:])[0, 1] for u, p in _paths(panel.frame.assign(r=design.fit.residuals), "r").items()}
    d = panel.frame["treatment"].to_numpy(float)
    drawn, iid = [], []
    rng = np.random.default_rng(0)
    for seed in range(6):
        frame = design.draw(seed).panel(None)[0].frame
        residual = frame["outcome"].to_numpy(float) - design.fit.signal - 0.3 * d
        drawn.append(within_autocorrelation(frame.assign(r=residual), "r"))
        for unit, path in _paths(frame.assign(r=residual), "r").items():  # each unit's is one fitted unit's
            assert min(abs(np.corrcoef(path[:-1], path[1:])[0, 1] - v) for v in by_unit.values()) < 1e-9, unit
        # the contrast: residuals resampled row by row, i.i.d., lose the serial correlation
        iid.append(within_autocorrelation(frame.assign(r=rng.choice(design.fit.residuals, size=len(frame))), "r"))
    assert fitted > 0.2, "AR(0.7) noise, two-way demeaned over 10 periods, keeps a clear lag-1 correlation"
    assert abs(np.mean(drawn) - fitted) < 0.08
    assert np.mean(iid) < 0.0 and np.mean(drawn) - np.mean(iid) > 0.25
    assert design.record()["residual_autocorrelation"] == pytest.approx(fitted)


# --- 4. a poor calibration warns ---------------------------------------------------------------


def test_a_calibration_that_cannot_reach_the_file_warns_naming_the_moment():
    rng = np.random.default_rng(3)
    n, periods = 30, 8
    level = rng.normal(size=n)
    frame = pd.DataFrame([
        {"unit": f"c{i:02d}", "time": 2012 + t, "outcome": level[i] + 0.15 * rng.normal(),
         "treatment": 2 + level[i] + 0.15 * rng.normal(), "x": rng.normal()}
        for i in range(n) for t in range(periods)
    ])
    panel = Panel(frame=frame, controls=("x",), source="tight")
    means = frame.groupby("unit")[["outcome", "treatment"]].mean()
    by_hand = np.corrcoef(means["outcome"], means["treatment"])[0, 1]
    assert by_hand > 0.98
    found = calibrate(panel, grid={"confounding": [0.0], "treatment_noise": [0.07], "outcome_noise": [0.08]}, draws=1, seed=1)
    assert found.target["corr_between"] == pytest.approx(by_hand)
    table = found.fit_table(0.15)
    assert [r["moment"] for r in table] == list(MOMENTS)
    for r in table:
        assert r["difference"] == pytest.approx(r["world"] - r["file"])
        assert r["within_tolerance"] == (abs(r["world"] - r["file"]) <= 0.15)
    between = next(r for r in table if r["moment"] == "corr_between")
    assert not between["within_tolerance"] and between["difference"] < -0.5
    (warning,) = CalibratedDesign(found, tolerance=0.15).warnings()
    assert MOMENT_LABELS["corr_between"] in warning and f"file {by_hand:+.2f}" in warning
    missed = sum(not r["within_tolerance"] for r in table)
    assert f"on {missed} of 5 moments" in warning
    # a tolerance no miss exceeds gives no warning
    assert CalibratedDesign(found, tolerance=10.0).warnings() == []


# --- 5. failures in the summary and the recommendation -----------------------------------------


def _failed(seed, configuration, spec="baseline", error="LinAlgError: singular matrix"):
    return {**_row(seed, configuration, None, None, None, None, status="failed"), "spec": spec, "error": error, "design": "structured"}


def _ok(seed, configuration, estimate, spec="baseline"):
    return {**_row(seed, configuration, estimate, 0.5, estimate - 0.2, estimate + 0.2), "spec": spec, "design": "structured"}


def test_a_configuration_failing_in_every_draw_is_failed_in_summary_and_recommendation():
    rng = np.random.default_rng(0)
    rows = pd.DataFrame([_ok(s, "good", 0.5 + 0.05 * rng.normal()) for s in range(6)] + [_failed(s, "broken") for s in range(6)])
    judged = verdicts(summarise(rows)).set_index("configuration")
    broken = judged.loc["broken"]
    assert broken["term"] == "treatment" and broken["runs"] == 6 and broken["ok"] == 0
    assert broken["failure_rate"] == 1.0 and broken["verdict"] == "fails"
    assert broken["first_error"] == "LinAlgError: singular matrix"
    assert judged.loc["good", "verdict"] == "trust"
    (line,) = recommend(judged.reset_index())
    assert line.startswith("baseline, treatment: trust good")
    assert "broken failed in every draw of the structured design (LinAlgError: singular matrix)" in line


def test_a_spec_where_every_configuration_fails_is_reported():
    rows = pd.DataFrame(
        [_ok(s, "good", 0.5 + 0.01 * s) for s in range(4)]
        + [_failed(s, c, spec="late", error=f"{c}: window leaves a single period") for s in range(4) for c in ("good", "other")]
    )
    summary = summarise(rows)
    late = summary[summary["spec"] == "late"].set_index("configuration")
    assert sorted(late.index) == ["good", "other"]
    assert (late["failure_rate"] == 1.0).all() and (late["ok"] == 0).all() and (late["term"] == "treatment").all()
    judged = verdicts(summary)
    assert (judged[judged["spec"] == "late"]["verdict"] == "fails").all()
    lines = recommend(judged)
    (line,) = [l for l in lines if l.startswith("late, treatment")]
    assert "no configuration earns trust" in line
    for c in ("good", "other"):
        assert f"{c} failed in every draw of the structured design ({c}: window leaves a single period)" in line


# --- 6. stability of the ranking ---------------------------------------------------------------


def _draws(configuration, errors, truth=0.5, half_width=0.3):
    return [{**_row(s, configuration, truth + e, truth, truth + e - half_width, truth + e + half_width), "design": "world"}
            for s, e in enumerate(errors)]


def test_a_dominating_configuration_is_always_on_top_and_equals_split():
    rng = np.random.default_rng(1)
    errors = 0.05 * rng.standard_normal(40)
    rows = pd.DataFrame(
        _draws("precise", errors)
        + _draws("noisy", 0.5 + 4 * errors[::-1])           # biased, and ten times the RMSE
        + _draws("twin_a", 2 * errors)
        + _draws("twin_b", 2 * np.roll(errors, 7))          # the same errors on other draws: equal RMSE
    )
    stability = top_stability(rows[rows["configuration"].isin(["precise", "noisy"])], Thresholds(), resamples=200, seed=0)
    p = stability.set_index("configuration")["p_top"]
    # in a resample precise may itself look biased, but never worse than noisy, and with lower RMSE
    assert p["precise"] == 1.0 and p["noisy"] == 0.0
    twins = rows[rows["configuration"].str.startswith("twin")]
    p = top_stability(twins, Thresholds(), resamples=400, seed=0).set_index("configuration")["p_top"]
    assert p.sum() == pytest.approx(1.0)
    assert 0.3 < p["twin_a"] < 0.7, p.to_dict()
    again = top_stability(twins, Thresholds(), resamples=400, seed=0)
    pd.testing.assert_frame_equal(again, top_stability(twins, Thresholds(), resamples=400, seed=0))
    assert top_stability(twins, Thresholds(), resamples=400, seed=5)["p_top"].tolist() != again["p_top"].tolist()


# --- 7. nuisance reuse across draws with fixed inputs -------------------------------------------


def _dml_config(fe, cache=True):
    return {"seed": 0, "estimator": {"name": "dml", "fe": fe}, "learner": _tiny_lightgbm(), "split": {"folds": 3, "n_rep": 1},
            "cache": {"nuisance": "memory" if cache else False}}


@pytest.mark.parametrize("fe", ["fd", "within"])
def test_dml_reuses_the_learner_whose_columns_did_not_change(monkeypatch, fe):
    import framework.cache.nuisance as nuisance
    import framework.estimators.dml as dml
    from framework.pipeline import run

    monkeypatch.setattr(nuisance, "_MEMORY", {})
    names, looked_up = {}, []
    real_fingerprint, real_load = dml.fingerprint, nuisance.MemoryNuisanceCache.load

    def fingerprint(*parts):
        key = real_fingerprint(*parts)
        if len(parts) > 2 and parts[2] in ("ml_l", "ml_m", "ml_g"):
            names[key] = parts[2]
        return key

    def load(self, key):
        entry = real_load(self, key)
        looked_up.append((names.get(key), entry is not None))
        return entry

    monkeypatch.setattr(dml, "fingerprint", fingerprint)
    monkeypatch.setattr(nuisance.MemoryNuisanceCache, "load", load)

    base = _panel(n=30, periods=6, seed=11)
    rng = np.random.default_rng(4)
    other_outcome = Panel(frame=base.frame.assign(outcome=base.frame["outcome"] + rng.normal(size=len(base.frame))), controls=base.controls, source="y2")
    other_treatment = Panel(frame=base.frame.assign(treatment=base.frame["treatment"] + rng.normal(size=len(base.frame))), controls=base.controls, source="d2")

    def fit(panel, cache=True):
        looked_up.clear()
        record = run(_dml_config(fe, cache), panel=(panel, panel.sha256()), debug=True).record
        return record, dict(looked_up)

    first, lookups = fit(base)
    assert first["diagnostics"]["nuisance_cache"]["status"] == "miss" and lookups == {"ml_l": False, "ml_m": False}

    second, lookups = fit(other_outcome)
    assert lookups == {"ml_l": False, "ml_m": True}, "only the outcome changed: E[D|X] is reused"
    assert second["diagnostics"]["nuisance_cache"] == {"status": "partial", "hits": 1, "misses": 1, "dir": "memory"}
    plain, _ = fit(other_outcome, cache=False)
    assert plain["diagnostics"]["nuisance_cache"] == {"status": "off"}
    assert second["coefficients"] == plain["coefficients"]
    assert second["coefficients"] != first["coefficients"]

    third, lookups = fit(other_treatment)
    assert lookups == {"ml_l": True, "ml_m": False}, "only the treatment changed: E[Y|X] is reused"
    assert third["coefficients"] == fit(other_treatment, cache=False)[0]["coefficients"]


# --- 8. design names and settings --------------------------------------------------------------


def test_design_names_defaults_and_refusals(source):
    assert design_names("auto", "synthetic") == ["world"]
    assert design_names(None, "file") == ["structured", "placebo"]
    assert design_names("auto", "file") == ["structured", "placebo"]
    assert design_names(["placebo", "calibrated"], "file") == ["placebo", "calibrated"]
    with pytest.raises(UserInputError) as refused:
        design_names(["structured", "world"], "file")
    assert "\n" not in str(refused.value) and str(refused.value).startswith("study.design = world draws the paper's synthetic world")
    with pytest.raises(UserInputError, match="use one of world, calibrated, structured, placebo"):
        design_names("plasmode", "file")
    with pytest.raises(UserInputError, match=r"^study\.structured\.efect: not a setting of the structured design; use effect, "):
        build_designs(["structured"], {"structured": {"efect": 0.2}}, source, {}, 0)
    with pytest.raises(UserInputError, match=r"^study\.placebo\.shift: not a setting of the placebo design"):
        build_designs(["placebo"], {"placebo": {"shift": 1}}, source, {}, 0)
    built = build_designs(["structured", "placebo"], {"structured": {"learner": LINEAR, "effect": -0.2}, "placebo": {"mode": "time"}}, source, {}, 0)
    assert [d.name for d in built] == ["structured", "placebo"]
    assert built[0].effect == -0.2 and built[1].mode == "time"


# --- 9. replications on a design with fixed inputs ----------------------------------------------


def test_run_replication_seeds_every_draw_with_the_first_seed(monkeypatch, structured):
    import framework.study.replicate as replicate

    calls = []
    real_run = replicate.run

    def recording(config, panel=None, **kwargs):
        calls.append((config, panel[0]))
        return real_run(config, panel=panel, **kwargs)

    monkeypatch.setattr(replicate, "run", recording)
    plan = StudyPlan(3, 20, (_cell("twfe", TWFE),))
    rows = pd.concat([pd.DataFrame(run_replication(seed, plan, structured)) for seed in plan.seeds], ignore_index=True)
    assert structured.run_seed(21, 20) == 20 and WorldDesign({"n_cities": 30}).run_seed(21, 20) == 21
    assert [config["seed"] for config, _ in calls] == [20, 20, 20], "fixed inputs: every draw runs with the plan's first seed"
    assert all(config["cache"]["nuisance"] == "memory" for config, _ in calls)
    panels = [panel.frame for _, panel in calls]
    fixed = ["unit", "time", "treatment", "x1", "x2", EFFECT]
    for frame in panels[1:]:
        pd.testing.assert_frame_equal(frame[fixed], panels[0][fixed])
        assert not np.allclose(frame["outcome"], panels[0]["outcome"])
    assert rows["seed"].tolist() == [20, 21, 22] and (rows["status"] == "ok").all()
    assert rows["truth"].tolist() == pytest.approx([0.7] * 3, abs=1e-12)
    assert rows["estimate"].nunique() == 3
    no_reuse = StudyPlan(1, 20, (_cell("twfe", TWFE),), reuse_nuisances=False)
    calls.clear()
    run_replication(20, no_reuse, structured)
    assert "cache" not in calls[0][0] or calls[0][0]["cache"].get("nuisance") != "memory"


# --------------------------------------------------------------------------- the check of the designs


def test_compare_to_oracle_by_hand():
    from framework.study.check import aggregate, compare_to_oracle

    def table(design, rows):
        return pd.DataFrame([{"design": design, "spec": "baseline", "term": "treatment", "configuration": c, "verdict": v,
                              "rmse": r, "bias": b, "coverage": cov} for c, v, r, b, cov in rows])

    oracle = table("world", [("a", "trust", 0.1, 0.00, 0.95), ("b", "biased", 0.2, 0.10, 0.90), ("c", "biased", 0.9, 0.80, 0.0)])
    same = table("structured", [("a", "trust", 0.2, 0.02, 0.93), ("b", "biased", 0.3, 0.12, 0.88), ("c", "biased", 1.0, 0.90, 0.0)])
    flipped = table("placebo", [("c", "trust", 0.1, 0.00, 0.95), ("b", "trust", 0.2, 0.00, 0.95), ("a", "trust", 0.3, 0.00, 0.95)])
    out = pd.concat([compare_to_oracle(oracle, same, 1), compare_to_oracle(oracle, flipped, 1)]).set_index("design")
    assert out.loc["structured", "rank_correlation"] == pytest.approx(1.0) and bool(out.loc["structured", "picks_best"])
    assert out.loc["structured", "bias_error"] == pytest.approx((0.02 + 0.02 + 0.10) / 3)
    assert out.loc["placebo", "rank_correlation"] == pytest.approx(-1.0) and not bool(out.loc["placebo", "picks_best"])
    assert out.loc["placebo", "coverage_error"] == pytest.approx((0.0 + 0.05 + 0.95) / 3)
    assert aggregate(out.reset_index()).set_index("design").loc["structured", "picks_best"] == 1.0


def test_the_check_command_writes_its_table(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "experiments.check_designs", "check.panels=1", "check.oracle_replications=2", "study.replications=2",
         "study.n_jobs=1", "study.select.configurations=[twfe]", "check.designs=[structured,placebo]", "data.world.n_cities=30",
         "study.stability.resamples=10", f"hydra.run.dir={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "check" / "table.csv")
    assert sorted(table["design"]) == ["placebo", "structured"]
    assert (tmp_path / "check" / "check.json").is_file() and done.stdout.strip().endswith(f"check: {tmp_path / 'check'}")
