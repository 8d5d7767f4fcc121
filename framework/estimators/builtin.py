"""Importing this module registers the built-in estimator families."""

from framework.estimators import bayes_hier, causal_forest, dml, twfe  # noqa: F401
