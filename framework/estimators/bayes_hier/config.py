"""Defaults, prior scales and the checks of ``conf/estimator/bayes_hier.yaml``.

What each setting means: ``docs/estimators/bayes_hier.md``.
"""

from __future__ import annotations

from typing import Any, Mapping

from framework.errors import UserInputError
from framework.settings import choice, integer, positive

FE_SUPPORTED = ("within", "cre", "random", "dummies", "none")
MODELS = ("collapsed", "explicit")
ERRORS = ("ar1", "iid")
CONTROLS_BASES = ("spline", "linear")
# What each model accepts (the collapsed model integrates the unit intercepts out with a flat
# prior, i.e. within the unit, and absorbs year effects by demeaning)
MODEL_FE = {"collapsed": ("within",), "explicit": ("cre", "random", "dummies", "none")}
MODEL_YEAR_EFFECTS = {"collapsed": ("fixed", "none"), "explicit": ("pooled", "fixed", "none")}
YEAR_EFFECTS = ("pooled", "fixed", "none")
HETEROGENEITY = ("period", "treatment_group")
HETEROGENEITY_ALIASES = {"uil_group": "treatment_group"}
"""Older names of a heterogeneity choice, accepted with the same meaning."""
SAMPLERS = ("nutpie", "pymc")
PARAMETERIZATIONS = ("noncentered", "centered")
DIAGNOSE = ("all", "global")
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
SETTINGS = (
    "model", "errors", "controls_basis", "spline_knots", "fe", "year_effects", "heterogeneity", "period_end", "parameterization", "priors", "sampler",
    "draws", "tune", "chains", "cores", "target_accept", "rhat_max", "ess_min", "diagnose",
)
DEFAULT_PARAMETERIZATION = {"city_effects": "centered", "slopes": "noncentered"}
DEFAULTS: dict[str, Any] = {
    "model": "collapsed",
    "errors": "ar1",
    "controls_basis": "spline",
    "spline_knots": 5,
    "fe": None,  # the model's own: within (collapsed), cre (explicit)
    "year_effects": "fixed",
    "heterogeneity": ("period", "treatment_group"),
    "period_end": None,
    "parameterization": DEFAULT_PARAMETERIZATION,
    "sampler": "nutpie",
    "draws": 500,
    "tune": 300,
    "chains": 4,
    "cores": None,
    "target_accept": 0.8,
    "rhat_max": 1.01,
    "ess_min": 400,
    "diagnose": "all",
}


def settings_from_config(config: Mapping[str, Any], seed: Any) -> dict:
    """The estimator's keyword arguments from its config node (unknown keys and ``fe`` were
    refused by ``Estimator.check_config``), each value checked in one line naming its key."""
    get = lambda key: DEFAULTS[key] if config.get(key) is None else config[key]  # noqa: E731
    model = choice(get("model"), "estimator.model", MODELS)
    fe = config.get("fe") or MODEL_FE[model][0]
    if fe not in MODEL_FE[model]:
        raise UserInputError(
            f"estimator.fe={fe}: the {model} model takes fe={'|'.join(MODEL_FE[model])}"
            + (" (its unit intercepts are integrated out with a flat prior); use estimator.model=explicit for "
               "cre, random, dummies or none" if model == "collapsed" else "; use estimator.model=collapsed for within")
        )
    year_effects = choice(get("year_effects"), "estimator.year_effects", YEAR_EFFECTS)
    if year_effects not in MODEL_YEAR_EFFECTS[model]:
        raise UserInputError(f"estimator.year_effects={year_effects}: the {model} model takes "
                             f"{'|'.join(MODEL_YEAR_EFFECTS[model])}")
    sampler = choice(get("sampler"), "estimator.sampler", SAMPLERS)
    if model == "collapsed" and sampler != "nutpie":
        raise UserInputError("estimator.sampler=pymc: the collapsed model is sampled by nutpie only; use estimator.model=explicit")
    cores = config.get("cores")
    if cores is not None:
        cores = integer(cores, "estimator.cores", minimum=1)
    tune = integer(get("tune"), "estimator.tune", minimum=0)
    if sampler == "nutpie" and tune < 1:
        raise UserInputError("estimator.tune = 0: nutpie needs at least one tuning iteration (or use sampler=pymc)")
    target_accept = positive(get("target_accept"), "estimator.target_accept")
    if not target_accept < 1:
        raise UserInputError(f"estimator.target_accept = {target_accept}: use a number in (0, 1), e.g. 0.9")
    return {
        "model": model,
        "errors": choice(get("errors"), "estimator.errors", ERRORS),
        "controls_basis": choice(get("controls_basis"), "estimator.controls_basis", CONTROLS_BASES),
        "spline_knots": integer(get("spline_knots"), "estimator.spline_knots", minimum=0),
        "fe": fe,
        "year_effects": year_effects,
        "heterogeneity": heterogeneity(config.get("heterogeneity", DEFAULTS["heterogeneity"])),
        "period_end": None if config.get("period_end") in (None, "auto") else integer(config["period_end"], "estimator.period_end"),
        "parameterization": parameterization(config.get("parameterization")),
        "priors": priors(config.get("priors")),
        "sampler": sampler,
        "draws": integer(get("draws"), "estimator.draws", minimum=4),
        "tune": tune,
        "chains": integer(get("chains"), "estimator.chains", minimum=1),
        "cores": cores,
        "target_accept": target_accept,
        "rhat_max": positive(get("rhat_max"), "estimator.rhat_max"),
        "ess_min": positive(get("ess_min"), "estimator.ess_min", allow_zero=True),
        "diagnose": choice(get("diagnose"), "estimator.diagnose", DIAGNOSE),
        "seed": integer(seed, "seed", minimum=0),
    }


def heterogeneity(value: Any) -> tuple[str, ...]:
    """A list of ``period``, ``treatment_group`` (alias ``uil_group``), a single name, or none."""
    if value is None or value == "none":
        return ()
    if isinstance(value, str):
        value = (value,)
    elif not isinstance(value, (list, tuple)):
        raise UserInputError(f"estimator.heterogeneity = {value!r}: use a list of {', '.join(HETEROGENEITY)} (or [])")
    bad = [h for h in value if HETEROGENEITY_ALIASES.get(h, h) not in HETEROGENEITY]
    if bad:
        raise UserInputError(f"estimator.heterogeneity = {bad[0]!r}: use a list of {', '.join(HETEROGENEITY)} (or [])")
    return canonical_heterogeneity(value)


def canonical_heterogeneity(value) -> tuple[str, ...]:
    """The choices under their current names (``uil_group`` -> ``treatment_group``)."""
    return tuple(HETEROGENEITY_ALIASES.get(h, h) for h in value)


def priors(value: Any) -> dict[str, float]:
    """The prior scales given in the config (the defaults fill the rest in the estimator)."""
    value = value or {}
    if not isinstance(value, Mapping):
        raise UserInputError(f"estimator.priors = {value!r}: a mapping of prior scales, e.g. priors.coef=1.0")
    for key, scale in value.items():
        if key not in DEFAULT_PRIORS:
            raise UserInputError(f"estimator.priors.{key}: unknown prior scale; use {', '.join(DEFAULT_PRIORS)}")
        positive(scale, f"estimator.priors.{key}")
    return {key: float(scale) for key, scale in value.items()}


def parameterization(value: Any) -> dict:
    """``noncentered``/``centered`` for every component, or a mapping per component."""
    if value is None:
        return dict(DEFAULT_PARAMETERIZATION)
    if isinstance(value, str):
        value = {component: value for component in DEFAULT_PARAMETERIZATION}
    if not isinstance(value, Mapping):
        raise UserInputError(f"estimator.parameterization = {value!r}: use centered, noncentered or a mapping per component")
    for component, form in value.items():
        if component not in DEFAULT_PARAMETERIZATION:
            raise UserInputError(
                f"estimator.parameterization.{component}: unknown component; use {', '.join(DEFAULT_PARAMETERIZATION)}"
            )
        choice(form, f"estimator.parameterization.{component}", PARAMETERIZATIONS)
    return {**DEFAULT_PARAMETERIZATION, **value}
