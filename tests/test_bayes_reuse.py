"""The explicit Bayesian model (``model: explicit``) is built and compiled once per structure and
reused with new data."""

from __future__ import annotations

import numpy as np
import pytest

import framework.estimators.bayes_hier.sampling as sampling
from framework.data.synthetic import WorldKnobs, generate_world
from framework.estimators import build_estimator
from framework.spec import Spec, apply_spec

SMALL = {"model": "explicit", "chains": 2, "draws": 200, "tune": 200, "cores": 1}  # fe: cre (the explicit default)


def fit(data, seed=0, **config):
    return build_estimator({"name": "bayes_hier", **SMALL, **config}, None, {}, seed).fit(data)


def world(seed, **spec):
    return apply_spec(generate_world(WorldKnobs(n_cities=20), seed=seed).panel, Spec.from_config(spec))


def draws(estimator):
    posterior = estimator.artifacts_["posterior"].posterior
    names = ("treatment", "slope_mean", "city_slope", "sigma", "effect_by_treatment_half")
    return {name: posterior[name].values for name in names}


@pytest.fixture(scope="module")
def reused_and_fresh():
    """The second dataset's fit through the model compiled for the first, and compiled afresh."""
    sampling._MODELS.clear()
    first = fit(world(0))
    reused = fit(world(1))
    sampling._MODELS.clear()
    fresh = fit(world(1))
    return first, reused, fresh


def test_a_second_dataset_of_the_same_structure_reuses_the_compiled_model(reused_and_fresh):
    first, reused, fresh = reused_and_fresh
    assert first.diagnostics_["compiled_model_reused"] is False
    assert reused.diagnostics_["compiled_model_reused"] is True
    assert fresh.diagnostics_["compiled_model_reused"] is False
    assert reused.model_ is first.model_


def test_reuse_gives_the_posterior_of_a_fresh_compile(reused_and_fresh):
    first, reused, fresh = reused_and_fresh
    assert reused.coefficients_ == fresh.coefficients_
    for name, values in draws(reused).items():
        np.testing.assert_array_equal(values, draws(fresh)[name], err_msg=name)
    # and not the first dataset's posterior: the new data really went in
    assert reused.coefficients_[0].estimate != first.coefficients_[0].estimate
    assert reused.diagnostics_["standardisation"] == fresh.diagnostics_["standardisation"]


def test_another_shape_or_option_builds_another_model(reused_and_fresh):
    first, *_ = reused_and_fresh
    window = fit(world(0, window={"start": 2016, "end": 2021}))
    assert window.diagnostics_["compiled_model_reused"] is False
    assert window.model_ is not first.model_
    assert window.diagnostics_["n_obs_used"] == 20 * 6
    other_prior = build_estimator({"name": "bayes_hier", **SMALL, "priors": {"coef": 2.0}}, None, {}, 0)
    assert sampling.structure(other_prior, first.design_) != sampling.structure(first, first.design_)
    # the first structure is still kept: back to it, reused
    assert fit(world(2)).diagnostics_["compiled_model_reused"] is True


def test_moderation_terms_are_rescaled_with_each_dataset():
    """The data-unit scales of the moderation terms are data too: a reused model must report
    the second dataset's, as a fresh compile does."""
    sampling._MODELS.clear()
    fit(world(0, moderation={"name": "centered"}))
    reused = fit(world(1, moderation={"name": "centered"}))
    sampling._MODELS.clear()
    fresh = fit(world(1, moderation={"name": "centered"}))
    assert reused.diagnostics_["compiled_model_reused"] and not fresh.diagnostics_["compiled_model_reused"]
    assert [c.term for c in reused.coefficients_][:3] == ["treatment", "moderator", "treatment_x_moderator"]
    assert reused.coefficients_ == fresh.coefficients_
