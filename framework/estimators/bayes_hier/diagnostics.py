"""R-hat, ESS and divergence checks of a posterior, and the family's diagnostics dict.

Every key is described in ``docs/estimators/bayes_hier.md`` ("Diagnostics and flags").
"""

from __future__ import annotations

import math

import numpy as np

from framework.numerics.inference import Coefficient, group_effects


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
        "rhat": {term: _scalar(rhat[term]) for term in design.terms},
        "ess_bulk": {term: _scalar(ess_bulk[term]) for term in design.terms},
        "ess_tail": {term: _scalar(ess_tail[term]) for term in design.terms},
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
    warnings = []
    name, value = worst_rhat
    if value is not None and value > estimator.rhat_max:
        shown = "not finite" if math.isinf(value) else f"{value:.3f} > {estimator.rhat_max:g}"
        warnings.append(f"R-hat {shown} ({name}): the chains disagree; raise tune and draws")
    if divergences:
        warnings.append(
            f"{divergences} divergent transitions after tuning: raise target_accept, or use the non-centred slopes"
        )
    kind, (name, value) = min([("bulk", worst_bulk), ("tail", worst_tail)], key=lambda item: item[1][1] or 0.0)
    if value is not None and value < estimator.ess_min:
        warnings.append(f"{kind} ESS {value:.0f} < {estimator.ess_min:g} ({name}): raise draws")
    return warnings


def _group_effects(draws, dim: str, labels: list[str], n_obs: dict[str, int]) -> dict:
    """The average effect over each group's rows (posterior summaries) and the difference of
    the first group's and the second's, from the difference of the draws."""
    by_label = {label: np.asarray(draws.sel({dim: label}), dtype=float) for label in labels}
    first, second = labels
    return group_effects(
        {label: Coefficient.credible("treatment", values) for label, values in by_label.items()},
        n_obs=n_obs,
        difference=Coefficient.credible("treatment", by_label[first] - by_label[second]),
    )


def _summary(draws) -> dict:
    """Posterior mean, SD and 2.5 % / 97.5 % quantiles, as ``mean``, ``sd``, ``ci_low``, ``ci_high``."""
    coef = Coefficient.credible("", draws)
    return {"mean": coef.estimate, "sd": coef.std_error, "ci_low": coef.ci_low, "ci_high": coef.ci_high}


def _scalar(value) -> float | None:
    number = float(np.asarray(value))
    return number if math.isfinite(number) else None


def _extreme(dataset, worst_of) -> tuple[str | None, float | None]:
    """(variable, value) of the worst entry over every variable: the largest R-hat
    (``worst_of=max``) or the smallest ESS (``min``). A NaN, which a chain that never moved
    leaves, is the worst of all (R-hat infinite, ESS zero)."""
    bad = math.inf if worst_of is max else 0.0
    found: tuple[str | None, float | None] = (None, None)
    for name, values in dataset.data_vars.items():
        array = np.asarray(values, dtype=float).ravel()
        if array.size == 0:
            continue
        value = bad if np.isnan(array).any() else float(worst_of(array))
        if found[1] is None or worst_of(value, found[1]) == value != found[1]:
            found = (name, value)
    return found
