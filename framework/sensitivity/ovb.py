"""The omitted-variable-bias formulas of Cinelli & Hazlett (2020, "Making sense of
sensitivity"), for a linear regression's coefficient, and what the families share.

For the OLS coefficient ``b`` of D (standard error ``se``, residual degrees of freedom ``dof``)
in ``Y ~ D + X``, a confounder Z with partial R-squares ``R2_{D~Z|X}`` (``r2_treatment``) and
``R2_{Y~Z|D,X}`` (``r2_outcome``) moves it by exactly

    |bias| = sqrt(r2_outcome * r2_treatment / (1 - r2_treatment)) * se * sqrt(dof)        (C&H eq. 11)

and the long regression's standard error is ``se * sqrt((1 - r2_outcome) / (1 - r2_treatment))
* sqrt(dof / (dof - 1))`` (eq. 12). The robustness value RV_q is the strength (equal in both
partial R-squares) that removes ``q`` times the estimate; RV_{q,alpha} the one that makes the
adjusted ``1 - alpha`` interval reach ``(1 - q) * b`` (eq. 18-19 and their footnote).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True)
class Strength:
    """A confounder's strength: its partial R-squares with the outcome and with the treatment."""

    label: str
    r2_outcome: float
    r2_treatment: float


def bias_factor(r2_outcome: float, r2_treatment: float) -> float:
    """sqrt(r2_outcome * r2_treatment / (1 - r2_treatment)): bias per unit of a family's scale."""
    return math.sqrt(r2_outcome * r2_treatment / (1.0 - r2_treatment))


def robustness_value(f_q: float, f_crit: float = 0.0) -> float:
    """RV for Cohen's partial ``f_q = q |b| / scale`` less the critical ``f_crit`` of the test
    (0: the point estimate), C&H's closed form, with its unconstrained case."""
    f_qa = f_q - f_crit
    if f_qa <= 0:
        return 0.0
    if f_crit > 0 and f_q > 1.0 / f_crit:
        return (f_q**2 - f_crit**2) / (1.0 + f_q**2)
    return 0.5 * (math.sqrt(f_qa**4 + 4.0 * f_qa**2) - f_qa**2)


def ols_robustness_value(t_value: float, dof: float, q: float = 1.0, alpha: float | None = None) -> float:
    """RV_q (``alpha`` None) or RV_{q,alpha} of an OLS coefficient with t-value ``t_value``."""
    f_q = q * abs(t_value) / math.sqrt(dof)
    f_crit = 0.0 if alpha is None else abs(stats.t.ppf(alpha / 2.0, dof - 1)) / math.sqrt(dof - 1)
    return robustness_value(f_q, f_crit)


def ols_bounds(estimate: float, se: float, dof: float, strength: Strength, alpha: float = 0.05) -> dict:
    """The estimate adjusted for a confounder of ``strength`` in either direction, and the
    adjusted ``1 - alpha`` interval around both (C&H eq. 11-12)."""
    bias = bias_factor(strength.r2_outcome, strength.r2_treatment) * se * math.sqrt(dof)
    adjusted_se = se * math.sqrt((1.0 - strength.r2_outcome) / (1.0 - strength.r2_treatment)) * math.sqrt(dof / (dof - 1))
    critical = stats.t.ppf(1.0 - alpha / 2.0, dof - 1)
    return bounds_record(strength, estimate - bias, estimate + bias, estimate - bias - critical * adjusted_se,
                         estimate + bias + critical * adjusted_se)


def bounds_record(strength: Strength, low: float, high: float, ci_low: float, ci_high: float, **extra) -> dict:
    return {"label": strength.label, "r2_outcome": strength.r2_outcome, "r2_treatment": strength.r2_treatment,
            "estimate_low": low, "estimate_high": high, "ci_low": ci_low, "ci_high": ci_high, **extra}


def benchmark_strength(r2_treatment_x: float, r2_outcome_x: float, k_treatment: float,
                       k_outcome: float | None = None) -> tuple[float, float] | None:
    """The strength of a confounder ``k`` times as strong as an observed covariate X_j
    (C&H section 6.1): ``r2_treatment_x`` = R2_{D~X_j|X_-j}, ``r2_outcome_x`` = R2_{Y~X_j|D,X_-j}.
    Returns (r2_outcome, r2_treatment), the outcome's capped at 1, or None where the multiple is
    impossible (it would explain all of the treatment's variation)."""
    k_outcome = k_treatment if k_outcome is None else k_outcome
    if k_treatment * r2_treatment_x >= 1.0 or r2_treatment_x >= 1.0 or r2_outcome_x >= 1.0:
        return None
    r2_treatment = k_treatment * r2_treatment_x / (1.0 - r2_treatment_x)
    if r2_treatment >= 1.0:
        return None
    r2_zx = k_treatment * r2_treatment_x**2 / ((1.0 - k_treatment * r2_treatment_x) * (1.0 - r2_treatment_x))
    if r2_zx >= 1.0:
        return None
    r2_outcome = ((math.sqrt(k_outcome) + math.sqrt(r2_zx)) / math.sqrt(1.0 - r2_zx)) ** 2 * (r2_outcome_x / (1.0 - r2_outcome_x))
    return min(r2_outcome, 1.0), r2_treatment
