"""The linearmodels fit behind each ``fe`` choice, with the effects, clusters and weights asked for.

Each function takes the frame (sorted by unit and period), the regressors (term columns then
kept covariates), the checked settings and the weights (or None), and returns linearmodels'
results with the choice's own diagnostics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from linearmodels import FirstDifferenceOLS, PanelOLS, PooledOLS

from framework.errors import UserInputError, first_line
from framework.estimators.twfe.config import Settings
from framework.estimators.twfe.design import TOL, dummies, independent_columns, require_full_rank, unit_means, with_constant
from framework.numerics.transforms import adjacent_rows, within_constant


def fit_model(frame: pd.DataFrame, regressors: list[str], settings: Settings, weights: pd.Series | None):
    """linearmodels' results and the choice's diagnostics; its errors become one line."""
    indexed = frame.set_index(["unit", "time"])
    w = None if weights is None else pd.Series(weights.to_numpy(dtype=float), index=indexed.index, name="weights")
    try:
        return FITS[settings.fe](frame, indexed, regressors, settings, w)
    except UserInputError:
        raise
    except ValueError as error:  # linearmodels: absorbed or collinear regressors, no residual df
        raise UserInputError(f"{settings.choice_text()}: linearmodels cannot fit this sample: {first_line(error)}") from None


def n_effects(frame: pd.DataFrame, settings: Settings) -> int:
    """The effects a ``within`` or ``dummies`` model estimates: N + T - 1, N or T."""
    units, periods = int(frame["unit"].nunique()), int(frame["time"].nunique())
    return {"two_way": units + periods - 1, "unit": units, "time": periods}[settings.effects]


def _within(frame, indexed, regressors, settings, weights):
    model = PanelOLS(indexed["outcome"], indexed[regressors], entity_effects=settings.unit_effects,
                     time_effects=settings.time_effects, weights=weights)
    result = model.fit(**settings.cov_options())
    return result, {"n_units_used": frame["unit"].nunique(), "n_effects": n_effects(frame, settings)}


def _dummies(frame, indexed, regressors, settings, weights):
    design = with_constant(indexed[regressors])
    if settings.unit_effects:
        design = design.join(dummies(indexed, "unit"))
    if settings.time_effects:
        design = design.join(dummies(indexed, "time"))
    result = PooledOLS(indexed["outcome"], design, weights=weights).fit(**settings.cov_options())
    return result, {"n_units_used": frame["unit"].nunique(), "n_effects": n_effects(frame, settings)}


def _fd(frame, indexed, regressors, settings, weights):
    adjacent = adjacent_rows(frame)
    if not adjacent.any():
        raise UserInputError("estimator.fe=fd: no unit has two adjacent periods in this sample")
    design = indexed[regressors]
    if settings.time_effects:
        periods = dummies(indexed, "time")
        # a period dummy that no adjacent pair uses differences to zero everywhere: leave it out
        changes = periods.to_numpy() - periods.groupby(level="unit").shift(1).to_numpy()
        design = design.join(periods.loc[:, np.any(changes[adjacent] != 0, axis=0)])
    result = FirstDifferenceOLS(indexed["outcome"], design, weights=weights).fit(**settings.cov_options())
    return result, {"n_units_used": frame.loc[adjacent, "unit"].nunique()}


def _cre(frame, indexed, regressors, settings, weights):
    varying = [c for c in regressors if not within_constant(frame, c, "unit", TOL)]
    base = with_constant(indexed[regressors])
    averaged = indexed[varying]
    if settings.time_effects:
        periods = dummies(indexed, "time")
        base = base.join(periods)
        averaged = pd.concat([averaged, periods], axis=1)
    means = unit_means(averaged, weights)
    kept_means = independent_columns(base, means)
    design = base.join(means[kept_means])
    require_full_rank(design, settings)
    result = PooledOLS(indexed["outcome"], design, weights=weights).fit(**settings.cov_options())
    return result, {
        "n_units_used": frame["unit"].nunique(),
        "unit_means": kept_means,
        "unit_means_dropped_as_collinear": [c for c in means.columns if c not in kept_means],
    }


def _none(frame, indexed, regressors, settings, weights):
    design = with_constant(indexed[regressors])
    require_full_rank(design, settings)
    result = PooledOLS(indexed["outcome"], design, weights=weights).fit(**settings.cov_options())
    return result, {"n_units_used": frame["unit"].nunique()}


FITS = {"within": _within, "dummies": _dummies, "fd": _fd, "cre": _cre, "none": _none}
