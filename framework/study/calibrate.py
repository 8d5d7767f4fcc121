"""Calibrate the synthetic world to a user's panel, so the study answers "which estimator
to trust on data shaped like mine".

What is matched, and how:

* shape: the number of cities and the first and last year are the file's (the world is
  balanced; an unbalanced file's gaps are not mimicked);
* means and standard deviations of the outcome and the treatment: exactly, in every draw, by
  an affine map of the draw's Gini and UIL onto the file's (:class:`Scales`); each row's true
  effects are rescaled with them (by sd_y / sd_d for the treatment, sd_y for the moderator's
  own effect), so truth stays exact;
* dependence: the knobs ``confounding``, ``treatment_noise`` and ``outcome_noise`` are chosen
  by simulated method of moments over a grid, to bring the world's scale-free moments
  (:func:`moments`) closest to the file's: the within-city share of the variance of outcome
  and treatment, the correlation of city means of outcome and treatment, the correlation of
  their two-way demeaned values, and the mean absolute correlation of the treatment with the
  controls.

Not matched: the number and meaning of the controls (the world keeps its five), non-linearity
and effect heterogeneity (not identified by moments; sweep ``data.world.nonlinearity`` and
``data.world.heterogeneity`` to see how much they matter).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, replace
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from framework.data.panel import EFFECT, MODERATOR_EFFECT, Panel
from framework.data.synthetic import WorldKnobs, generate_world
from framework.errors import UserInputError
from framework.numerics.transforms import time_codes, two_way_demean, unit_codes

MOMENTS = ("within_share_outcome", "within_share_treatment", "corr_between", "corr_within", "corr_controls")
FITTED_KNOBS = ("confounding", "treatment_noise", "outcome_noise")


def moments(panel: Panel) -> dict[str, float]:
    """Scale-free moments of a panel (see the module docstring)."""
    frame = panel.frame
    unit = frame["unit"]
    y, d = frame["outcome"].astype(float), frame["treatment"].astype(float)
    y_city, d_city = y.groupby(unit).transform("mean"), d.groupby(unit).transform("mean")
    controls = [c for c in panel.controls if frame[c].std() > 0]
    return {
        "within_share_outcome": _share(y - y_city, y),
        "within_share_treatment": _share(d - d_city, d),
        "corr_between": _corr(y.groupby(unit).mean(), d.groupby(unit).mean()),
        "corr_within": _corr(*two_way_demean(np.column_stack([y, d]), unit_codes(frame), time_codes(frame)).T),
        "corr_controls": float(np.mean([abs(_corr(d, frame[c].astype(float))) for c in controls])) if controls else 0.0,
    }


def _share(part: pd.Series, whole: pd.Series) -> float:
    total = whole.var()
    return float(part.var() / total) if total > 0 else 0.0


def _corr(a: pd.Series, b: pd.Series) -> float:
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant series has no correlation: 0
        value = np.corrcoef(np.asarray(a, float), np.asarray(b, float))[0, 1]
    return float(value) if np.isfinite(value) else 0.0


@dataclass(frozen=True)
class Scales:
    """An affine map of a world draw's outcome and treatment onto a file's means and SDs."""

    outcome_mean: float
    outcome_sd: float
    treatment_mean: float
    treatment_sd: float

    @classmethod
    def of(cls, panel: Panel) -> "Scales":
        frame = panel.frame
        return cls(
            float(frame["outcome"].mean()), float(frame["outcome"].std()),
            float(frame["treatment"].mean()), float(frame["treatment"].std()),
        )

    def apply(self, panel: Panel) -> Panel:
        """The draw in the file's units; each row's true effects scale with it, so truth stays exact."""
        frame = panel.frame.copy()
        y, d = frame["outcome"], frame["treatment"]
        y_scale, d_scale = self.outcome_sd / y.std(), self.treatment_sd / d.std()
        frame["outcome"] = self.outcome_mean + y_scale * (y - y.mean())
        frame["treatment"] = self.treatment_mean + d_scale * (d - d.mean())
        frame[EFFECT] = frame[EFFECT] * y_scale / d_scale
        if MODERATOR_EFFECT in frame.columns:
            frame[MODERATOR_EFFECT] = frame[MODERATOR_EFFECT] * y_scale
        return replace(panel.with_frame(frame), source=f"{panel.source}, in the units of the calibration file")


@dataclass(frozen=True)
class Calibration:
    knobs: WorldKnobs
    units: Scales
    target: dict[str, float]
    achieved: dict[str, float]
    default: dict[str, float]
    distance: float

    def fit_table(self, tolerance: float) -> list[dict]:
        """Per moment: the file's value, the calibrated world's, their difference and whether it
        is within ``tolerance`` (all moments are shares or correlations, so one absolute scale)."""
        return [
            {"moment": m, "file": self.target[m], "world": self.achieved[m], "difference": self.achieved[m] - self.target[m],
             "default_world": self.default[m], "within_tolerance": abs(self.achieved[m] - self.target[m]) <= tolerance}
            for m in MOMENTS
        ]

    def misses(self, tolerance: float) -> list[str]:
        """One warning naming every moment the calibrated world misses by more than ``tolerance``."""
        missed = [row for row in self.fit_table(tolerance) if not row["within_tolerance"]]
        if not missed:
            return []
        listed = "; ".join(f"{MOMENT_LABELS[r['moment']]}: file {r['file']:+.2f}, world {r['world']:+.2f}" for r in missed)
        return [
            f"calibrated: the world misses your file by more than {tolerance:g} on {len(missed)} of {len(MOMENTS)} moments "
            f"({listed}); its verdicts describe the paper's world more than your data"
        ]

    def to_record(self, tolerance: float | None = None) -> dict:
        record = {
            "knobs": asdict(self.knobs),
            "units": asdict(self.units),
            "moments": {m: {"file": self.target[m], "calibrated": self.achieved[m], "default_world": self.default[m]} for m in MOMENTS},
            "distance": self.distance,
            "fitted_knobs": list(FITTED_KNOBS),
        }
        if tolerance is not None:
            record["tolerance"] = tolerance
            record["fit"] = self.fit_table(tolerance)
        return record


MOMENT_LABELS = {
    "within_share_outcome": "within-unit share of the outcome's variance",
    "within_share_treatment": "within-unit share of the treatment's variance",
    "corr_between": "correlation of unit means (outcome, treatment)",
    "corr_within": "two-way within correlation (outcome, treatment)",
    "corr_controls": "mean |correlation| of treatment and controls",
}


DEFAULT_GRID = {
    "confounding": (0.0, 0.5, 1.0, 1.5, 2.0),
    "treatment_noise": (0.01, 0.02, 0.04, 0.07),
    "outcome_noise": (0.01, 0.04, 0.08),
}


def calibrate(
    panel: Panel,
    base: WorldKnobs | None = None,
    grid: Mapping[str, Sequence[float]] | None = None,
    draws: int = 2,
    seed: int = 0,
) -> Calibration:
    """Knobs whose world's moments (averaged over ``draws`` draws) are closest to ``panel``'s.

    The shape comes from the panel; the fitted knobs from the grid (every combination).
    """
    periods = panel.periods
    if panel.n_units < 10 or len(periods) < 2:
        raise UserInputError(f"calibration needs at least 10 units and 2 periods; {panel.source} has {panel.n_units} and {len(periods)}")
    base = base or WorldKnobs()
    shape = dict(n_cities=panel.n_units, start_year=int(periods[0]), end_year=int(periods[-1]),
                 n_municipalities=min(base.n_municipalities, panel.n_units - 1),
                 early_window_end=min(max(base.early_window_end, int(periods[0])), int(periods[-1])))
    base = replace(base, **shape)
    grid = {k: tuple(v) for k, v in (grid or DEFAULT_GRID).items()}
    unknown = sorted(set(grid) - set(FITTED_KNOBS))
    if unknown:
        raise UserInputError(f"study.calibration.grid: cannot fit {', '.join(unknown)}; fitted knobs: {', '.join(FITTED_KNOBS)}")
    target = moments(panel)
    best = None
    for values in itertools.product(*grid.values()):
        knobs = replace(base, **dict(zip(grid, values)))
        try:
            achieved = _world_moments(knobs, draws, seed)
        except UserInputError:  # knobs the world refuses (e.g. UIL pushed outside [1, 3])
            continue
        distance = float(sum((achieved[m] - target[m]) ** 2 for m in MOMENTS))
        if best is None or distance < best[0]:
            best = (distance, knobs, achieved)
    if best is None:
        raise UserInputError("calibration: no knob combination in study.calibration.grid gives a valid world")
    distance, knobs, achieved = best
    return Calibration(knobs, Scales.of(panel), target, achieved, _world_moments(base, draws, seed), distance)


def _world_moments(knobs: WorldKnobs, draws: int, seed: int) -> dict[str, float]:
    found = [moments(generate_world(knobs, seed=seed + k).panel) for k in range(draws)]
    return {m: float(np.mean([f[m] for f in found])) for m in MOMENTS}
