"""DoubleML's own sensitivity analysis (Chernozhukov, Cinelli, Newey, Sharma & Syrgkanis 2022)
of a fitted DML model, used as its authors intend: ``sensitivity_analysis`` for the bounds and
robustness values, ``sensitivity_benchmark`` for confounders as strong as an observed control.

DoubleML implements it for the partially linear regression (``DoubleMLPLR``) but not for its
panel model (``DoubleMLPLPR``, 0.11). A panel model's estimate *is* a partially linear
regression on its transformed data (first differences, within-demeaned, ...), so the panel
model's cross-fitted predictions are handed to a ``DoubleMLPLR`` on those data, clustered by
unit, as ``external_predictions``: nothing is refitted, and its coefficient is the panel
model's up to DoubleML's clustered aggregation (within a few thousandths of a standard error). In the PLR,
``cf_d`` is the confounder's partial R-squared with the treatment given X and ``cf_y`` its
partial R-squared with the outcome's residual, the parameterisation every family shares.
"""

from __future__ import annotations

import numpy as np
from doubleml import DoubleMLData, DoubleMLPLR
from sklearn.base import clone

from framework.sensitivity.ovb import Strength, bounds_record
from framework.sensitivity.settings import SensitivitySettings

METHOD = "DoubleML sensitivity_analysis (Chernozhukov et al. 2022)"


def plr_of(model, unit_column: str, seed: int):
    """``model`` itself if it is a PLR, else a PLR on the panel model's transformed data that
    takes the panel model's cross-fitted predictions (no learner is refitted)."""
    if isinstance(model, DoubleMLPLR):
        return model
    transformed = model.data_transform
    data = DoubleMLData(transformed.data, y_col=transformed.y_col, d_cols=list(transformed.d_cols),
                        x_cols=list(transformed.x_cols), cluster_cols=unit_column)
    np.random.seed(seed)  # DoubleML draws the folds (used by the benchmark refits) from NumPy's global generator
    plr = DoubleMLPLR(data, clone(model.learner["ml_l"]), clone(model.learner["ml_m"]), n_folds=model.n_folds,
                      n_rep=model.n_rep, score="partialling out")
    external = {d: {"ml_l": model.predictions["ml_l"][:, :, i], "ml_m": model.predictions["ml_m"][:, :, i]}
                for i, d in enumerate(transformed.d_cols)}
    plr.fit(external_predictions=external)
    return plr


def doubleml_sensitivity(model, settings: SensitivitySettings, benchmark: bool, controls: list[str], unit_column: str,
                         seed: int) -> dict:
    """The sensitivity record of the first treatment of a fitted DoubleML model."""
    plr = plr_of(model, unit_column, seed)
    theta = float(np.asarray(plr.coef)[0])
    target = (1.0 - settings.q) * theta

    def analyse(r2_outcome: float, r2_treatment: float, rho: float) -> dict:
        # DoubleML bounds each end of the set one-sided at ``level``: 1 - alpha/2 makes them, at zero
        # strength, the run's two-sided 1 - alpha interval (as sensemakr's are), and RV_alpha comparable
        plr.sensitivity_analysis(cf_y=float(r2_outcome), cf_d=float(r2_treatment), rho=float(rho), level=1.0 - settings.alpha / 2,
                                 null_hypothesis=target)
        return plr.sensitivity_params

    first = analyse(0.0, 0.0, settings.rho)
    ci_low, ci_high = (float(np.asarray(first["ci"][end])[0]) for end in ("lower", "upper"))
    # an interval that already holds the target needs no confounder (DoubleML's root search stops just above 0)
    rv_alpha = 0.0 if ci_low <= target <= ci_high else float(np.asarray(first["rva"])[0])
    elements = plr.sensitivity_elements
    scale = float(np.median(np.sqrt(elements["sigma2"][0, :, 0] * elements["nu2"][0, :, 0])))
    record = {
        "supported": True,
        "method": METHOD + ("" if plr is model else ", on the panel model's transformed data (DoubleMLPLR with its predictions)"),
        "term": "treatment",
        "estimate": theta,
        "bias_scale": scale,
        "q": settings.q, "alpha": settings.alpha, "rho": settings.rho,
        "rv": float(np.asarray(first["rv"])[0]),
        "rv_alpha": rv_alpha,
        "rv_target": target,
        "strengths": [_bounds(s, analyse(s.r2_outcome, s.r2_treatment, settings.rho)) for s in settings.strengths],
        "benchmarks": [],
    }
    if benchmark:
        record["benchmarks"] = _benchmarks(plr, controls, settings, analyse)
    return record


def _bounds(strength: Strength, params: dict, **extra) -> dict:
    first = lambda value: float(np.asarray(value)[0])  # noqa: E731
    return bounds_record(strength, first(params["theta"]["lower"]), first(params["theta"]["upper"]),
                         first(params["ci"]["lower"]), first(params["ci"]["upper"]), **extra)


def _benchmarks(plr, controls: list[str], settings: SensitivitySettings, analyse) -> list[dict]:
    """For each control: leave it (and its lag, in first differences) out, refit, and read the
    confounding it stands for (DoubleML's ``sensitivity_benchmark``); bounds at ``k`` times its
    ``cf_y`` and ``cf_d`` with its ``rho``."""
    x_cols = list(plr._dml_data.x_cols)
    rows = []
    for control in controls:
        left_out = [c for c in x_cols if c in (control, f"{control}_lag")]
        if not left_out:
            continue
        gains = plr.sensitivity_benchmark(benchmarking_set=left_out).iloc[0]
        cf_y, cf_d, rho = (float(gains[key]) for key in ("cf_y", "cf_d", "rho"))
        base = {"control": control, "cf_y_control": cf_y, "cf_d_control": cf_d, "rho_control": rho,
                "delta_theta_control": float(gains["delta_theta"])}
        for k in settings.multiples:
            r2_outcome, r2_treatment = k * cf_y, k * cf_d
            if not (0 <= r2_outcome < 1 and 0 <= r2_treatment < 1 and np.isfinite(rho)):
                rows.append({**base, "multiple": k, "possible": False})
                continue
            strength = Strength(f"{k:g}x {control}", r2_outcome, r2_treatment)
            rows.append({**base, "multiple": k, "possible": True,
                         **_bounds(strength, analyse(r2_outcome, r2_treatment, min(abs(rho), 1.0)))})
    return rows
