"""The estimator contract: check_estimator passes for every registered family and the example
plugin, and fails with a clear line on estimators that break the contract."""

from __future__ import annotations

import pytest

from framework.errors import UserInputError
from framework.estimators import Coefficient, Estimator
from framework.estimators.registry import BUILTIN, build_estimator, resolve
from framework.testing import EstimatorCheckError, check_estimator
from tests.test_plugin import load_plugin_module

# Lighter settings so the check stays quick; the defaults are checked by the other tests.
LIGHT = {
    "bayes_hier": {"draws": 200, "tune": 200, "chains": 2, "cores": 1, "diagnose": "global"},  # model: collapsed
    "bayes_dml": {"draws": 200, "tune": 200, "chains": 2, "cores": 1},
    "causal_forest": {"n_estimators": 40, "crossfit_estimators": 20},
}


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_every_registered_family_keeps_the_contract(name):
    check_estimator(resolve(name), settings=LIGHT.get(name))


def test_the_explicit_bayes_hier_model_keeps_the_contract():
    """bayes_hier's other model (the family's default is the collapsed one)."""
    check_estimator(resolve("bayes_hier"), settings={**LIGHT["bayes_hier"], "model": "explicit"})


def test_the_example_plugin_keeps_the_contract():
    check_estimator(load_plugin_module().NaiveOLS)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_unknown_keys_are_refused_alike_by_every_family(name):
    with pytest.raises(UserInputError, match=rf"^estimator\.colour: not a setting of {name}; use "):
        build_estimator({"name": name, "colour": "red"}, {"_target_": "sklearn.linear_model.LinearRegression"}, {}, 0)


class _Base(Estimator):
    name = "broken"
    settings = ()

    @classmethod
    def from_config(cls, config, learner, split, seed):
        return cls()

    def _coefficients(self, data):
        return [Coefficient.normal(term, -0.1, 0.02) for term in data.terms]

    def fit(self, data):
        self.coefficients_ = self._coefficients(data)
        self.diagnostics_ = {}
        return self


class _ForgetsAModerationTerm(_Base):
    def _coefficients(self, data):
        return super()._coefficients(data)[:1]


class _ReturnsNone(_Base):
    def fit(self, data):
        super().fit(data)


class _Random(_Base):
    def _coefficients(self, data):
        import numpy as np

        return [Coefficient.normal(term, float(np.random.normal(-0.1, 0.01)), 0.02) for term in data.terms]


class _NotJSON(_Base):
    def fit(self, data):
        super().fit(data)
        self.diagnostics_ = {"model": object()}
        return self


class _ReadsTheTruth(_Base):
    def fit(self, data):
        self.coefficients_ = [Coefficient.normal(t, float(data.frame["effect"].mean()), 0.02) for t in data.terms]
        self.diagnostics_ = {}
        return self


class _AcceptsAnything(_Base):
    @classmethod
    def check_config(cls, config):
        return dict(config or {})


class _WrongAnswer(_Base):
    def _coefficients(self, data):
        return [Coefficient.normal(term, 5.0, 0.02) for term in data.terms]


class _Undeclared(_Base):
    packages = ("no-such-distribution-anywhere",)


@pytest.mark.parametrize(
    "broken, message",
    [
        (_ForgetsAModerationTerm, r"coefficients_ \(moderation\): no coefficient for moderator, treatment_x_moderator"),
        (_ReturnsNone, r"fit \(baseline\): fit must return self"),
        (_Random, r"determinism \(baseline\)"),
        (_NotJSON, r"diagnostics_ \(baseline\): not JSON-serialisable"),
        (_ReadsTheTruth, r"fit \(baseline\): KeyError: 'effect'"),
        (_AcceptsAnything, r"unknown keys: estimator\.no_such_setting_for_check was accepted"),
        (_WrongAnswer, r"truth \(baseline\): treatment \+5\.0000 .* from the plain world's truth -0\.1000"),
        (_Undeclared, r"packages: 'no-such-distribution-anywhere' is declared but not installed"),
    ],
    ids=lambda value: getattr(value, "__name__", "message"),
)
def test_a_broken_estimator_fails_with_a_clear_line(broken, message):
    with pytest.raises(EstimatorCheckError, match=rf"^check_estimator\({broken.__name__}\): {message}") as failure:
        check_estimator(broken)
    assert "\n" not in str(failure.value)


def test_a_class_outside_the_contract_is_refused():
    class Plain:
        name = "plain"

    with pytest.raises(EstimatorCheckError, match=r"subclass: not a subclass of framework.estimators.Estimator"):
        check_estimator(Plain)
