"""The reference regression: OLS with city and year fixed effects (linearmodels).

The regression an economist runs first, on the same spec as every other family:

    Gini_it = beta' D_it + gamma' X_it + alpha_i + lambda_t + e_it

``D_it`` are the spec's terms (UIL; with moderation also the transformed moderator M~_it and
the interaction (UIL_it - mean UIL) M~_it), ``X_it`` the spec's covariates, ``alpha_i`` city
and ``lambda_t`` year effects. ``beta`` is reported, one coefficient per term. How the
effects enter is ``fe``:

``within``   (default) the two-way within transformation: ``PanelOLS(entity_effects=True,
             time_effects=True)``, no constant.
``dummies``  the same model with explicit one-hot columns (a constant, city dummies and year
             dummies, first level of each dropped): ``PooledOLS``. Same coefficients and,
             since linearmodels counts the two-way effects in the degrees of freedom, the
             same standard errors as ``within``.
``fd``       first differences with year effects, ``FirstDifferenceOLS``:
             dGini_it = beta' dD_it + gamma' dX_it + (lambda_t - lambda_s) + de_it, where s is
             the preceding period; the year effects enter as differenced year dummies, so a
             difference across a gap is never formed (linearmodels drops it) and the year
             effects stay exact in an unbalanced panel. No constant.
``cre``      correlated random effects (Mundlak): ``PooledOLS`` of Gini on a constant, D, X,
             year dummies and the city means (over each city's own rows) of D, of the
             time-varying X and of the year dummies. With the means of the year dummies this
             gives exactly the ``within`` beta, balanced or not (Wooldridge 2019); covariates
             constant within every city (e.g. the resource-city dummy) stay in the model.
``none``     pooled OLS with a constant and neither city nor year effects.

Covariates the effects absorb are dropped and listed in ``diagnostics_["dropped_covariates"]``:
a covariate constant within every city (the resource-city dummy) under ``within``, ``dummies``
and ``fd``; one constant within every year under every choice but ``none``; one constant in
the sample under every choice. A term the effects absorb is an error.

Standard errors (``cov_type``): ``clustered`` by city (default), ``robust`` (White) or
``unadjusted``. With ``debiased`` (default) the covariance is scaled by n / (n - K), K the
parameters including every estimated effect (N + T - 1 city and year effects and the
regressors under ``within`` and ``dummies``; linearmodels counts two-way effects even when
they are nested in the clusters), and inference uses Student t with n - K degrees of
freedom; with ``group_debias`` (default) a clustered covariance is also scaled by
G / (G - 1) (n - 1) / n, G the number of cities. Together: the CR1 sandwich of Stata's
``regress Gini UIL X i.city i.year, vce(cluster city)``,

    V = G/(G-1) (n-1)/(n-K) (Z'Z)^-1 [sum_g Z_g' e_g e_g' Z_g] (Z'Z)^-1

with Z the regressors after the effects are removed. Intervals and p-values are linearmodels'
own (t(n - K) when ``debiased``, normal otherwise).
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping

import numpy as np
import pandas as pd
from linearmodels import FirstDifferenceOLS, PanelOLS, PooledOLS

from framework.errors import UserInputError, first_line
from framework.estimators.base import FE_CHOICES, Estimator
from framework.estimators.registry import register
from framework.numerics.inference import Coefficient
from framework.numerics.transforms import adjacent_rows, one_hot, time_codes, two_way_demean, unit_codes, within_constant
from framework.settings import choice, flag

COV_TYPES = {
    "clustered": "clustered by city",
    "robust": "heteroskedasticity-robust (White)",
    "unadjusted": "homoskedastic",
}
CONST = "_const"
YEAR_PREFIX = "_year_"
CITY_PREFIX = "_city_"
MEAN_SUFFIX = "_citymean"
MODELS = {
    "within": "PanelOLS(entity_effects=True, time_effects=True)",
    "dummies": "PooledOLS(constant + city dummies + year dummies)",
    "fd": "FirstDifferenceOLS(differenced year dummies)",
    "cre": "PooledOLS(constant + year dummies + city means: Mundlak)",
    "none": "PooledOLS(constant), no city or year effects",
}
_TOL = 1e-10


@register
class TwoWayFixedEffects(Estimator):
    """OLS of the outcome on the terms and covariates with city and year fixed effects.

    ``Gini_it = beta' D_it + gamma' X_it + alpha_i + lambda_t + e_it`` (see the module
    docstring for each ``fe`` choice and the standard errors).
    """

    name = "twfe"
    description = "OLS with city and year fixed effects, SEs clustered by city (linearmodels): the reference"
    fe_choices = FE_CHOICES
    settings = ("fe", "cov_type", "debiased", "group_debias")
    packages = ("linearmodels",)

    def __init__(self, fe: str = "within", cov_type: str = "clustered", debiased: bool = True, group_debias: bool = True):
        self.fe = fe
        self.cov_type = cov_type
        self.debiased = debiased
        self.group_debias = group_debias

    @classmethod
    def from_config(cls, config: Mapping[str, Any], learner=None, split=None, seed: int = 0) -> "TwoWayFixedEffects":
        """Settings from the ``estimator`` config node; ``learner``, ``split`` and ``seed`` are unused."""
        return cls(
            fe=config.get("fe", "within"),
            cov_type=choice(config.get("cov_type", "clustered"), "estimator.cov_type", COV_TYPES),
            debiased=flag(config.get("debiased", True), "estimator.debiased"),
            group_debias=flag(config.get("group_debias", True), "estimator.group_debias"),
        )

    # --- fitting -------------------------------------------------------------------------------
    def fit(self, data) -> "TwoWayFixedEffects":
        choice(self.fe, "estimator.fe", FE_CHOICES)
        choice(self.cov_type, "estimator.cov_type", COV_TYPES)
        terms = list(data.terms)
        term_cols = [data.terms[t] for t in terms]
        frame = data.frame.sort_values(["unit", "time"]).reset_index(drop=True)
        if self.fe in ("within", "dummies", "fd") and data.n_obs <= data.n_units:
            raise UserInputError(f"estimator.fe={self.fe} needs at least two periods per city; this sample has one row per city")

        covariates, dropped = screen_covariates(frame, list(data.covariates), self.fe)
        for term, column in zip(terms, term_cols):
            reason = _absorbed(frame, column, self.fe)
            if reason:
                raise UserInputError(f"{term} is {reason} in this sample, so estimator.fe={self.fe} cannot estimate it")
        regressors = term_cols + covariates
        demeaned = two_way_demean(frame[["outcome", *regressors]], unit_codes(frame), time_codes(frame))
        if self.fe in ("within", "dummies") and np.linalg.matrix_rank(demeaned[:, 1:]) < len(regressors):
            raise UserInputError(f"estimator.fe={self.fe}: the terms and covariates are collinear once city and year effects are removed")

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result, extra = self._fit(frame, regressors)
        self.result_ = result

        params, ses, pvalues = result.params, result.std_errors, result.pvalues
        intervals = result.conf_int(level=0.95)
        self.coefficients_ = [
            Coefficient(
                term,
                float(params[column]),
                float(ses[column]),
                float(intervals.loc[column, "lower"]),
                float(intervals.loc[column, "upper"]),
                float(pvalues[column]),
            )
            for term, column in zip(terms, term_cols)
        ]
        beta = np.array([float(params[c]) for c in regressors])
        self.diagnostics_ = {
            "fe": self.fe,
            "model": MODELS[self.fe],
            "se_type": self._se_label(),
            "interval": f"t({int(result.df_resid)})" if self.debiased else "normal",
            "n_obs_used": int(result.nobs),
            "n_units_used": int(extra.pop("n_units_used")),
            "df_resid": int(result.df_resid),
            "r2_within": within_r2(demeaned, beta),
            "r2_model": _finite(result.rsquared),
            "covariates_used": covariates,
            "dropped_covariates": dropped,
            **extra,
            "warnings": sorted({str(w.message).strip().splitlines()[0] for w in caught if str(w.message).strip()})[:5],
        }
        return self

    def _se_label(self) -> str:
        factors = ["n/(n-K)"] if self.debiased else []
        if self.cov_type == "clustered" and self.group_debias:
            factors.append("G/(G-1) (n-1)/n")
        name = ": CR1" if len(factors) == 2 else ""
        return f"{COV_TYPES[self.cov_type]} (linearmodels; small-sample factors: {' and '.join(factors) or 'none'}{name})"

    def _cov_options(self) -> dict:
        options: dict[str, Any] = {"cov_type": self.cov_type, "debiased": self.debiased}
        if self.cov_type == "clustered":
            options.update(cluster_entity=True, group_debias=self.group_debias)
        return options

    def _fit(self, frame: pd.DataFrame, regressors: list[str]):
        indexed = frame.set_index(["unit", "time"])
        y = indexed["outcome"]
        try:
            if self.fe == "within":
                model = PanelOLS(y, indexed[regressors], entity_effects=True, time_effects=True)
                result = model.fit(**self._cov_options())
                return result, {"n_units_used": frame["unit"].nunique(), "n_effects": _n_effects(frame)}
            if self.fe == "fd":
                return self._fit_fd(frame, indexed, regressors)
            if self.fe == "dummies":
                design = _with_constant(indexed[regressors])
                design = design.join(_dummies(indexed, "unit", CITY_PREFIX)).join(_dummies(indexed, "time", YEAR_PREFIX))
                result = PooledOLS(y, design).fit(**self._cov_options())
                return result, {"n_units_used": frame["unit"].nunique(), "n_effects": _n_effects(frame)}
            if self.fe == "cre":
                return self._fit_cre(frame, indexed, regressors)
            design = _with_constant(indexed[regressors])
            _require_full_rank(design, self.fe)
            result = PooledOLS(y, design).fit(**self._cov_options())
            return result, {"n_units_used": frame["unit"].nunique()}
        except UserInputError:
            raise
        except ValueError as error:  # linearmodels: absorbed or collinear regressors, no residual df
            raise UserInputError(f"estimator.fe={self.fe}: linearmodels cannot fit this sample: {first_line(error)}") from None

    def _fit_fd(self, frame: pd.DataFrame, indexed: pd.DataFrame, regressors: list[str]):
        adjacent = adjacent_rows(frame)
        if not adjacent.any():
            raise UserInputError("estimator.fe=fd: no city has two adjacent periods in this sample")
        years = _dummies(indexed, "time", YEAR_PREFIX)
        # a year dummy that no adjacent pair uses differences to zero everywhere: leave it out
        changes = years.to_numpy() - years.groupby(level="unit").shift(1).to_numpy()
        years = years.loc[:, np.any(changes[adjacent] != 0, axis=0)]
        result = FirstDifferenceOLS(indexed["outcome"], indexed[regressors].join(years)).fit(**self._cov_options())
        return result, {"n_units_used": frame.loc[adjacent, "unit"].nunique()}

    def _fit_cre(self, frame: pd.DataFrame, indexed: pd.DataFrame, regressors: list[str]):
        years = _dummies(indexed, "time", YEAR_PREFIX)
        varying = [c for c in regressors if not within_constant(frame, c, "unit", _TOL)]
        base = _with_constant(indexed[regressors]).join(years)
        means = pd.concat([indexed[varying], years], axis=1).groupby(level="unit").transform("mean")
        means.columns = [f"{c}{MEAN_SUFFIX}" for c in means.columns]
        kept_means = _independent_columns(base, means)
        design = base.join(means[kept_means])
        _require_full_rank(design, self.fe)
        result = PooledOLS(indexed["outcome"], design).fit(**self._cov_options())
        return result, {
            "n_units_used": frame["unit"].nunique(),
            "city_means": kept_means,
            "city_means_dropped_as_collinear": [c for c in means.columns if c not in kept_means],
        }


# --- helpers -------------------------------------------------------------------------------------
def screen_covariates(frame: pd.DataFrame, covariates: list[str], fe: str) -> tuple[list[str], dict[str, str]]:
    """The covariates ``fe`` can estimate, and the dropped ones with the reason."""
    kept, dropped = [], {}
    for column in covariates:
        reason = _absorbed(frame, column, fe)
        if reason:
            dropped[column] = reason
        else:
            kept.append(column)
    return kept, dropped


def _absorbed(frame: pd.DataFrame, column: str, fe: str) -> str | None:
    values = frame[column].to_numpy(dtype=float)
    scale = max(1.0, float(np.max(np.abs(values)))) if len(values) else 1.0
    if np.ptp(values) <= _TOL * scale:
        return "constant"
    if fe in ("within", "dummies", "fd") and within_constant(frame, column, "unit", _TOL):
        return "constant within every city (time-invariant): absorbed by the city effects"
    if fe != "none" and within_constant(frame, column, "time", _TOL):
        return "the same for every city in each year: absorbed by the year effects"
    return None


def _with_constant(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([pd.Series(1.0, index=frame.index, name=CONST), frame], axis=1)


def _dummies(indexed: pd.DataFrame, level: str, prefix: str) -> pd.DataFrame:
    """One-hot columns of an index level, first level dropped."""
    return one_hot(pd.Series(indexed.index.get_level_values(level), index=indexed.index), prefix, prefix_sep="")


def _n_effects(frame: pd.DataFrame) -> int:
    return int(frame["unit"].nunique() + frame["time"].nunique() - 1)


def _independent_columns(base: pd.DataFrame, candidates: pd.DataFrame) -> list[str]:
    """Candidates, in order, that add to the column space of ``base`` and of those kept before."""
    basis = np.linalg.qr(base.to_numpy(dtype=float))[0]
    kept: list[str] = []
    for column in candidates.columns:
        values = candidates[column].to_numpy(dtype=float)
        residual = values - basis @ (basis.T @ values)
        residual -= basis @ (basis.T @ residual)  # twice is enough (Gram-Schmidt, re-orthogonalised)
        norm = float(np.linalg.norm(residual))
        if norm > 1e-8 * max(float(np.linalg.norm(values)), 1.0):
            kept.append(column)
            basis = np.column_stack([basis, residual / norm])
    return kept


def _require_full_rank(design: pd.DataFrame, fe: str) -> None:
    matrix = design.to_numpy(dtype=float)
    if np.linalg.matrix_rank(matrix) < matrix.shape[1]:
        raise UserInputError(f"estimator.fe={fe}: the terms and covariates are collinear in this sample")


def within_r2(demeaned: np.ndarray, beta: np.ndarray) -> float | None:
    """Within R^2 (reghdfe's): 1 - sum (y.. - X.. b)^2 / sum y..^2.

    ``demeaned`` holds y and the regressors with city and year effects partialled out (every
    row of the sample) and ``b`` is the fit's own slope on the terms and covariates, so
    ``within``, ``dummies`` and ``cre`` give the same value and ``fd`` and ``none`` say how
    much of the within variation their slopes explain (it can be negative).
    """
    y, x = demeaned[:, 0], demeaned[:, 1:]
    total = float(y @ y)
    if total <= 0:
        return None
    resid = y - x @ beta
    return float(1.0 - resid @ resid / total)


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
