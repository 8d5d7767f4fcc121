"""Estimator families behind one registry (see :mod:`framework.estimators.registry`)."""

from framework.estimators.base import Coefficient, Estimator
from framework.estimators.registry import available, build_estimator, register

__all__ = ["Coefficient", "Estimator", "available", "build_estimator", "register"]
