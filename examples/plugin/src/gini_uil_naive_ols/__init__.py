"""A deliberately naive baseline, shipped as a plugin: pooled OLS with HC1 standard errors.

    Gini_it = a + beta' D_it + gamma' X_it + e_it

``D_it`` are the spec's terms (UIL; with moderation also the transformed moderator and the
interaction), ``X_it`` the spec's covariates. There are no city or year effects, so the city
and year confounding of the synthetic world stays in ``beta``; and the HC1 covariance,
n / (n - k) (X'X)^-1 X' diag(e^2) X (X'X)^-1, ignores that a city's rows are correlated.
Intervals are normal (estimate +- 1.96 SE). It is here to show how a family from another
package plugs in (docs/PLUGINS.md) and as the floor the other families should beat.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from framework.errors import UserInputError
from framework.estimators import Coefficient, Estimator

__all__ = ["NaiveOLS"]
__version__ = "0.1"


class NaiveOLS(Estimator):
    """Pooled OLS of the outcome on a constant, the terms and the covariates; HC1 SEs."""

    name = "naive_ols"
    description = "Pooled OLS, no city or year effects, HC1 SEs: a deliberately naive baseline (plugin)"
    fe_choices = ("none",)
    fe_notes = {fe: "it has no city or year effects; use estimator=twfe for them" for fe in ("dummies", "within", "fd", "cre")}
    settings = ("fe",)
    packages = ("numpy",)

    def __init__(self, fe: str = "none"):
        self.fe = fe

    @classmethod
    def from_config(cls, config: Mapping[str, Any], learner=None, split=None, seed: int = 0) -> "NaiveOLS":
        """Settings from the ``estimator`` config node (already checked against ``settings`` and
        ``fe_choices`` by ``Estimator.check_config``); learner, split and seed are unused."""
        return cls(fe=config.get("fe", "none"))

    def fit(self, data) -> "NaiveOLS":
        frame = data.frame
        terms = list(data.terms)
        term_cols = [data.terms[t] for t in terms]
        covariates, dropped = [], []
        for column in data.covariates:
            (dropped if frame[column].nunique() < 2 else covariates).append(column)
        x = np.column_stack([np.ones(len(frame)), frame[term_cols + covariates].to_numpy(dtype=float)])
        y = frame["outcome"].to_numpy(dtype=float)
        n, k = x.shape
        if np.linalg.matrix_rank(x) < k:
            raise UserInputError("naive_ols: the terms and covariates are collinear in this sample")
        if n <= k:
            raise UserInputError(f"naive_ols: {n} rows cannot identify {k} coefficients")
        bread = np.linalg.inv(x.T @ x)
        beta = bread @ (x.T @ y)
        resid = y - x @ beta
        meat = (x * resid[:, None] ** 2).T @ x
        cov = n / (n - k) * bread @ meat @ bread
        se = np.sqrt(np.diag(cov))
        self.coefficients_ = [Coefficient.normal(term, beta[1 + i], se[1 + i]) for i, term in enumerate(terms)]
        total = float(((y - y.mean()) ** 2).sum())
        self.diagnostics_ = {
            "fe": "none",
            "model": "pooled OLS with a constant (numpy)",
            "se_type": "HC1: heteroskedasticity-robust, n/(n-k); not clustered by city",
            "interval": "normal",
            "n_obs_used": int(n),
            "covariates_used": covariates,
            "dropped_covariates": {c: "constant in this sample" for c in dropped},
            "r2": float(1 - resid @ resid / total) if total > 0 else None,
        }
        return self
