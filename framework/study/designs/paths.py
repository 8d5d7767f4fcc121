"""Whole within-unit paths of a column handed from one unit to another.

Both designs that keep the user's panel move paths between units rather than single values:
the structured design resamples residual paths (so each unit's serial correlation survives),
the placebo design reassigns treatment paths (so the placebo treatment has the real one's
dynamics). A unit can only take a path from a *donor* observed in every period the unit is
observed in; in a balanced panel every unit is a donor of every other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from framework.numerics.transforms import time_codes, unit_codes


@dataclass(frozen=True)
class UnitPaths:
    """Row positions of a (unit, time) frame on a units x periods grid, and each unit's donors."""

    units: np.ndarray
    """Unit code of every row."""
    times: np.ndarray
    """Period code of every row."""
    donors: tuple[np.ndarray, ...]
    """For each unit, the units observed in all of its periods (itself included)."""

    @classmethod
    def of(cls, frame: pd.DataFrame) -> "UnitPaths":
        units, times = unit_codes(frame), time_codes(frame)
        observed = np.zeros((units.max() + 1, times.max() + 1), dtype=bool)
        observed[units, times] = True
        patterns, pattern_of = np.unique(observed, axis=0, return_inverse=True)
        pattern_of = np.asarray(pattern_of).reshape(-1)
        # pattern q can give to pattern p when q is observed wherever p is
        gives = np.array([[np.all(q | ~p) for q in patterns] for p in patterns])
        members = [np.flatnonzero(pattern_of == q) for q in range(len(patterns))]
        by_pattern = [np.concatenate([members[q] for q in np.flatnonzero(row)]) for row in gives]
        return cls(units, times, tuple(by_pattern[p] for p in pattern_of))

    @property
    def n_units(self) -> int:
        return len(self.donors)

    @property
    def balanced(self) -> bool:
        return all(len(d) == self.n_units for d in self.donors)

    def grid(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one per row) on the units x periods grid, NaN where a unit is unobserved."""
        out = np.full((self.n_units, self.times.max() + 1), np.nan)
        out[self.units, self.times] = values
        return out

    def take(self, values: np.ndarray, source: np.ndarray) -> np.ndarray:
        """Each row's value from unit ``source[unit]``'s path, in the same period."""
        return self.grid(values)[source[self.units], self.times]

    def resample(self, rng: np.random.Generator) -> np.ndarray:
        """A donor for every unit, drawn with replacement (the unit itself may be drawn)."""
        return np.array([donors[rng.integers(len(donors))] for donors in self.donors])

    def reassign(self, rng: np.random.Generator) -> np.ndarray:
        """A donor for every unit other than itself, or -1 where the unit has no other donor.

        Units that can give to each other (the same periods observed) are permuted among
        themselves with no unit keeping its own path, so each path is used once; a unit whose
        periods no other unit shares in full draws from the units that cover them.
        """
        source = np.full(self.n_units, -1)
        groups: dict[tuple, list[int]] = {}
        for unit, donors in enumerate(self.donors):
            groups.setdefault(tuple(donors), []).append(unit)
        for donors, members in groups.items():
            members = np.array(members)
            if len(members) >= 2 and set(members) == set(donors):
                source[members] = members[_derangement(len(members), rng)]
                continue
            for unit in members:
                others = np.array([d for d in donors if d != unit])
                if len(others):
                    source[unit] = others[rng.integers(len(others))]
        return source


def _derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly drawn permutation of range(n) with no fixed point (rejection; about e tries)."""
    while True:
        order = rng.permutation(n)
        if not np.any(order == np.arange(n)):
            return order


def within_autocorrelation(frame: pd.DataFrame, column: str) -> float:
    """Mean first-order autocorrelation of ``column`` within units (adjacent observed periods),
    over the units with at least three observations."""
    values = []
    for _, group in frame.sort_values(["unit", "time"]).groupby("unit", sort=False):
        path = group[column].to_numpy(float)
        if len(path) >= 3 and np.std(path[:-1]) > 0 and np.std(path[1:]) > 0:
            values.append(np.corrcoef(path[:-1], path[1:])[0, 1])
    return float(np.mean(values)) if values else float("nan")
