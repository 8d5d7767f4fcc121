"""How well each configuration recovers the truth, per spec and term, over the replications.

For the runs of one (configuration, spec, term) that finished with a truth (the truth is that
draw's own, so it may vary by draw): bias and its Monte Carlo SE, RMSE, coverage and its
Monte Carlo SE, width and sign_sig as :mod:`framework.numerics.evaluation` defines them, and

    se_ratio   mean(std_error) / sd(estimate): below 1, the SEs are too small
    failure    failed runs / all runs of the configuration on that spec

(Morris, White and Crowther 2019, "Using simulation studies to evaluate statistical methods".)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.numerics.evaluation import against_truth

GROUP = ["configuration", "spec", "term"]
COLUMNS = [
    *GROUP, "runs", "ok", "failure_rate", "truth_mean", "estimate_mean", "bias", "bias_mcse", "rmse",
    "coverage", "coverage_mcse", "width", "sign_sig", "se_mean", "sd_estimate", "se_ratio",
    "unconverged", "runtime_mean_s",
]


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (configuration, spec, term) with the measures above."""
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    attempts = rows.drop_duplicates(["seed", "configuration", "spec"])
    runs = attempts.groupby(["configuration", "spec"], sort=False).agg(
        runs=("status", "size"),
        failed=("status", lambda s: int((s != "ok").sum())),
        runtime_mean_s=("runtime_s", "mean"),
    )
    ok = rows[(rows["status"] == "ok") & rows["term"].notna()]
    out = []
    for key, group in ok.groupby(GROUP, sort=False):
        attempt = runs.loc[(key[0], key[1])]
        out.append({**dict(zip(GROUP, key)), **_measures(group), "runs": int(attempt["runs"]),
                    "failure_rate": attempt["failed"] / attempt["runs"], "runtime_mean_s": attempt["runtime_mean_s"]})
    for (configuration, spec), attempt in runs.iterrows():  # every run failed: no term rows
        if not ((ok["configuration"] == configuration) & (ok["spec"] == spec)).any():
            out.append({"configuration": configuration, "spec": spec, "term": None, "runs": int(attempt["runs"]),
                        "ok": 0, "failure_rate": 1.0, "runtime_mean_s": attempt["runtime_mean_s"]})
    return pd.DataFrame(out, columns=COLUMNS)


def _measures(group: pd.DataFrame) -> dict:
    estimate = group["estimate"].to_numpy(float)
    truth = group["truth"].to_numpy(float)
    known = ~np.isnan(truth)
    measures = {
        "ok": len(group),
        "estimate_mean": float(np.mean(estimate)),
        "se_mean": _mean(group["std_error"]),
        "sd_estimate": float(np.std(estimate, ddof=1)) if len(estimate) > 1 else np.nan,
        "unconverged": _unconverged(group["converged"]),
    }
    measures["se_ratio"] = measures["se_mean"] / measures["sd_estimate"] if measures["sd_estimate"] > 0 else np.nan
    if not known.any():
        return measures
    errors = against_truth(estimate, truth, group["ci_low"], group["ci_high"])
    measures.update({key: errors[key] for key in ("truth_mean", "bias", "bias_mcse", "rmse", "coverage", "coverage_mcse", "width", "sign_sig")})
    return measures


def _mean(values: pd.Series) -> float:
    values = pd.to_numeric(values, errors="coerce")
    return float(values.mean()) if values.notna().any() else np.nan


def _unconverged(flags: pd.Series) -> float:
    """Share of runs flagged unconverged, among runs that report convergence (Bayesian)."""
    known = flags.dropna()
    return float((~known.astype(bool)).mean()) if len(known) else np.nan
