"""How well each configuration recovers the truth, per spec and term, over the replications.

For the runs of one (configuration, spec, term) that finished with a truth (the truth is that
draw's own, so it may vary by draw): bias and its Monte Carlo SE, RMSE, coverage and its
Monte Carlo SE, width and sign_sig as :mod:`framework.numerics.evaluation` defines them, and

    se_ratio   mean(std_error) / sd(estimate): below 1, the SEs are too small
    failure    failed runs / all runs of the configuration on that spec

and, where the world left a confounder out (``data.world.hidden_confounder``) and the family
bounds its estimate at that strength (``docs/SENSITIVITY.md``):

    bound_halfwidth        mean half-width of the bounds on the estimate: the bias they allow
    bound_coverage         share of draws whose bounds' 95 % interval contains the truth (+ MC SE)
    bound_point_coverage   share whose bounds on the estimate itself contain the truth

(Morris, White and Crowther 2019, "Using simulation studies to evaluate statistical methods".)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.numerics.evaluation import against_truth

GROUP = ["design", "configuration", "spec", "term"]
CELL = ["design", "configuration", "spec"]
COLUMNS = [
    *GROUP, "runs", "ok", "failure_rate", "truth_mean", "estimate_mean", "bias", "bias_mcse", "rmse",
    "coverage", "coverage_mcse", "width", "sign_sig", "se_mean", "sd_estimate", "se_ratio",
    "unconverged", "rv_mean", "bound_halfwidth", "bound_coverage", "bound_coverage_mcse", "bound_point_coverage",
    "runtime_mean_s", "first_error",
]
DEFAULT_DESIGN = "world"
"""The design of rows written before studies had several (the synthetic world)."""


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (design, configuration, spec, term) with the measures above.

    A configuration that failed in every draw of a spec keeps a row for each term the other
    configurations report there (``treatment`` when none does), with failure rate 1 and its
    first error, so no summary, ranking or recommendation can drop it.
    """
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = with_design(rows)
    attempts = rows.drop_duplicates(["design", "seed", "configuration", "spec"])
    runs = attempts.groupby(CELL, sort=False).agg(
        runs=("status", "size"),
        failed=("status", lambda s: int((s != "ok").sum())),
        runtime_mean_s=("runtime_s", "mean"),
        first_error=("error", lambda s: next((e for e in s if isinstance(e, str) and e), None)),
    )
    ok = rows[(rows["status"] == "ok") & rows["term"].notna()]
    out = []
    for key, group in ok.groupby(GROUP, sort=False):
        attempt = runs.loc[key[:3]]
        out.append({**dict(zip(GROUP, key)), **_measures(group), "runs": int(attempt["runs"]),
                    "failure_rate": attempt["failed"] / attempt["runs"], "runtime_mean_s": attempt["runtime_mean_s"],
                    "first_error": attempt["first_error"]})
    reported = ok.groupby(["design", "spec"], sort=False)["term"].unique()
    for (design, configuration, spec), attempt in runs.iterrows():  # every run failed: no term rows
        if not ((ok["design"] == design) & (ok["configuration"] == configuration) & (ok["spec"] == spec)).any():
            terms = list(reported.get((design, spec), ["treatment"]))
            out += [{"design": design, "configuration": configuration, "spec": spec, "term": term, "runs": int(attempt["runs"]),
                     "ok": 0, "failure_rate": 1.0, "runtime_mean_s": attempt["runtime_mean_s"], "first_error": attempt["first_error"]}
                    for term in terms]
    return pd.DataFrame(out, columns=COLUMNS)


def with_design(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with a ``design`` column (rows of single-design studies have none)."""
    if "design" in rows.columns:
        return rows.assign(design=rows["design"].fillna(DEFAULT_DESIGN))
    return rows.assign(design=DEFAULT_DESIGN)


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
    measures.update(_bounds(group))
    return measures


def _bounds(group: pd.DataFrame) -> dict:
    """The measures of the bounds at the hidden confounder's strength (none without them)."""
    out = {"rv_mean": _mean(group["rv"]) if "rv" in group else np.nan}
    if "bound_ci_low" not in group:
        return out
    values = group[["bound_low", "bound_high", "bound_ci_low", "bound_ci_high", "truth"]].apply(pd.to_numeric, errors="coerce").dropna()
    if values.empty:
        return out
    truth = values["truth"].to_numpy()
    inside = (values["bound_ci_low"].to_numpy() <= truth) & (truth <= values["bound_ci_high"].to_numpy())
    point = (values["bound_low"].to_numpy() <= truth) & (truth <= values["bound_high"].to_numpy())
    share = float(inside.mean())
    return {**out, "bound_halfwidth": float(((values["bound_high"] - values["bound_low"]) / 2).mean()), "bound_coverage": share,
            "bound_coverage_mcse": float(np.sqrt(share * (1 - share) / len(values))), "bound_point_coverage": float(point.mean())}


def _mean(values: pd.Series) -> float:
    values = pd.to_numeric(values, errors="coerce")
    return float(values.mean()) if values.notna().any() else np.nan


def _unconverged(flags: pd.Series) -> float:
    """Share of runs flagged unconverged, among runs that report convergence (Bayesian)."""
    known = flags.dropna()
    return float((~known.astype(bool)).mean()) if len(known) else np.nan
