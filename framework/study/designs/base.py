"""What every design of a study provides: a panel per draw whose truth is known by construction.

A design is the data-generating process a study draws from. The synthetic ``world`` is the
paper's process (or, ``calibrated``, fitted to a file's moments); ``structured`` and
``placebo`` keep the user's own panel and change one thing whose truth is then exact. Every
drawn panel carries each row's true effect (``effect``, and ``moderator_effect`` where the
design knows it), from which :func:`framework.spec.true_values` computes the truth of every
coefficient of every spec.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Mapping

from framework.data.panel import EFFECT, MODERATOR_EFFECT, Panel
from framework.study.calibrate import MOMENTS, moments


class Draw(ABC):
    """One draw of a design: the panel each cell runs on, and its fingerprint."""

    @abstractmethod
    def panel(self, moderator: Mapping[str, Any] | None) -> tuple[Panel, str]:
        """The drawn panel, with ``moderator`` (the cell's ``moderator`` config) where the design
        can measure it several ways (the synthetic world); other designs have one moderator."""


class FixedDraw(Draw):
    """A draw that is one panel, whatever the cell's moderator config."""

    def __init__(self, panel: Panel):
        self._panel = (panel, panel.sha256())

    def panel(self, moderator: Mapping[str, Any] | None) -> tuple[Panel, str]:
        return self._panel


class Design(ABC):
    name: str
    """The design's name in ``study.design`` and in every row, table and sentence of the study."""
    assumptions: str
    """In plain words: what the design keeps, what it invents, and what its truth is."""
    fixed_inputs: bool = False
    """True when the controls (and one of treatment and outcome) are the same in every draw, so
    the estimators' folds and learner seeds are held at the study's first seed and what they fit
    on the unchanged columns is computed once per worker (``cache.nuisance=memory``)."""

    @abstractmethod
    def draw(self, seed: int) -> Draw:
        """The draw with ``seed``; raises :class:`framework.errors.UserInputError` when this
        draw cannot be made (recorded as failed; the other draws go on)."""

    def run_seed(self, seed: int, first_seed: int) -> int:
        """The seed of the runs of the draw with ``seed`` (folds, learners)."""
        return first_seed if self.fixed_inputs else seed

    def world(self) -> Mapping[str, Any] | None:
        """The synthetic-world knobs the draws use, recorded in each run's config (None: not a world)."""
        return None

    def warnings(self) -> list[str]:
        """What the user must know before trusting this design's verdicts."""
        return []

    resemblance_: list[dict] | None = None
    """Per moment: the file's value and the mean over a few of this design's draws
    (:func:`resemblance`), set when the design is built from a file."""

    def record(self) -> dict:
        """The design for ``study.json``: name, assumptions, what was fitted, how its draws
        resemble the file, warnings."""
        record = {"name": self.name, "assumptions": self.assumptions, "warnings": self.warnings()}
        if self.resemblance_ is not None:
            record["resemblance"] = self.resemblance_
        return record


def resemblance(design: Design, source: Panel, draws: int, first_seed: int) -> list[dict]:
    """The five scale-free moments of :mod:`framework.study.calibrate` on the user's panel and
    averaged over ``draws`` draws of ``design``: does what the estimators see look like the file?"""
    target = moments(source)
    found = [moments(design.draw(first_seed + k).panel(None)[0]) for k in range(draws)]
    return [{"moment": m, "file": target[m], "design": sum(f[m] for f in found) / draws} for m in MOMENTS]


def without_truth(panel: Panel) -> Panel:
    """The panel as a user's file would hold it: the synthetic world's true effects removed."""
    frame = panel.frame.drop(columns=[c for c in (EFFECT, MODERATOR_EFFECT) if c in panel.frame.columns])
    return panel.with_frame(frame)
