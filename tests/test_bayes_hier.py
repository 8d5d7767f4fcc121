"""The Bayesian hierarchical family's explicit model (``model: explicit``, the PyMC model with
every city's intercept and slope a parameter) against truth known by construction, and its flags.

Small worlds and few draws keep this file quick: one nutpie model is compiled for the
30-city world and reused (the estimator keeps compiled models by structure) by the tests that
refit the same data; moderation is fitted once, with PyMC's own sampler, so that both
samplers run.
"""

from __future__ import annotations

import math

import arviz as az
import numpy as np
import pytest
from omegaconf import OmegaConf

from framework.data.synthetic import WorldKnobs, generate_world
from framework.errors import UserInputError
from framework.estimators import available, build_estimator
from framework.spec import Spec, apply_spec, true_values
from tests.conftest import ROOT

SMALL = {"model": "explicit", "chains": 2, "draws": 400, "tune": 400}  # fe: cre (the explicit default)


def fit(data, seed=0, **config):
    return build_estimator({"name": "bayes_hier", **SMALL, **config}, None, {}, seed).fit(data)


@pytest.fixture(scope="module")
def linear_panel():
    """Confounded city and year effects, heterogeneous effects, controls acting linearly:
    the model's assumptions hold (nonlinearity=0)."""
    return generate_world(WorldKnobs(n_cities=30, nonlinearity=0.0), seed=0).panel


@pytest.fixture(scope="module")
def linear_data(linear_panel):
    return apply_spec(linear_panel, Spec.from_config({}))


@pytest.fixture(scope="module")
def fitted(linear_data):
    return fit(linear_data)


def test_registered_with_a_description():
    assert "bayes_hier" in available()
    assert available()["bayes_hier"]


def test_credible_interval_covers_the_truth_where_assumptions_hold(fitted, linear_data, linear_panel):
    coef = fitted.coefficients_[0]
    truth = true_values(linear_data, linear_panel)["treatment"]
    assert coef.term == "treatment" and coef.interval == "credible" and coef.p_value is None
    assert coef.ci_low < truth < coef.ci_high
    assert abs(coef.estimate - truth) < 2.5 * coef.std_error
    assert coef.std_error < 0.15  # informative, not just the prior


def test_reported_numbers_are_the_posterior_summaries(fitted):
    coef = fitted.coefficients_[0]
    draws = fitted.artifacts_["posterior"].posterior["treatment"].values.ravel()
    assert draws.size == SMALL["chains"] * SMALL["draws"]
    assert coef.estimate == pytest.approx(draws.mean())
    assert coef.std_error == pytest.approx(draws.std(ddof=1))
    assert (coef.ci_low, coef.ci_high) == pytest.approx(tuple(np.quantile(draws, [0.025, 0.975])))


def test_diagnostics_are_computed(fitted, linear_data):
    d = fitted.diagnostics_
    for key in ("rhat_max", "ess_bulk_min", "ess_tail_min", "sampling_time_s", "compile_time_s"):
        assert math.isfinite(d[key]), key
    assert 0.99 < d["rhat"]["treatment"] < 1.1
    assert d["ess_bulk"]["treatment"] > 50 and d["ess_tail"]["treatment"] > 50
    assert isinstance(d["divergences"], int) and d["divergences"] >= 0
    assert isinstance(d["converged"], bool) and isinstance(d["warnings"], list)
    assert d["converged"] == (not d["warnings"])
    assert d["heterogeneity"] == ["period", "treatment_group"]
    # the sample spans both windows: average effects by window and by treatment half of the rows
    by_period, by_half = d["group_effects"]["period"], d["group_effects"]["treatment_half"]
    assert set(by_period) == {"2011-2015", "2016-2021", "difference"}
    assert set(by_half) == {"above_median", "at_or_below_median", "difference"}
    early = linear_data.frame["time"] <= 2015
    weighted = (early.mean() * by_period["2011-2015"]["estimate"]
                + (1 - early.mean()) * by_period["2016-2021"]["estimate"])
    assert weighted == pytest.approx(fitted.coefficients_[0].estimate)
    assert by_period["2011-2015"]["n_obs"] == early.sum() and by_period["2016-2021"]["n_obs"] == (~early).sum()
    assert by_half["above_median"]["n_obs"] + by_half["at_or_below_median"]["n_obs"] == linear_data.n_obs
    for group in (by_period["2011-2015"], by_half["above_median"]):
        assert group["interval"] == "credible" and group["p_value"] is None
    assert by_period["difference"]["of"] == "2011-2015 - 2016-2021"
    assert by_period["difference"]["estimate"] == pytest.approx(
        by_period["2011-2015"]["estimate"] - by_period["2016-2021"]["estimate"])
    assert fitted.diagnostics_["n_obs_used"] == linear_data.n_obs


def test_a_bad_fit_is_flagged(linear_data, fitted):
    """Two tuning iterations and a handful of draws: the chains cannot agree."""
    bad = fit(linear_data, tune=2, draws=30)
    d = bad.diagnostics_
    assert d["compiled_model_reused"]  # same data and model as ``fitted``
    assert d["converged"] is False
    assert d["rhat_max"] > 1.01
    assert any(w.startswith("R-hat") for w in d["warnings"])
    assert all("\n" not in w for w in d["warnings"])


def test_same_seed_same_numbers_other_seed_other_draws(linear_data, fitted):
    again = fit(linear_data, seed=0)
    other = fit(linear_data, seed=1)
    assert again.coefficients_ == fitted.coefficients_
    np.testing.assert_array_equal(
        again.artifacts_["posterior"].posterior["treatment"], fitted.artifacts_["posterior"].posterior["treatment"]
    )
    assert other.coefficients_[0].estimate != fitted.coefficients_[0].estimate
    assert other.coefficients_[0].estimate == pytest.approx(fitted.coefficients_[0].estimate, abs=0.05)


def test_posterior_round_trips_through_netcdf(fitted, tmp_path):
    idata = fitted.artifacts_["posterior"]
    assert isinstance(idata, az.InferenceData)
    assert {"posterior", "sample_stats"} <= set(idata.groups())
    path = tmp_path / "posterior.nc"
    idata.to_netcdf(str(path))
    back = az.from_netcdf(str(path))
    for name in ("treatment", "slope_mean", "city_slope", "sigma_slope"):
        np.testing.assert_array_equal(back.posterior[name].values, idata.posterior[name].values)
    assert back.posterior["city_slope"].sizes["city"] == 30
    assert not [name for name in back.posterior.data_vars if name.startswith("z_")]


def test_moderation_gives_three_credible_terms_with_pymc():
    """A world whose effect is linear in DIFI (no period or industrial-level parts), so that the
    interaction model holds; sampled with PyMC's own NUTS."""
    knobs = WorldKnobs(n_cities=30, nonlinearity=0.0, effect_early_shift=0.0, effect_level_slope=0.0,
                       effect_difi_slope=-0.002)
    panel = generate_world(knobs, seed=0).panel
    data = apply_spec(panel, Spec.from_config({"moderation": {"name": "centered"}}))
    estimator = fit(data, sampler="pymc", chains=2, draws=150, tune=150)
    terms = [c.term for c in estimator.coefficients_]
    assert terms[:3] == ["treatment", "moderator", "treatment_x_moderator"]
    assert terms[3:] == [f"control:{c}" for c in data.covariates]
    for coef in estimator.coefficients_:
        assert coef.interval == "credible" and coef.p_value is None
        assert coef.ci_low < coef.estimate < coef.ci_high and coef.std_error > 0
    interaction = estimator.coefficients_[2]
    assert abs(interaction.estimate - true_values(data, panel)["treatment_x_moderator"]) < 3 * interaction.std_error
    assert interaction.ci_high < 0
    d = estimator.diagnostics_
    assert d["sampler"] == "pymc" and d["heterogeneity"] == []  # no period/group offsets under moderation
    # the average effect by window includes the interaction at each window's mean M~ (DIFI rises)
    by_period = d["group_effects"]["period"]
    early, late = by_period["2011-2015"]["estimate"], by_period["2016-2021"]["estimate"]
    assert early > late
    assert set(d["rhat"]) == {"treatment", "moderator", "treatment_x_moderator"}


def test_shipped_config_builds_the_defaults():
    from framework.estimators.bayes_hier.config import DEFAULTS, SETTINGS

    config = OmegaConf.to_container(OmegaConf.load(ROOT / "conf" / "estimator" / "bayes_hier.yaml"))
    estimator = build_estimator(config, None, {}, 7)
    assert (estimator.model, estimator.errors, estimator.controls_basis, estimator.spline_knots) == (
        "collapsed", "ar1", "spline", 5)
    assert (estimator.fe, estimator.year_effects, estimator.sampler) == ("within", "fixed", "nutpie")
    assert estimator.heterogeneity == ("period", "treatment_group")
    assert estimator.seed == 7 and estimator.draws == 500 and estimator.tune == 300 and estimator.chains == 4
    # the YAML and the code agree: every setting built from the shipped file equals the one built
    # from no settings at all (the code's defaults), and the YAML names every setting
    assert set(config) - {"name"} == set(SETTINGS)
    bare = build_estimator({"name": "bayes_hier"}, None, {}, 7)
    for key in SETTINGS:
        assert getattr(estimator, key) == getattr(bare, key), key
        if DEFAULTS.get(key) is not None:
            assert getattr(estimator, key) == DEFAULTS[key], key
    # the explicit model's own defaults (fe: cre) when only the model is chosen
    without_fe = {key: value for key, value in config.items() if key != "fe"}
    explicit = build_estimator({**without_fe, "model": "explicit"}, None, {}, 7)
    assert (explicit.model, explicit.fe) == ("explicit", "cre")


def test_shipped_explicit_variant_sets_the_explicit_model():
    variant = OmegaConf.to_container(OmegaConf.load(ROOT / "conf" / "variant" / "bayes_hier_cre.yaml"))
    estimator = build_estimator({"name": "bayes_hier", **variant["estimator"]}, None, {}, 0)
    assert (estimator.model, estimator.fe, estimator.draws, estimator.tune) == ("explicit", "cre", 1500, 1000)


def test_uil_group_is_an_alias_of_treatment_group():
    estimator = build_estimator({"name": "bayes_hier", "heterogeneity": ["period", "uil_group"]}, None, {}, 0)
    assert estimator.heterogeneity == ("period", "treatment_group")


@pytest.mark.parametrize(
    "config, key",
    [
        ({"model": "explicit", "fe": "within"}, "estimator.fe"),  # within is the collapsed model's
        ({"fe": "fd"}, "estimator.fe"),
        ({"model": "bayes"}, "estimator.model"),
        ({"model": "collapsed", "fe": "cre"}, "estimator.fe"),
        ({"fe": "cre"}, "estimator.fe"),  # the default model is the collapsed one
        ({"model": "collapsed", "year_effects": "pooled"}, "estimator.year_effects"),
        ({"model": "collapsed", "sampler": "pymc"}, "estimator.sampler"),
        ({"errors": "ma1"}, "estimator.errors"),
        ({"controls_basis": "cubic"}, "estimator.controls_basis"),
        ({"spline_knots": -1}, "estimator.spline_knots"),
        ({"year_effects": "random"}, "estimator.year_effects"),
        ({"sampler": "stan"}, "estimator.sampler"),
        ({"draws": 0}, "estimator.draws"),
        ({"draws": "many"}, "estimator.draws"),
        ({"tune": -1}, "estimator.tune"),
        ({"tune": 0}, "estimator.tune"),  # nutpie cannot sample without tuning
        ({"chains": 1.5}, "estimator.chains"),
        ({"target_accept": 1.2}, "estimator.target_accept"),
        ({"heterogeneity": ["region"]}, "estimator.heterogeneity"),
        ({"model": "explicit", "parameterization": "sideways"}, "estimator.parameterization"),
        ({"model": "explicit", "parameterization": {"years": "centered"}}, "estimator.parameterization.years"),
        ({"priors": {"coef": -1}}, "estimator.priors.coef"),
        ({"priors": {"slop_sd": 0.5}}, "estimator.priors.slop_sd"),
        ({"drawz": 10}, "estimator.drawz"),
    ],
)
def test_bad_config_fails_in_one_line_naming_the_key(config, key):
    with pytest.raises(UserInputError) as error:
        build_estimator({"name": "bayes_hier", **config}, None, {}, 0)
    message = str(error.value)
    assert key in message and "\n" not in message


def test_global_diagnosis_checks_only_parameters_without_a_city_dimension(fitted, linear_data):
    quick = fit(linear_data, diagnose="global")
    assert quick.diagnostics_["diagnosed"] == "global" and fitted.diagnostics_["diagnosed"] == "all"
    posterior = quick.artifacts_["posterior"].posterior
    for key in ("rhat_max_parameter", "ess_bulk_min_parameter", "ess_tail_min_parameter"):
        assert "city" not in posterior[quick.diagnostics_[key].split("[")[0]].dims
    assert quick.coefficients_ == fitted.coefficients_  # the same draws: only the checks differ
    with pytest.raises(UserInputError, match="estimator.diagnose = 'some'"):
        fit(linear_data, diagnose="some")


def test_control_coefficients_in_data_units_agree_with_twfe(fitted, linear_data):
    """A control's slope is (sd_y / sd_x) beta_k: with the controls acting linearly it sits
    where two-way fixed effects puts it."""
    controls = {c.term: c for c in fitted.coefficients_ if c.term.startswith("control:")}
    assert list(controls) == [f"control:{c}" for c in linear_data.covariates]
    reference = build_estimator({"name": "twfe"}, None, {}, 0).fit(linear_data)
    for c in reference.coefficients_:
        if c.term.startswith("control:"):
            bayes = controls[c.term]
            assert bayes.interval == "credible" and bayes.p_value is None
            assert abs(bayes.estimate - c.estimate) < 1.0 * c.std_error, c.term
