"""The causal forest's settings, read and checked from its ``estimator`` node.

Unknown keys and ``fe`` values are refused before this by
:meth:`framework.estimators.base.Estimator.check_config`; here each value is checked, with
the forest's own bounds (``docs/estimators/causal_forest.md``, Settings).
"""

from __future__ import annotations

from typing import Any, Mapping

from framework.errors import UserInputError
from framework.settings import choice, flag, integer, number

MODIFIER_CHOICES = ("moderator", "time", "treatment_city_mean", "controls")
DR_CATE_CHOICES = ("crossfit", "oob")
SUBFOREST_SIZE = 4
"""EconML grows its trees in sub-forests of this size for its variance: n_estimators is a multiple."""


def read_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The family's keyword arguments besides ``learner``, ``folds``, ``n_rep`` and ``seed``."""
    n_estimators = integer(config.get("n_estimators", 200), "estimator.n_estimators")
    if n_estimators < SUBFOREST_SIZE or n_estimators % SUBFOREST_SIZE:
        raise UserInputError(f"estimator.n_estimators = {n_estimators}: use a positive multiple of {SUBFOREST_SIZE}")
    max_depth = config.get("max_depth")
    if max_depth is not None:
        max_depth = integer(max_depth, "estimator.max_depth", minimum=1)
    max_samples = number(config.get("max_samples", 0.45), "estimator.max_samples")
    if not 0 < max_samples <= 0.5:
        raise UserInputError(f"estimator.max_samples = {max_samples}: the share of rows per tree must be in (0, 0.5]")
    max_features = config.get("max_features")
    if max_features is not None:
        max_features = number(max_features, "estimator.max_features")
        if not 0 < max_features <= 1:
            raise UserInputError(f"estimator.max_features = {max_features}: a share of the modifiers in (0, 1], or null for all")
    variance_floor = number(config.get("variance_floor", 0.1), "estimator.variance_floor")
    if not 0 < variance_floor < 1:
        raise UserInputError(f"estimator.variance_floor = {variance_floor}: must be in (0, 1)")
    n_jobs = integer(config.get("n_jobs", 1), "estimator.n_jobs")
    if n_jobs == 0:
        raise UserInputError("estimator.n_jobs = 0: use a positive number of threads or -1 for all cores")
    return {
        "fe": config.get("fe", "within"),
        "n_estimators": n_estimators,
        "min_samples_leaf": integer(config.get("min_samples_leaf", 10), "estimator.min_samples_leaf", minimum=1),
        "max_depth": max_depth,
        "max_samples": max_samples,
        "max_features": max_features,
        "honest": flag(config.get("honest", True), "estimator.honest"),
        "modifiers": modifiers(config.get("modifiers", "auto")),
        "windows": windows(config.get("windows")),
        "variance_floor": variance_floor,
        "dr_cate": choice(config.get("dr_cate", "crossfit"), "estimator.dr_cate", DR_CATE_CHOICES),
        "crossfit_estimators": integer(config.get("crossfit_estimators", 100), "estimator.crossfit_estimators", minimum=1),
        "n_jobs": n_jobs,
    }


def modifiers(value) -> str | tuple[str, ...]:
    """``auto`` or the distinct modifiers asked for, in their order."""
    if value in (None, "auto"):
        return "auto"
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise UserInputError(f"estimator.modifiers = {value!r}: use auto or a list of {', '.join(MODIFIER_CHOICES)}")
    unknown = [v for v in value if v not in MODIFIER_CHOICES]
    if unknown:
        raise UserInputError(f"estimator.modifiers: unknown {', '.join(map(str, unknown))}; use auto or a list of {', '.join(MODIFIER_CHOICES)}")
    return tuple(dict.fromkeys(value))


def windows(value) -> dict[str, tuple[int, int]] | None:
    """Period windows name -> (first period, last period); None (``auto``) = the sample's
    periods split in two halves at fit time (:func:`framework.numerics.transforms.period_halves`)."""
    if value in (None, "auto"):
        return None
    if not isinstance(value, Mapping):
        raise UserInputError(f"estimator.windows = {value!r}: use auto or a mapping name -> [first period, last period]")
    out = {}
    for name, bounds in value.items():
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2 or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            raise UserInputError(f"estimator.windows.{name} = {bounds!r}: use [first period, last period]")
        if bounds[0] > bounds[1]:
            raise UserInputError(f"estimator.windows.{name} = {list(bounds)}: the first period is after the last")
        out[str(name)] = (int(bounds[0]), int(bounds[1]))
    return out
