"""The PyMC model of one structure: its coordinates, its ``pm.Data`` arrays and its graph.

The equations and priors: ``docs/estimators/bayes_hier.md``. ``estimator`` below is a
:class:`~framework.estimators.bayes_hier.BayesHierarchical` (its ``fe``, ``year_effects``,
``priors`` and ``parameterization`` are read); ``design`` its ``_Design`` of the data.
"""

from __future__ import annotations

import numpy as np


def model_coords(estimator, design) -> dict:
    coords = {
        "city": design.cities,
        "year": design.years,
        "covariate": design.covariate_names,
    }
    if estimator.fe == "cre":
        coords["city_mean_of"] = design.mundlak_names
    if estimator.year_effects == "pooled":
        coords["year_mean_of"] = design.year_mundlak_names
    if "period" in design.modelled or design.period_weights is not None:
        coords["period"] = design.period_labels
    if "treatment_group" in design.modelled:
        coords["uil_group"] = design.group_labels
    coords["treatment_half"] = design.half_labels
    return coords


def model_data(estimator, design) -> dict[str, np.ndarray]:
    """Every array the model reads, by its pm.Data name (the model's structure fixes which)."""
    data = {
        "data_city_idx": design.city_idx,
        "data_year_idx": design.year_idx,
        "data_d": design.d,
        "data_y": design.y,
        # data units per standardised unit: the treatment's, then each moderation term's
        "data_scale": np.array([design.y_sd / design.d_sd]
                               + [design.y_sd / design.x_sd[k] for _, k in sorted(design.term_columns.items())]),
        "data_half_weights": design.half_weights,
    }
    if design.x.shape[1]:
        data["data_x"] = design.x
    if estimator.fe == "cre":
        data["data_city_means"] = design.city_means
    if estimator.year_effects == "pooled":
        data["data_year_means"] = design.year_means
    if "period" in design.modelled:
        data["data_period_idx"] = design.period_idx
    if "treatment_group" in design.modelled:
        data["data_group_idx"] = design.group_idx[design.city_idx]
    if "treatment_x_moderator" in design.term_columns:
        data["data_moderator"] = design.moderator
    if design.period_weights is not None:
        data["data_period_weights"] = design.period_weights
    return {name: np.ascontiguousarray(value) for name, value in data.items()}


def build_model(estimator, design):
    """The PyMC model of ``design``'s structure, holding ``design``'s data."""
    import pymc as pm
    import pytensor.tensor as pt

    p = estimator.priors
    fe, year_effects = estimator.fe, estimator.year_effects
    centred_city = estimator.parameterization["city_effects"] == "centered"
    centred_slopes = estimator.parameterization["slopes"] == "centered"
    with pm.Model(coords=model_coords(estimator, design), name="") as model:
        data = {name: pm.Data(name, value) for name, value in model_data(estimator, design).items()}
        city_idx, year_idx = data["data_city_idx"], data["data_year_idx"]
        alpha = pm.Normal("intercept", 0.0, p["intercept"])
        # city effects (the intercept alpha inside them, so that a centred city effect
        # does not trade off against alpha)
        if fe in ("cre", "random"):
            sigma_a = pm.HalfNormal("sigma_city", p["city_sd"])
            level = alpha
            if fe == "cre":
                pi = pm.Normal("mundlak", 0.0, p["mundlak"], dims="city_mean_of")
                level = alpha + pt.dot(data["data_city_means"], pi)
            if centred_city:
                city = pm.Normal("city_intercept", level, sigma_a, dims="city")
            else:
                city = level + sigma_a * pm.Normal("z_city", 0.0, 1.0, dims="city")
                pm.Deterministic("city_intercept", city, dims="city")
        elif fe == "dummies":
            city = alpha + pm.ZeroSumNormal("city_effect", sigma=p["city_fixed_sd"], dims="city")
        else:
            city = alpha + pt.zeros(len(design.cities))
        # year effects
        if year_effects == "pooled":
            sigma_g = pm.HalfNormal("sigma_year", p["year_sd"])
            rho = pm.Normal("year_mundlak", 0.0, p["mundlak"], dims="year_mean_of")
            year = pt.dot(data["data_year_means"], rho) + sigma_g * pm.ZeroSumNormal("z_year", sigma=1.0, dims="year")
            pm.Deterministic("year_effect", year, dims="year")
        elif year_effects == "fixed":
            year = pm.ZeroSumNormal("year_effect", sigma=p["year_fixed_sd"], dims="year")
        else:
            year = pt.zeros(len(design.years))
        # slopes of UIL
        b = pm.Normal("slope_mean", 0.0, p["coef"])
        sigma_b = pm.HalfNormal("sigma_slope", p["slope_sd"])
        if centred_slopes:
            city_slope = pm.Normal("city_slope_std", b, sigma_b, dims="city")
        else:
            city_slope = b + sigma_b * pm.Normal("z_slope", 0.0, 1.0, dims="city")
        row_slope = city_slope[city_idx]
        population = b
        if "period" in design.modelled:
            offset = pm.ZeroSumNormal("period_offset", sigma=p["group_sd"], dims="period")
            row_slope = row_slope + offset[data["data_period_idx"]]
        if "treatment_group" in design.modelled:
            offset = pm.ZeroSumNormal("uil_group_offset", sigma=p["group_sd"], dims="uil_group")
            row_slope = row_slope + offset[data["data_group_idx"]]
        mean = city[city_idx] + year[year_idx] + row_slope * data["data_d"]
        if design.x.shape[1]:
            beta = pm.Normal("beta", 0.0, p["coef"], dims="covariate")
            mean = mean + pt.dot(data["data_x"], beta)
        sigma = pm.HalfNormal("sigma", p["noise_sd"])
        pm.Normal("y", mean, sigma, observed=data["data_y"])
        # reported quantities, in the data's units
        scale = data["data_scale"]
        to_units = scale[0]
        terms = {
            term: scale[1 + i] * beta[k] for i, (term, k) in enumerate(sorted(design.term_columns.items()))
        }
        # each row's effect of UIL: its slope, plus the interaction times the row's M~
        row_effect = to_units * row_slope
        if "treatment_x_moderator" in terms:
            row_effect = row_effect + terms["treatment_x_moderator"] * data["data_moderator"]
        pm.Deterministic("treatment", pt.mean(row_effect))
        for term, value in terms.items():
            pm.Deterministic(term, value)
        pm.Deterministic("population_slope", to_units * population)
        pm.Deterministic("city_slope", to_units * city_slope, dims="city")
        if design.period_weights is not None:
            pm.Deterministic("effect_by_period", pt.dot(data["data_period_weights"], row_effect), dims="period")
        pm.Deterministic("effect_by_treatment_half", pt.dot(data["data_half_weights"], row_effect), dims="treatment_half")
    return model
