"""Bayesian double machine learning: DoubleML's cross-fitted residuals, then a hierarchical
Bayesian model of the residual slope (in the spirit of DiTraglia & Liu, "Bayesian double
machine learning", 2025).

    Y~_it = Y_it - l^(X_it),   D~_it = D_it - m^(X_it)        cross-fitted by DoubleML (seed 000, eq. 6-7)
    Y~_it = (b + g s_i + p q_t + u_i) D~_it + a_i + e_it,   u_i ~ Normal(0, tau^2),  a_i flat,
    e_it AR(1) within unit i (errors=ar1) or independent (errors=iid)

s_i = +1 / -1 for units whose mean treatment is above / at or below the median unit's, and
q_t = +1 / -1 for periods up to ``period_end`` / later (``heterogeneity``, as in the collapsed
``bayes_hier``): the residual slope's mean may differ between those groups. Without them the
residual slope is pooled towards a precision-weighted mean, and where the effect moves with the
treatment's level or over time (the paper's world: with each city's industrial level and with
DIFI) the average of the rows' slopes inherits the bias of DML's variance-weighted estimand.

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
from framework.estimators.bayes_hier.config import heterogeneity as heterogeneity_setting
from framework.estimators.bayes_hier.groups import SlopeGroups
from framework.estimators.dml import DoubleMLEstimator
from framework.estimators.registry import register
from framework.learners import build_learner
from framework.numerics.inference import Coefficient
from framework.numerics.transforms import UNIT_CODE, period_halves, unit_codes
from framework.settings import choice, cross_fitting, integer, positive

ERRORS = ("ar1", "iid")
PRIORS = {"coef": 1.0, "slope_sd": 0.5, "group_sd": 0.5, "noise_sd": 1.0}
DIAGNOSE = ("all", "global")
DEFAULTS = {"fe": "fd", "errors": "ar1", "heterogeneity": ("period", "treatment_group"), "period_end": None, "draws": 1000, "tune": 500, "chains": 4, "cores": None,
            "target_accept": 0.9, "rhat_max": 1.01, "ess_min": 400, "diagnose": "all"}


@register
class BayesianDML(Estimator):
    name = "bayes_dml"
    description = "Bayesian DML: DoubleML's cross-fitted residuals, a hierarchical Bayesian residual slope with AR(1) errors (nutpie)"
    fe_choices = ("within", "fd", "dummies")
    fe_notes = {"cre": "its residuals are not within a unit; use fd or within", "none": "use fd, within or dummies"}
    settings = ("fe", "errors", "heterogeneity", "period_end", "priors", "draws", "tune", "chains", "cores", "target_accept", "rhat_max", "ess_min",
                "diagnose")
    uses_learner = True
    packages = ("doubleml", "scikit-learn", "nutpie", "arviz")
    moderation = False

    def __init__(self, learner, fe="fd", folds=5, n_rep=1, errors="ar1", heterogeneity=("period", "treatment_group"),
                 period_end=None, priors=None, draws=1000, tune=500, chains=4, cores=None, target_accept=0.9,
                 rhat_max=1.01, ess_min=400, diagnose="all", seed=0, nuisance_cache=None):
        self.learner = learner
        self.fe = fe
        self.folds = folds
        self.n_rep = n_rep
        self.errors = errors
        self.heterogeneity = tuple(heterogeneity)
        self.period_end = period_end
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
            errors=choice(get("errors"), "estimator.errors", ERRORS),
            heterogeneity=heterogeneity_setting(config.get("heterogeneity", DEFAULTS["heterogeneity"])),
            period_end=None if config.get("period_end") in (None, "auto") else integer(config["period_end"], "estimator.period_end"),
            priors={k: float(v) for k, v in priors.items()},
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
                                nuisance_cache=self.nuisance_cache).fit(data)
        self.dml_ = dml
        y_res, d_res, units, periods, times = residuals(dml, data)
        y_sd, d_sd = float(y_res.std()) or 1.0, float(d_res.std()) or 1.0
        rows = PanelRows.from_codes(units, periods)
        d = rows.sort(d_res / d_sd)
        groups = self._groups(data, units, times)
        self.groups_ = groups
        columns, names, prior_sd, slope = [d], ["slope_mean"], [self.priors["coef"]], [np.ones(rows.n_rows)]
        offset_sd = self.priors["group_sd"] / np.sqrt(2.0)  # a two-level ZeroSumNormal(group_sd)'s elements
        for kind, name, sign in (("period", "period_offset", np.where(groups.early, 1.0, -1.0)),
                                 ("treatment_group", "treatment_group_offset", np.where(groups.unit_high[units], 1.0, -1.0))):
            if kind in groups.modelled:
                sign = rows.sort(sign)
                columns.append(d * sign), names.append(name), prior_sd.append(offset_sd), slope.append(sign)
        collapsed = CollapsedData(y=rows.sort(y_res / y_sd), W=np.column_stack(columns), d=d, rows=rows, names=names,
                                  prior_sd=np.array(prior_sd, dtype=float))
        slope_design = np.column_stack(slope)
        settings = CollapsedSettings(
            errors=self.errors, noise_sd=self.priors["noise_sd"], slope_sd=self.priors["slope_sd"], draws=self.draws,
            tune=self.tune, chains=self.chains, cores=self.cores, target_accept=self.target_accept, seed=self.seed,
        )
        with single_threaded_blas():
            fitted = sample_collapsed(collapsed, settings)
        to_units = y_sd / d_sd
        idata = _posterior(collapsed, fitted, to_units, pd.factorize(data.frame["unit"], sort=True)[1], slope_design)
        posterior = idata.posterior
        self.coefficients_ = [Coefficient.credible("treatment", posterior["treatment"])]
        judged = (["treatment", "population_slope", "slope_sd", "sigma"] + (["rho"] if self.errors == "ar1" else [])
                  + [name for name in names[1:]])
        checks = check_posterior(posterior, collapsed, fitted, judged,
                                 ["unit_slope"] if self.diagnose == "all" else [], self.errors, self.rhat_max, self.ess_min, self.seed)
        dml_diagnostics = dml.diagnostics_
        self.diagnostics_ = {
            "fe": self.fe,
            "approach": dml_diagnostics["approach"],
            "errors": self.errors,
            "heterogeneity": list(groups.modelled),
            "period_end": groups.period_labels[0].split("-")[-1] if "period" in groups.modelled else None,
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

    def _groups(self, data, units: np.ndarray, times: np.ndarray) -> SlopeGroups:
        """The residual rows' groups: units by their mean treatment in the sample (levels, not
        residuals), periods up to ``period_end`` against later ones."""
        period_end = self.period_end if self.period_end is not None else next(iter(period_halves(data.periods).values()))[1]
        treatment = data.frame[data.terms["treatment"]].to_numpy(dtype=float)
        unit_mean = pd.Series(treatment).groupby(unit_codes(data.frame)).mean().to_numpy()
        # SlopeGroups takes a row's unit and treatment; each unit's rows carry its sample mean,
        # so the unit split is the one the levels give whatever rows the transform kept
        return SlopeGroups(data, times.astype(int), unit_mean[units], units, self.heterogeneity, period_end)


def residuals(dml: DoubleMLEstimator, data) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cross-fitted residuals of outcome and treatment (averaged over DoubleML's
    repetitions, each out of fold), and each residual row's unit code, period code and period."""
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
    return y_res, d_res, units, periods, frame["time"].to_numpy()


def _posterior(collapsed: CollapsedData, fitted, to_units: float, units: list, slope_design: np.ndarray):
    import arviz as az

    draws = {
        "treatment": row_average(collapsed, fitted, slope_design, to_units),
        "population_slope": to_units * fitted.theta[..., 0],
        "slope_sd": to_units * fitted.tau,
        "sigma": fitted.sigma,
        "rho": fitted.rho,
        "unit_slope": to_units * (fitted.theta[..., :1] + fitted.unit_slope),
    }
    for k, name in enumerate(collapsed.names[1:], start=1):
        draws[name] = to_units * fitted.theta[..., k]
    idata = az.from_dict(posterior=draws, dims={"unit_slope": ["unit"]}, coords={"unit": list(units)})
    idata.add_groups(sample_stats=fitted.sample_stats)
    return idata
