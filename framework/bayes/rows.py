"""The panel's rows as the collapsed likelihood walks them: sorted by unit, then by period, each
row knowing its unit and the row of the unit's previous observed period.

The gap to that period (in periods) is kept, so a unit observed in 2011, 2012 and 2014 has an
AR(1) step of one period and then of two; a unit's first row has no predecessor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PanelRows:
    """Rows sorted by unit then period (``order`` maps them from the frame's order)."""

    order: np.ndarray      # frame row of each sorted row
    unit: np.ndarray       # unit code 0..n_units-1 of each sorted row
    prev: np.ndarray       # sorted index of the unit's previous row (the row itself for a first row)
    has_prev: np.ndarray   # 1.0 where the row has a predecessor in its unit, else 0.0
    gap: np.ndarray        # periods since that predecessor (1.0 for consecutive periods; 1.0 where none)
    n_units: int

    @classmethod
    def from_codes(cls, unit_codes, period_codes) -> "PanelRows":
        """``unit_codes`` 0..N-1 and integer ``period_codes`` whose differences count periods
        (e.g. positions in the sorted list of the panel's periods), one per frame row."""
        unit_codes = np.asarray(unit_codes, dtype=np.int64)
        period_codes = np.asarray(period_codes, dtype=np.int64)
        order = np.lexsort((period_codes, unit_codes))
        unit, period = unit_codes[order], period_codes[order]
        index = np.arange(len(order), dtype=np.int64)
        same = np.r_[False, unit[1:] == unit[:-1]]
        prev = np.where(same, index - 1, index)
        gap = np.where(same, period - period[prev], 1).astype(float)
        if np.any(gap[same] < 1):
            raise ValueError("a unit has two rows in one period")
        return cls(order, unit, prev, same.astype(float), gap, int(unit_codes.max()) + 1 if len(unit) else 0)

    @property
    def n_rows(self) -> int:
        return len(self.order)

    def sort(self, values: np.ndarray) -> np.ndarray:
        """``values`` (frame order, first axis) in the sorted order, contiguous."""
        return np.ascontiguousarray(np.asarray(values, dtype=float)[self.order])
