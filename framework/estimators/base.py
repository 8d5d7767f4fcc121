"""What every estimator family shares: the scikit-learn shape and the coefficient record.

An estimator takes its settings in ``__init__``, learns from a prepared
:class:`~framework.spec.SpecData` in ``fit`` (which returns ``self``), and leaves its results
in trailing-underscore attributes: ``coefficients_`` (one :class:`Coefficient` per term of
``data.terms``) and ``diagnostics_`` (a JSON-ready dict), and optionally ``artifacts_`` (name -> object the
runner saves beside the record, e.g. the posterior as ArviZ ``InferenceData``). It never
reads files or writes output.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from framework.errors import UserInputError

FE_CHOICES = ("dummies", "within", "fd", "cre", "none")
NORMAL_975 = 1.959963984540054


@dataclass(frozen=True)
class Coefficient:
    term: str
    estimate: float
    std_error: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    interval: str = "confidence"

    @classmethod
    def normal(cls, term: str, estimate: float, std_error: float, interval: str = "confidence") -> "Coefficient":
        """A 95 % interval and two-sided p-value from a normal approximation."""
        z = estimate / std_error if std_error > 0 else math.inf
        half = NORMAL_975 * std_error
        p_value = math.erfc(abs(z) / math.sqrt(2.0))
        return cls(term, float(estimate), float(std_error), float(estimate - half), float(estimate + half), float(p_value), interval)

    def to_record(self, truth: float | None) -> dict:
        return {**asdict(self), "truth": truth}


def cross_fitting(split: Mapping[str, Any] | None) -> tuple[int, int]:
    """``split.folds`` and ``split.n_rep``, checked: at least 2 folds and 1 repetition."""
    split = split or {}
    try:
        folds, n_rep = int(split.get("folds", 5)), int(split.get("n_rep", 1))
    except (TypeError, ValueError):
        raise UserInputError(f"split.folds = {split.get('folds')!r}, split.n_rep = {split.get('n_rep')!r}: give whole numbers") from None
    if folds < 2 or n_rep < 1:
        raise UserInputError(f"split.folds = {folds}, split.n_rep = {n_rep}: need at least 2 folds and 1 repetition")
    return folds, n_rep


class Estimator:
    """Base class: subclasses set ``name`` and implement ``fit``."""

    name: str = "estimator"
    description: str = ""

    def fit(self, data) -> "Estimator":  # pragma: no cover - interface
        raise NotImplementedError

    def get_params(self) -> dict:
        return {key: value for key, value in vars(self).items() if not key.endswith("_")}
