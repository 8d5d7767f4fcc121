"""Inference of the causal forest: doubly robust scores and the averages regressed on them.

Every reported average is a linear functional of theta, estimated by an OLS regression of the
doubly robust score psi with standard errors clustered by city; the moderator's own term of
Table 6 is a doubly robust partially linear regression. The maths, eq. (4)-(6):
``docs/estimators/causal_forest.md`` ("Inference" and "Moderation").
"""

from __future__ import annotations

import math

import numpy as np

from framework.estimators.causal_forest.design import cross_fit_predict
from framework.numerics.inference import Coefficient, LeastSquares, clustered_mean_se, clustered_ols, group_effects

NO_WINDOW = "no window of estimator.windows overlaps this sample"
HALVES_RULE = "above_median: treatment above the sample median; at_or_below_median: at or below it"


def cross_fitted_theta(params, values: np.ndarray, d_res, y_res, folds) -> np.ndarray:
    """theta^ for each row from a causal forest grown on the other cities' residuals
    (``params``: the estimator, for its forest settings and seed)."""
    from econml.grf import CausalForest

    theta = np.empty(len(d_res))
    for k, (train, test) in enumerate(folds):
        forest = CausalForest(
            n_estimators=params.crossfit_estimators,
            **params.tree_settings(),
            inference=False,
            random_state=params.seed + 1 + k,
        )
        forest.fit(values[train], d_res[train], y_res[train])
        theta[test] = np.ravel(forest.predict(values[test]))
    return theta


def dr_scores(params, forest, X: np.ndarray, y_res, d_res, folds) -> tuple[np.ndarray, np.ndarray, float]:
    """psi = theta^ + D~ (Y~ - theta^ D~) / V^ (eq. 4), theta^ as in the scores, and the share
    of rows whose V^ = E^[D~^2 | X] was raised to the floor."""
    if params.dr_cate == "crossfit":
        theta = cross_fitted_theta(params, X, d_res, y_res, folds)
    else:
        theta = np.ravel(forest.model_final_.oob_predict(X))
    variance = cross_fit_predict(params.learner, X, d_res**2, folds)
    floor = params.variance_floor * float(np.mean(d_res**2))
    floored = float(np.mean(variance < floor))
    variance = np.maximum(variance, floor)
    psi = theta + d_res * (y_res - theta * d_res) / variance
    return psi, theta, floored


def summary(fit: LeastSquares, k: int, term: str = "treatment", scale: float = 1.0) -> Coefficient:
    """Coefficient ``k`` of a clustered fit, in units multiplied by ``scale``."""
    return Coefficient.normal(term, float(fit.beta[k]) * scale, float(fit.se[k]) * abs(scale))


def _effects_by_group(psi, masks: dict, units, n_units, **extra) -> dict:
    """Average effect in each group (psi on the group indicators, rows outside every group left
    out), in :func:`framework.numerics.inference.group_effects`'s shape."""
    names = list(masks)
    inside = np.logical_or.reduce([masks[name] for name in names])
    Z = np.column_stack([masks[name][inside] for name in names]).astype(float)
    fit = clustered_ols(psi[inside], Z, units[inside], n_units)
    coefficients = {name: summary(fit, k) for k, name in enumerate(names)}
    difference = None
    if len(names) == 2:
        contrast = np.array([1.0, -1.0])
        difference = Coefficient.normal("treatment", float(contrast @ fit.beta), float(math.sqrt(contrast @ fit.cov @ contrast)))
    n_obs = {name: int(masks[name].sum()) for name in names}
    return group_effects(coefficients, n_obs, difference, **extra)


def period_effects(time: np.ndarray, psi, units, n_units, windows: dict) -> dict:
    """The average effect in each period window that overlaps the sample, with its bounds."""
    masks = {name: (time >= start) & (time <= end) for name, (start, end) in windows.items()}
    masks = {name: mask for name, mask in masks.items() if mask.any()}
    if not masks:
        return {"note": NO_WINDOW}
    out = _effects_by_group(psi, masks, units, n_units)
    for name in masks:
        out[name]["window"] = list(windows[name])
    return out


def treatment_half_effects(treatment: np.ndarray, psi, units, n_units) -> dict:
    """The average effect above and at-or-below the sample median of the treatment."""
    median = float(np.median(treatment))
    masks = {"above_median": treatment > median, "at_or_below_median": treatment <= median}
    return _effects_by_group(psi, masks, units, n_units, median=median, rule=HALVES_RULE)


def moderator_slope(frame, data, moderator_col, psi, units, n_units) -> dict:
    """Best linear projection of the effect on the moderator (per unit of the raw moderator)."""
    tilde = frame[moderator_col].to_numpy(dtype=float)
    tilde = tilde - tilde.mean()
    fit = clustered_ols(psi, np.column_stack([np.ones_like(tilde), tilde]), units, n_units)
    scale = data.moderator_scale if data.terms.get("moderator") == moderator_col and data.moderator_scale else 1.0
    out = {"per": "moderator unit", **summary(fit, 1, "treatment_x_moderator", scale=1.0 / scale).to_dict()}
    if scale != 1.0:
        out["per_transformed_unit"] = summary(fit, 1, "treatment_x_moderator").to_dict()
    out["intercept"] = summary(fit, 0).to_dict()
    return out


def moderator_term(learner, frame, design, data, psi, theta, units, folds):
    """(a, b) from psi on (1, M~), and the moderator's own coefficient c of eq. (5), estimated
    by eq. (6): the doubly robust partially linear regression whose influence function sums
    the plug-in's score and the correction's, clustered by city."""
    n = len(psi)
    n_units = int(units.max()) + 1
    tilde = frame[data.terms["moderator"]].to_numpy(dtype=float)
    tilde = tilde - tilde.mean()
    blp = clustered_ols(psi, np.column_stack([np.ones(n), tilde]), units, n_units)
    d = frame["treatment"].to_numpy(dtype=float)
    centred = d - d.mean()
    y = frame["outcome"].to_numpy(dtype=float)
    features = design.nuisance_features(drop=design.moderator_feature).to_numpy(dtype=float)
    z = y - theta * centred
    z_res = design.transform(z - cross_fit_predict(learner, features, z, folds))
    m_res = design.transform(tilde - cross_fit_predict(learner, features, tilde, folds))
    denominator = float(np.mean(m_res**2))
    plug_in = float(np.mean(m_res * z_res) / denominator)
    weight = cross_fit_predict(learner, design.X.to_numpy(dtype=float), m_res * centred, folds) / denominator
    correction_terms = weight * (psi - theta)
    correction = float(np.mean(correction_terms))
    estimate = plug_in - correction
    phi = m_res * (z_res - plug_in * m_res) / denominator - (correction_terms - correction)
    parts = {
        "estimand": "effect of M~ on the outcome holding the treatment (and unit and period effects) fixed, "
        "averaged over the sample: the coefficient of M~ beside the centred interaction (D - mean D) M~",
        "plug_in": plug_in,
        "dr_correction": -correction,
        "residual_moderator_sd": float(np.sqrt(denominator)),
    }
    return blp, (float(estimate), clustered_mean_se(phi, units, n_units), parts)
