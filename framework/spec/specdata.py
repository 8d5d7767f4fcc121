"""The prepared sample an estimator receives."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from framework.data.panel import PanelShape
from framework.data.moderator_measures import NOTES
from framework.spec.spec import Spec


@dataclass(frozen=True)
class SpecData(PanelShape):
    """Rows and columns for one run, ready for any estimator.

    ``frame`` holds ``unit``, ``time``, ``outcome``, the covariates and one column per
    reported term; ``terms`` maps each term of the record (``treatment``; with moderation
    also ``moderator`` and ``treatment_x_moderator``) to its column. Covariates exclude
    unit and time effects: how those enter is each estimator's ``fe`` choice. It carries no
    truth: :func:`framework.spec.truth.true_values` computes the truth from the panel.
    """

    frame: pd.DataFrame
    covariates: tuple[str, ...]
    terms: dict[str, str]
    spec: Spec
    rows: dict[str, int] = field(default_factory=dict)
    """Rows kept after each step of the spec, in order."""
    names: dict[str, str] = field(default_factory=dict)
    """Role -> the user's column name (``treatment`` -> ``union``), for messages and records."""
    source_rows: tuple[int, ...] = ()
    """Each row's position in the panel it came from (the truth is looked up there, not here)."""
    moderator_scale: float | None = None
    """Moderator units per unit of the transformed moderator (1 centred, max-min normalised)."""

    def label(self, role: str) -> str:
        """The user's name for a role or term column (falls back to the name itself)."""
        return self.names.get(role, role)

    def describe(self) -> dict:
        periods = self.periods
        return {
            "window": [periods[0], periods[-1]],
            "window_name": self.spec.window_name,
            "sample": self.spec.sample_name,
            "controls": self.spec.controls,
            "covariates": list(self.covariates),
            "moderation": self.spec.moderation,
            "moderator": self.spec.moderator,
            **({"moderator_note": NOTES[self.spec.moderator]} if self.spec.moderator_is_proxy else {}),
            "rows": dict(self.rows),
            "balanced": self.n_obs == self.n_units * len(periods),
        }
