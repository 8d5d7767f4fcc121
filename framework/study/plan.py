"""What a study runs: replications x (configuration, spec) cells, each a resolved run config
(where the draws come from is the study's *design*, :mod:`framework.study.designs`).

The entry point (``experiments/simulate.py``) composes every cell's run config from the
config groups (a configuration is a list of overrides such as ``+variant=dml_fd_lightgbm``,
a spec one such as ``+column=t5c1``); this module only holds the result and the per-draw
seeding, so the study itself never parses config.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Mapping

from omegaconf import OmegaConf

from framework.errors import UserInputError


@dataclass(frozen=True)
class Cell:
    """One estimator configuration on one spec."""

    configuration: str
    spec: str
    config: Mapping[str, Any]
    """The composed run config with its interpolations (``${seed}``) left unresolved."""

    def for_draw(self, seed: int, world: Mapping[str, Any] | None = None) -> dict:
        """The resolved run config of this cell with ``seed`` (its folds and learners are seeded
        from it, as a single run with ``seed=<seed>`` would be); ``world`` replaces the
        synthetic world's knobs (a calibrated world)."""
        node = OmegaConf.create(copy.deepcopy(dict(self.config)))
        node.seed = seed
        if world:
            node.data.world = dict(world)
        return OmegaConf.to_container(node, resolve=True)


@dataclass(frozen=True)
class StudyPlan:
    """Every cell on each of ``replications`` draws; draw r has seed ``first_seed + r``."""

    replications: int
    first_seed: int
    cells: tuple[Cell, ...]
    reuse_nuisances: bool = True
    """Where a design keeps the controls fixed, keep cross-fitted predictions on unchanged
    columns in memory for the worker's later draws (``study.reuse_nuisances``)."""

    def __post_init__(self):
        if self.replications < 1:
            raise UserInputError(f"study.replications = {self.replications}: need at least 1")
        if not self.cells:
            raise UserInputError("study: no configurations or no specs to run (study.configurations, study.specs)")

    @property
    def seeds(self) -> list[int]:
        return [self.first_seed + r for r in range(self.replications)]

    @property
    def configurations(self) -> list[str]:
        return list(dict.fromkeys(c.configuration for c in self.cells))

    @property
    def specs(self) -> list[str]:
        return list(dict.fromkeys(c.spec for c in self.cells))
