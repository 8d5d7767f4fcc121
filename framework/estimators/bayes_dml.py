"""Bayesian double machine learning: DoubleML's cross-fitted residuals, then a hierarchical
Bayesian model of the residual slope (in the spirit of DiTraglia & Liu, "Bayesian double
machine learning", 2025).

    Y~_it = Y_it - l^(X_it),   D~_it = D_it - m^(X_it)        cross-fitted by DoubleML (seed 000, eq. 6-7)
    Y~_it = (b + u_i) D~_it + a_i + e_it,   u_i ~ Normal(0, tau^2),  a_i flat,
    e_it AR(1) within unit i (errors=ar1) or independent (errors=iid)

The learners and the panel transform (``fe``: fd, the default, within or dummies) are the DML family's, and
so is its nuisance cache: a run of ``dml`` and of ``bayes_dml`` with the same learner, folds
and seed fits the learners once. The unit intercepts and slope deviations are integrated out
of the likelihood (:mod:`framework.bayes.collapsed`) and drawn afterwards from their exact
conditionals; ``treatment`` is the average over the residual rows of the rows' slopes
b + u_i. Docs: ``docs/estimators/bayes_dml.md``.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from framework.bayes.checks import check_posterior, summary
from framework.bayes.effects import row_average
from framework.bayes.rows import PanelRows
from framework.bayes.sampling import CollapsedData, CollapsedSettings, sample_collapsed, single_threaded_blas
from framework.errors import UserInputError
from framework.estimators.base import Estimator
from framework.estimators.dml import DoubleMLEstimator
from framework.estimators.registry import register
from framework.learners import build_learner
from framework.numerics.inference import Coefficient
from framework.numerics.transforms import UNIT_CODE, unit_codes
from framework.settings import choice, cross_fitting, flag, integer, positive

ERRORS = ("ar1", "iid")
PRIORS = {"coef": 1.0, "slope_sd": 0.5, "noise_sd": 1.0}
DIAGNOSE = ("all", "global")
DEFAULTS = {"fe": "fd", "fd_differences": True, "errors": "ar1", "draws": 500, "tune": 300, "chains": 4, "cores": None,
            "target_accept": 0.9, "rhat_max": 1.01, "ess_min": 400, "diagnose": "all"}


@register
class BayesianDML(Estimator):
    name = "bayes_dml"
    description = "Bayesian DML: DoubleML's cross-fitted residuals, a hierarchical Bayesian residual slope with AR(1) errors (nutpie)"
    fe_choices = ("within", "fd", "dummies")
    fe_notes = {"cre": "its residuals are not within a unit; use fd or within", "none": "use fd, within or dummies"}
    settings = ("fe", "fd_differences", "errors", "priors", "draws", "tune", "chains", "cores", "target_accept", "rhat_max", "ess_min",
                "diagnose")
    uses_learner = True
    packages = ("doubleml", "scikit-learn", "nutpie", "arviz")
    moderation = False
    sensitivity_reason = (
        "bayes_dml's residuals are DML's: estimator=dml with the same learner has DoubleML's bounds; its row average "
        "of hierarchical slopes is not the partially linear coefficient those bounds are for (docs/SENSITIVITY.md)"
    )

    def __init__(self, learner, fe="fd", folds=5, n_rep=1, errors="ar1", priors=None, draws=500, tune=300,
                 chains=4, cores=None, target_accept=0.9, rhat_max=1.01, ess_min=400, diagnose="all", seed=0,
                 nuisance_cache=None, fd_differences=True):
        self.learner = learner
        self.fe = fe
        self.fd_differences = fd_differences
        self.folds = folds
        self.n_rep = n_rep
        self.errors = errors
        self.priors = {**PRIORS, **(priors or {})}
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.cores = cores
        self.target_accept = target_accept
        self.rhat_max = rhat_max
        self.ess_min = ess_min
        self.diagnose = diagnose
        self.seed = seed
        self.nuisance_cache = nuisance_cache

    @classmethod
    def from_config(cls, config: Mapping[str, Any], learner, split, seed: int) -> "BayesianDML":
        get = lambda key: DEFAULTS[key] if config.get(key) is None else config[key]  # noqa: E731
        folds, n_rep = cross_fitting(split)
        priors = dict(config.get("priors") or {})
        for key, scale in priors.items():
            if key not in PRIORS:
                raise UserInputError(f"estimator.priors.{key}: unknown prior scale; use {', '.join(PRIORS)}")
            positive(scale, f"estimator.priors.{key}")
        tune = integer(get("tune"), "estimator.tune", minimum=1)
        target_accept = positive(get("target_accept"), "estimator.target_accept")
        if not target_accept < 1:
            raise UserInputError(f"estimator.target_accept = {target_accept}: use a number in (0, 1), e.g. 0.9")
        return cls(
            learner=build_learner(learner, seed), fe=get("fe"), folds=folds, n_rep=n_rep,
            fd_differences=flag(get("fd_differences"), "estimator.fd_differences"),
            errors=choice(get("errors"), "estimator.errors", ERRORS), priors={k: float(v) for k, v in priors.items()},
            draws=integer(get("draws"), "estimator.draws", minimum=4), tune=tune,
            chains=integer(get("chains"), "estimator.chains", minimum=1),
            cores=None if config.get("cores") is None else integer(config["cores"], "estimator.cores", minimum=1),
            target_accept=target_accept, rhat_max=positive(get("rhat_max"), "estimator.rhat_max"),
            ess_min=positive(get("ess_min"), "estimator.ess_min", allow_zero=True),
            diagnose=choice(get("diagnose"), "estimator.diagnose", DIAGNOSE), seed=integer(seed, "seed", minimum=0),
        )

    def absorbed_effects(self) -> tuple[str, ...]:
        return ("unit", "time")

    def cluster_by(self) -> str | None:
        return "unit"

    def use_nuisance_cache(self, cache) -> None:
        self.nuisance_cache = cache

    def fit(self, data) -> "BayesianDML":
        if list(data.terms) != ["treatment"]:
            raise UserInputError("bayes_dml estimates the treatment term only; use estimator=dml for moderation")
        dml = DoubleMLEstimator(self.learner, fe=self.fe, folds=self.folds, n_rep=self.n_rep, seed=self.seed,
                                nuisance_cache=self.nuisance_cache, fd_differences=self.fd_differences).fit(data)
        self.dml_ = dml
        y_res, d_res, units, periods = residuals(dml, data)
        y_sd, d_sd = float(y_res.std()) or 1.0, float(d_res.std()) or 1.0
        rows = PanelRows.from_codes(units, periods)
        d = rows.sort(d_res / d_sd)
        collapsed = CollapsedData(y=rows.sort(y_res / y_sd), W=d[:, None], d=d, rows=rows, names=["slope_mean"],
                                  prior_sd=np.array([self.priors["coef"]]))
        settings = CollapsedSettings(
            errors=self.errors, noise_sd=self.priors["noise_sd"], slope_sd=self.priors["slope_sd"], draws=self.draws,
            tune=self.tune, chains=self.chains, cores=self.cores, target_accept=self.target_accept, seed=self.seed,
        )
        with single_threaded_blas():
            fitted = sample_collapsed(collapsed, settings)
        to_units = y_sd / d_sd
        idata = _posterior(collapsed, fitted, to_units, pd.factorize(data.frame["unit"], sort=True)[1])
        posterior = idata.posterior
        self.coefficients_ = [Coefficient.credible("treatment", posterior["treatment"])]
        judged = ["treatment", "population_slope", "slope_sd", "sigma"] + (["rho"] if self.errors == "ar1" else [])
        checks = check_posterior(posterior, collapsed, fitted, judged,
                                 ["unit_slope"] if self.diagnose == "all" else [], self.errors, self.rhat_max, self.ess_min, self.seed)
        dml_diagnostics = dml.diagnostics_
        self.diagnostics_ = {
            "fe": self.fe,
            "approach": dml_diagnostics["approach"],
            "fd_differences": dml_diagnostics["fd_differences"],
            "errors": self.errors,
            "sampler": "nutpie",
            "chains": self.chains, "draws": self.draws, "tune": self.tune, "target_accept": self.target_accept,
            "seed": self.seed,
            "diagnosed": self.diagnose,
            **checks,
            "warnings": list(dml_diagnostics.get("warnings") or []) + checks["warnings"],
            "compile_time_s": round(fitted.setup_s, 3),
            "sampling_time_s": round(fitted.sampling_s, 3),
            "population_slope": summary(posterior["population_slope"]),
            "slope_sd_across_units": summary(posterior["slope_sd"]),
            "rho": summary(posterior["rho"]),
            "dml_estimate": {"estimate": dml.coefficients_[0].estimate, "std_error": dml.coefficients_[0].std_error},
            "n_obs_used": rows.n_rows,
            "folds": self.folds,
            "n_rep": self.n_rep,
            "nuisance_rmse": dml_diagnostics["nuisance_rmse"],
            "nuisance_cache": dml_diagnostics["nuisance_cache"],
        }
        self.artifacts_ = {"posterior": idata}
        return self


def residuals(dml: DoubleMLEstimator, data) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cross-fitted residuals of outcome and treatment (averaged over DoubleML's
    repetitions, each out of fold), and each residual row's unit code and period code."""
    model, targets = dml.models_[0], dml.nuisance_targets_[0]
    y_res = np.mean(targets["ml_l"][:, :, 0] - model.predictions["ml_l"][:, :, 0], axis=1)
    d_res = np.mean(targets["ml_m"][:, :, 0] - model.predictions["ml_m"][:, :, 0], axis=1)
    transformed = getattr(model, "data_transform", None)
    frame = transformed.data if transformed is not None else data.frame.assign(**{UNIT_CODE: unit_codes(data.frame)})
    units = frame[UNIT_CODE].to_numpy()
    periods = pd.factorize(frame["time"], sort=True)[0]
    keep = np.isfinite(y_res) & np.isfinite(d_res)
    if not keep.all():
        raise UserInputError(f"bayes_dml: {int((~keep).sum())} rows have no cross-fitted prediction")
    return y_res, d_res, units, periods


def _posterior(collapsed: CollapsedData, fitted, to_units: float, units: list):
    import arviz as az

    draws = {
        "treatment": row_average(collapsed, fitted, np.ones((collapsed.rows.n_rows, 1)), to_units),
        "population_slope": to_units * fitted.theta[..., 0],
        "slope_sd": to_units * fitted.tau,
        "sigma": fitted.sigma,
        "rho": fitted.rho,
        "unit_slope": to_units * (fitted.theta[..., :1] + fitted.unit_slope),
    }
    idata = az.from_dict(posterior=draws, dims={"unit_slope": ["unit"]}, coords={"unit": list(units)})
    idata.add_groups(sample_stats=fitted.sample_stats)
    return idata
