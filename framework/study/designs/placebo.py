"""The placebo design: the user's real outcome, with a treatment that cannot have caused it.

Outcome, controls, units and periods are the file's. The treatment of draw r is another
unit's whole treatment path (``study.placebo.mode=units``: units with the same observed
periods are permuted with no unit keeping its own path; a unit whose periods no other unit
shares in full takes the path of one that covers them; a unit that no other unit covers is
left out of the draw), or the unit's own path shifted cyclically by a random number of
periods (``mode=time``; a unit observed once is left out). The true effect is zero by
construction.

What it tests: whether a configuration finds an effect where there is none, on the user's
real outcome with its real unit effects, trends and serial correlation (coverage here is one
minus the false-positive rate). What it cannot test: bias with a non-zero effect. With
``mode=time`` the shifted path stays correlated with the unit's real treatment (a cyclic shift
of a unit's demeaned path is never independent of it: over all shifts the correlations average
-1/(T-1), and serial correlation moves each one further), so a real effect leaks into the
placebo estimate; the design measures that correlation and warns when it is material.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from framework.data.panel import EFFECT, MODERATOR_EFFECT, Panel
from framework.errors import UserInputError
from framework.numerics.transforms import time_codes, two_way_demean, unit_codes
from framework.settings import choice, reject_unknown
from framework.study.designs.base import Design, Draw, FixedDraw
from framework.study.designs.paths import UnitPaths

MODES = ("units", "time")
SETTINGS = ("mode",)
# the placebo treatment's within correlation with the real one above which a real effect leaks in
LEAK_WARNING = 0.1
LEAK_DRAWS = 20


class PlaceboDesign(Design):
    name = "placebo"
    assumptions = (
        "Your real outcome, controls, units and periods; the treatment is another unit's treatment path (or your own "
        "path shifted in time), so its true effect is zero. It measures false positives and bias under no effect on "
        "your real data, not how well an effect is recovered."
    )
    fixed_inputs = True

    def __init__(self, source: Panel, mode: str = "units"):
        self.source = source
        self.mode = mode
        self.paths = UnitPaths.of(source.frame)
        if mode == "units" and all(len(d) == 1 for d in self.paths.donors):
            raise UserInputError(f"study design placebo: no two units of {source.source} share their observed periods; use study.placebo.mode=time")
        self.leak_ = self._leak()

    @classmethod
    def build(cls, source: Panel, settings: Mapping[str, Any]) -> "PlaceboDesign":
        settings = dict(settings or {})
        reject_unknown(settings, SETTINGS, "the placebo design", prefix="study.placebo")
        return cls(source, choice(settings.get("mode", "units"), "study.placebo.mode", MODES))

    def treatment(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The placebo treatment of every row, and which rows the draw keeps."""
        d = self.source.frame["treatment"].to_numpy(float)
        if self.mode == "units":
            source = self.paths.reassign(rng)
            keep = source[self.paths.units] >= 0
            placebo = np.full_like(d, np.nan)
            placebo[keep] = self.paths.take(d, np.where(source < 0, 0, source))[keep]
            return placebo, keep
        placebo, keep = d.copy(), np.ones(len(d), dtype=bool)
        for rows in _rows_by_unit(self.paths.units):
            if len(rows) < 2:
                keep[rows] = False
                continue
            placebo[rows] = np.roll(d[rows], int(rng.integers(1, len(rows))))
        return placebo, keep

    def draw(self, seed: int) -> Draw:
        placebo, keep = self.treatment(np.random.default_rng(seed))
        frame = self.source.frame.assign(treatment=placebo)
        frame[EFFECT] = 0.0
        frame[MODERATOR_EFFECT] = np.nan  # the real outcome: the moderator's own effect is unknown
        return FixedDraw(self.source.with_frame(frame[keep]))

    def _leak(self) -> float:
        """Mean |within correlation| of the placebo treatment with the real one, over draws."""
        frame = self.source.frame
        real = frame["treatment"].to_numpy(float)
        values = []
        for k in range(LEAK_DRAWS):
            placebo, keep = self.treatment(np.random.default_rng(k))
            kept = frame[keep]
            a, b = two_way_demean(np.column_stack([real[keep], placebo[keep]]), unit_codes(kept), time_codes(kept)).T
            if a.std() > 0 and b.std() > 0:
                values.append(abs(np.corrcoef(a, b)[0, 1]))
        return float(np.mean(values)) if values else float("nan")

    def warnings(self) -> list[str]:
        out = []
        if self.leak_ > LEAK_WARNING:
            out.append(
                f"placebo: the placebo treatment keeps a within correlation of {self.leak_:.2f} with your real treatment "
                f"(mode={self.mode}), so a real effect of the treatment shows up as bias in this design"
            )
        _, keep = self.treatment(np.random.default_rng(0))
        dropped = int(np.sum(~keep))
        if dropped:
            whom = "units whose periods no other unit covers" if self.mode == "units" else "units observed in a single period"
            out.append(f"placebo: {dropped} rows of {whom} are left out of every draw")
        return out

    def record(self) -> dict:
        return {**super().record(), "mode": self.mode, "within_correlation_with_real_treatment": self.leak_}


def _rows_by_unit(units: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(units, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(units[order])) + 1)
