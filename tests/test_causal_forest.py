"""Causal forest against truth known by construction; its heterogeneity diagnostics and record."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from framework.data.synthetic import WorldKnobs, generate_world
from framework.errors import UserInputError
from framework.estimators import build_estimator
from framework.estimators.registry import names
from framework.numerics.inference import clustered_ols
from framework.numerics.transforms import period_halves, two_way_demean
from framework.spec import Spec, apply_spec, true_values
from tests.conftest import ROOT, learner_config


def fit(data, fe="within", seed=0, **options):
    config = {"name": "causal_forest", "fe": fe, **options}
    return build_estimator(config, learner_config("lightgbm", seed), {"folds": 5, "n_rep": 1}, seed).fit(data)


def coefficient(estimator, term="treatment"):
    return next(c for c in estimator.coefficients_ if c.term == term)


def truths(data, panel) -> dict[str, float]:
    """docs/SYNTHETIC_WORLD.md: the mean of the rows' ``effect`` over each group of rows."""
    f = data.frame.assign(effect=panel.frame["effect"].to_numpy()[list(data.source_rows)])
    median = f["treatment"].median()
    return {
        "2011-2015": f.loc[f["time"] <= 2015, "effect"].mean(),
        "2016-2021": f.loc[f["time"] >= 2016, "effect"].mean(),
        "above_median": f.loc[f["treatment"] > median, "effect"].mean(),
        "at_or_below_median": f.loc[f["treatment"] <= median, "effect"].mean(),
    }


@pytest.fixture(scope="module")
def small_panel():
    return generate_world(WorldKnobs(n_cities=40), seed=0).panel


@pytest.fixture(scope="module")
def default_fit(world_panel):
    data = apply_spec(world_panel, Spec.from_config({}))
    return data, fit(data)


def test_plain_world_interval_covers_the_truth(plain_world_panel):
    """No confounding, linear, constant effect (confounding = nonlinearity = heterogeneity = 0).

    Assumptions that then hold: city and year effects are additive (removed by the within
    transformation), the controls enter linearly (the learner can fit the nuisances), UIL
    is as good as random given them, and the effect is the same in every city-year.
    """
    data = apply_spec(plain_world_panel, Spec.from_config({}))
    estimator = fit(data)
    coef = coefficient(estimator)
    truth = true_values(data, plain_world_panel)["treatment"]
    print(f"\nplain world: {coef.estimate:+.4f} (SE {coef.std_error:.4f}) [{coef.ci_low:+.4f}, {coef.ci_high:+.4f}], truth {truth:+.4f}")
    assert coef.ci_low <= truth <= coef.ci_high
    assert coef.ci_high - coef.ci_low == pytest.approx(2 * 1.959964 * coef.std_error, rel=1e-5)
    # the CATE spread is reported as heterogeneity, never used as the standard error
    assert estimator.diagnostics_["cate"]["sd"] != pytest.approx(coef.std_error)
    # fe=within: the forest was refitted on residuals demeaned by city and by year
    y_res, d_res, *_ = (np.ravel(r) for r in estimator.forest_.residuals_)
    for key in ("unit", "time"):
        assert pd.Series(d_res).groupby(data.frame[key].to_numpy()).mean().abs().max() < 1e-10
    plr = estimator.diagnostics_["partially_linear_average"]["estimate"]
    assert plr == pytest.approx(np.sum(y_res * d_res) / np.sum(d_res**2))


def test_default_world_average_effect(world_panel, default_fit):
    """The calibrated world: confounded city and year effects, non-linear controls, heterogeneous effect."""
    data, estimator = default_fit
    coef = coefficient(estimator)
    truth = true_values(data, world_panel)["treatment"]
    z = (coef.estimate - truth) / coef.std_error
    print(f"\ndefault world: {coef.estimate:+.4f} (SE {coef.std_error:.4f}) [{coef.ci_low:+.4f}, {coef.ci_high:+.4f}], truth {truth:+.4f}, z {z:+.2f}")
    assert abs(z) < 3  # loose: reported in docs/estimators/causal_forest.md (seed 0 covers the truth)


def test_periods_and_groups_have_intervals_and_the_truths_ordering(world_panel, default_fit):
    data, estimator = default_fit
    diagnostics = estimator.diagnostics_
    truth = truths(data, world_panel)
    periods, halves = diagnostics["group_effects"]["period"], diagnostics["group_effects"]["treatment_half"]
    effects = {**periods, **halves}
    for name in ("2011-2015", "2016-2021", "above_median", "at_or_below_median"):
        effect = effects[name]
        assert effect["ci_low"] < effect["estimate"] < effect["ci_high"]
        assert effect["std_error"] > 0 and 0 <= effect["p_value"] <= 1
        print(f"\n{name}: {effect['estimate']:+.4f} (SE {effect['std_error']:.4f}), truth {truth[name]:+.4f}")
    assert periods["2011-2015"]["n_obs"] == 1265
    assert halves["above_median"]["n_obs"] + halves["at_or_below_median"]["n_obs"] == data.n_obs
    # the truths: early > late, low-UIL > high-UIL; the estimates must order the same way
    assert truth["2011-2015"] > truth["2016-2021"] and truth["at_or_below_median"] > truth["above_median"]
    assert effects["2011-2015"]["estimate"] > effects["2016-2021"]["estimate"]
    assert effects["at_or_below_median"]["estimate"] > effects["above_median"]["estimate"]
    difference = periods["difference"]
    assert difference["estimate"] == pytest.approx(effects["2011-2015"]["estimate"] - effects["2016-2021"]["estimate"])


def test_moderation_gives_the_three_terms(small_panel):
    fits = {}
    for moderation in ("centered", "normalized"):
        data = apply_spec(small_panel, Spec.from_config({"moderation": {"name": moderation}}))
        estimator = fit(data, n_estimators=100, crossfit_estimators=40)
        assert [c.term for c in estimator.coefficients_] == ["treatment", "moderator", "treatment_x_moderator"]
        for c in estimator.coefficients_:
            assert np.isfinite(c.estimate) and np.isfinite(c.std_error) and c.std_error > 0
            assert c.ci_low < c.estimate < c.ci_high
        # treatment = the average effect, treatment_x_moderator = the slope of the effect in M~
        slope = estimator.diagnostics_["moderator_slope"]
        assert coefficient(estimator, "treatment_x_moderator").estimate == pytest.approx(slope["estimate"] * data.moderator_scale)
        assert coefficient(estimator, "treatment").estimate == pytest.approx(slope["intercept"]["estimate"])
        parts = estimator.diagnostics_["moderator_term"]
        assert coefficient(estimator, "moderator").estimate == pytest.approx(parts["plug_in"] + parts["dr_correction"])
        fits[moderation] = (data, estimator)
    # normalising rescales M~ by 1 / (max - min): the forest's splits and the learner's trees do
    # not change, so the slope and the moderator's coefficient scale by max - min, the average not at all
    (centered, c_fit), (normalized, n_fit) = fits["centered"], fits["normalized"]
    scale = normalized.moderator_scale
    assert coefficient(n_fit).estimate == pytest.approx(coefficient(c_fit).estimate, rel=1e-6)
    for term in ("moderator", "treatment_x_moderator"):
        assert coefficient(n_fit, term).estimate == pytest.approx(coefficient(c_fit, term).estimate * scale, rel=1e-3)
        assert true_values(normalized, small_panel)[term] == pytest.approx(true_values(centered, small_panel)[term] * scale, rel=1e-9)


def test_the_difi_slope_is_reported_whenever_the_sample_carries_the_moderator(small_panel):
    data = apply_spec(small_panel, Spec.from_config({}))
    without = replace(data, frame=data.frame.drop(columns=["moderator"]))
    assert "moderator_slope" not in fit(without, n_estimators=40, crossfit_estimators=20).diagnostics_
    assert "moderator" in data.frame.columns  # the spec carries the panel's moderator along
    estimator = fit(data, n_estimators=40, crossfit_estimators=20)
    slope = estimator.diagnostics_["moderator_slope"]
    assert slope["per"] == "moderator unit" and slope["ci_low"] < slope["estimate"] < slope["ci_high"]
    assert "x_moderator" in estimator.diagnostics_["effect_modifiers_X"]
    assert "effect" not in " ".join(estimator.diagnostics_["effect_modifiers_X"] + estimator.diagnostics_["controls_W"])


def test_same_seed_same_numbers(small_panel):
    data = apply_spec(small_panel, Spec.from_config({}))
    first = fit(data, seed=3, n_estimators=40, crossfit_estimators=20)
    again = fit(data, seed=3, n_estimators=40, crossfit_estimators=20)
    other = fit(data, seed=4, n_estimators=40, crossfit_estimators=20)
    assert first.coefficients_ == again.coefficients_
    assert first.diagnostics_["group_effects"] == again.diagnostics_["group_effects"]
    assert other.coefficients_[0].estimate != first.coefficients_[0].estimate


@pytest.mark.parametrize("fe", ["cre", "dummies", "none"])
def test_other_fixed_effects_run(small_panel, fe):
    data = apply_spec(small_panel, Spec.from_config({}))
    estimator = fit(data, fe=fe, n_estimators=40, crossfit_estimators=20)
    coef = coefficient(estimator)
    assert np.isfinite(coef.estimate) and coef.std_error > 0
    controls = estimator.diagnostics_["controls_W"]
    if fe == "dummies":
        assert any(c.startswith("w_city_") for c in controls) and "x_treatment_city_mean" not in estimator.diagnostics_["effect_modifiers_X"]
    if fe == "cre":
        assert "w_GDP_city_mean" in controls and any(c.startswith("w_year_") for c in controls)


def test_unsupported_settings_fail_in_one_line():
    lightgbm = learner_config("lightgbm")
    for fe, message in [("fd", "estimator.fe = 'fd' is not accepted by causal_forest"), ("twoway", "estimator.fe = 'twoway'")]:
        with pytest.raises(UserInputError, match=message) as caught:
            build_estimator({"name": "causal_forest", "fe": fe}, lightgbm, {"folds": 5}, 0)
        assert "\n" not in str(caught.value)
    bad = {
        "n_estimators": 10,
        "max_samples": 0.8,
        "min_samples_leaf": 0,
        "modifiers": ["city"],
        "windows": {"early": [2015, 2011]},
        "dr_cate": "in_sample",
        "honest": "yes",
    }
    for key, value in bad.items():
        with pytest.raises(UserInputError, match=f"estimator.{key}"):
            build_estimator({"name": "causal_forest", key: value}, lightgbm, {"folds": 5}, 0)
    with pytest.raises(UserInputError, match="split.folds"):
        build_estimator({"name": "causal_forest"}, lightgbm, {"folds": 1}, 0)


def test_an_untested_econml_fails_in_one_line(monkeypatch):
    """fe=within replaces EconML's private cached residuals: only tested EconML releases may run it."""
    from framework.estimators.causal_forest import econml_compat

    econml_compat.check_econml_version()  # the installed release is a tested one
    monkeypatch.setattr(econml_compat, "version", lambda name: "0.99.1")
    with pytest.raises(UserInputError, match=r"tested on econml 0\.17\.x; this is econml 0\.99\.1") as caught:
        econml_compat.check_econml_version()
    assert "\n" not in str(caught.value)


def test_the_yaml_builds_the_estimator():
    node = OmegaConf.to_container(OmegaConf.load(ROOT / "conf" / "estimator" / "causal_forest.yaml"))
    assert node["name"] == "causal_forest" and "causal_forest" in names()
    estimator = build_estimator(node, learner_config("lightgbm"), {"folds": 5, "n_rep": 1}, 0)
    assert estimator.fe == "within" and estimator.windows is None  # auto: the sample's periods in two halves


def test_auto_windows_halve_the_samples_periods():
    assert period_halves(range(2011, 2022)) == {"2011-2015": (2011, 2015), "2016-2021": (2016, 2021)}
    assert period_halves([1980, 1981, 1982, 1983, 1984, 1985, 1986, 1987]) == {"1980-1983": (1980, 1983), "1984-1987": (1984, 1987)}
    assert period_halves([1, 2, 3]) == {"1-1": (1, 1), "2-3": (2, 3)}


def test_two_way_demeaning_is_exact_on_unbalanced_panels():
    rng = np.random.default_rng(0)
    units, times = np.repeat(np.arange(30), 8), np.tile(np.arange(8), 30)
    keep = rng.random(units.size) > 0.3
    units, times = units[keep], times[keep]
    values = rng.normal(size=units.size) + units * 0.5 + times * 0.2
    out = two_way_demean(values, units, times)
    for codes in (units, times):
        means = pd.Series(out).groupby(codes).mean()
        assert np.abs(means).max() < 1e-9
    # the residual of an OLS on unit and time dummies
    dummies = np.column_stack([units[:, None] == np.arange(30), times[:, None] == np.arange(1, 8)]).astype(float)
    fitted = dummies @ np.linalg.lstsq(dummies, values, rcond=None)[0]
    np.testing.assert_allclose(out, values - fitted, atol=1e-8)


def test_clustered_mean_matches_the_hand_formula():
    rng = np.random.default_rng(1)
    units = np.repeat(np.arange(20), 5)
    y = rng.normal(size=100) + np.repeat(rng.normal(size=20), 5)
    fit_ = clustered_ols(y, np.ones((100, 1)), units, 20)
    sums = np.bincount(units, weights=y - y.mean())
    assert fit_.beta[0] == pytest.approx(y.mean())
    assert fit_.se[0] == pytest.approx(np.sqrt(20 / 19 * np.sum(sums**2)) / 100)


def test_command_line_run_writes_the_record(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "experiments.run", "estimator=causal_forest", "learner=lightgbm", "data.world.n_cities=40",
         "estimator.n_estimators=40", "estimator.crossfit_estimators=20", f"hydra.run.dir={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "result.json").read_text())
    assert record["status"] == "ok" and record["estimator"] == "causal_forest"
    assert record["spec"]["fe"] == "within"
    (coef,) = record["coefficients"]
    assert coef["term"] == "treatment" and coef["truth"] is not None and coef["std_error"] > 0
    assert {"group_effects", "average_effect", "cate"} <= set(record["diagnostics"])
    assert {"period", "treatment_half"} <= set(record["diagnostics"]["group_effects"])
