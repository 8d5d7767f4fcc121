"""The synthetic world as a design: the paper-shaped process itself (``world``), or that
process with its shape and dependence fitted to a user's panel (``calibrated``,
:mod:`framework.study.calibrate`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Mapping

from framework.data.panel import Panel
from framework.data.synthetic import WorldKnobs, generate_world
from framework.data.synthetic.moderators import with_moderator
from framework.study.calibrate import Calibration, Scales
from framework.study.designs.base import Design, Draw


class WorldDraw(Draw):
    def __init__(self, drawn, units: Scales | None):
        self._drawn, self._units, self._panels = drawn, units, {}

    def panel(self, moderator: Mapping[str, Any] | None) -> tuple[Panel, str]:
        measure = json.dumps(moderator, sort_keys=True)  # one panel per measure of the moderator
        if measure not in self._panels:
            panel = with_moderator(self._drawn, moderator)
            panel = self._units.apply(panel) if self._units is not None else panel
            self._panels[measure] = (panel, panel.sha256())
        return self._panels[measure]


class WorldDesign(Design):
    name = "world"
    assumptions = (
        "The synthetic world's own process (docs/SYNTHETIC_WORLD.md): every draw is a new panel of cities, controls, "
        "treatment and outcome; the truth is the world's heterogeneous effect averaged over each spec's rows."
    )

    def __init__(self, knobs: Mapping[str, Any]):
        self.knobs = dict(knobs)
        WorldKnobs.from_config(self.knobs)  # bad knobs stop here, before any draw

    def draw(self, seed: int) -> Draw:
        return WorldDraw(generate_world(WorldKnobs.from_config(self.knobs), seed=seed), None)

    def world(self) -> Mapping[str, Any]:
        return self.knobs

    def record(self) -> dict:
        return {**super().record(), "world": self.knobs}


class CalibratedDesign(WorldDesign):
    name = "calibrated"
    assumptions = (
        "The synthetic world with the file's shape, means and standard deviations, and three dependence knobs chosen to "
        "match five moments of the file; everything else (the controls' number, meaning and effect, non-linearity, "
        "effect heterogeneity) is the paper's world, not the file's. The truth is the world's effect in the file's units."
    )

    def __init__(self, calibration: Calibration, tolerance: float):
        super().__init__(asdict(calibration.knobs))
        self.calibration = calibration
        self.tolerance = tolerance

    def draw(self, seed: int) -> Draw:
        return WorldDraw(generate_world(self.calibration.knobs, seed=seed), self.calibration.units)

    def warnings(self) -> list[str]:
        return self.calibration.misses(self.tolerance)

    def record(self) -> dict:
        return {**super().record(), "calibration": self.calibration.to_record(self.tolerance)}


def source_panel(knobs: Mapping[str, Any], seed: int, moderator: Mapping[str, Any] | None) -> Panel:
    """One panel drawn from the world, as a user's file would hold it (no truth columns): the
    'file' that the structured, placebo and calibrated designs are built from when
    ``data=synthetic`` (how the designs are checked against the world's truth)."""
    from framework.study.designs.base import without_truth

    drawn = generate_world(WorldKnobs.from_config(knobs), seed=seed)
    panel = with_moderator(drawn, moderator)
    return without_truth(panel)
