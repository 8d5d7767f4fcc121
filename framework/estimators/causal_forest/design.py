"""What the causal forest sees, and the folds it cross-fits on.

The effect modifiers X, the nuisance controls W and the residual transform T of each
``estimator.fe`` (``docs/estimators/causal_forest.md``, "estimator.fe"), the folds (by city,
or rows at random under ``dummies``) and the cross-fitted predictions of the learner.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, KFold

from framework.errors import UserInputError
from framework.numerics.transforms import one_hot, time_codes, two_way_demean

FE_HANDLING = {
    "within": "nuisances learnt on levels with unit means of the controls in W; residuals demeaned by unit and period before the forest",
    "cre": "nuisances learnt on levels with unit means of the controls and treatment and period indicators in W (Mundlak)",
    "dummies": "one-hot unit and period columns in W (the paper's); rows split at random",
    "none": "controls only in W",
}


class Design:
    """What the forest sees: outcome and treatment, modifiers X, controls W, residual transform."""

    def __init__(self, y, d, X, W, demean, moderator_feature):
        self.y, self.d, self.X, self.W = y, d, X, W
        self.demean = demean
        self.moderator_feature = moderator_feature

    def transform(self, values):
        return self.demean(values) if self.demean else np.asarray(values, dtype=float)

    def nuisance_features(self, drop: str | None) -> pd.DataFrame:
        parts = [self.X.drop(columns=[drop]) if drop in self.X.columns else self.X]
        if self.W is not None:
            parts.append(self.W)
        return pd.concat(parts, axis=1)


def build_design(frame: pd.DataFrame, controls: list[str], units: np.ndarray, fe: str, modifiers: list[str], moderator_col) -> Design:
    X = pd.DataFrame(index=frame.index)
    moderator_feature = None
    treatment_city_mean = frame.groupby("unit")["treatment"].transform("mean").to_numpy(dtype=float)
    for modifier in modifiers:
        if modifier == "moderator":
            moderator_feature = "x_moderator"
            X[moderator_feature] = frame[moderator_col].to_numpy(dtype=float)
        elif modifier == "time":
            X["x_time"] = frame["time"].to_numpy(dtype=float)
        elif modifier == "treatment_city_mean":
            X["x_treatment_city_mean"] = treatment_city_mean
        elif modifier == "controls":
            for column in controls:
                X[f"x_{column}"] = frame[column].to_numpy(dtype=float)
    if X.shape[1] == 0:
        raise UserInputError("estimator.modifiers leaves the forest no effect modifier in this sample; add time or controls")

    W = pd.DataFrame(index=frame.index)
    if "controls" not in modifiers:
        for column in controls:
            W[f"w_{column}"] = frame[column].to_numpy(dtype=float)
    if fe in ("within", "cre"):
        if controls:
            city_means = frame.groupby("unit")[controls].transform("mean")
            for column in controls:
                W[f"w_{column}_city_mean"] = city_means[column].to_numpy(dtype=float)
                W[f"w_{column}_city_deviation"] = (frame[column] - city_means[column]).to_numpy(dtype=float)
        if "treatment_city_mean" not in modifiers:
            W["w_treatment_city_mean"] = treatment_city_mean
    if fe == "cre":
        W = pd.concat([W, one_hot(frame["time"], "w_year")], axis=1)
    elif fe == "dummies":
        W = pd.concat([W, one_hot(frame["unit"], "w_city"), one_hot(frame["time"], "w_year")], axis=1)
    elif "time" not in modifiers:
        W["w_time"] = frame["time"].to_numpy(dtype=float)

    demean = None
    if fe == "within":
        times = time_codes(frame)
        demean = lambda values: two_way_demean(values, units, times)  # noqa: E731
    y = frame["outcome"].to_numpy(dtype=float)
    d = frame["treatment"].to_numpy(dtype=float)
    return Design(y, d, X, W if W.shape[1] else None, demean, moderator_feature)


def make_folds(units: np.ndarray, folds: int, seed: int, by_city: bool) -> list:
    index = np.zeros((len(units), 1))
    if by_city:
        if folds > len(np.unique(units)):
            raise UserInputError(f"split.folds = {folds} is more than the {len(np.unique(units))} units of this sample")
        return list(GroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(index, groups=units))
    return list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(index))


def cross_fit_predict(learner, features, target, folds) -> np.ndarray:
    values = features.to_numpy(dtype=float) if hasattr(features, "to_numpy") else np.asarray(features, dtype=float)
    out = np.empty(len(target))
    for train, test in folds:
        model = clone(learner).fit(values[train], target[train])
        out[test] = model.predict(values[test])
    return out
