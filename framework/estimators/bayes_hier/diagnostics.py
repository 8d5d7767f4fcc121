"""R-hat, ESS and divergence checks of a posterior, and the family's diagnostics dict.

Every key is described in ``docs/estimators/bayes_hier.md`` ("Diagnostics and flags").
"""

from __future__ import annotations

import numpy as np

from framework.bayes.checks import convergence_warnings, finite_or_none
from framework.bayes.checks import summary as _summary
from framework.bayes.checks import two_group_effects as _group_effects
from framework.bayes.checks import worst as _extreme


def diagnostics(estimator, idata, design, compile_s: float, sample_s: float) -> dict:
    """The diagnostics of one fit: the model fitted, convergence checks and flags, timings,
    derived summaries and the effects by period window and by treatment half."""
    import arviz as az

    posterior = idata.posterior
    # every parameter and derived quantity (not the samplers' unconstrained copies "..__");
    # diagnose=global leaves out the per-city ones, which cost most of the time to check
    names = [
        name for name in posterior.data_vars
        if posterior[name].size > 0 and not name.endswith("__")
        and (estimator.diagnose == "all" or "city" not in posterior[name].dims)
    ]
    rhat = az.rhat(idata, var_names=names)
    ess_bulk = az.ess(idata, var_names=names, method="bulk")
    ess_tail = az.ess(idata, var_names=names, method="tail")
    worst_rhat = _extreme(rhat, max)
    worst_bulk = _extreme(ess_bulk, min)
    worst_tail = _extreme(ess_tail, min)
    divergences = int(np.asarray(idata.sample_stats["diverging"]).sum()) if "diverging" in idata.sample_stats else 0
    warnings = _warnings(estimator, worst_rhat, worst_bulk, worst_tail, divergences)
    out = {
        "model": "explicit",
        "fe": estimator.fe,
        "year_effects": estimator.year_effects,
        "heterogeneity": list(design.modelled),
        "parameterization": dict(estimator.parameterization),
        "sampler": estimator.sampler,
        "chains": estimator.chains,
        "draws": estimator.draws,
        "tune": estimator.tune,
        "target_accept": estimator.target_accept,
        "seed": estimator.seed,
        "converged": not warnings,
        "diagnosed": estimator.diagnose,
        "warnings": warnings,
        "rhat": {term: finite_or_none(rhat[term]) for term in design.terms},
        "ess_bulk": {term: finite_or_none(ess_bulk[term]) for term in design.terms},
        "ess_tail": {term: finite_or_none(ess_tail[term]) for term in design.terms},
        "rhat_max": worst_rhat[1],
        "rhat_max_parameter": worst_rhat[0],
        "ess_bulk_min": worst_bulk[1],
        "ess_bulk_min_parameter": worst_bulk[0],
        "ess_tail_min": worst_tail[1],
        "ess_tail_min_parameter": worst_tail[0],
        "divergences": divergences,
        "compile_time_s": round(compile_s, 3),
        "sampling_time_s": round(sample_s, 3),
        "population_slope": _summary(posterior["population_slope"]),
        "slope_sd_across_cities": _summary(posterior["city_slope"].std("city")),
        "n_obs_used": int(len(design.y)),
        "standardisation": {"outcome_sd": design.y_sd, "treatment_sd": design.d_sd},
    }
    effects = {}
    if "effect_by_period" in posterior:
        effects["period"] = _group_effects(posterior["effect_by_period"], "period", design.period_labels,
                                           design.period_n_obs)
    effects["treatment_half"] = _group_effects(posterior["effect_by_treatment_half"], "treatment_half",
                                               design.half_labels, design.half_n_obs)
    out["group_effects"] = effects
    return out


def _warnings(estimator, worst_rhat, worst_bulk, worst_tail, divergences: int) -> list[str]:
    """One line per convergence problem (none: converged)."""
    return convergence_warnings(worst_rhat, worst_bulk, worst_tail, divergences, estimator.rhat_max, estimator.ess_min,
                                "raise target_accept, or use the non-centred slopes")

