"""Error against a known truth, written once for the report and the Monte Carlo study.

For estimates theta^_r with truths theta_r (rows whose truth is known), e_r = theta^_r - theta_r:

    bias       mean(e)                  Monte Carlo SE  sd(e) / sqrt(R)
    RMSE       sqrt(mean(e^2))          mean |bias|     mean(|e|)
    coverage   share of 95 % intervals holding theta_r, over the rows that have an interval;
               Monte Carlo SE sqrt(c (1 - c) / R_intervals)
    width      mean interval width (rows with an interval)
    sign_right share of estimates with the truth's sign
    sign_sig   share of intervals that exclude 0 on the truth's side (rows with an interval)
"""

from __future__ import annotations

import math

import numpy as np


def against_truth(estimate, truth, ci_low, ci_high) -> dict[str, float]:
    """The measures above; ``n`` = 0 (and nothing else) when no truth is known."""
    estimate, truth, low, high = (np.asarray(v, dtype=float) for v in (estimate, truth, ci_low, ci_high))
    known = ~np.isnan(truth) & ~np.isnan(estimate)
    estimate, truth, low, high = estimate[known], truth[known], low[known], high[known]
    n = int(truth.size)
    if n == 0:
        return {"n": 0}
    e = estimate - truth
    has_ci = ~np.isnan(low) & ~np.isnan(high)
    n_ci = int(has_ci.sum())
    t, lo, hi = truth[has_ci], low[has_ci], high[has_ci]
    coverage = float(((lo <= t) & (t <= hi)).mean()) if n_ci else math.nan
    return {
        "n": n,
        "truth_mean": float(truth.mean()),
        "bias": float(e.mean()),
        "bias_mcse": float(np.std(e, ddof=1) / np.sqrt(n)) if n > 1 else math.nan,
        "mean_abs_bias": float(np.abs(e).mean()),
        "rmse": float(np.sqrt(np.mean(e**2))),
        "coverage": coverage,
        "coverage_mcse": float(np.sqrt(coverage * (1.0 - coverage) / n_ci)) if n_ci else math.nan,
        "n_intervals": n_ci,
        "width": float(np.mean(hi - lo)) if n_ci else math.nan,
        "sign_right": float(np.mean(np.sign(estimate) == np.sign(truth))),
        "sign_sig": float(np.mean(np.where(t < 0, hi < 0, lo > 0))) if n_ci else math.nan,
    }
