"""Which indicator belongs to which subsystem, and in which direction (seed 002, Table 1).

An :class:`IndicatorSystem` is read from the ``system`` config of ``experiments.coordination``
(or built in code, as the synthetic world's moderator measures do)::

    subsystems:
      digital_infrastructure:
        dinf_fibre_km_per_km2: positive      # more is better: eq. 1 as printed
        ...
      some_subsystem:
        pollution: negative                  # more is worse: eq. 1 reversed

Every subsystem needs at least one indicator, every indicator one subsystem, and every
direction is ``positive`` or ``negative``; anything else is a one-line
:class:`~framework.errors.UserInputError` naming the config key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from framework.errors import UserInputError, show_value
from framework.indices.entropy import NEGATIVE, POSITIVE

COMPOSITE = "composite"
"""Name of the composite index over every indicator (seed 002's "comprehensive development")."""


@dataclass(frozen=True)
class IndicatorSystem:
    subsystems: dict[str, dict[str, str]]
    """subsystem -> {indicator: 'positive' | 'negative'}, in config order."""

    @property
    def indicators(self) -> list[str]:
        return [name for members in self.subsystems.values() for name in members]

    @property
    def directions(self) -> dict[str, str]:
        return {name: d for members in self.subsystems.values() for name, d in members.items()}

    def subsystem_of(self, indicator: str) -> str:
        return next(s for s, members in self.subsystems.items() if indicator in members)

    @classmethod
    def from_config(cls, node: Any, key: str = "system.subsystems") -> "IndicatorSystem":
        if not isinstance(node, Mapping) or not node:
            raise UserInputError(f"{key}: give at least two subsystems, each a mapping of indicator -> direction")
        subsystems: dict[str, dict[str, str]] = {}
        owner: dict[str, str] = {}
        for subsystem, members in node.items():
            subsystem = str(subsystem)
            if subsystem == COMPOSITE:
                raise UserInputError(f"{key}.{subsystem}: the name {COMPOSITE!r} is kept for the composite index; rename the subsystem")
            if not members:
                raise UserInputError(f"{key}.{subsystem}: the subsystem has no indicators; list at least one (indicator: positive)")
            if not isinstance(members, Mapping):
                raise UserInputError(f"{key}.{subsystem}: expected a mapping of indicator -> direction, got {show_value(members, 80)}")
            subsystems[subsystem] = {}
            for indicator, direction in members.items():
                indicator = str(indicator)
                if indicator in owner:
                    raise UserInputError(f"{key}.{subsystem}.{indicator}: the indicator is already in subsystem {owner[indicator]!r}")
                d = str(direction).strip().lower()
                if d not in (POSITIVE, NEGATIVE):
                    raise UserInputError(f"{key}.{subsystem}.{indicator}: direction {show_value(direction)}; use positive or negative")
                owner[indicator] = subsystem
                subsystems[subsystem][indicator] = d
        if len(subsystems) < 2:
            raise UserInputError(f"{key}: coupling needs at least two subsystems, got {len(subsystems)} ({', '.join(subsystems)})")
        return cls(subsystems)
