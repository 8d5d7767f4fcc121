"""The standardised arrays, indices and averaging weights of one fit (``_Design``).

Standardisation, the removal of city and year means and the heterogeneity groups are
described in ``docs/estimators/bayes_hier.md``.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from framework.errors import UserInputError
from framework.numerics.transforms import demean, group_means


class _Design:
    """The standardised arrays, indices and row weights of one fit."""

    terms: list[str]
    cities: list
    years: list[int]
    city_idx: np.ndarray
    year_idx: np.ndarray
    y: np.ndarray                      # standardised outcome
    d: np.ndarray                      # standardised treatment, less its city/year means
    x: np.ndarray                      # standardised covariates (moderation terms first), likewise
    y_sd: float
    d_sd: float
    x_sd: list[float]
    covariate_names: list[str]
    term_columns: dict[str, int]       # moderation term -> its column of x
    moderator: np.ndarray | None       # the spec's M~ (data units), with moderation
    city_means: np.ndarray             # orthonormalised city means (fe=cre)
    mundlak_names: list[str]
    year_means: np.ndarray             # orthonormalised year means (year_effects=pooled)
    year_mundlak_names: list[str]
    modelled: list[str]                # heterogeneity actually modelled
    period_labels: list[str]
    period_idx: np.ndarray
    period_n_obs: dict[str, int]       # rows per period window
    group_labels: list[str]
    group_idx: np.ndarray              # per city
    period_weights: np.ndarray | None  # rows of averaging weights over the sample's rows
    half_labels: list[str]
    half_weights: np.ndarray
    half_n_obs: dict[str, int]         # rows per treatment half

    @classmethod
    def from_data(cls, data, fe: str, year_effects: str, heterogeneity: tuple[str, ...], period_end: int) -> "_Design":
        from framework.estimators.bayes_hier.groups import SlopeGroups

        self = cls()
        frame = data.frame
        terms = list(data.terms)
        if "treatment" not in terms:
            raise UserInputError("bayes_hier needs the treatment term")
        # the other terms (moderator, interaction) enter like controls, first
        term_cols = [data.terms[t] for t in terms if t != "treatment"]
        covariates = list(dict.fromkeys(term_cols + [c for c in data.covariates if c not in term_cols]))
        self.terms = terms
        self.cities, city_idx = _codes(frame["unit"])
        years, year_idx = _codes(frame["time"])
        self.years = [int(y) for y in years]
        self.city_idx, self.year_idx = city_idx, year_idx

        y = frame["outcome"].to_numpy(dtype=float)
        d = frame[data.terms["treatment"]].to_numpy(dtype=float)
        x = frame[covariates].to_numpy(dtype=float).reshape(len(frame), len(covariates))
        for name, values in [("outcome", y), ("treatment", d)] + list(zip(covariates, x.T)):
            if not np.all(np.isfinite(values)):
                raise UserInputError(f"bayes_hier: column {name!r} has missing or infinite values")
        self.y_sd, y_std = _standardise(y)
        self.d_sd, d_std = _standardise(d)
        standardised = [_standardise(column) for column in x.T]
        self.x_sd = [sd for sd, _ in standardised]
        x_std = np.column_stack([values for _, values in standardised]) if standardised else np.zeros((len(frame), 0))
        self.y = y_std
        self.covariate_names = [_label(c, data.terms) for c in covariates]
        self.term_columns = {t: covariates.index(data.terms[t]) for t in terms if t != "treatment"}
        self.moderator = frame[data.terms["moderator"]].to_numpy(dtype=float) if "moderator" in data.terms else None

        # Slopes act on deviations from the city means (fe=cre, dummies) and then from the year
        # means (year effects modelled): those means are carried by the city and year effects,
        # which keeps the slopes apart from them and the posterior nearly uncorrelated.
        # (In an unbalanced sample the two are removed alternately until neither is left.)
        row = np.column_stack([d_std, x_std])
        if fe == "cre":
            self.city_means = _orthonormal(group_means(row, city_idx))
            self.mundlak_names = [f"q{k + 1}" for k in range(self.city_means.shape[1])]
        if year_effects == "pooled":
            self.year_means = _orthonormal(group_means(row, year_idx))
            self.year_mundlak_names = [f"q{k + 1}" for k in range(self.year_means.shape[1])]
        groupings = ([city_idx] if fe in ("cre", "dummies") else []) + ([year_idx] if year_effects != "none" else [])
        row = demean(row, groupings)
        self.d, self.x = row[:, 0], row[:, 1:]

        # heterogeneity of the slope
        time = frame["time"].to_numpy(dtype=int)
        groups = SlopeGroups(data, time, d, city_idx, heterogeneity, period_end)
        self.period_labels, self.period_n_obs, self.modelled = groups.period_labels, groups.period_n_obs, groups.modelled
        self.period_idx = np.where(groups.early, 0, 1)
        self.group_labels = ["unit_treatment_above_median", "unit_treatment_at_or_below_median"]
        self.group_idx = np.where(groups.unit_high, 0, 1)
        self.period_weights = groups.period_weights
        self.half_labels, self.half_weights, self.half_n_obs = groups.half_labels, groups.half_weights, groups.half_n_obs
        return self


def _codes(series: pd.Series) -> tuple[list, np.ndarray]:
    codes, levels = pd.factorize(series, sort=True)
    return list(levels), codes.astype(np.int64)


def _standardise(values: np.ndarray) -> tuple[float, np.ndarray]:
    sd = float(values.std())
    if not sd > 0:
        sd = 1.0
    return sd, (values - values.mean()) / sd


def _orthonormal(columns: np.ndarray) -> np.ndarray:
    """The centred columns' span as orthogonal columns of unit SD (thin QR), dropping any
    direction the columns do not span (e.g. a control constant across cities)."""
    centred = columns - columns.mean(axis=0)
    q, r = np.linalg.qr(centred)
    keep = np.abs(np.diag(r)) > 1e-8 * max(1.0, float(np.abs(r).max()))
    return q[:, keep] * math.sqrt(len(columns))


def _weights(masks: list[np.ndarray]) -> np.ndarray:
    """Rows of averaging weights, one per mask (an empty mask gets zero weights)."""
    rows = []
    for mask in masks:
        mask = mask.astype(float)
        rows.append(mask / mask.sum() if mask.sum() else mask)
    return np.vstack(rows)


def _label(column: str, terms: Mapping[str, str]) -> str:
    for term, name in terms.items():
        if name == column:
            return term
    return column
