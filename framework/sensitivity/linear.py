"""Sensitivity of a linear regression's coefficient (sensemakr's quantities), computed by
Frisch-Waugh-Lovell on the regression's own design: the ``twfe`` family hands over its
outcome and regressors with the fixed effects already partialled out.

Every partial R-squared here is the squared correlation of two residuals after the other
regressors are partialled out, which equals C&H's t^2 / (t^2 + dof) without needing a
standard error; ``dof`` (the regression's residual degrees of freedom, the absorbed effects
counted) only enters RV_{q,alpha} and the adjusted intervals. Standard errors are the classical
OLS ones, as in sensemakr, whatever the run's clustered ones are, and the bounds are the worst
case over the confounder's direction (``sensitivity.rho`` is DML's and is not used here).
"""

from __future__ import annotations

import math

import numpy as np

from framework.sensitivity.ovb import Strength, benchmark_strength, ols_bounds, ols_robustness_value, robustness_value
from framework.sensitivity.settings import SensitivitySettings


def _residual(target: np.ndarray, others: np.ndarray) -> np.ndarray:
    if others.shape[1] == 0:
        return target
    coef, *_ = np.linalg.lstsq(others, target, rcond=None)
    return target - others @ coef


def _partial_r2(a: np.ndarray, b: np.ndarray, others: np.ndarray) -> float:
    ra, rb = _residual(a, others), _residual(b, others)
    return float((ra @ rb) ** 2 / ((ra @ ra) * (rb @ rb)))


def linear_sensitivity(outcome: np.ndarray, treatment: np.ndarray, covariates: np.ndarray, covariate_names: list[str],
                       dof: int, settings: SensitivitySettings, benchmark: bool, weights: np.ndarray | None = None) -> dict:
    """The sensitivity record of the OLS coefficient of ``treatment`` in outcome ~ treatment +
    covariates (columns already free of the absorbed effects; weighted least squares with ``weights``)."""
    if weights is not None:
        root = np.sqrt(weights)
        outcome, treatment, covariates = outcome * root, treatment * root, covariates * root[:, None]
    y, d = _residual(outcome, covariates), _residual(treatment, covariates)
    estimate = float(d @ y / (d @ d))
    resid = y - estimate * d
    scale = math.sqrt(float(resid @ resid) / float(d @ d))  # se * sqrt(dof): the bias per unit of bias factor
    se = scale / math.sqrt(dof)
    t_value = estimate / se
    record = {
        "supported": True,
        "method": "sensemakr (Cinelli & Hazlett 2020) on the regression with the fixed effects partialled out",
        "term": "treatment",
        "estimate": estimate,
        "std_error_classical": se,
        "dof": int(dof),
        "bias_scale": scale,
        "q": settings.q, "alpha": settings.alpha, "rho": 1.0,  # sensemakr bounds the worst case
        "partial_r2_treatment": float((d @ y) ** 2 / ((d @ d) * (y @ y))),
        "rv": robustness_value(settings.q * abs(estimate) / scale),
        "rv_alpha": ols_robustness_value(t_value, dof, settings.q, settings.alpha),
        "rv_target": (1.0 - settings.q) * estimate,  # what RV_q moves the estimate to
        "strengths": [_bounds(estimate, se, dof, s, settings) for s in settings.strengths],
        "benchmarks": [],
    }
    if benchmark:
        record["benchmarks"] = _benchmarks(outcome, treatment, covariates, covariate_names, estimate, se, dof, settings)
    return record


def _bounds(estimate: float, se: float, dof: int, strength: Strength, settings: SensitivitySettings) -> dict:
    if strength.r2_outcome >= 1:  # a benchmark that explains all of the outcome's residual variation
        return {"label": strength.label, "r2_outcome": strength.r2_outcome, "r2_treatment": strength.r2_treatment,
                "estimate_low": None, "estimate_high": None, "ci_low": None, "ci_high": None}
    return ols_bounds(estimate, se, dof, strength, settings.alpha)


def _benchmarks(outcome, treatment, covariates, names, estimate, se, dof, settings) -> list[dict]:
    rows = []
    for j, name in enumerate(names):
        rest = np.delete(covariates, j, axis=1)
        r2_treatment_x = _partial_r2(treatment, covariates[:, j], rest)
        r2_outcome_x = _partial_r2(outcome, covariates[:, j], np.column_stack([treatment, rest]))
        for k in settings.multiples:
            implied = benchmark_strength(r2_treatment_x, r2_outcome_x, k)
            base = {"control": name, "multiple": k, "r2_treatment_control": r2_treatment_x, "r2_outcome_control": r2_outcome_x}
            if implied is None:
                rows.append({**base, "possible": False})
                continue
            r2_outcome, r2_treatment = implied
            strength = Strength(f"{k:g}x {name}", r2_outcome, r2_treatment)
            rows.append({**base, "possible": True, **_bounds(estimate, se, dof, strength, settings)})
    return rows
