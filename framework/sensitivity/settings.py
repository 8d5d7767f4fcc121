"""The ``sensitivity`` config node, checked: one line naming the key on a bad value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from framework.errors import UserInputError
from framework.sensitivity.ovb import Strength
from framework.settings import choice, flag, positive, reject_unknown

BENCHMARK = ("auto", "all", "none")
KEYS = ("name", "enabled", "q", "alpha", "rho", "strengths", "benchmark", "multiples")


@dataclass(frozen=True)
class SensitivitySettings:
    enabled: bool = True
    q: float = 1.0
    alpha: float = 0.05
    rho: float = 1.0
    strengths: tuple[Strength, ...] = (Strength("0.01", 0.01, 0.01), Strength("0.05", 0.05, 0.05), Strength("0.1", 0.10, 0.10))
    benchmark: str = "auto"
    multiples: tuple[float, ...] = (1.0, 2.0, 3.0)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "SensitivitySettings":
        config = dict(config or {})
        reject_unknown(config, KEYS, "sensitivity", prefix="sensitivity")
        defaults = cls()
        get = lambda key, default: default if config.get(key) is None else config[key]  # noqa: E731
        q = positive(get("q", defaults.q), "sensitivity.q")
        alpha = positive(get("alpha", defaults.alpha), "sensitivity.alpha")
        if not alpha < 1:
            raise UserInputError(f"sensitivity.alpha = {alpha}: use a level in (0, 1), e.g. 0.05")
        rho = positive(get("rho", defaults.rho), "sensitivity.rho", allow_zero=True)
        if rho > 1:
            raise UserInputError(f"sensitivity.rho = {rho}: a correlation's size is at most 1")
        raw = config.get("strengths")
        strengths = defaults.strengths if raw is None else tuple(_strength(value, i) for i, value in enumerate(raw))
        multiples = tuple(positive(k, f"sensitivity.multiples[{i}]") for i, k in enumerate(get("multiples", defaults.multiples)))
        return cls(enabled=flag(get("enabled", True), "sensitivity.enabled"), q=q, alpha=alpha, rho=rho, strengths=strengths,
                   benchmark=choice(get("benchmark", defaults.benchmark), "sensitivity.benchmark", BENCHMARK),
                   multiples=multiples)

    def benchmarks(self, needs_refit: bool) -> bool:
        """Whether a family computes benchmarks: ``needs_refit`` families only with ``all``."""
        return bool(self.multiples) and (self.benchmark == "all" or (self.benchmark == "auto" and not needs_refit))

    def with_strength(self, strength: Strength) -> "SensitivitySettings":
        """These settings with one more strength at which to bound (e.g. the world's own)."""
        return SensitivitySettings(self.enabled, self.q, self.alpha, self.rho, (*self.strengths, strength), self.benchmark,
                                   self.multiples)


def _strength(value: Any, index: int) -> Strength:
    key = f"sensitivity.strengths[{index}]"
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise UserInputError(f"{key} = {list(value)}: use a number, or [outcome, treatment]")
        outcome, treatment = (_share(v, key) for v in value)
        return Strength(f"{outcome:g}/{treatment:g}", outcome, treatment)
    share = _share(value, key)
    return Strength(f"{share:g}", share, share)


def _share(value: Any, key: str) -> float:
    share = positive(value, key, allow_zero=True)
    if share >= 1:
        raise UserInputError(f"{key} = {share}: use a partial R-squared in [0, 1)")
    return share
