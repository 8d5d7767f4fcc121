"""The spec: one question, stated once, applied the same way for every estimator."""

from framework.spec.apply import apply_spec
from framework.spec.spec import Spec
from framework.spec.specdata import SpecData
from framework.spec.truth import true_values

__all__ = ["Spec", "SpecData", "apply_spec", "true_values"]
