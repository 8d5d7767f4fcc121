"""DML against truth known by construction, and its clustered SEs against DoubleML's own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from framework.errors import UserInputError
from framework.estimators import available, build_estimator
from framework.estimators.dml import clustered_standard_errors
from framework.spec import Spec, apply_spec, true_values
from tests.conftest import learner_config


def fit(data, fe, learner="lightgbm", folds=5, n_rep=1, seed=0):
    return build_estimator({"name": "dml", "fe": fe}, learner_config(learner, seed), {"folds": folds, "n_rep": n_rep}, seed).fit(data)


def z_score(estimator, truth, term="treatment"):
    coef = next(c for c in estimator.coefficients_ if c.term == term)
    return (coef.estimate - truth[term]) / coef.std_error


@pytest.fixture(scope="module")
def baseline(world_panel):
    return apply_spec(world_panel, Spec.from_config({}))


@pytest.mark.parametrize("learner", ["lightgbm", "gbdt"])
def test_first_differences_cover_the_baseline_truth(world_panel, baseline, learner):
    estimator = fit(baseline, "fd", learner)
    truth = true_values(baseline, world_panel)
    assert truth["treatment"] == pytest.approx(-0.10, abs=1e-9)
    assert abs(z_score(estimator, truth)) < 3


@pytest.mark.parametrize("fe", ["within", "fd", "cre", "dummies"])
def test_every_fixed_effects_approach_covers_the_truth_where_its_assumptions_hold(plain_world_panel, fe):
    data = apply_spec(plain_world_panel, Spec.from_config({}))
    assert abs(z_score(fit(data, fe), true_values(data, plain_world_panel))) < 3


def test_paper_dummies_are_far_from_the_truth_under_confounded_city_effects(world_panel, baseline):
    """Tree learners cannot learn 252 city dummies well: the city effects leak into the estimate."""
    estimator = fit(baseline, "dummies")
    assert z_score(estimator, true_values(baseline, world_panel)) > 3


def test_record_terms_and_intervals(baseline):
    estimator = fit(baseline, "fd")
    (coef,) = estimator.coefficients_
    assert coef.term == "treatment"
    assert coef.ci_low < coef.estimate < coef.ci_high
    assert coef.ci_high - coef.ci_low == pytest.approx(2 * 1.959964 * coef.std_error, rel=1e-5)
    assert 0 <= coef.p_value <= 1
    assert estimator.diagnostics_["n_obs_used"] == baseline.n_obs - baseline.n_units  # first periods drop out


@pytest.mark.parametrize("moderation", ["centered", "normalized"])
def test_moderation_reports_three_terms(world_panel, moderation):
    data = apply_spec(world_panel, Spec.from_config({"moderation": {"name": moderation}}))
    estimator = fit(data, "dummies")
    assert [c.term for c in estimator.coefficients_] == ["treatment", "moderator", "treatment_x_moderator"]
    assert all(np.isfinite(c.std_error) and c.std_error > 0 for c in estimator.coefficients_)


def test_same_seed_same_numbers_other_seed_other_folds(baseline):
    first = fit(baseline, "fd", seed=3).coefficients_[0]
    again = fit(baseline, "fd", seed=3).coefficients_[0]
    other = fit(baseline, "fd", seed=4).coefficients_[0]
    assert first == again
    assert other.estimate != first.estimate


def test_clustered_standard_errors_match_doubleml_where_doubleml_clusters(baseline):
    """fe=none lets DoubleML cluster by city itself: our score-based SEs must agree."""
    estimator = fit(baseline, "none", n_rep=2)
    model = estimator.models_[0]
    ours = clustered_standard_errors(model, pd.factorize(baseline.frame["unit"], sort=True)[0])
    np.testing.assert_allclose(ours, np.asarray(model.se), rtol=5e-3)


def test_unbalanced_panels_work_with_every_approach(world_panel):
    rng = np.random.default_rng(1)
    frame = world_panel.frame
    gappy = world_panel.with_frame(frame.drop(index=rng.choice(frame.index, size=150, replace=False)))
    data = apply_spec(gappy, Spec.from_config({}))
    assert data.n_obs == frame.shape[0] - 150
    for fe in ("within", "fd", "cre", "dummies", "none"):
        estimator = fit(data, fe)
        assert np.isfinite(estimator.coefficients_[0].estimate), fe
    # first differences lose each city's first row and the row after every gap
    assert fit(data, "fd").diagnostics_["n_obs_used"] < data.n_obs - data.n_units


def test_fd_needs_two_periods_per_city(world_panel):
    one_per_city = world_panel.with_frame(world_panel.frame.groupby("unit").head(1).assign(time=lambda f: np.arange(len(f)) % 2))
    data = apply_spec(one_per_city, Spec.from_config({}))
    with pytest.raises(UserInputError, match="two periods per unit"):
        fit(data, "fd")


def test_bad_settings_fail_in_one_line():
    with pytest.raises(UserInputError, match="estimator.fe"):
        build_estimator({"name": "dml", "fe": "twoway"}, learner_config("lightgbm"), {"folds": 5}, 0)
    with pytest.raises(UserInputError, match="split.folds"):
        build_estimator({"name": "dml", "fe": "fd"}, learner_config("lightgbm"), {"folds": 1}, 0)
    with pytest.raises(UserInputError, match="unknown estimator 'dmll'; registered: .*dml"):
        build_estimator({"name": "dmll"}, learner_config("lightgbm"), {}, 0)


def test_registry_lists_dml():
    assert "dml" in available()


def test_first_difference_learners_see_each_change():
    from sklearn.pipeline import make_pipeline
    from sklearn.tree import DecisionTreeRegressor

    from framework.learners.differences import AppendDifferences

    rng = np.random.default_rng(0)
    now, before = rng.normal(size=(200, 2)), rng.normal(size=(200, 2))
    X = np.column_stack([now, before])
    np.testing.assert_array_equal(AppendDifferences(2).fit_transform(X), np.column_stack([X, now - before]))
    with pytest.raises(ValueError, match="expects 4 columns"):
        AppendDifferences(2).fit(X[:, :3])
    # a step in the change of the first covariate: one split on the change fits it, while a
    # split on either period's level alone cannot
    y = (now[:, 0] - before[:, 0] > 0).astype(float)
    stump = DecisionTreeRegressor(max_depth=1, random_state=0)
    with_change = make_pipeline(AppendDifferences(2), stump).fit(X, y)
    assert np.mean((with_change.predict(X) - y) ** 2) < 1e-12
    assert np.mean((stump.fit(X, y).predict(X) - y) ** 2) > 0.1


def test_fd_differences_reach_the_learners_when_asked(baseline):
    def build(flag):
        config = {"name": "dml", "fe": "fd", "fd_differences": flag}
        return build_estimator(config, learner_config("lightgbm"), {"folds": 5}, 0).fit(baseline)

    on, off = build(True), build(False)
    assert on.diagnostics_["fd_differences"] is True and off.diagnostics_["fd_differences"] is False
    default = build_estimator({"name": "dml", "fe": "fd"}, learner_config("lightgbm"), {"folds": 5}, 0)
    assert default.fd_differences is False  # the DML family keeps DoubleML's own inputs unless asked
    assert type(on.models_[0].learner["ml_l"]).__name__ == "Pipeline"
    assert type(off.models_[0].learner["ml_l"]).__name__ == "LGBMRegressor"
    assert on.coefficients_[0].estimate != off.coefficients_[0].estimate
    with pytest.raises(UserInputError, match="estimator.fd_differences"):
        build_estimator({"name": "dml", "fe": "fd", "fd_differences": "sometimes"}, learner_config("lightgbm"), {"folds": 5}, 0)
