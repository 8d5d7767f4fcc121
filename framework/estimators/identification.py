"""Guards run before any family fits: can this sample identify what the family estimates?

Each family says which effects its ``fe`` choice removes (``Estimator.absorbed_effects``) and
by what its standard errors are clustered (``Estimator.cluster_by``); from those and the data:

* the treatment must vary within units when unit effects are removed (a time-invariant
  treatment is absorbed by them), within periods when period effects are removed, and in
  enough units (``MIN_VARYING_UNITS``) for its variance to rest on more than a handful;
* a binary treatment needs ``MIN_MINORITY_ROWS`` rows of its rarer value;
* cluster-robust inference needs ``MIN_CLUSTERS`` clusters: with G clusters even a wild
  cluster bootstrap has 2^G sign patterns, so below 5 (16 patterns) no test can reach the
  5 % level; below ``FEW_CLUSTERS`` (30) the record warns (Cameron and Miller 2015);
* every value used must lie within ``MAX_MAGNITUDE`` so squares and cross-products stay
  finite in double precision.

A refusal is a :class:`~framework.errors.UserInputError` naming the column, the family and
its ``fe`` choice; a warning is a line returned for the record's ``warnings``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.errors import UserInputError
from framework.numerics.transforms import varies_within
from framework.spec import SpecData

MIN_VARYING_UNITS = 5
FEW_VARYING_UNITS = 30
MIN_MINORITY_ROWS = 5
MIN_CLUSTERS = 5
FEW_CLUSTERS = 30
MAX_MAGNITUDE = 1e100
VARIATION_TOL = 1e-12
"""Spreads below this share of a column's scale are rounding, not variation."""


def check_identification(data: SpecData, family: str, fe: str | None, absorbed: tuple[str, ...],
                         cluster_by: str | None) -> list[str]:
    """Refuse what ``family`` cannot identify in ``data``; return warnings for what it barely can."""
    warnings: list[str] = []
    _check_magnitudes(data)
    choice = f"{family} with estimator.fe={fe}" if fe else family
    treatment = data.terms.get("treatment", "treatment")
    name = data.label("treatment")
    unit = "unit"
    frame = data.frame
    values = frame[treatment].to_numpy(dtype=float)
    distinct = np.unique(values)
    if distinct.size == 2:
        minority = int(min((values == distinct[0]).sum(), (values == distinct[1]).sum()))
        if minority < MIN_MINORITY_ROWS:
            raise UserInputError(
                f"{name} is binary and takes its rarer value ({distinct[0] if (values == distinct[0]).sum() == minority else distinct[1]:g}) "
                f"in only {minority} of {len(values)} rows; at least {MIN_MINORITY_ROWS} are needed to estimate its effect"
            )
    if "unit" in absorbed:
        varies = varies_within(frame, treatment, "unit", VARIATION_TOL)
        n_varying = int(varies.sum())
        if n_varying == 0:
            raise UserInputError(
                f"{name} does not vary within any {_unit_word(data)} in this sample (time-invariant), so {choice} cannot estimate "
                f"its effect: the {unit} effects absorb it (only variation between units can: e.g. estimator.fe=none, "
                "bayes_hier's estimator.model=explicit estimator.fe=random or twfe's estimator.effects=time)"
            )
        if n_varying < MIN_VARYING_UNITS:
            raise UserInputError(
                f"{name} varies within only {n_varying} of {len(varies)} {unit}s in this sample; {choice} learns its effect "
                f"from those alone and needs at least {MIN_VARYING_UNITS}"
            )
        if n_varying < min(FEW_VARYING_UNITS, len(varies)):
            rows = int(frame["unit"].isin(varies.index[varies]).sum())
            warnings.append(
                f"few varying {unit}s: {name} varies within {n_varying} of {len(varies)} {unit}s ({rows} of {len(frame)} rows); "
                f"its effect under {choice} rests on them alone"
            )
    if "time" in absorbed and not varies_within(frame, treatment, "time", VARIATION_TOL).any():
        raise UserInputError(
            f"{name} is the same for every {unit} in each period of this sample, so {choice} cannot estimate its effect: "
            "the period effects absorb it"
        )
    if cluster_by is not None:
        warnings += _check_clusters(frame, cluster_by, unit, choice)
    return warnings


def _check_clusters(frame: pd.DataFrame, cluster_by: str, unit: str, choice: str) -> list[str]:
    counts = {"unit": frame["unit"].nunique(), "time": frame["time"].nunique()}
    dimensions = ["unit", "time"] if cluster_by == "two_way" else [cluster_by]
    words = {"unit": f"{unit}s", "time": "periods"}
    warnings = []
    for dimension in dimensions:
        g = int(counts[dimension])
        if g < MIN_CLUSTERS:
            raise UserInputError(
                f"only {g} {words[dimension]} to cluster by in this sample; {choice} clusters its standard errors by "
                f"{dimension} and needs at least {MIN_CLUSTERS} clusters (with fewer no test can reach the 5 % level)"
            )
        if g < FEW_CLUSTERS:
            warnings.append(
                f"few clusters: {g} {words[dimension]}; cluster-robust standard errors are unreliable below about "
                f"{FEW_CLUSTERS} clusters and tend to be too small"
            )
    return warnings


def _check_magnitudes(data: SpecData) -> None:
    columns = ["outcome", *data.terms.values(), *data.covariates]
    for column in dict.fromkeys(columns):
        values = data.frame[column].to_numpy(dtype=float)
        largest = float(np.max(np.abs(values))) if values.size else 0.0
        if not np.isfinite(largest) or largest > MAX_MAGNITUDE:
            raise UserInputError(
                f"column {data.label(column)!r} has values up to {largest:.3g}: beyond {MAX_MAGNITUDE:.0e}, squares overflow; "
                "rescale it (e.g. divide it by a power of ten)"
            )


def _unit_word(data: SpecData) -> str:
    """``unit``, with the user's id column where it has another name (``unit (nr)``)."""
    label = data.names.get("unit")
    return f"unit ({label})" if label and label != "unit" else "unit"


MAX_STANDARDISED = 1e3
"""An estimate or SE above this many outcome SDs per SD of its column is not a number the
sample identified (a near-singular design, an absorbed treatment that slipped through)."""


def check_estimates(coefficients, data: SpecData, family: str) -> None:
    """Refuse a fit whose own numbers cannot be right: a non-finite estimate or SE, or one
    many orders of magnitude beyond the outcome's scale."""
    outcome_sd = float(data.frame["outcome"].std())
    for coef in coefficients:
        column = data.terms.get(coef.term)
        name = data.label(column) if column else coef.term
        numbers = {"estimate": coef.estimate, "standard error": coef.std_error}
        for what, value in numbers.items():
            if value is None or not np.isfinite(value):
                raise UserInputError(f"{family} returned a non-finite {what} for {name}: the sample does not identify it")
        if column is None or not outcome_sd > 0:
            continue
        scale = float(data.frame[column].std()) / outcome_sd
        worst = max(abs(coef.estimate), abs(coef.std_error)) * scale
        if worst > MAX_STANDARDISED:
            raise UserInputError(
                f"{family} returned {coef.estimate:.4g} (SE {coef.std_error:.4g}) for {name}: {worst:.3g} outcome SDs per SD "
                f"of {name}, beyond any effect this sample can identify"
            )
