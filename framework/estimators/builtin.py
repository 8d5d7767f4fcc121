"""Importing this module registers the built-in estimator families."""

from framework.estimators import dml  # noqa: F401
