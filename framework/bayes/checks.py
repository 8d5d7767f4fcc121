"""Checks of a posterior: convergence (R-hat, ESS, divergences) of the reported quantities, and
a posterior predictive check of the errors' serial correlation within units."""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np

from framework.bayes.collapsed import unit_posteriors
from framework.bayes.sampling import CollapsedData, CollapsedPosterior
from framework.numerics.inference import Coefficient, group_effects


def worst(dataset, worst_of) -> tuple[str | None, float | None]:
    """(variable, value) of the worst entry over every variable of an ArviZ R-hat or ESS
    dataset: the largest R-hat (``worst_of=max``) or the smallest ESS (``min``). A NaN, which a
    chain that never moved leaves, is the worst of all (R-hat infinite, ESS zero)."""
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


def convergence(posterior, judged: list[str], recorded: list[str], divergences: int, rhat_max: float,
                ess_min: float) -> dict:
    """R-hat and bulk/tail ESS of the ``judged`` variables of ``posterior`` (an xarray Dataset
    of (chain, draw, ...) draws) decide ``converged``; those of ``recorded`` (e.g. the per-unit
    slopes) are reported beside them without deciding it."""
    import arviz as az

    out = {}
    for label, names in (("", judged), ("recorded_", recorded)):
        names = [name for name in names if name in posterior and posterior[name].size]
        if not names:
            continue
        subset = posterior[names]
        if label:
            # the per-unit quantities: hundreds of series, which ArviZ takes ~5 ms each for
            rhat, bulk, tail = batched_diagnostics(subset)
        else:
            with arviz_without_numba():
                rhat, bulk, tail = az.rhat(subset), az.ess(subset, method="bulk"), az.ess(subset, method="tail")
        for key, (name, value) in (("rhat_max", worst(rhat, max)), ("ess_bulk_min", worst(bulk, min)),
                                   ("ess_tail_min", worst(tail, min))):
            out[f"{label}{key}"] = value
            out[f"{label}{key}_parameter"] = name
        if not label:
            out["rhat"] = {name: finite_or_none(rhat[name]) for name in names if rhat[name].ndim == 0}
            out["ess_bulk"] = {name: finite_or_none(bulk[name]) for name in names if bulk[name].ndim == 0}
            out["ess_tail"] = {name: finite_or_none(tail[name]) for name in names if tail[name].ndim == 0}
    warnings = convergence_warnings(
        (out.get("rhat_max_parameter"), out.get("rhat_max")), (out.get("ess_bulk_min_parameter"), out.get("ess_bulk_min")),
        (out.get("ess_tail_min_parameter"), out.get("ess_tail_min")), divergences, rhat_max, ess_min,
    )
    out["divergences"] = divergences
    out["converged"] = not warnings
    out["judged_on"] = [name for name in judged if name in posterior]
    out["warnings"] = warnings
    return out


@contextmanager
def arviz_without_numba():
    """ArviZ's NumPy code for its statistics: on a few series it takes milliseconds, where its
    Numba code is first compiled in every process (0.1-0.3 s; ArviZ does not cache it). Both
    give the same numbers."""
    import arviz as az

    enabled = az.Numba.numba_flag
    az.Numba.disable_numba()
    try:
        yield
    finally:
        if enabled:
            az.Numba.enable_numba()


def batched_diagnostics(subset) -> tuple:
    """R-hat, bulk ESS and tail ESS of every variable of ``subset`` (chain, draw, ...), as
    Datasets shaped like ArviZ's: ArviZ's definitions computed on all series of a variable at
    once (:mod:`framework.bayes.batch_diagnostics`)."""
    import xarray as xr

    from framework.bayes import batch_diagnostics as batch

    results = []
    for function in (batch.rhat, batch.ess_bulk, batch.ess_tail):
        variables = {}
        for name, values in subset.data_vars.items():
            values = values.transpose("chain", "draw", ...)
            variables[name] = xr.DataArray(function(values.values).reshape(values.shape[2:]), dims=values.dims[2:],
                                           coords={dim: values.coords[dim] for dim in values.dims[2:] if dim in values.coords})
        results.append(xr.Dataset(variables))
    return tuple(results)


def convergence_warnings(worst_rhat, worst_bulk, worst_tail, divergences: int, rhat_max: float,
                         ess_min: float, divergence_hint: str = "raise target_accept") -> list[str]:
    """One line per convergence problem (none: converged); each worst value is (name, value)."""
    warnings = []
    name, value = worst_rhat
    if value is not None and value > rhat_max:
        shown = "not finite" if math.isinf(value) else f"{value:.3f} > {rhat_max:g}"
        warnings.append(f"R-hat {shown} ({name}): the chains disagree; raise tune and draws")
    if divergences:
        warnings.append(f"{divergences} divergent transitions after tuning: {divergence_hint}")
    kind, (name, value) = min([("bulk", worst_bulk), ("tail", worst_tail)],
                              key=lambda item: math.inf if item[1][1] is None else item[1][1])
    if value is not None and value < ess_min:
        warnings.append(f"{kind} ESS {value:.0f} < {ess_min:g} ({name}): raise draws")
    return warnings


def check_posterior(posterior, data: CollapsedData, fitted: CollapsedPosterior, judged: list[str], recorded: list[str],
                    errors: str, rhat_max: float, ess_min: float, seed: int) -> dict:
    """Convergence of a collapsed fit (:func:`convergence`) and its serial-correlation check
    (:func:`serial_correlation_check`), whose failure adds a warning: a misfit of the errors'
    dependence, not a sampling failure, so ``converged`` is left as the sampling checks set it."""
    checks = convergence(posterior, judged, recorded, fitted.divergences, rhat_max, ess_min)
    serial = serial_correlation_check(data, fitted, np.random.default_rng(seed))
    if not serial["passed"]:
        checks["warnings"].append(
            f"posterior predictive check: the residuals' within-unit autocorrelation ({serial['observed']:+.2f}) is not "
            f"what the model's {errors} errors produce (p = {serial['p_value']:.3f}); "
            + ("use errors=ar1" if errors == "iid" else "the errors' dependence is not AR(1)")
        )
    checks["serial_correlation_check"] = serial
    return checks


def serial_correlation_check(data: CollapsedData, posterior: CollapsedPosterior, rng: np.random.Generator,
                             n_draws: int = 400, p_min: float = 0.005) -> dict:
    """Posterior predictive check of the errors' serial correlation within units.

    For a posterior draw s, the innovations eps_s = the whitened residuals less the draw's own
    unit intercepts and slopes (independent Normal(0, sigma_s^2) if the model is right);
    T = within-unit lag-1 autocorrelation, sum eps_t eps_prev / sum eps^2. The replicated
    T_rep is the same statistic of fresh Normal(0, sigma_s^2) innovations on the same rows.
    p = share of draws with T_rep >= T_obs; the check fails when p < p_min or p > 1 - p_min
    (the errors' dependence is not what the model assumes).
    """
    arrays = data.arrays()
    rows = data.rows
    chains, draws = posterior.sigma.shape
    picks = rng.choice(chains * draws, size=min(n_draws, chains * draws), replace=False)
    observed, replicated = [], []
    linked = rows.has_prev > 0
    for pick in picks:
        c, s = divmod(int(pick), draws)
        theta, sigma = posterior.theta[c, s], posterior.sigma[c, s]
        _, _, _, _, _, q, l1, ld = unit_posteriors(theta, sigma, posterior.tau[c, s], posterior.rho[c, s], *arrays)
        unit = rows.unit
        eps = q - l1 * posterior.unit_intercept[c, s][unit] - ld * posterior.unit_slope[c, s][unit]
        observed.append(_lag1(eps, rows.prev, linked))
        replicated.append(_lag1(rng.normal(0.0, sigma, size=eps.size), rows.prev, linked))
    observed, replicated = np.array(observed), np.array(replicated)
    p = float(np.mean(replicated >= observed))
    return {
        "statistic": "within-unit lag-1 autocorrelation of the innovations",
        "observed": float(observed.mean()),
        "replicated": float(replicated.mean()),
        "p_value": p,
        "draws": int(len(picks)),
        "passed": bool(p_min <= p <= 1.0 - p_min),
    }


def _lag1(values: np.ndarray, prev: np.ndarray, linked: np.ndarray) -> float:
    return float(np.sum(values[linked] * values[prev[linked]]) / np.sum(values * values))


def summary(draws) -> dict:
    """Posterior mean, SD and 2.5 % / 97.5 % quantiles, as ``mean``, ``sd``, ``ci_low``, ``ci_high``."""
    coef = Coefficient.credible("", draws)
    return {"mean": coef.estimate, "sd": coef.std_error, "ci_low": coef.ci_low, "ci_high": coef.ci_high}


def two_group_effects(draws, dim: str, labels: list[str], n_obs: dict[str, int]) -> dict:
    """The average effect over each group's rows (posterior summaries) and the difference of
    the first group's and the second's, from the difference of the draws."""
    by_label = {label: np.asarray(draws.sel({dim: label}), dtype=float) for label in labels}
    first, second = labels
    return group_effects(
        {label: Coefficient.credible("treatment", values) for label, values in by_label.items()},
        n_obs=n_obs,
        difference=Coefficient.credible("treatment", by_label[first] - by_label[second]),
    )


def finite_or_none(value) -> float | None:
    """A scalar diagnostic as a float, or None where it is not finite (JSON has no NaN)."""
    number = float(np.asarray(value))
    return number if math.isfinite(number) else None
