"""The ``bayes_hier`` family: a Bayesian hierarchical panel model (``docs/estimators/bayes_hier.md``)."""

from __future__ import annotations

from typing import Any, Mapping

from framework.estimators.base import Coefficient, Estimator
from framework.estimators.bayes_hier.config import (
    DEFAULT_PARAMETERIZATION,
    DEFAULT_PRIORS,
    DEFAULTS,
    FE_SUPPORTED,
    SETTINGS,
    canonical_heterogeneity,
    settings_from_config,
)
from framework.estimators.bayes_hier.collapsed_design import CollapsedDesign
from framework.bayes.sampling import single_threaded_blas
from framework.estimators.bayes_hier.collapsed_fit import fit_collapsed
from framework.estimators.bayes_hier.design import _Design
from framework.estimators.bayes_hier.diagnostics import diagnostics
from framework.estimators.bayes_hier.sampling import sample
from framework.estimators.registry import register
from framework.numerics.transforms import period_halves


@register
class BayesHierarchical(Estimator):
    name = "bayes_hier"
    description = ("Bayesian hierarchical panel model (nutpie): partially pooled unit slopes, spline control functions, "
                   "AR(1) errors, unit effects integrated out (model=explicit: the PyMC model with Mundlak unit effects)")
    fe_choices = FE_SUPPORTED
    settings = SETTINGS
    uses_learner = False
    packages = ("pymc", "pytensor", "nutpie", "arviz")
    sensitivity_reason = (
        "the Bayesian model's posterior assumes no confounder is left out, and the omitted-variable-bias bounds are "
        "exact for a least-squares coefficient, not for a row average of shrunken unit slopes; a prior on the "
        "confounder's strength would be the Bayesian answer, which this family does not have (docs/SENSITIVITY.md)"
    )

    def __init__(self, model="collapsed", errors="ar1", controls_basis="spline", spline_knots=5, fe=None, year_effects="fixed", heterogeneity=DEFAULTS["heterogeneity"], period_end=None,
                 parameterization=None, priors=None, sampler="nutpie", draws=500, tune=300, chains=4,
                 cores=None, target_accept=0.8, rhat_max=1.01, ess_min=400, diagnose="all", seed=0):
        self.model = model
        self.errors = errors
        self.controls_basis = controls_basis
        self.spline_knots = spline_knots
        self.fe = fe if fe is not None else ("within" if model == "collapsed" else "cre")
        self.year_effects = year_effects
        self.heterogeneity = canonical_heterogeneity(heterogeneity)
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

    @classmethod
    def from_config(cls, config: Mapping[str, Any], learner=None, split=None, seed: int = 0) -> "BayesHierarchical":
        """The family from ``conf/estimator/bayes_hier.yaml`` (learner and split are not used)."""
        return cls(**settings_from_config(config or {}, seed))

    def absorbed_effects(self) -> tuple[str, ...]:
        # the slopes act on the treatment less its unit means (cre, dummies) and period means
        return (("unit",) if self.fe in ("within", "cre", "dummies") else ()) + (("time",) if self.year_effects != "none" else ())

    def fit(self, data) -> "BayesHierarchical":
        # period_end None (auto): the last period of the sample's first half (2015 on 2011-2021)
        period_end = self.period_end if self.period_end is not None else next(iter(period_halves(data.periods).values()))[1]
        if self.model == "collapsed":
            with single_threaded_blas():
                design = CollapsedDesign.from_data(data, self.year_effects, self.heterogeneity, period_end,
                                                   self.controls_basis, self.spline_knots, self.priors)
                self.design_ = design
                self.coefficients_, self.diagnostics_, idata = fit_collapsed(self, design)
            self.artifacts_ = {"posterior": idata}
            return self
        design = _Design.from_data(data, self.fe, self.year_effects, self.heterogeneity, period_end)
        idata, compile_s, sample_s, reused, model = sample(self, design)
        # the process's model for this structure: a later fit of the same structure swaps its data
        self.model_ = model
        self.design_ = design
        self.coefficients_ = [Coefficient.credible(term, idata.posterior[term]) for term in design.terms]
        self.coefficients_ += control_coefficients(idata.posterior, design)
        self.diagnostics_ = diagnostics(self, idata, design, compile_s, sample_s)
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


def control_coefficients(posterior, design: _Design) -> list[Coefficient]:
    """Each control's slope in the data's units, (sd_y / sd_x) beta_k, from the posterior of
    ``beta`` (the moderation terms among the covariates are reported as terms instead)."""
    term_columns = set(design.term_columns.values())
    return [
        Coefficient.credible(f"control:{name}", posterior["beta"].sel(covariate=name) * design.y_sd / design.x_sd[k])
        for k, name in enumerate(design.covariate_names)
        if k not in term_columns
    ]
