"""What a run asks: which periods, which rows, which controls, which moderation.

Built from the config groups ``window``, ``sample``, ``controls``, ``moderation`` and ``moderator``
(see ``conf/``); the same :class:`Spec` is applied identically for every estimator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from framework.data.moderator_measures import PROXIES, measure_name
from framework.errors import UserInputError

SCALINGS = {"none": None, "centered": "center", "normalized": "minmax"}
HALVES = (None, "high", "low")
WINDOW_HALVES = (None, "first", "second")
CONTROL_SETS = ("paper", "none")


@dataclass(frozen=True)
class Spec:
    window_name: str = "all"
    window_start: int | None = None
    window_end: int | None = None
    window_half: str | None = None
    """``first`` or ``second``: the first or second half of the data's periods (any years)."""
    sample_name: str = "full"
    winsorize: tuple[float, float] | None = None
    drop_municipalities: bool = False
    resource_control: bool = False
    treatment_half: str | None = None
    controls: str = "paper"
    moderation: str = "none"
    moderator: str = "difi"
    """How digitalisation is measured on synthetic data (``moderator`` group); files use their column."""

    @property
    def moderator_is_proxy(self) -> bool:
        return self.moderator in PROXIES

    @property
    def moderated(self) -> bool:
        return self.moderation != "none"

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "Spec":
        window = _section(cfg, "window")
        sample = _section(cfg, "sample")
        controls = _section(cfg, "controls")
        moderation = _section(cfg, "moderation")
        moderator = _section(cfg, "moderator")
        winsorize = sample.get("winsorize")
        if winsorize is not None:
            winsorize = _quantile_pair(winsorize)
        spec = cls(
            window_name=str(window.get("name", "custom")),
            window_start=_year(window, "start"),
            window_end=_year(window, "end"),
            window_half=window.get("half"),
            sample_name=str(sample.get("name", "custom")),
            winsorize=winsorize,
            drop_municipalities=bool(sample.get("drop_municipalities", False)),
            resource_control=bool(sample.get("resource_control", False)),
            treatment_half=sample.get("treatment_half"),
            controls=str(controls.get("name", "paper")),
            moderation=str(moderation.get("name", "none")),
            moderator=measure_name(moderator.get("name")),
        )
        spec.check()
        return spec

    def check(self) -> None:
        if self.treatment_half not in HALVES:
            raise UserInputError(f"sample.treatment_half = {self.treatment_half!r}: use high, low or null")
        if self.controls not in CONTROL_SETS:
            raise UserInputError(f"controls = {self.controls!r}: use one of {', '.join(CONTROL_SETS)}")
        if self.moderation not in SCALINGS:
            raise UserInputError(f"moderation = {self.moderation!r}: use one of {', '.join(SCALINGS)}")
        measure_name(self.moderator)
        if self.window_half not in WINDOW_HALVES:
            raise UserInputError(f"window.half = {self.window_half!r}: use first, second or null")
        if self.window_half is not None and (self.window_start is not None or self.window_end is not None):
            raise UserInputError("window.half picks its own years: leave window.start and window.end null")
        if self.window_start is not None and self.window_end is not None and self.window_start > self.window_end:
            raise UserInputError(f"window.start = {self.window_start} is after window.end = {self.window_end}")


def _section(cfg: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = cfg.get(key)
    if value is None:
        return {}
    if isinstance(value, str):  # e.g. controls: none given as a plain value
        return {"name": value}
    return value


def _quantile_pair(value: Any) -> tuple[float, float]:
    problem = f"sample.winsorize = {value!r}: give two quantiles [low, high] with 0 <= low < high <= 1"
    try:
        low, high = (float(q) for q in value)
    except (TypeError, ValueError):
        raise UserInputError(problem) from None
    if not 0.0 <= low < high <= 1.0:
        raise UserInputError(problem)
    return low, high


def _year(window: Mapping[str, Any], key: str) -> int | None:
    value = window.get(key)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserInputError(f"window.{key} = {value!r}: give a year such as 2015, or null") from None
