"""The validated panel every estimator works on.

A :class:`Panel` holds one row per (unit, period) with columns named by *role*, not by the
names they had in the source file:

``unit``, ``time``, ``outcome``, ``treatment``
    always present; ``unit`` is a string id, ``time`` an integer period, the rest floats.
control columns
    listed in :attr:`Panel.controls`, keeping their source names (they appear in reports).
``moderator``, ``municipality``, ``resource_city``
    optional roles (:data:`OPTIONAL_ROLES`); a spec that needs one fails clearly without it.
``effect``, ``moderator_effect``
    only in synthetic panels: each row's true marginal effect of the treatment and of the
    moderator on the outcome (holding the other and the city and year effects fixed), from
    which the spec computes the truth of every coefficient.

Rows are sorted by (unit, time). Panels may be unbalanced.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np
import pandas as pd

from framework.errors import UserInputError

CORE_ROLES = ("unit", "time", "outcome", "treatment")
OPTIONAL_ROLES = ("moderator", "municipality", "resource_city", "weights")
EFFECT = "effect"
MODERATOR_EFFECT = "moderator_effect"


class PanelShape:
    """Counts shared by everything that holds a (unit, time) frame."""

    frame: pd.DataFrame

    @property
    def n_obs(self) -> int:
        return int(len(self.frame))

    @property
    def n_units(self) -> int:
        return int(self.frame["unit"].nunique())

    @property
    def periods(self) -> list[int]:
        return sorted(int(t) for t in self.frame["time"].unique())


@dataclass(frozen=True)
class Panel(PanelShape):
    frame: pd.DataFrame
    controls: tuple[str, ...]
    source: str
    names: Mapping[str, str] = field(default_factory=dict)
    """Role -> the column name in the source (used in messages and reports)."""
    missing: str | None = None
    """A file's ``data.missing`` policy (``error`` or ``drop``); ``None`` for synthetic panels."""
    rows_read: int | None = None
    """Data rows in the source file, before any were dropped."""
    dropped: Mapping[str, int] = field(default_factory=dict)
    """``data.missing=drop``: source column -> rows that miss a value there (a row missing
    two values counts in both columns)."""
    dropped_rows: tuple[int, ...] = ()
    """``data.missing=drop``: the rows left out, as 1-based data rows of the source."""
    hidden_confounder: tuple[float, float] | None = None
    """Synthetic panels only: the partial R-squares (outcome, treatment) of the confounder the
    world generated and left out of the data (``data.world.hidden_confounder``), else None."""

    @property
    def is_balanced(self) -> bool:
        return self.n_obs == self.n_units * len(self.periods)

    @property
    def is_synthetic(self) -> bool:
        return EFFECT in self.frame.columns

    def has(self, role: str) -> bool:
        return role in self.frame.columns

    def label(self, role: str) -> str:
        """The user's name for a role (falls back to the role itself)."""
        return self.names.get(role, role)

    def require(self, role: str, needed_by: str) -> None:
        if not self.has(role):
            raise UserInputError(
                f"{needed_by} needs the '{role}' column, but the data have none; "
                f"set data.columns.{role} to the column that holds it"
            )

    def with_frame(self, frame: pd.DataFrame) -> "Panel":
        return replace(self, frame=frame.reset_index(drop=True))

    def sha256(self) -> str:
        """A fingerprint of the data this panel holds (columns, order and values)."""
        digest = hashlib.sha256()
        for column in self.frame.columns:
            digest.update(str(column).encode())
            values = self.frame[column].to_numpy()
            if values.dtype.kind in "fiub":
                digest.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
            else:
                digest.update("\x1f".join(map(str, values)).encode())
        return digest.hexdigest()

    def missing_record(self, listed: int = 50) -> dict:
        """``{"missing": {...}}`` for a run's record: the policy, rows read and dropped in total
        and per column, and the first ``listed`` dropped rows; ``{}`` for synthetic panels."""
        if self.missing is None:
            return {}
        return {
            "missing": {
                "policy": self.missing,
                "rows_read": self.rows_read,
                "rows_dropped": len(self.dropped_rows),
                "by_column": dict(self.dropped),
                "rows": list(self.dropped_rows[:listed]),
            }
        }

    def summary(self) -> dict:
        periods = self.periods
        return {
            "n_obs": self.n_obs,
            "n_units": self.n_units,
            "periods": [periods[0], periods[-1]] if periods else [],
            "n_periods": len(periods),
            "balanced": self.is_balanced,
        }
