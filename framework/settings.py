"""Checks of a family's ``estimator.*`` settings, each failing with one line that names the key.

Every family reads its config node through these, so a setting is checked the same way
whichever family has it: :func:`reject_unknown` for misspelt keys, :func:`integer`,
:func:`number`, :func:`flag` and :func:`choice` for values.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import numpy as np

from framework.errors import UserInputError


def reject_unknown(config: Mapping[str, Any], accepted: Iterable[str], family: str, prefix: str = "estimator") -> None:
    """One line naming the first key of ``config`` (under ``prefix``) that is not a setting of ``family``."""
    accepted = [key for key in accepted if key != "name"]
    unknown = sorted(set(config) - set(accepted) - {"name"})
    if unknown:
        raise UserInputError(f"{prefix}.{unknown[0]}: not a setting of {family}; use {', '.join(accepted)}")


def integer(value: Any, key: str, minimum: int | None = None) -> int:
    """A whole number (an integral float such as ``5.0`` is accepted), at least ``minimum``."""
    whole = isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        raise UserInputError(f"{key} = {value!r}: use a whole number")
    value = int(value)
    if minimum is not None and value < minimum:
        raise UserInputError(f"{key} = {value}: use a whole number >= {minimum}")
    return value


def number(value: Any, key: str) -> float:
    """A finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not math.isfinite(float(value)):
        raise UserInputError(f"{key} = {value!r}: use a finite number")
    return float(value)


def positive(value: Any, key: str, allow_zero: bool = False) -> float:
    """A finite number above zero (or at least zero)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise UserInputError(f"{key} = {value!r}: use a number")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise UserInputError(f"{key} = {value}: use a positive number")
    return value


def flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise UserInputError(f"{key} = {value!r}: use true or false")
    return value


def choice(value: Any, key: str, options: Iterable[str]) -> str:
    options = tuple(options)
    if value not in options:
        raise UserInputError(f"{key} = {value!r}: use one of {', '.join(options)}")
    return value


def cross_fitting(split: Mapping[str, Any] | None) -> tuple[int, int]:
    """``split.folds`` and ``split.n_rep``, checked: at least 2 folds and 1 repetition."""
    split = split or {}
    return integer(split.get("folds", 5), "split.folds", minimum=2), integer(split.get("n_rep", 1), "split.n_rep", minimum=1)
