"""Apply a :class:`Spec` to a :class:`Panel`, in a fixed order that every estimator shares.

1. window: keep periods in [start, end] (null bounds = the data's first/last period; or
   ``window.half``: the first or second half of the data's periods);
2. exclusions: drop municipalities (``sample.drop_municipalities``);
3. winsorisation: clip outcome, treatment, controls and moderator at the given quantiles of
   the rows left after steps 1-2 (rows are kept; values change);
4. median split: ``high`` keeps rows whose treatment is above the median of the rows left,
   ``low`` keeps the rest (at or below the median);
5. covariates: the data's controls (``controls=paper``) or none, plus the resource-city
   dummy when ``sample.resource_control`` is set;
6. moderation: transform the moderator on the final rows and form the interaction.
"""

from __future__ import annotations

import pandas as pd

from framework.data.panel import Panel
from framework.errors import UserInputError
from framework.numerics.transforms import period_halves
from framework.spec.spec import Spec
from framework.spec.specdata import SpecData

MODERATOR_TERM = "moderator_tilde"
INTERACTION_TERM = "treatment_x_moderator"


def apply_spec(panel: Panel, spec: Spec) -> SpecData:
    frame = panel.frame.reset_index(drop=True)  # the index is each row's position in the panel
    rows = {"data": len(frame)}

    frame = _window(frame, spec, panel)
    rows["window"] = len(frame)

    if spec.drop_municipalities:
        panel.require("municipality", "sample.drop_municipalities")
        frame = frame[frame["municipality"] == 0]
        _not_empty(frame, "dropping municipalities", panel)
        rows["exclusions"] = len(frame)

    if spec.winsorize is not None:
        frame = _winsorize(frame, panel, spec.winsorize, spec.moderated)

    if spec.treatment_half is not None:
        median = frame["treatment"].median()
        keep = frame["treatment"] > median if spec.treatment_half == "high" else frame["treatment"] <= median
        frame = frame[keep]
        _not_empty(frame, f"the {spec.treatment_half}-{panel.label('treatment')} half", panel)
        rows["median_split"] = len(frame)

    covariates = list(panel.controls) if spec.controls == "paper" else []
    if spec.resource_control:
        panel.require("resource_city", "sample.resource_control")
        covariates.append("resource_city")

    source_rows = tuple(int(i) for i in frame.index)
    frame = frame.reset_index(drop=True)
    if frame["treatment"].nunique() < 2:
        raise UserInputError(f"{panel.label('treatment')} has no variation in the rows this spec keeps ({panel.source})")

    terms = {"treatment": "treatment"}
    columns = ["unit", "time", "outcome", "treatment", *covariates]
    scale = None
    if spec.moderated:
        panel.require("moderator", f"moderation={spec.moderation}")
        frame, scale = _moderate(frame, spec.moderation, panel)
        terms.update({"moderator": MODERATOR_TERM, "treatment_x_moderator": INTERACTION_TERM})
        columns += [MODERATOR_TERM, INTERACTION_TERM]
    # The raw moderator rides along (not as a term) for estimators that use it as an effect
    # modifier. The truth stays in the panel (framework.spec.truth).
    if "moderator" in frame.columns:
        columns.append("moderator")
    if "weights" in frame.columns:  # regression weights, for the families that use them
        columns.append("weights")

    return SpecData(
        frame=frame[list(dict.fromkeys(columns))],
        covariates=tuple(covariates),
        terms=terms,
        spec=spec,
        rows=rows,
        names={**dict(panel.names), **{c: c for c in covariates if c not in panel.names}},
        source_rows=source_rows,
        moderator_scale=scale,
    )


def _window(frame: pd.DataFrame, spec: Spec, panel: Panel) -> pd.DataFrame:
    first, last = int(frame["time"].min()), int(frame["time"].max())
    start = first if spec.window_start is None else spec.window_start
    end = last if spec.window_end is None else spec.window_end
    if spec.window_half is not None:  # the data's periods split in two (2011-2021: 2011-2015, 2016-2021)
        halves = list(period_halves(frame["time"]).values())
        start, end = halves[0] if spec.window_half == "first" else halves[-1]
    kept = frame[(frame["time"] >= start) & (frame["time"] <= end)]
    if kept.empty:
        raise UserInputError(
            f"window {start}-{end} leaves no rows: {panel.source} covers {first}-{last} (window.start / window.end)"
        )
    if kept["time"].nunique() < 2:
        raise UserInputError(f"window {start}-{end} leaves a single period in {panel.source}; a panel needs two or more")
    return kept


def _not_empty(frame: pd.DataFrame, step: str, panel: Panel) -> None:
    if frame.empty:
        raise UserInputError(f"{step} leaves no rows in {panel.source}")


def _winsorize(frame: pd.DataFrame, panel: Panel, quantiles: tuple[float, float], moderated: bool) -> pd.DataFrame:
    columns = ["outcome", "treatment", *panel.controls]
    if moderated and "moderator" in frame.columns:
        columns.append("moderator")
    frame = frame.copy()
    low, high = quantiles
    for column in columns:
        lo, hi = frame[column].quantile([low, high])
        frame[column] = frame[column].clip(lo, hi)
    return frame


def _moderate(frame: pd.DataFrame, how: str, panel: Panel) -> tuple[pd.DataFrame, float]:
    """Table 6: the moderator enters transformed, and interacts with the centred treatment.

    ``centered``: M~ = M - mean(M). ``normalized``: min-max scaled to [0, 1], then centred,
    so that the treatment coefficient is the effect at the mean moderator in both columns
    (the paper's UIL coefficients agree across its two columns: -0.137 and -0.139).
    """
    moderator = frame["moderator"]
    if how == "centered":
        scale = 1.0
        tilde = moderator - moderator.mean()
    else:
        span = float(moderator.max() - moderator.min())
        if span == 0:
            raise UserInputError(f"{panel.label('moderator')} is constant in the rows this spec keeps; it cannot be normalised")
        scale = span
        normalised = (moderator - moderator.min()) / span
        tilde = normalised - normalised.mean()
    frame = frame.copy()
    frame[MODERATOR_TERM] = tilde.to_numpy()
    frame[INTERACTION_TERM] = (frame["treatment"] - frame["treatment"].mean()).to_numpy() * tilde.to_numpy()
    return frame, scale
