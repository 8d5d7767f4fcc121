"""``check_estimator``: does a family keep the estimator contract? Run it on your own class.

    from framework.testing import check_estimator
    check_estimator(MyEstimator)                       # raises EstimatorCheckError on the first failure
    check_estimator(MyBayes, settings={"draws": 200})  # lighter settings for a quick check

In the spirit of scikit-learn's ``check_estimator``: the class is built from its defaults the
way a run builds it (``check_config`` then ``from_config``), fitted on a small synthetic panel
whose truth is known, and checked for what every run relies on. The contract itself is
:mod:`framework.estimators.base`.
"""

from __future__ import annotations

import json
import math
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Mapping

from framework.data.panel import EFFECT, MODERATOR_EFFECT
from framework.data.synthetic import WorldKnobs, generate_world
from framework.errors import UserInputError
from framework.estimators.base import Estimator
from framework.numerics.inference import Coefficient
from framework.records.record import json_ready
from framework.spec import Spec, apply_spec, true_values

# A small, plain world (no confounding, linear, one effect for every row): any family that
# identifies the effect at all should land near the truth.
CHECK_WORLD = WorldKnobs(n_cities=40, start_year=2011, end_year=2016, n_municipalities=1, confounding=0.0,
                         nonlinearity=0.0, heterogeneity=0.0)
CHECK_LEARNER = {"_target_": "sklearn.linear_model.LinearRegression"}
CHECK_SPLIT = {"folds": 3, "n_rep": 1}
CHECK_SPECS = {"baseline": {}, "moderation": {"moderation": {"name": "centered"}}}
UNKNOWN_KEY = "no_such_setting_for_check"
TRUTH_SES = 6.0
"""How many of its own standard errors an estimate may miss the plain world's truth by."""


class EstimatorCheckError(AssertionError):
    """A family broke the contract; the message names the class, the check and what was found."""


def check_estimator(cls: type, settings: Mapping[str, Any] | None = None, seed: int = 0) -> None:
    """Check ``cls`` against the estimator contract; raise :class:`EstimatorCheckError` on the first failure.

    ``settings`` are ``estimator.*`` values layered over the defaults (e.g. fewer draws).
    """

    def fail(check: str, found: str) -> EstimatorCheckError:
        return EstimatorCheckError(f"check_estimator({getattr(cls, '__name__', cls)}): {check}: {found}")

    _check_declarations(cls, fail)
    config = {"name": cls.name, **dict(settings or {})}
    _check_rejects_unknown_key(cls, config, fail)
    panel = generate_world(CHECK_WORLD, seed=seed).panel
    for label, spec_config in CHECK_SPECS.items():
        data = apply_spec(panel, Spec.from_config(spec_config))
        if {EFFECT, MODERATOR_EFFECT} & set(data.frame.columns):
            raise fail("truth absent", "the prepared data carry a truth column")
        if data.spec.moderated and not cls.moderation:
            _check_refuses_moderation(cls, config, seed, data, fail)
            continue
        first = _fit(cls, config, seed, data, fail, label)
        truth = true_values(data, panel)
        _check_coefficients(first, data, truth, fail, label)
        _check_diagnostics(first, fail, label)
        again = _fit(cls, config, seed, data, fail, label)
        if _numbers(first) != _numbers(again):
            raise fail(f"determinism ({label})", f"two fits with seed {seed} gave {_numbers(first)} and {_numbers(again)}")


def _check_declarations(cls, fail) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Estimator)):
        raise fail("subclass", "not a subclass of framework.estimators.Estimator")
    if not isinstance(cls.name, str) or not cls.name or cls.name == Estimator.name:
        raise fail("name", f"set the class attribute name (got {cls.name!r})")
    for attribute in ("fe_choices", "settings", "packages"):
        value = getattr(cls, attribute)
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise fail(attribute, f"must be a tuple of strings (got {value!r})")
    if cls.fe_choices and "fe" not in cls.settings:
        raise fail("settings", "fe_choices are declared but 'fe' is not among the settings")
    for package in cls.packages:
        try:
            version(package)
        except PackageNotFoundError:
            raise fail("packages", f"{package!r} is declared but not installed") from None


def _check_rejects_unknown_key(cls, config: dict, fail) -> None:
    try:
        cls.check_config({**config, UNKNOWN_KEY: 1})
    except UserInputError as error:
        if UNKNOWN_KEY not in str(error):
            raise fail("unknown keys", f"the error does not name the key: {error}") from None
        return
    raise fail("unknown keys", f"estimator.{UNKNOWN_KEY} was accepted")


def _check_refuses_moderation(cls, config: dict, seed: int, data, fail) -> None:
    """A family declaring ``moderation = False`` refuses a moderated spec in one line."""
    estimator = cls.from_config(cls.check_config(config), learner=dict(CHECK_LEARNER), split=dict(CHECK_SPLIT), seed=seed)
    try:
        estimator.fit(data)
    except UserInputError as error:
        if "\n" in str(error) or "moderation" not in str(error):
            raise fail("moderation refused", f"the refusal is not one line naming moderation: {error}") from None
        return
    raise fail("moderation refused", "moderation = False is declared but a moderated spec was fitted")


def _fit(cls, config: dict, seed: int, data, fail, label: str) -> Estimator:
    try:
        estimator = cls.from_config(cls.check_config(config), learner=dict(CHECK_LEARNER), split=dict(CHECK_SPLIT), seed=seed)
    except Exception as error:
        raise fail("build from defaults", f"{type(error).__name__}: {error}") from None
    try:
        fitted = estimator.fit(data)
    except Exception as error:
        raise fail(f"fit ({label})", f"{type(error).__name__}: {error}") from None
    if fitted is not estimator:
        raise fail(f"fit ({label})", "fit must return self")
    return estimator


def _check_coefficients(estimator: Estimator, data, truth: dict, fail, label: str) -> None:
    coefficients = getattr(estimator, "coefficients_", None)
    if not isinstance(coefficients, list) or not all(isinstance(c, Coefficient) for c in coefficients):
        raise fail(f"coefficients_ ({label})", "must be a list of framework.estimators.Coefficient")
    by_term = {c.term: c for c in coefficients}
    missing = [term for term in data.terms if term not in by_term]
    if missing:
        raise fail(f"coefficients_ ({label})", f"no coefficient for {', '.join(missing)}")
    for term in data.terms:
        c = by_term[term]
        values = [c.estimate, c.std_error, c.ci_low, c.ci_high]
        if not all(isinstance(v, float) and math.isfinite(v) for v in values):
            raise fail(f"coefficients_ ({label})", f"{term}: estimate, SE and interval must be finite floats, got {values}")
        if not (c.std_error > 0 and c.ci_low <= c.estimate <= c.ci_high):
            raise fail(f"coefficients_ ({label})", f"{term}: need SE > 0 and ci_low <= estimate <= ci_high, got {values}")
        if c.interval not in ("confidence", "credible"):
            raise fail(f"coefficients_ ({label})", f"{term}: interval must be confidence or credible, got {c.interval!r}")
    expected = truth.get("treatment")
    c = by_term["treatment"]
    if expected is not None and abs(c.estimate - expected) > TRUTH_SES * c.std_error:
        raise fail(
            f"truth ({label})",
            f"treatment {c.estimate:+.4f} (SE {c.std_error:.4f}) is more than {TRUTH_SES:g} SEs from the plain world's truth {expected:+.4f}",
        )


def _check_diagnostics(estimator: Estimator, fail, label: str) -> None:
    diagnostics = getattr(estimator, "diagnostics_", None)
    if not isinstance(diagnostics, dict):
        raise fail(f"diagnostics_ ({label})", "must be a dict")
    try:
        json.dumps(json_ready(diagnostics), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise fail(f"diagnostics_ ({label})", f"not JSON-serialisable: {error}") from None
    if not isinstance(estimator.artifacts_, Mapping):
        raise fail(f"artifacts_ ({label})", "must be a mapping of name -> object")


def _numbers(estimator: Estimator) -> list:
    return [(c.term, c.estimate, c.std_error, c.ci_low, c.ci_high) for c in estimator.coefficients_]
