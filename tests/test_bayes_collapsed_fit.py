"""The collapsed Bayesian model (bayes_hier model=collapsed) and Bayesian DML (bayes_dml) end to
end on small synthetic worlds whose truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from framework.data.synthetic import WorldKnobs, generate_world
from framework.errors import UserInputError
from framework.estimators import build_estimator
from framework.spec import Spec, apply_spec, true_values

SMALL = {"chains": 2, "draws": 500, "tune": 300, "cores": 1, "ess_min": 100, "rhat_max": 1.03}  # short chains, judged as such
LEARNER = {"_target_": "lightgbm.LGBMRegressor", "n_estimators": 50, "learning_rate": 0.1, "num_leaves": 7,
           "verbose": -1, "n_jobs": 1, "random_state": 0}


def world(**knobs):
    panel = generate_world(WorldKnobs(n_cities=40, **knobs), seed=0).panel
    return panel, apply_spec(panel, Spec.from_config({}))


def collapsed(data, seed=0, **config):
    return build_estimator({"name": "bayes_hier", **SMALL, **config}, None, {}, seed).fit(data)


@pytest.fixture(scope="module")
def default_world():
    return world()


@pytest.fixture(scope="module")
def fitted(default_world):
    return collapsed(default_world[1])


@pytest.mark.parametrize("nonlinearity", [0.0, None])
def test_interval_covers_the_truth_with_linear_and_nonlinear_controls(nonlinearity, default_world, fitted):
    panel, data = default_world if nonlinearity is None else world(nonlinearity=nonlinearity)
    estimator = fitted if nonlinearity is None else collapsed(data)
    coef = estimator.coefficients_[0]
    truth = true_values(data, panel)["treatment"]
    assert coef.interval == "credible" and coef.ci_low < truth < coef.ci_high
    assert estimator.diagnostics_["model"] == "collapsed" and estimator.diagnostics_["converged"]


def test_reported_quantities_and_diagnostics(fitted, default_world):
    posterior = fitted.artifacts_["posterior"].posterior
    coef = fitted.coefficients_[0]
    assert coef.estimate == pytest.approx(float(posterior["treatment"].mean()))
    d = fitted.diagnostics_
    assert d["divergences"] == 0 and d["rhat_max"] < 1.02
    assert set(d["judged_on"]) >= {"treatment", "effect_by_period", "effect_by_treatment_half", "sigma", "rho"}
    assert d["recorded_rhat_max_parameter"] in ("theta", "city_slope")  # diagnose=all (the default)
    assert {c["entered_as"] for c in d["controls"].values()} == {"spline"} and d["basis_columns"] > 10
    assert set(d["group_effects"]) == {"period", "treatment_half"}
    assert posterior["city_slope"].shape[-1] == default_world[1].n_units


def test_same_seed_same_numbers(fitted, default_world):
    again = collapsed(default_world[1])
    assert again.coefficients_[0].estimate == fitted.coefficients_[0].estimate
    other = collapsed(default_world[1], seed=1)
    assert other.coefficients_[0].estimate != fitted.coefficients_[0].estimate


def test_a_badly_sampled_fit_is_flagged(default_world):
    bad = collapsed(default_world[1], draws=20, tune=3)
    assert bad.diagnostics_["converged"] is False
    assert any("ESS" in w or "R-hat" in w for w in bad.diagnostics_["warnings"])


def test_serial_correlation_check_fails_for_independent_errors_under_ar1_shocks():
    _, data = world(noise_ar1=0.8, nonlinearity=0.0)
    iid = collapsed(data, errors="iid")
    ar1 = collapsed(data, errors="ar1")
    assert not iid.diagnostics_["serial_correlation_check"]["passed"]
    assert any("autocorrelation" in w for w in iid.diagnostics_["warnings"])
    assert ar1.diagnostics_["serial_correlation_check"]["passed"]
    assert ar1.diagnostics_["rho"]["mean"] > 0.5
    assert iid.diagnostics_["converged"]  # a misfit is a warning, not a sampling failure


def test_a_point_outside_floating_point_is_a_zero_density_not_an_error():
    from framework.bayes.collapsed import log_density
    from framework.bayes.rows import PanelRows

    rows = PanelRows.from_codes(np.repeat(np.arange(3), 4), np.tile(np.arange(4), 3))
    W = np.random.default_rng(0).normal(size=(12, 1))
    arrays = (W[:, 0] * 0.5, W, W[:, 0].copy(), rows.unit, rows.prev, rows.has_prev, rows.gap,
              rows.n_units)
    for x in ([0.1, -800.0, 0.1, 0.0], [0.1, 0.0, 0.0, 0.0], [0.1, 0.0, 1e-200, 0.0], [0.1, 0.0, 0.1, 40.0]):
        value, grad = log_density(np.array(x), *arrays, np.ones(1), 1.0, 0.5, True)
        assert value == -np.inf and np.all(grad == 0.0)


def test_collapsed_model_refuses_what_it_does_not_fit():
    for config, key in [({"fe": "cre"}, "estimator.fe"), ({"year_effects": "pooled"}, "estimator.year_effects"),
                        ({"sampler": "pymc"}, "estimator.sampler"), ({"errors": "ma1"}, "estimator.errors")]:
        with pytest.raises(UserInputError, match=key):
            build_estimator({"name": "bayes_hier", **config}, None, {}, 0)


@pytest.fixture(scope="module")
def bayes_dml(default_world):
    return build_estimator({"name": "bayes_dml", **SMALL}, LEARNER, {"folds": 3}, 0).fit(default_world[1])


def test_bayes_dml_reports_a_credible_treatment_on_the_dml_residuals(bayes_dml, default_world):
    coef = bayes_dml.coefficients_[0]
    assert coef.term == "treatment" and coef.interval == "credible"
    assert coef.ci_low < coef.estimate < coef.ci_high
    d = bayes_dml.diagnostics_
    # the default residuals are first differences: one row fewer per unit
    units = default_world[1].frame["unit"].nunique()
    assert d["fe"] == "fd" and d["approach"] == "fd_exact" and d["n_obs_used"] == default_world[1].n_obs - units
    # the residual slope is DoubleML's estimate with a posterior around it
    assert abs(coef.estimate - d["dml_estimate"]["estimate"]) < 2 * d["dml_estimate"]["std_error"]


def test_bayes_dml_residuals_are_the_dml_familys(bayes_dml, default_world):
    assert bayes_dml.diagnostics_["fd_differences"] is True
    dml = build_estimator({"name": "dml", "fe": "fd", "fd_differences": True}, LEARNER, {"folds": 3}, 0).fit(default_world[1])
    assert bayes_dml.diagnostics_["dml_estimate"]["estimate"] == pytest.approx(dml.coefficients_[0].estimate, abs=1e-12)


def test_bayes_dml_refuses_moderation():
    panel = generate_world(WorldKnobs(n_cities=20), seed=0).panel
    data = apply_spec(panel, Spec.from_config({"moderation": {"name": "centered"}}))
    with pytest.raises(UserInputError, match="treatment term only"):
        build_estimator({"name": "bayes_dml", **SMALL}, LEARNER, {"folds": 3}, 0).fit(data)
