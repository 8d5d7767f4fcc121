"""One fit of the collapsed model: sampling, the reported quantities and their diagnostics.

The reported quantities are derived for every posterior draw: each row's effect is
``to_units * (slope_design_row @ theta + u_i)``, with ``u_i`` the unit's slope deviation drawn
from its conditional posterior; ``treatment`` is their average over the sample's rows.
"""

from __future__ import annotations

import numpy as np

from framework.bayes.checks import check_posterior, summary, two_group_effects
from framework.bayes.effects import row_average, weighted_effects
from framework.bayes.sampling import CollapsedPosterior, CollapsedSettings, sample_collapsed
from framework.estimators.bayes_hier.collapsed_design import CollapsedDesign
from framework.numerics.inference import Coefficient


def fit_collapsed(estimator, design: CollapsedDesign):
    """Sample ``design`` with ``estimator``'s settings. Returns the coefficients, the
    diagnostics dict and the posterior as ArviZ ``InferenceData``."""
    settings = CollapsedSettings(
        errors=estimator.errors, noise_sd=estimator.priors["noise_sd"], slope_sd=estimator.priors["slope_sd"],
        draws=estimator.draws, tune=estimator.tune, chains=estimator.chains, cores=estimator.cores,
        target_accept=estimator.target_accept, seed=estimator.seed,
    )
    fitted = sample_collapsed(design.data, settings)
    idata = posterior_data(design, fitted)
    posterior = idata.posterior
    coefficients = [Coefficient.credible(term, posterior[term]) for term in design.terms]
    coefficients += [
        Coefficient.credible(f"control:{name}", posterior["theta"].sel(column=design.data.names[k]) * design.y_sd / design.control_sd[i])
        for i, (name, k) in enumerate(design.control_columns.items())
    ]
    judged = [*design.terms, "population_slope", "slope_sd", "sigma", "effect_by_period", "effect_by_treatment_half"]
    judged += ["rho"] if estimator.errors == "ar1" else []  # with iid errors rho is the constant 0
    recorded = ["theta", "city_slope"] if estimator.diagnose == "all" else []
    checks = check_posterior(posterior, design.data, fitted, judged, recorded, estimator.errors, estimator.rhat_max,
                             estimator.ess_min, estimator.seed)
    diagnostics = {
        "model": "collapsed",
        "fe": "within",
        "year_effects": estimator.year_effects,
        "errors": estimator.errors,
        "controls_basis": estimator.controls_basis,
        "spline_knots": estimator.spline_knots,
        "controls": design.controls,
        "basis_columns": design.basis_columns,
        "heterogeneity": list(design.modelled),
        "sampler": "nutpie",
        "chains": estimator.chains,
        "draws": estimator.draws,
        "tune": estimator.tune,
        "target_accept": estimator.target_accept,
        "seed": estimator.seed,
        "diagnosed": estimator.diagnose,
        **checks,
        "compile_time_s": round(fitted.setup_s, 3),
        "sampling_time_s": round(fitted.sampling_s, 3),
        "population_slope": summary(posterior["population_slope"]),
        "slope_sd_across_cities": summary(posterior["slope_sd"]),
        "rho": summary(posterior["rho"]),
        "n_obs_used": design.n_obs,
        "standardisation": {"outcome_sd": design.y_sd, "treatment_sd": design.d_sd},
    }
    effects = {}
    if "effect_by_period" in posterior:
        effects["period"] = two_group_effects(posterior["effect_by_period"], "period", design.period_labels, design.period_n_obs)
    effects["treatment_half"] = two_group_effects(posterior["effect_by_treatment_half"], "treatment_half",
                                                  design.half_labels, design.half_n_obs)
    diagnostics["group_effects"] = effects
    return coefficients, diagnostics, idata


def _effects(design: CollapsedDesign, fitted: CollapsedPosterior, weights: np.ndarray) -> np.ndarray:
    return weighted_effects(design.data, fitted, design.slope_design, design.to_units, weights)


def posterior_data(design: CollapsedDesign, fitted: CollapsedPosterior):
    """The posterior as ``InferenceData``: the sampled parameters (standardised scale: theta by
    column, sigma, rho) and the reported quantities in the data's units."""
    import arviz as az

    draws = {
        "treatment": row_average(design.data, fitted, design.slope_design, design.to_units),
        "population_slope": design.to_units * fitted.theta[..., 0],
        "slope_sd": design.to_units * fitted.tau,
        "sigma": fitted.sigma,
        "rho": fitted.rho,
        "theta": fitted.theta,
        "city_slope": design.to_units * (fitted.theta[..., :1] + fitted.unit_slope),
        "effect_by_treatment_half": _effects(design, fitted, design.half_weights),
    }
    for term, k in design.term_columns.items():
        draws[term] = design.term_scale[term] * fitted.theta[..., k]
    for name in ("period_offset", "uil_group_offset"):
        if name in design.data.names:
            draws[name] = fitted.theta[..., design.data.names.index(name)]
    dims = {"theta": ["column"], "city_slope": ["city"], "effect_by_treatment_half": ["treatment_half"]}
    coords = {"column": design.data.names, "city": design.cities, "treatment_half": design.half_labels}
    if design.period_weights is not None:
        draws["effect_by_period"] = _effects(design, fitted, design.period_weights)
        dims["effect_by_period"] = ["period"]
        coords["period"] = design.period_labels
    idata = az.from_dict(posterior=draws, dims=dims, coords=coords)
    idata.add_groups(sample_stats=fitted.sample_stats)
    return idata
