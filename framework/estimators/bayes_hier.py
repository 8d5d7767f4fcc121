"""Bayesian hierarchical panel model of the Gini on UIL (PyMC, sampled with nutpie).

Every input is standardised over the sample's rows before sampling (``y`` the Gini, ``d`` UIL,
``x_k`` each control and, with moderation, the spec's transformed moderator ``M~`` and its
interaction column ``(UIL - mean UIL) M~``: ``v -> (v - mean v) / sd v``); every reported
number is transformed back to the data's units. City ``i``, year ``t``, row ``it``:

    y_it  ~ Normal(m_it, sigma)
    m_it  = a_i + g_t + b_it d*_it + sum_k beta_k x*_kit

    b_it  = b + sigma_b u_i                 city slopes, partially pooled (u_i ~ Normal(0, 1))
            [+ delta_p(t)]                  heterogeneity "period": p(t) = t <= period_end or not
            [+ eta_q(i)]                    heterogeneity "uil_group": q(i) = the city's mean UIL
                                            above / at-or-below the median of the city means

``d*`` and ``x*`` are the standardised inputs less their city means (``fe`` = cre, dummies) and
then less their year means (year effects modelled): the city and year effects carry those
means, so the slopes are learnt from UIL's variation within city and year, and the posterior
of the slopes is nearly uncorrelated with the city and year effects. For a common slope this
is a reparameterisation of the two-way fixed-effects model; with varying slopes it defines
them as responses to UIL's deviations from its city and year means.

City effects, ``fe``:

``cre``      (recommended; Mundlak / correlated random effects)
             a_i ~ Normal(alpha + sum_j pi_j q_ij, sigma_a), where q_i are the city means of d
             and every x_k, orthonormalised (thin QR, unit-SD columns; same span, better
             geometry). The city means carry whatever part of the city effect is correlated
             with UIL and the controls, so such city effects do not bias the slope.
``random``   a_i ~ Normal(alpha, sigma_a), inputs not city-demeaned: plain random intercepts,
             assumed independent of UIL (for comparison; biased when they are not).
``dummies``  a_i = alpha + c_i, c ~ ZeroSumNormal(city_fixed_sd): one unpooled intercept per
             city, the Bayesian counterpart of city dummies.
``none``     a_i = alpha.

Year effects, ``year_effects``: ``fixed`` (default) g ~ ZeroSumNormal(year_fixed_sd), one
unpooled intercept per year; ``pooled`` g_t = sum_j rho_j r_tj + sigma_g e_t with r_t the
orthonormalised year means of the inputs (a Mundlak term for years) and e ~ ZeroSumNormal(1);
``none``. Year effects are correlated with UIL through the common trend; shrinking them
without the year means (plain partial pooling) moves part of the trend into the slope, so
``fixed`` is the default (with 11 years, pooling buys little).

Parameterisation, per component (``parameterization.city_effects`` / ``.slopes``): the
slopes are non-centred by default (b + sigma_b u_i with u_i ~ Normal(0, 1): each city's slope
is weakly informed, and the centred form has a funnel between sigma_b and the slopes); the
city intercepts are centred by default (each is informed by every year of its city, where the
centred form samples better). Both can be switched.

Priors (standardised scale; each scale is ``priors.<key>`` in the config):

    alpha ~ Normal(0, intercept)       b, beta_k ~ Normal(0, coef)      pi, rho ~ Normal(0, mundlak)
    sigma_a ~ HalfNormal(city_sd)      sigma_b ~ HalfNormal(slope_sd)   sigma_g ~ HalfNormal(year_sd)
    delta, eta ~ ZeroSumNormal(group_sd)                                sigma ~ HalfNormal(noise_sd)

The period and UIL-group offsets have two levels each, too few to learn their spread, so they
are shrunk towards the common slope with the fixed scale ``group_sd``.

Reported terms (``Coefficient`` with ``interval="credible"``: posterior mean, posterior SD,
2.5 % and 97.5 % posterior quantiles; no p-value). Each row's effect of UIL is
``e_it = (sd_y / sd_d) b_it`` (+ ``gamma M~_it`` with moderation), and

``treatment``  the average over the sample's rows of e_it. The truth of a synthetic run is the
               mean of the rows' true effects over the same rows, so this derived quantity
               targets exactly that finite-sample estimand. The population mean slope
               (sd_y / sd_d) b is a different estimand -- the centre of a hypothetical
               population of cities, which weights the period and UIL-group levels equally
               rather than by their rows -- and is wider; it is reported in
               ``diagnostics['population_slope']``.
``moderator``, ``treatment_x_moderator`` (with moderation) (sd_y / sd_k) beta_k of the
               spec's columns ``M~`` and ``(UIL - mean UIL) M~`` (gamma above). ``M~`` has mean
               zero over the sample, so the average effect is still the average row slope.
               Period and UIL-group offsets are not modelled with moderation: the truth of
               the interaction is the projection of the effects on ``M~`` alone, and offsets
               by period would take the part of it that moves with the period.

Diagnostics: R-hat (rank-normalised split R-hat) and bulk/tail ESS of each term and their
worst values over every parameter and derived quantity, divergent transitions after tuning,
compile and sampling time (over the parameters without a city dimension only, with
``diagnose=global``). ``converged`` is false, with one line per problem in
``warnings``, when the largest R-hat exceeds ``rhat_max`` (1.01), when any transition
diverged, or when the smallest bulk or tail ESS is below ``ess_min`` (400). The posterior of
the average effect by period window (when the sample has both) and by UIL half of the rows
(above / at-or-below the sample median, the rows of the ``high_uil`` / ``low_uil`` samples) is
reported as ``slope_by_period`` and ``slope_by_uil_half``. ``artifacts_['posterior']`` is the
ArviZ ``InferenceData`` (the runner saves it as ``posterior.nc``).

Every array the model reads is a ``pm.Data`` container, and the built model (and nutpie's
compiled one) is kept for the process by structure: the model options, the coordinates and the
shapes of the data. A later fit of the same structure -- another seed, another synthetic
dataset of the same size in a Monte Carlo study -- swaps its data into the containers and
nutpie's compiled model (``with_data``) instead of compiling again; ``compiled_model_reused``
in the diagnostics says which happened, and ``compile_time_s`` is then the time to swap the
data. The same data and seed give the same draws whether the model was compiled afresh or
reused. (PyMC's own sampler, ``sampler=pymc``, compiles inside ``pm.sample`` every time.)
PyMC, nutpie and ArviZ are imported inside
``fit`` so that the registry stays quick to import.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any, Mapping

import numpy as np
import pandas as pd

from framework.errors import UserInputError
from framework.estimators.base import Coefficient, Estimator
from framework.estimators.registry import register

FE_SUPPORTED = ("cre", "random", "dummies", "none")
YEAR_EFFECTS = ("pooled", "fixed", "none")
HETEROGENEITY = ("period", "uil_group")
SAMPLERS = ("nutpie", "pymc")
PARAMETERIZATIONS = ("noncentered", "centered")
DEFAULT_PRIORS = {
    "intercept": 1.0,
    "coef": 1.0,
    "mundlak": 1.0,
    "city_sd": 1.0,
    "city_fixed_sd": 2.0,
    "slope_sd": 0.5,
    "year_sd": 0.5,
    "year_fixed_sd": 1.0,
    "group_sd": 0.5,
    "noise_sd": 1.0,
}
CONFIG_KEYS = (
    "name", "fe", "year_effects", "heterogeneity", "period_end", "parameterization", "priors", "sampler",
    "draws", "tune", "chains", "cores", "target_accept", "rhat_max", "ess_min", "diagnose",
)
DIAGNOSE = ("all", "global")
DEFAULT_PARAMETERIZATION = {"city_effects": "centered", "slopes": "noncentered"}
DEFAULTS: dict[str, Any] = {
    "fe": "cre",
    "year_effects": "fixed",
    "heterogeneity": ("period", "uil_group"),
    "period_end": 2015,
    "parameterization": DEFAULT_PARAMETERIZATION,
    "sampler": "nutpie",
    "draws": 1500,
    "tune": 1000,
    "chains": 4,
    "cores": None,
    "target_accept": 0.8,
    "rhat_max": 1.01,
    "ess_min": 400,
    "diagnose": "all",
}
# Built PyMC models and nutpie's compiled versions by structure (``_structure``: the model
# options, every data array's shape and dtype, and the coordinates), kept for the process:
# another dataset of the same structure (a Monte Carlo replication, another seed) only swaps
# the data into the model's pm.Data containers. Compiling takes longer than sampling these
# models. The oldest structure is dropped beyond _MODELS_KEEP.
_MODELS: dict[str, "_Compiled"] = {}
_MODELS_KEEP = 8


class _Compiled:
    """One structure's PyMC model and, once nutpie has sampled it, its compiled model."""

    def __init__(self, model):
        self.model = model
        self.nutpie = None


@register
class BayesHierarchical(Estimator):
    name = "bayes_hier"
    description = "Bayesian hierarchical panel model (PyMC + nutpie): pooled city slopes, Mundlak city effects, year effects"

    def __init__(self, fe="cre", year_effects="fixed", heterogeneity=("period", "uil_group"), period_end=2015,
                 parameterization=None, priors=None, sampler="nutpie", draws=1500, tune=1000, chains=4,
                 cores=None, target_accept=0.8, rhat_max=1.01, ess_min=400, diagnose="all", seed=0):
        self.fe = fe
        self.year_effects = year_effects
        self.heterogeneity = tuple(heterogeneity)
        self.period_end = period_end
        self.parameterization = {**DEFAULT_PARAMETERIZATION, **(parameterization or {})}
        self.priors = {**DEFAULT_PRIORS, **(priors or {})}
        self.sampler = sampler
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.cores = cores
        self.target_accept = target_accept
        self.rhat_max = rhat_max
        self.ess_min = ess_min
        self.diagnose = diagnose
        self.seed = seed

    # --- configuration -----------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: Mapping[str, Any], learner=None, split=None, seed: int = 0) -> "BayesHierarchical":
        """Validate ``conf/estimator/bayes_hier.yaml`` (learner and split are not used)."""
        config = dict(config or {})
        unknown = sorted(set(config) - set(CONFIG_KEYS))
        if unknown:
            raise UserInputError(f"estimator.{unknown[0]}: not a bayes_hier setting; use {', '.join(CONFIG_KEYS[1:])}")
        get = lambda key: DEFAULTS[key] if config.get(key) is None else config[key]  # noqa: E731
        fe = get("fe")
        if fe not in FE_SUPPORTED:
            raise UserInputError(
                f"estimator.fe = {fe!r}: bayes_hier supports cre (Mundlak, recommended), random, dummies, none"
            )
        year_effects = _choice(get("year_effects"), "year_effects", YEAR_EFFECTS)
        parameterization = _parameterization(config.get("parameterization"))
        sampler = _choice(get("sampler"), "sampler", SAMPLERS)
        heterogeneity = config.get("heterogeneity", DEFAULTS["heterogeneity"])
        if heterogeneity is None or heterogeneity == "none":
            heterogeneity = ()
        elif isinstance(heterogeneity, str):
            heterogeneity = (heterogeneity,)
        elif not isinstance(heterogeneity, (list, tuple)):
            raise UserInputError(f"estimator.heterogeneity = {heterogeneity!r}: use a list of period, uil_group (or [])")
        heterogeneity = tuple(heterogeneity)
        bad = [h for h in heterogeneity if h not in HETEROGENEITY]
        if bad:
            raise UserInputError(f"estimator.heterogeneity = {bad[0]!r}: use a list of period, uil_group (or [])")
        priors = config.get("priors") or {}
        if not isinstance(priors, Mapping):
            raise UserInputError(f"estimator.priors = {priors!r}: a mapping of prior scales, e.g. priors.coef=1.0")
        for key, value in priors.items():
            if key not in DEFAULT_PRIORS:
                raise UserInputError(f"estimator.priors.{key}: unknown prior scale; use {', '.join(DEFAULT_PRIORS)}")
            _positive_number(value, f"priors.{key}")
        cores = config.get("cores")
        if cores is not None:
            cores = _integer(cores, "cores", minimum=1)
        tune = _integer(get("tune"), "tune", minimum=0)
        if sampler == "nutpie" and tune < 1:
            raise UserInputError("estimator.tune = 0: nutpie needs at least one tuning iteration (or use sampler=pymc)")
        target_accept = _positive_number(get("target_accept"), "target_accept")
        if not target_accept < 1:
            raise UserInputError(f"estimator.target_accept = {target_accept}: use a number in (0, 1), e.g. 0.9")
        return cls(
            fe=fe,
            year_effects=year_effects,
            heterogeneity=heterogeneity,
            period_end=_integer(get("period_end"), "period_end"),
            parameterization=parameterization,
            priors={key: float(value) for key, value in priors.items()},
            sampler=sampler,
            draws=_integer(get("draws"), "draws", minimum=4),
            tune=tune,
            chains=_integer(get("chains"), "chains", minimum=1),
            cores=cores,
            target_accept=target_accept,
            rhat_max=_positive_number(get("rhat_max"), "rhat_max"),
            ess_min=_positive_number(get("ess_min"), "ess_min", allow_zero=True),
            diagnose=_diagnose(get("diagnose")),
            seed=_integer(seed, "seed", minimum=0, prefix=""),
        )

    # --- fitting -----------------------------------------------------------------------------
    def fit(self, data) -> "BayesHierarchical":
        design = _Design.from_data(data, self.fe, self.year_effects, self.heterogeneity, self.period_end)
        idata, compile_s, sample_s, reused, model = self._sample(design)
        # the process's model for this structure: a later fit of the same structure swaps its data
        self.model_ = model
        self.design_ = design
        self.coefficients_ = [_credible(term, idata.posterior[term]) for term in design.terms]
        self.diagnostics_ = self._diagnostics(idata, design, compile_s, sample_s)
        self.diagnostics_["compiled_model_reused"] = reused
        # The saved posterior keeps every parameter and derived quantity; the non-centred
        # standard-normal auxiliaries (z_*), the centred slopes' standardised copy and the
        # samplers' unconstrained copies (*__) are dropped: what is kept implies them, and they
        # would double the file.
        auxiliary = [
            name for name in idata.posterior.data_vars
            if name.startswith("z_") or name.endswith("__") or name == "city_slope_std"
        ]
        idata.posterior = idata.posterior.drop_vars(auxiliary)
        self.artifacts_ = {"posterior": idata}
        return self

    def _structure(self, design: "_Design") -> str:
        """Everything the built model depends on besides the values of its data: the model
        options, the coordinates, and each data array's name, shape and dtype."""
        shapes = {name: (value.shape, value.dtype.str) for name, value in self._data(design).items()}
        structure = (self.fe, self.year_effects, tuple(design.modelled), sorted(self.parameterization.items()),
                     sorted(self.priors.items()), sorted(design.term_columns.items()), sorted(shapes.items()),
                     sorted((key, list(value)) for key, value in self._coords(design).items()))
        return hashlib.sha256(repr(structure).encode()).hexdigest()

    def _coords(self, design: "_Design") -> dict:
        coords = {
            "city": design.cities,
            "year": design.years,
            "covariate": design.covariate_names,
        }
        if self.fe == "cre":
            coords["city_mean_of"] = design.mundlak_names
        if self.year_effects == "pooled":
            coords["year_mean_of"] = design.year_mundlak_names
        if "period" in design.modelled:
            coords["period"] = design.period_labels
        if "uil_group" in design.modelled:
            coords["uil_group"] = design.group_labels
        if design.period_weights is not None:
            coords["period_window"] = design.period_labels
        coords["uil_half"] = design.half_labels
        return coords

    def _data(self, design: "_Design") -> dict[str, np.ndarray]:
        """Every array the model reads, by its pm.Data name (the model's structure fixes which)."""
        data = {
            "data_city_idx": design.city_idx,
            "data_year_idx": design.year_idx,
            "data_d": design.d,
            "data_y": design.y,
            # data units per standardised unit: the treatment's, then each moderation term's
            "data_scale": np.array([design.y_sd / design.d_sd]
                                   + [design.y_sd / design.x_sd[k] for _, k in sorted(design.term_columns.items())]),
            "data_half_weights": design.half_weights,
        }
        if design.x.shape[1]:
            data["data_x"] = design.x
        if self.fe == "cre":
            data["data_city_means"] = design.city_means
        if self.year_effects == "pooled":
            data["data_year_means"] = design.year_means
        if "period" in design.modelled:
            data["data_period_idx"] = design.period_idx
        if "uil_group" in design.modelled:
            data["data_group_idx"] = design.group_idx[design.city_idx]
        if "treatment_x_moderator" in design.term_columns:
            data["data_moderator"] = design.moderator
        if design.period_weights is not None:
            data["data_period_weights"] = design.period_weights
        return {name: np.ascontiguousarray(value) for name, value in data.items()}

    def _model(self, design: "_Design"):
        import pymc as pm
        import pytensor.tensor as pt

        p = self.priors
        centred_city = self.parameterization["city_effects"] == "centered"
        centred_slopes = self.parameterization["slopes"] == "centered"
        coords = self._coords(design)
        with pm.Model(coords=coords, name="") as model:
            data = {name: pm.Data(name, value) for name, value in self._data(design).items()}
            city_idx, year_idx = data["data_city_idx"], data["data_year_idx"]
            alpha = pm.Normal("intercept", 0.0, p["intercept"])
            # city effects (the intercept alpha inside them, so that a centred city effect
            # does not trade off against alpha)
            if self.fe in ("cre", "random"):
                sigma_a = pm.HalfNormal("sigma_city", p["city_sd"])
                level = alpha
                if self.fe == "cre":
                    pi = pm.Normal("mundlak", 0.0, p["mundlak"], dims="city_mean_of")
                    level = alpha + pt.dot(data["data_city_means"], pi)
                if centred_city:
                    city = pm.Normal("city_intercept", level, sigma_a, dims="city")
                else:
                    city = level + sigma_a * pm.Normal("z_city", 0.0, 1.0, dims="city")
                    pm.Deterministic("city_intercept", city, dims="city")
            elif self.fe == "dummies":
                city = alpha + pm.ZeroSumNormal("city_effect", sigma=p["city_fixed_sd"], dims="city")
            else:
                city = alpha + pt.zeros(len(design.cities))
            # year effects
            if self.year_effects == "pooled":
                sigma_g = pm.HalfNormal("sigma_year", p["year_sd"])
                rho = pm.Normal("year_mundlak", 0.0, p["mundlak"], dims="year_mean_of")
                year = pt.dot(data["data_year_means"], rho) + sigma_g * pm.ZeroSumNormal("z_year", sigma=1.0, dims="year")
                pm.Deterministic("year_effect", year, dims="year")
            elif self.year_effects == "fixed":
                year = pm.ZeroSumNormal("year_effect", sigma=p["year_fixed_sd"], dims="year")
            else:
                year = pt.zeros(len(design.years))
            # slopes of UIL
            b = pm.Normal("slope_mean", 0.0, p["coef"])
            sigma_b = pm.HalfNormal("sigma_slope", p["slope_sd"])
            if centred_slopes:
                city_slope = pm.Normal("city_slope_std", b, sigma_b, dims="city")
            else:
                city_slope = b + sigma_b * pm.Normal("z_slope", 0.0, 1.0, dims="city")
            row_slope = city_slope[city_idx]
            population = b
            if "period" in design.modelled:
                offset = pm.ZeroSumNormal("period_offset", sigma=p["group_sd"], dims="period")
                row_slope = row_slope + offset[data["data_period_idx"]]
            if "uil_group" in design.modelled:
                offset = pm.ZeroSumNormal("uil_group_offset", sigma=p["group_sd"], dims="uil_group")
                row_slope = row_slope + offset[data["data_group_idx"]]
            mean = city[city_idx] + year[year_idx] + row_slope * data["data_d"]
            if design.x.shape[1]:
                beta = pm.Normal("beta", 0.0, p["coef"], dims="covariate")
                mean = mean + pt.dot(data["data_x"], beta)
            sigma = pm.HalfNormal("sigma", p["noise_sd"])
            pm.Normal("y", mean, sigma, observed=data["data_y"])
            # reported quantities, in the data's units
            scale = data["data_scale"]
            to_units = scale[0]
            terms = {
                term: scale[1 + i] * beta[k] for i, (term, k) in enumerate(sorted(design.term_columns.items()))
            }
            # each row's effect of UIL: its slope, plus the interaction times the row's M~
            row_effect = to_units * row_slope
            if "treatment_x_moderator" in terms:
                row_effect = row_effect + terms["treatment_x_moderator"] * data["data_moderator"]
            pm.Deterministic("treatment", pt.mean(row_effect))
            for term, value in terms.items():
                pm.Deterministic(term, value)
            pm.Deterministic("population_slope", to_units * population)
            pm.Deterministic("city_slope", to_units * city_slope, dims="city")
            if design.period_weights is not None:
                pm.Deterministic("slope_by_period", pt.dot(data["data_period_weights"], row_effect), dims="period_window")
            pm.Deterministic("slope_by_uil_half", pt.dot(data["data_half_weights"], row_effect), dims="uil_half")
        return model

    def _sample(self, design: "_Design"):
        """Sample the model of ``design``'s structure with ``design``'s data.

        The model is built (and, for nutpie, compiled) the first time its structure is met in
        this process; afterwards only the data are swapped in. Returns the posterior, the
        build-and-compile and sampling times, whether a built model was reused, and the model.
        """
        import pymc as pm

        started = time.perf_counter()
        key = self._structure(design)
        values = self._data(design)
        entry = _MODELS.pop(key, None)
        reused = entry is not None
        if entry is None:
            entry = _Compiled(self._model(design))
        else:
            # the PyMC model's own containers too: nutpie draws its initial points through it
            with entry.model:
                pm.set_data(values)
        _MODELS[key] = entry  # most recently used last
        while len(_MODELS) > _MODELS_KEEP:
            _MODELS.pop(next(iter(_MODELS)))
        if self.sampler == "nutpie":
            import nutpie

            if entry.nutpie is None:
                entry.nutpie = nutpie.compile_pymc_model(entry.model)
                reused = False
            compiled = entry.nutpie.with_data(**values) if reused else entry.nutpie
            compile_s = time.perf_counter() - started
            started = time.perf_counter()
            idata = nutpie.sample(
                compiled, draws=self.draws, tune=self.tune, chains=self.chains, cores=self.cores, seed=self.seed,
                target_accept=self.target_accept, progress_bar=False, save_warmup=False,
            )
            return idata, compile_s, time.perf_counter() - started, reused, entry.model
        compile_s, reused = time.perf_counter() - started, False
        started = time.perf_counter()
        with entry.model:
            idata = pm.sample(
                draws=self.draws, tune=self.tune, chains=self.chains, cores=self.cores, random_seed=self.seed,
                target_accept=self.target_accept, nuts_sampler="pymc", progressbar=False,
                compute_convergence_checks=False,
            )
        # PyMC compiles its sampler inside pm.sample: that time is part of the sampling time.
        return idata, compile_s, time.perf_counter() - started, reused, entry.model

    # --- diagnostics -------------------------------------------------------------------------
    def _diagnostics(self, idata, design: "_Design", compile_s: float, sample_s: float) -> dict:
        import arviz as az

        posterior = idata.posterior
        # every parameter and derived quantity (not the samplers' unconstrained copies "..__");
        # diagnose=global leaves out the per-city ones, which cost most of the time to check
        names = [
            name for name in posterior.data_vars
            if posterior[name].size > 0 and not name.endswith("__") and (self.diagnose == "all" or "city" not in posterior[name].dims)
        ]
        rhat = az.rhat(idata, var_names=names)
        ess_bulk = az.ess(idata, var_names=names, method="bulk")
        ess_tail = az.ess(idata, var_names=names, method="tail")
        worst_rhat = _extreme(rhat, max)
        worst_bulk = _extreme(ess_bulk, min)
        worst_tail = _extreme(ess_tail, min)
        divergences = int(np.asarray(idata.sample_stats["diverging"]).sum()) if "diverging" in idata.sample_stats else 0
        warnings = []
        name, value = worst_rhat
        if value is not None and value > self.rhat_max:
            shown = "not finite" if math.isinf(value) else f"{value:.3f} > {self.rhat_max:g}"
            warnings.append(f"R-hat {shown} ({name}): the chains disagree; raise tune and draws")
        if divergences:
            warnings.append(
                f"{divergences} divergent transitions after tuning: raise target_accept, or use the non-centred slopes"
            )
        kind, (name, value) = min([("bulk", worst_bulk), ("tail", worst_tail)], key=lambda item: item[1][1] or 0.0)
        if value is not None and value < self.ess_min:
            warnings.append(f"{kind} ESS {value:.0f} < {self.ess_min:g} ({name}): raise draws")
        diagnostics = {
            "fe": self.fe,
            "year_effects": self.year_effects,
            "heterogeneity": list(design.modelled),
            "parameterization": dict(self.parameterization),
            "sampler": self.sampler,
            "chains": self.chains,
            "draws": self.draws,
            "tune": self.tune,
            "target_accept": self.target_accept,
            "seed": self.seed,
            "converged": not warnings,
            "diagnosed": self.diagnose,
            "warnings": warnings,
            "rhat": {term: _scalar(rhat[term]) for term in design.terms},
            "ess_bulk": {term: _scalar(ess_bulk[term]) for term in design.terms},
            "ess_tail": {term: _scalar(ess_tail[term]) for term in design.terms},
            "rhat_max": worst_rhat[1],
            "rhat_max_parameter": worst_rhat[0],
            "ess_bulk_min": worst_bulk[1],
            "ess_bulk_min_parameter": worst_bulk[0],
            "ess_tail_min": worst_tail[1],
            "ess_tail_min_parameter": worst_tail[0],
            "divergences": divergences,
            "compile_time_s": round(compile_s, 3),
            "sampling_time_s": round(sample_s, 3),
            "population_slope": _summary(posterior["population_slope"]),
            "slope_sd_across_cities": _summary(posterior["city_slope"].std("city")),
            "n_obs_used": int(len(design.y)),
            "standardisation": {"outcome_sd": design.y_sd, "treatment_sd": design.d_sd},
        }
        if "slope_by_period" in posterior:
            diagnostics["slope_by_period"] = {
                label: _summary(posterior["slope_by_period"].sel(period_window=label)) for label in design.period_labels
            }
        diagnostics["slope_by_uil_half"] = {
            label: _summary(posterior["slope_by_uil_half"].sel(uil_half=label)) for label in design.half_labels
        }
        return diagnostics


class _Design:
    """The standardised arrays, indices and row weights of one fit."""

    terms: list[str]
    cities: list
    years: list[int]
    city_idx: np.ndarray
    year_idx: np.ndarray
    y: np.ndarray                      # standardised outcome
    d: np.ndarray                      # standardised treatment, less its city/year means
    x: np.ndarray                      # standardised covariates (moderation terms first), likewise
    y_sd: float
    d_sd: float
    x_sd: list[float]
    covariate_names: list[str]
    term_columns: dict[str, int]       # moderation term -> its column of x
    moderator: np.ndarray | None       # the spec's M~ (data units), with moderation
    city_means: np.ndarray             # orthonormalised city means (fe=cre)
    mundlak_names: list[str]
    year_means: np.ndarray             # orthonormalised year means (year_effects=pooled)
    year_mundlak_names: list[str]
    modelled: list[str]                # heterogeneity actually modelled
    period_labels: list[str]
    period_idx: np.ndarray
    group_labels: list[str]
    group_idx: np.ndarray              # per city
    period_weights: np.ndarray | None  # rows of averaging weights over the sample's rows
    half_labels: list[str]
    half_weights: np.ndarray

    @classmethod
    def from_data(cls, data, fe: str, year_effects: str, heterogeneity: tuple[str, ...], period_end: int) -> "_Design":
        self = cls()
        frame = data.frame
        terms = list(data.terms)
        if "treatment" not in terms:
            raise UserInputError("bayes_hier needs the treatment term")
        # the other terms (moderator, interaction) enter like controls, first
        term_cols = [data.terms[t] for t in terms if t != "treatment"]
        covariates = list(dict.fromkeys(term_cols + [c for c in data.covariates if c not in term_cols]))
        self.terms = terms
        self.cities, city_idx = _codes(frame["unit"])
        years, year_idx = _codes(frame["time"])
        self.years = [int(y) for y in years]
        self.city_idx, self.year_idx = city_idx, year_idx

        y = frame["outcome"].to_numpy(dtype=float)
        d = frame[data.terms["treatment"]].to_numpy(dtype=float)
        x = frame[covariates].to_numpy(dtype=float).reshape(len(frame), len(covariates))
        for name, values in [("outcome", y), ("treatment", d)] + list(zip(covariates, x.T)):
            if not np.all(np.isfinite(values)):
                raise UserInputError(f"bayes_hier: column {name!r} has missing or infinite values")
        self.y_sd, y_std = _standardise(y)
        self.d_sd, d_std = _standardise(d)
        standardised = [_standardise(column) for column in x.T]
        self.x_sd = [sd for sd, _ in standardised]
        x_std = np.column_stack([values for _, values in standardised]) if standardised else np.zeros((len(frame), 0))
        self.y = y_std
        self.covariate_names = [_label(c, data.terms) for c in covariates]
        self.term_columns = {t: covariates.index(data.terms[t]) for t in terms if t != "treatment"}
        self.moderator = frame[data.terms["moderator"]].to_numpy(dtype=float) if "moderator" in data.terms else None

        def means(values: np.ndarray, index: np.ndarray) -> np.ndarray:
            counts = np.bincount(index)
            if values.ndim == 1:
                return np.bincount(index, weights=values) / counts
            return np.column_stack([np.bincount(index, weights=col) / counts for col in values.T])

        # Slopes act on deviations from the city means (fe=cre, dummies) and then from the year
        # means (year effects modelled): those means are carried by the city and year effects,
        # which keeps the slopes apart from them and the posterior nearly uncorrelated.
        # (In an unbalanced sample the two are removed alternately until neither is left.)
        row = np.column_stack([d_std, x_std])
        by_city, by_year = fe in ("cre", "dummies"), year_effects != "none"
        if fe == "cre":
            self.city_means = _orthonormal(means(row, city_idx))
            self.mundlak_names = [f"q{k + 1}" for k in range(self.city_means.shape[1])]
        if year_effects == "pooled":
            self.year_means = _orthonormal(means(row, year_idx))
            self.year_mundlak_names = [f"q{k + 1}" for k in range(self.year_means.shape[1])]
        for _ in range(200 if by_city and by_year else 1):
            before = row
            if by_city:
                row = row - means(row, city_idx)[city_idx]
            if by_year:
                row = row - means(row, year_idx)[year_idx]
            if np.abs(row - before).max() < 1e-10:
                break
        self.d, self.x = row[:, 0], row[:, 1:]

        # heterogeneity of the slope
        time = frame["time"].to_numpy(dtype=int)
        early = time <= period_end
        both_periods = bool(early.any() and (~early).any())
        first, last = int(time.min()), int(time.max())
        self.period_labels = [f"{first}-{period_end}", f"{period_end + 1}-{last}"]
        self.period_idx = np.where(early, 0, 1)
        city_mean_d = means(d, city_idx)
        city_high = city_mean_d > np.median(city_mean_d)
        self.group_labels = ["city_uil_above_median", "city_uil_at_or_below_median"]
        self.group_idx = np.where(city_high, 0, 1)
        modelled = []
        if not data.spec.moderated:
            if "period" in heterogeneity and both_periods:
                modelled.append("period")
            if "uil_group" in heterogeneity and city_high.any() and (~city_high).any():
                modelled.append("uil_group")
        self.modelled = modelled
        self.period_weights = _weights([early, ~early]) if both_periods else None
        high = d > np.median(d)
        self.half_labels = ["above_median", "at_or_below_median"]
        self.half_weights = _weights([high, ~high])
        return self


# --- helpers ---------------------------------------------------------------------------------
def _codes(series: pd.Series) -> tuple[list, np.ndarray]:
    codes, levels = pd.factorize(series, sort=True)
    return list(levels), codes.astype(np.int64)


def _standardise(values: np.ndarray) -> tuple[float, np.ndarray]:
    sd = float(values.std())
    if not sd > 0:
        sd = 1.0
    return sd, (values - values.mean()) / sd


def _orthonormal(columns: np.ndarray) -> np.ndarray:
    """The centred columns' span as orthogonal columns of unit SD (thin QR), dropping any
    direction the columns do not span (e.g. a control constant across cities)."""
    centred = columns - columns.mean(axis=0)
    q, r = np.linalg.qr(centred)
    keep = np.abs(np.diag(r)) > 1e-8 * max(1.0, float(np.abs(r).max()))
    return q[:, keep] * math.sqrt(len(columns))


def _weights(masks: list[np.ndarray]) -> np.ndarray:
    """Rows of averaging weights, one per mask (an empty mask gets zero weights)."""
    rows = []
    for mask in masks:
        mask = mask.astype(float)
        rows.append(mask / mask.sum() if mask.sum() else mask)
    return np.vstack(rows)


def _label(column: str, terms: Mapping[str, str]) -> str:
    for term, name in terms.items():
        if name == column:
            return term
    return column


def _credible(term: str, draws) -> Coefficient:
    summary = _summary(draws)
    return Coefficient(term, summary["mean"], summary["sd"], summary["ci_low"], summary["ci_high"], None, "credible")


def _summary(draws) -> dict:
    values = np.asarray(draws, dtype=float).ravel()
    low, high = np.quantile(values, [0.025, 0.975])
    return {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            "ci_low": float(low), "ci_high": float(high)}


def _scalar(value) -> float | None:
    number = float(np.asarray(value))
    return number if math.isfinite(number) else None


def _extreme(dataset, worst_of) -> tuple[str | None, float | None]:
    """(variable, value) of the worst entry over every variable: the largest R-hat
    (``worst_of=max``) or the smallest ESS (``min``). A NaN, which a chain that never moved
    leaves, is the worst of all (R-hat infinite, ESS zero)."""
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


def _parameterization(value) -> dict:
    """``noncentered``/``centered`` for every component, or a mapping per component."""
    if value is None:
        return dict(DEFAULT_PARAMETERIZATION)
    if isinstance(value, str):
        value = {component: value for component in DEFAULT_PARAMETERIZATION}
    if not isinstance(value, Mapping):
        raise UserInputError(f"estimator.parameterization = {value!r}: use centered, noncentered or a mapping per component")
    for component, choice in value.items():
        if component not in DEFAULT_PARAMETERIZATION:
            raise UserInputError(
                f"estimator.parameterization.{component}: unknown component; use {', '.join(DEFAULT_PARAMETERIZATION)}"
            )
        _choice(choice, f"parameterization.{component}", PARAMETERIZATIONS)
    return {**DEFAULT_PARAMETERIZATION, **value}


def _choice(value, key: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise UserInputError(f"estimator.{key} = {value!r}: use one of {', '.join(options)}")
    return value


def _integer(value, key: str, minimum: int | None = None, prefix: str = "estimator.") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if not (isinstance(value, float) and value.is_integer()):
            raise UserInputError(f"{prefix}{key} = {value!r}: use a whole number")
    value = int(value)
    if minimum is not None and value < minimum:
        raise UserInputError(f"{prefix}{key} = {value}: use a whole number >= {minimum}")
    return value


def _positive_number(value, key: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise UserInputError(f"estimator.{key} = {value!r}: use a number")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise UserInputError(f"estimator.{key} = {value}: use a positive number")
    return value


def _diagnose(value: Any) -> str:
    if value not in DIAGNOSE:
        raise UserInputError(f"estimator.diagnose = {value!r}: use {' or '.join(DIAGNOSE)}")
    return value
