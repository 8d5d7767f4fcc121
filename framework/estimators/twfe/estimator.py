"""The ``twfe`` family: its settings, the fit and what it reports.

The models, equations and standard errors of each setting are in the package docstring and
``docs/estimators/twfe.md``.
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping

import numpy as np

from framework.errors import UserInputError
from framework.estimators.base import FE_CHOICES, Estimator
from framework.estimators.registry import register
from framework.estimators.twfe.config import DEFAULTS, Settings
from framework.estimators.twfe.design import MEAN_SUFFIX, absorbed, checked_weights, remove_effects, screen_covariates, within_r2
from framework.estimators.twfe.models import fit_model
from framework.numerics.inference import Coefficient

CONTROL_PREFIX = "control:"


@register
class TwoWayFixedEffects(Estimator):
    """OLS of the outcome on the terms and covariates with unit and period fixed effects.

    ``y_it = beta' D_it + gamma' X_it + alpha_i + lambda_t + e_it`` (see the package
    docstring for each ``fe`` and ``effects`` choice and the standard errors).
    """

    name = "twfe"
    description = "OLS with unit and period fixed effects, SEs clustered by unit (linearmodels): the reference"
    fe_choices = FE_CHOICES
    settings = ("fe", "effects", "cov_type", "cluster", "debiased", "group_debias")
    packages = ("linearmodels",)
    uses_weights = True

    def __init__(self, fe: str = "within", cov_type: str = "clustered", debiased: bool = True, group_debias: bool = True,
                 effects: str = "two_way", cluster: str = "unit"):
        self.fe = fe
        self.effects = effects
        self.cov_type = cov_type
        self.cluster = cluster
        self.debiased = debiased
        self.group_debias = group_debias

    @classmethod
    def from_config(cls, config: Mapping[str, Any], learner=None, split=None, seed: int = 0) -> "TwoWayFixedEffects":
        """Settings from the ``estimator`` config node, checked and with meaningless
        combinations refused; ``learner``, ``split`` and ``seed`` are unused."""
        settings = Settings.from_config({key: config.get(key, default) for key, default in DEFAULTS.items()})
        return cls(fe=settings.fe, cov_type=settings.cov_type, debiased=settings.debiased, group_debias=settings.group_debias,
                   effects=settings.effects, cluster=settings.cluster)

    def _settings(self) -> Settings:
        return Settings.from_config(self.get_params())

    def absorbed_effects(self) -> tuple[str, ...]:
        """The effects the model removes: ``unit`` and ``time`` as ``effects`` says (none for
        ``fe=none``); ``cre`` counts as removing the unit effects, like ``fd``."""
        settings = self._settings()
        return tuple(e for e, on in (("unit", settings.unit_effects), ("time", settings.time_effects)) if on)

    def cluster_by(self) -> str | None:
        """``unit``, ``time`` or ``two_way`` with ``cov_type=clustered``, else None."""
        return self._settings().clusters

    # --- fitting -------------------------------------------------------------------------------
    def fit(self, data) -> "TwoWayFixedEffects":
        settings = self._settings()
        names = dict(getattr(data, "names", {}) or {})
        terms = list(data.terms)
        term_cols = [data.terms[t] for t in terms]
        frame = data.frame.sort_values(["unit", "time"]).reset_index(drop=True)
        weights = checked_weights(frame, names)
        if settings.unit_effects and settings.fe in ("within", "dummies", "fd") and data.n_obs <= data.n_units:
            raise UserInputError(
                f"{settings.choice_text()} needs at least two periods per unit; this sample has one row per unit"
            )

        covariates, dropped = screen_covariates(frame, list(data.covariates), settings)
        for term, column in zip(terms, term_cols):
            reason = absorbed(frame, column, settings)
            if reason:
                raise UserInputError(f"{_term_name(term, names)} is {reason} in this sample, so {settings.choice_text()} cannot estimate it")
        regressors = term_cols + covariates
        demeaned = remove_effects(frame, ["outcome", *regressors], settings, weights)
        if settings.fe in ("within", "dummies") and np.linalg.matrix_rank(demeaned[:, 1:]) < len(regressors):
            raise UserInputError(
                f"{settings.choice_text()}: the terms and covariates are collinear once the {settings.effects_text()} are removed"
            )

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result, extra = fit_model(frame, regressors, settings, weights)
        self.result_ = result
        # what the sensitivity analysis needs: the regression with the fixed effects partialled out
        self.partialled_ = {"values": demeaned, "columns": regressors, "covariates": covariates, "weights": weights,
                            "treatment": data.terms.get("treatment"), "dof": int(result.df_resid)}

        reported = [*zip(terms, term_cols), *((f"{CONTROL_PREFIX}{c}", c) for c in covariates)]
        self.coefficients_ = _coefficients(result, reported)
        beta = np.array([float(result.params[c]) for c in regressors])
        self.diagnostics_ = {
            "fe": settings.fe,
            "effects": settings.effects if settings.fe != "none" else None,
            "model": settings.model_label(),
            "se_type": settings.se_label(),
            "cluster": settings.clusters,
            "interval": f"t({int(result.df_resid)})" if settings.debiased else "normal",
            "n_obs_used": int(result.nobs),
            "n_units_used": int(extra.pop("n_units_used")),
            "df_resid": int(result.df_resid),
            "r2_within": within_r2(demeaned, beta, weights),
            "r2_model": _finite(result.rsquared),
            "covariates_used": covariates,
            "dropped_covariates": dropped,
            "weights": weights is not None,
            **({"weights_column": names.get("weights", "weights")} if weights is not None else {}),
            **_named_means(extra, dict(zip(term_cols, terms)), names),
            "warnings": sorted({str(w.message).strip().splitlines()[0] for w in caught if str(w.message).strip()})[:5],
        }
        return self

    def sensitivity(self, settings, data) -> dict:
        """sensemakr's quantities on the regression with the fixed effects partialled out
        (:mod:`framework.sensitivity.linear`); ``fe=within`` and ``dummies`` only."""
        fitted = self._settings()
        if fitted.fe not in ("within", "dummies"):
            return {"supported": False, "reason": f"twfe's sensitivity is computed on the within regression; {fitted.choice_text()} is "
                    "not one (use estimator.fe=within)"}
        from framework.sensitivity.linear import linear_sensitivity

        part = self.partialled_
        columns = part["columns"]
        position = columns.index(part["treatment"])
        values = part["values"]
        others = [i for i in range(len(columns)) if i != position]
        names = dict(getattr(data, "names", {}) or {})
        weights = None if part["weights"] is None else part["weights"].to_numpy(dtype=float)
        record = linear_sensitivity(values[:, 0], values[:, 1 + position], values[:, [1 + i for i in others]],
                                    [columns[i] for i in others], part["dof"], settings, settings.benchmarks(needs_refit=False),
                                    weights)
        controls = set(part["covariates"])
        record["benchmarks"] = [{**row, "column": names.get(row["control"], row["control"])} for row in record["benchmarks"]
                                if row["control"] in controls]
        return record


def _coefficients(result, reported: list[tuple[str, str]]) -> list[Coefficient]:
    """One coefficient per (term, column): linearmodels' estimate, SE, 95 % interval, p-value."""
    params, ses, pvalues = result.params, result.std_errors, result.pvalues
    intervals = result.conf_int(level=0.95)
    return [
        Coefficient(
            term,
            float(params[column]),
            float(ses[column]),
            float(intervals.loc[column, "lower"]),
            float(intervals.loc[column, "upper"]),
            float(pvalues[column]),
        )
        for term, column in reported
    ]


def _named_means(extra: dict, term_of: Mapping[str, str], names: Mapping[str, str]) -> dict:
    """``cre``'s unit-mean columns under the user's names (``union_unitmean``)."""
    def rename(column: str) -> str:
        source = column[: -len(MEAN_SUFFIX)] if column.endswith(MEAN_SUFFIX) else column
        if source in term_of:
            return f"{_term_name(term_of[source], names)}{MEAN_SUFFIX}"
        return column

    return {key: [rename(c) for c in value] if key.startswith("unit_means") else value for key, value in extra.items()}


def _term_name(term: str, names: Mapping[str, str]) -> str:
    """The user's name of a term's column (``union``; ``union×married`` for the interaction)."""
    if term == "treatment_x_moderator":
        return f"{names.get('treatment', 'treatment')}\u00d7{names.get('moderator', 'moderator')}"
    return names.get(term, term)


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
