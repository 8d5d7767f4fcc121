"""Causal forest: EconML's ``CausalForestDML`` with the ``learner=`` nuisances, folds drawn by city.

Model (a partially linear model whose effect varies with X; Athey, Tibshirani and Wager's
generalised random forest on double-machine-learning residuals). City i, year t, outcome Y
(Gini), treatment D (UIL), effect modifiers X, other controls W:

    Y_it = theta(X_it) D_it + g(X_it, W_it) + c_i + l_t + eps_it,  E[eps | D, X, W, c, l] = 0   (1)
    D_it = m(X_it, W_it) + a_i + k_t + v_it,                       E[v | X, W, a, k] = 0        (2)

Stage 1 (EconML): q(X, W) = E[Y | X, W] and m(X, W) = E[D | X, W] are cross-fitted with the
``learner=`` regressor (``model_y``, ``model_t``), folds drawn by city through
``fit(..., groups=city)`` so that a city's years are never split between training and
prediction. Residuals Y~ = T(Y - q^), D~ = T(D - m^), with T the fixed-effects transform.
Stage 2: an honest causal forest solves around each x the local moment

    E[ (Y~ - theta(x) D~ - beta(x)) (D~, 1) | X = x ] = 0,                                        (3)

so theta^(x) is a locally weighted regression of Y~ on D~: the conditional average marginal
effect of UIL on the Gini at X = x.

Fixed effects, ``fe`` (``within``, ``cre``, ``dummies``, ``none``; ``fd`` and anything else
fail with one line):

``within``   (default) the nuisances are learnt on the levels, with the city means of the
             controls, each row's deviation from them (and the city mean of D, unless it is
             an effect modifier) in W and the year in X or W;
             then both residuals are demeaned by city and by year (T = two-way within
             transformation, alternating projections, exact in unbalanced panels) and the
             forest is refitted on them (EconML's ``refit_final`` on the transformed cached
             residuals). This removes c_i, l_t, a_i, k_t exactly, while the learner still sees
             the controls' levels, where their non-linear effects are learnable (demeaning
             first, as ``dml``'s ``wg_approx`` does, leaves it the small within-city
             variation of g and m only, and is biased on the calibrated world).
``cre``      the same nuisances, residuals not demeaned, one-hot year columns in W:
             correlated random effects (Mundlak), c_i and a_i taken as functions of the
             city means.
``dummies``  the paper's: one-hot city and year columns in W, T = identity. Rows are split
             at random (a city's dummy must be seen in training to be learnt, as in ``dml``);
             standard errors stay clustered by city.
``none``     W = the controls (and the year), T = identity, folds by city.
``fd`` is refused: first differences give D.Y = theta D.D only for an effect constant over a
city's years, which is the heterogeneity (by period, with DIFI) this family estimates.

Effect modifiers X (``modifiers``: ``auto`` or a list): the moderator DIFI (the spec's
transformed column ``data.terms['moderator']`` under moderation, or a ``moderator`` column
when the sample carries one), the year, the city's mean treatment over its rows in the
sample (a city trait standing in for its pre-sample industrial level; in ``auto`` only
with ``within`` and ``cre``: EconML also puts X into the nuisances, where under ``none`` or
``dummies`` it would act as a Mundlak term) and the controls. W holds the rest. The
``effect`` column of synthetic data is never read.

Inference (never the spread of the CATEs): each reported average is a linear functional of
theta, estimated from the doubly robust score of (1),

    psi_it = theta^(X_it) + D~_it (Y~_it - theta^(X_it) D~_it) / V^(X_it),   V(x) = E[D~^2 | X = x] (4)

(D~ / V(X) is the Riesz representer of E[theta(X)] in the partially linear model, so the
mean of psi is the sample's average marginal effect with a first-order-insensitive error in
theta^, q^, m^). theta^ in (4) comes from forests grown on the *other* cities' residuals
(``dr_cate: crossfit``; EconML's forest subsamples rows, so its out-of-bag CATEs, ``oob``,
still see a city's other years), V^ from the learner fitted on D~^2 against X, cross-fitted
by city and floored at ``variance_floor`` x mean(D~^2). The averages are OLS regressions of
psi with cluster-robust (CR1) standard errors by city, which allow any correlation among a
city's years (the best linear predictor of Semenova and Chernozhukov; grf's
``average_treatment_effect`` with clusters works the same way):

* ``treatment`` (the average effect): psi on 1;
* ``diagnostics.periods``: psi on indicators of the period windows (``windows``: 2011-2015,
  2016-2021 by default), each window's average effect, and their difference;
* ``diagnostics.treatment_groups``: psi on indicators of D above / at-or-below the sample
  median (the spec's median split), each group's average effect, and their difference;
* ``diagnostics.moderator_slope``: psi on (1, M - mean M): the best linear projection of the
  effect on DIFI, per DIFI unit (only where the sample carries the moderator).

With ``moderation=centered|normalized`` the record holds three terms. From psi on (1, M~),
M~ = ``data.terms['moderator']`` (mean zero): ``treatment`` = a (the average effect) and
``treatment_x_moderator`` = b (the BLP slope of the effect on M~), the projection
tau = a + b M~ + r that defines their truth. ``moderator`` = c, the coefficient of M~ in
Table 6's model with the centred interaction (D - mean D) M~, with the forest's theta(X) in
place of a + b M~:

    Y_it = theta(X_it) (D_it - mean D) + c M~_it + h(W'_it) + city + year + u_it,               (5)

i.e. the average effect of M~ on Y holding D (and the city and year effects) fixed. It is the
doubly robust partially linear regression

    c^ = mean(M_r Z_r) / mean(M_r^2) - mean(w^(X) (psi - theta^)),
    Z_r = T(Z - E^[Z | W']),  Z = Y - theta^(X) (D - mean D),  M_r = T(M~ - E^[M~ | W']),
    w(X) = E[M_r (D - mean D) | X] / mean(M_r^2),

W' = the modifiers other than the moderator plus W, every E^ the learner cross-fitted with
the stage-1 folds. The first term moves by E[w (theta - theta^)] when theta^ is off, and
psi - theta^ estimates theta - theta^ without bias, so the error of theta^ is second order;
the standard error clusters the two scores by city. c also takes up theta's own dependence
on M~ at mean D (theta(X) mean D stays in Z), as the truth does: on the synthetic world the
truth of ``moderator`` is s * mean(moderator_effect), the sample's average effect of DIFI on
the Gini holding UIL, city and year fixed, in M~ units (``docs/SYNTHETIC_WORLD.md``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Mapping

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, KFold

from framework.errors import UserInputError
from framework.estimators.base import FE_CHOICES, Coefficient, Estimator, cross_fitting
from framework.estimators.design import time_codes, two_way_demean, unit_codes
from framework.estimators.registry import register
from framework.learners import build_learner

SUPPORTED_FE = ("within", "cre", "dummies", "none")
MODIFIER_CHOICES = ("moderator", "time", "treatment_city_mean", "controls")
DR_CATE_CHOICES = ("crossfit", "oob")
DEFAULT_WINDOWS = {"infra_2011_2015": (2011, 2015), "rapid_2016_2021": (2016, 2021)}
SUBFOREST_SIZE = 4


@register
class CausalForestEstimator(Estimator):
    name = "causal_forest"
    description = "Causal forest (EconML CausalForestDML), folds by city; averages from doubly robust scores clustered by city"

    def __init__(
        self,
        learner,
        fe="within",
        folds=5,
        n_rep=1,
        n_estimators=200,
        min_samples_leaf=10,
        max_depth=None,
        max_samples=0.45,
        max_features=None,
        honest=True,
        modifiers="auto",
        windows=None,
        variance_floor=0.1,
        dr_cate="crossfit",
        crossfit_estimators=100,
        n_jobs=1,
        seed=0,
    ):
        self.learner = learner
        self.fe = fe
        self.folds = folds
        self.n_rep = n_rep
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_depth = max_depth
        self.max_samples = max_samples
        self.max_features = max_features
        self.honest = honest
        self.modifiers = modifiers
        self.windows = dict(DEFAULT_WINDOWS if windows is None else windows)
        self.variance_floor = variance_floor
        self.dr_cate = dr_cate
        self.crossfit_estimators = crossfit_estimators
        self.n_jobs = n_jobs
        self.seed = seed

    # --- configuration ---------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: Mapping[str, Any], learner, split: Mapping[str, Any], seed: int) -> "CausalForestEstimator":
        fe = config.get("fe", "within")
        if fe not in SUPPORTED_FE:
            if fe in FE_CHOICES:
                raise UserInputError(
                    f"estimator.fe = {fe!r} is not supported by causal_forest (first differences hold only for an effect "
                    f"constant over a city's years, the heterogeneity this family estimates): use one of {', '.join(SUPPORTED_FE)}"
                )
            raise UserInputError(f"estimator.fe = {fe!r}: use one of {', '.join(SUPPORTED_FE)}")
        folds, n_rep = cross_fitting(split)
        n_estimators = _integer(config, "n_estimators", 200)
        if n_estimators < SUBFOREST_SIZE or n_estimators % SUBFOREST_SIZE:
            raise UserInputError(f"estimator.n_estimators = {n_estimators}: use a positive multiple of {SUBFOREST_SIZE}")
        min_samples_leaf = _integer(config, "min_samples_leaf", 10)
        if min_samples_leaf < 1:
            raise UserInputError(f"estimator.min_samples_leaf = {min_samples_leaf}: must be at least 1")
        max_depth = config.get("max_depth")
        if max_depth is not None:
            max_depth = _integer(config, "max_depth", None)
            if max_depth < 1:
                raise UserInputError(f"estimator.max_depth = {max_depth}: must be at least 1 or null")
        max_samples = _number(config, "max_samples", 0.45)
        if not 0 < max_samples <= 0.5:
            raise UserInputError(f"estimator.max_samples = {max_samples}: the share of rows per tree must be in (0, 0.5]")
        max_features = config.get("max_features")
        if max_features is not None:
            max_features = _number(config, "max_features", None)
            if not 0 < max_features <= 1:
                raise UserInputError(f"estimator.max_features = {max_features}: a share of the modifiers in (0, 1], or null for all")
        honest = config.get("honest", True)
        if not isinstance(honest, bool):
            raise UserInputError(f"estimator.honest = {honest!r}: use true or false")
        variance_floor = _number(config, "variance_floor", 0.1)
        if not 0 < variance_floor < 1:
            raise UserInputError(f"estimator.variance_floor = {variance_floor}: must be in (0, 1)")
        dr_cate = config.get("dr_cate", "crossfit")
        if dr_cate not in DR_CATE_CHOICES:
            raise UserInputError(f"estimator.dr_cate = {dr_cate!r}: use one of {', '.join(DR_CATE_CHOICES)}")
        crossfit_estimators = _integer(config, "crossfit_estimators", 100)
        if crossfit_estimators < 1:
            raise UserInputError(f"estimator.crossfit_estimators = {crossfit_estimators}: must be at least 1")
        n_jobs = _integer(config, "n_jobs", 1)
        if n_jobs == 0:
            raise UserInputError("estimator.n_jobs = 0: use a positive number of threads or -1 for all cores")
        return cls(
            learner=build_learner(learner, seed),
            fe=fe,
            folds=folds,
            n_rep=n_rep,
            n_estimators=n_estimators,
            min_samples_leaf=min_samples_leaf,
            max_depth=max_depth,
            max_samples=max_samples,
            max_features=max_features,
            honest=honest,
            modifiers=_modifiers(config.get("modifiers", "auto")),
            windows=_windows(config.get("windows")),
            variance_floor=variance_floor,
            dr_cate=dr_cate,
            crossfit_estimators=crossfit_estimators,
            n_jobs=n_jobs,
            seed=seed,
        )

    # --- fitting -------------------------------------------------------------------------------
    def fit(self, data) -> "CausalForestEstimator":
        frame = data.frame.reset_index(drop=True)
        units = unit_codes(frame)
        n_units = int(units.max()) + 1
        if self.fe == "within" and data.n_obs <= data.n_units:
            raise UserInputError("estimator.fe=within needs at least two periods per city; this sample has one row per city")
        moderator_col = data.terms.get("moderator") or ("moderator" if "moderator" in frame.columns else None)
        design = _design(frame, list(data.covariates), units, self.fe, self._modifiers(moderator_col), moderator_col)
        grouped = self.fe != "dummies"
        city_folds = _folds(units, self.folds, self.seed, by_city=True)
        nuisance_folds = city_folds if grouped else _folds(units, self.folds, self.seed, by_city=False)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            forest, y_res, d_res = self._fit_forest(design, units if grouped else None)
            X = design.X.to_numpy(dtype=float)
            if self.dr_cate == "crossfit":
                theta_dr = self._cross_fitted_theta(X, d_res, y_res, city_folds)
            else:
                theta_dr = np.ravel(forest.model_final_.oob_predict(X))
            variance = _cross_fit_predict(self.learner, X, d_res**2, city_folds)
            floor = self.variance_floor * float(np.mean(d_res**2))
            floored = float(np.mean(variance < floor))
            variance = np.maximum(variance, floor)
            psi = theta_dr + d_res * (y_res - theta_dr * d_res) / variance
            theta = np.ravel(forest.effect(design.X))
            population = forest.effect_inference(design.X).population_summary()
            moderation = None
            if data.spec.moderated:
                moderation = self._moderator_term(frame, design, data, psi, theta_dr, units, nuisance_folds)
        self.forest_ = forest
        self.scores_ = psi

        ate = _cluster_ols(psi, np.ones((len(psi), 1)), units, n_units)
        plr = _cluster_ols(y_res, d_res[:, None], units, n_units)  # sum(Y~ D~) / sum(D~^2)
        treatment = frame["treatment"].to_numpy(dtype=float)
        median = float(np.median(treatment))
        diagnostics = {
            "fe": self.fe,
            "fe_handling": FE_HANDLING[self.fe],
            "folds": "by city (EconML groups=city)" if grouped else "rows at random (a city dummy must be seen in training)",
            "n_folds": self.folds,
            "n_rep": self.n_rep,
            "se_type": "cluster-robust (CR1) by city over doubly robust scores",
            "effect_modifiers_X": list(design.X.columns),
            "controls_W": [] if design.W is None else list(design.W.columns),
            "forest": {
                "n_estimators": self.n_estimators,
                "min_samples_leaf": self.min_samples_leaf,
                "max_depth": self.max_depth,
                "max_samples": self.max_samples,
                "max_features": self.max_features,
                "honest": self.honest,
                "dr_cate": self.dr_cate,
                "crossfit_estimators": self.crossfit_estimators if self.dr_cate == "crossfit" else None,
            },
            "average_effect": _summary(ate, 0),
            "partially_linear_average": {
                **_summary(plr, 0),
                "note": "sum(Y~ D~) / sum(D~^2): the variance-weighted average a DML partially linear model reports",
            },
            "cate": {
                "mean": float(np.mean(theta)),
                "sd": float(np.std(theta)),
                "quantiles": {str(q): float(np.quantile(theta, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)},
                "note": "the forest's CATEs across rows: their spread is heterogeneity, not a standard error",
            },
            "econml_population_summary": {
                "mean": float(np.ravel(population.mean_point)[0]),
                "std_error": float(np.ravel(population.stderr_mean)[0]),
                "note": "EconML's conservative bound from the CATEs' own intervals, not clustered; reported, not used",
            },
            "periods": self._period_effects(frame, psi, units, n_units),
            "treatment_groups": _group_effects(
                psi,
                {"high": treatment > median, "low": treatment <= median},
                units,
                n_units,
                extra={"median": median, "rule": "high: treatment above the sample median; low: at or below it"},
            ),
            "feature_importances": {
                name: float(value) for name, value in zip(design.X.columns, np.ravel(forest.feature_importances_))
            },
            "nuisance_rmse": {"outcome": float(np.sqrt(np.mean(y_res**2))), "treatment": float(np.sqrt(np.mean(d_res**2)))},
            "variance_floor_share": floored,
            "warnings": sorted({str(w.message).splitlines()[0] for w in caught})[:5],
        }
        if moderator_col is not None:
            diagnostics["moderator_slope"] = self._moderator_slope(frame, data, moderator_col, psi, units, n_units)
        coefficients = [Coefficient.normal("treatment", ate.beta[0], ate.se[0])]
        if moderation is not None:
            blp, (moderator_estimate, moderator_se, moderator_parts) = moderation
            coefficients = [
                Coefficient.normal("treatment", blp.beta[0], blp.se[0]),
                Coefficient.normal("moderator", moderator_estimate, moderator_se),
                Coefficient.normal("treatment_x_moderator", blp.beta[1], blp.se[1]),
            ]
            diagnostics["moderator_term"] = moderator_parts
        order = list(data.terms)
        self.coefficients_ = sorted(coefficients, key=lambda c: order.index(c.term))
        self.diagnostics_ = diagnostics
        return self

    def _fit_forest(self, design, groups):
        """EconML's CausalForestDML; under ``within`` its residuals are demeaned and the forest refitted."""
        from econml.dml import CausalForestDML

        forest = CausalForestDML(
            model_y=clone(self.learner),
            model_t=clone(self.learner),
            cv=self.folds,
            mc_iters=self.n_rep if self.n_rep > 1 else None,
            # under within the first forest is grown on untransformed residuals and discarded
            n_estimators=SUBFOREST_SIZE if design.demean else self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            max_depth=self.max_depth,
            max_samples=self.max_samples,
            max_features=self.max_features if self.max_features is not None else 1.0,
            honest=self.honest,
            inference=True,
            subforest_size=SUBFOREST_SIZE,
            n_jobs=self.n_jobs,
            random_state=self.seed,
        )
        forest.fit(design.y, design.d, X=design.X, W=design.W, groups=groups, cache_values=True)
        if design.demean:
            # EconML has no hook between its first stage and the forest: replace the cached
            # residuals by their within transform and refit only the final stage.
            cached = getattr(forest, "_cached_values", None)
            if cached is None or len(cached.nuisances) != 2:
                raise RuntimeError("this EconML version does not cache CausalForestDML residuals as expected (econml 0.17)")
            y_res, d_res = cached.nuisances
            forest._cached_values = cached._replace(nuisances=(design.demean(y_res), design.demean(d_res)))
            forest.n_estimators = self.n_estimators
            forest.refit_final()
        y_res, d_res, *_ = forest.residuals_
        return forest, np.ravel(y_res).astype(float), np.ravel(d_res).astype(float)

    def _modifiers(self, moderator_col: str | None) -> list[str]:
        if self.modifiers == "auto":
            chosen = list(MODIFIER_CHOICES)
            if self.fe in ("none", "dummies"):
                chosen.remove("treatment_city_mean")
        else:
            chosen = list(self.modifiers)
        if moderator_col is None and "moderator" in chosen:
            chosen.remove("moderator")
        return chosen

    def _cross_fitted_theta(self, values: np.ndarray, d_res, y_res, folds) -> np.ndarray:
        """theta^ for each row from a causal forest grown on the other cities' residuals."""
        from econml.grf import CausalForest

        theta = np.empty(len(d_res))
        for k, (train, test) in enumerate(folds):
            forest = CausalForest(
                n_estimators=self.crossfit_estimators,
                min_samples_leaf=self.min_samples_leaf,
                max_depth=self.max_depth,
                max_samples=self.max_samples,
                max_features=self.max_features if self.max_features is not None else 1.0,
                honest=self.honest,
                inference=False,
                n_jobs=self.n_jobs,
                random_state=self.seed + 1 + k,
            )
            forest.fit(values[train], d_res[train], y_res[train])
            theta[test] = np.ravel(forest.predict(values[test]))
        return theta

    def _period_effects(self, frame, psi, units, n_units) -> dict:
        time = frame["time"].to_numpy()
        masks = {name: (time >= start) & (time <= end) for name, (start, end) in self.windows.items()}
        masks = {name: mask for name, mask in masks.items() if mask.any()}
        if not masks:
            return {"note": "no window of estimator.windows overlaps this sample"}
        extra = {"windows": {name: list(self.windows[name]) for name in masks}}
        return _group_effects(psi, masks, units, n_units, extra=extra)

    def _moderator_slope(self, frame, data, moderator_col, psi, units, n_units) -> dict:
        """Best linear projection of the effect on the moderator (per unit of the raw moderator)."""
        tilde = frame[moderator_col].to_numpy(dtype=float)
        tilde = tilde - tilde.mean()
        fit = _cluster_ols(psi, np.column_stack([np.ones_like(tilde), tilde]), units, n_units)
        scale = data.moderator_scale if data.terms.get("moderator") == moderator_col and data.moderator_scale else 1.0
        out = {"per": "moderator unit", **_summary(fit, 1, scale=1.0 / scale)}
        if scale != 1.0:
            out["per_transformed_unit"] = _summary(fit, 1)
        out["intercept"] = _summary(fit, 0)
        return out

    def _moderator_term(self, frame, design, data, psi, theta, units, folds):
        """(a, b) from psi on (1, M~), and the moderator's own coefficient c of eq. (5).

        c is the partially linear regression of Z = Y - theta^(X) (D - mean D) on M~, both
        residualised on W' and transformed by T, plus the doubly robust correction for the
        error of theta^:

            c^ = mean(M_r Z_r) / mean(M_r^2) - mean(w^(X) (psi - theta^)),
            w(X) = E[M_r (D - mean D) | X] / mean(M_r^2).

        The first term moves by E[w (theta - theta^)] when theta^ is off and psi - theta^
        estimates theta - theta^ without bias, so the error of theta^ is second order; the
        influence function is the sum of both scores, clustered by city.
        """
        n = len(psi)
        n_units = int(units.max()) + 1
        tilde = frame[data.terms["moderator"]].to_numpy(dtype=float)
        tilde = tilde - tilde.mean()
        blp = _cluster_ols(psi, np.column_stack([np.ones(n), tilde]), units, n_units)
        d = frame["treatment"].to_numpy(dtype=float)
        centred = d - d.mean()
        y = frame["outcome"].to_numpy(dtype=float)
        features = design.nuisance_features(drop=design.moderator_feature).to_numpy(dtype=float)
        z = y - theta * centred
        z_res = design.transform(z - _cross_fit_predict(self.learner, features, z, folds))
        m_res = design.transform(tilde - _cross_fit_predict(self.learner, features, tilde, folds))
        denominator = float(np.mean(m_res**2))
        plug_in = float(np.mean(m_res * z_res) / denominator)
        weight = _cross_fit_predict(self.learner, design.X.to_numpy(dtype=float), m_res * centred, folds) / denominator
        correction_terms = weight * (psi - theta)
        correction = float(np.mean(correction_terms))
        estimate = plug_in - correction
        phi = m_res * (z_res - plug_in * m_res) / denominator - (correction_terms - correction)
        parts = {
            "estimand": "effect of M~ on the outcome holding the treatment (and city and year effects) fixed, "
            "averaged over the sample: the coefficient of M~ beside the centred interaction (D - mean D) M~",
            "plug_in": plug_in,
            "dr_correction": -correction,
            "residual_moderator_sd": float(np.sqrt(denominator)),
        }
        return blp, (float(estimate), _cluster_se(phi, units, n_units), parts)


# --- design -----------------------------------------------------------------------------------
FE_HANDLING = {
    "within": "nuisances learnt on levels with city means of the controls in W; residuals demeaned by city and year before the forest",
    "cre": "nuisances learnt on levels with city means of the controls and treatment and year indicators in W (Mundlak)",
    "dummies": "one-hot city and year columns in W (the paper's); rows split at random",
    "none": "controls only in W",
}


class _Design:
    """What the forest sees: outcome and treatment, modifiers X, controls W, residual transform."""

    def __init__(self, y, d, X, W, demean, moderator_feature):
        self.y, self.d, self.X, self.W = y, d, X, W
        self.demean = demean
        self.moderator_feature = moderator_feature

    def transform(self, values):
        return self.demean(values) if self.demean else np.asarray(values, dtype=float)

    def nuisance_features(self, drop: str | None) -> pd.DataFrame:
        parts = [self.X.drop(columns=[drop]) if drop in self.X.columns else self.X]
        if self.W is not None:
            parts.append(self.W)
        return pd.concat(parts, axis=1)


def _design(frame: pd.DataFrame, controls: list[str], units: np.ndarray, fe: str, modifiers: list[str], moderator_col) -> _Design:
    X = pd.DataFrame(index=frame.index)
    moderator_feature = None
    treatment_city_mean = frame.groupby("unit")["treatment"].transform("mean").to_numpy(dtype=float)
    for modifier in modifiers:
        if modifier == "moderator":
            moderator_feature = "x_moderator"
            X[moderator_feature] = frame[moderator_col].to_numpy(dtype=float)
        elif modifier == "time":
            X["x_time"] = frame["time"].to_numpy(dtype=float)
        elif modifier == "treatment_city_mean":
            X["x_treatment_city_mean"] = treatment_city_mean
        elif modifier == "controls":
            for column in controls:
                X[f"x_{column}"] = frame[column].to_numpy(dtype=float)
    if X.shape[1] == 0:
        raise UserInputError("estimator.modifiers leaves the forest no effect modifier in this sample; add time or controls")

    W = pd.DataFrame(index=frame.index)
    if "controls" not in modifiers:
        for column in controls:
            W[f"w_{column}"] = frame[column].to_numpy(dtype=float)
    if fe in ("within", "cre"):
        if controls:
            city_means = frame.groupby("unit")[controls].transform("mean")
            for column in controls:
                W[f"w_{column}_city_mean"] = city_means[column].to_numpy(dtype=float)
                W[f"w_{column}_city_deviation"] = (frame[column] - city_means[column]).to_numpy(dtype=float)
        if "treatment_city_mean" not in modifiers:
            W["w_treatment_city_mean"] = treatment_city_mean
    if fe == "cre":
        W = pd.concat([W, _one_hot(frame["time"], "w_year")], axis=1)
    elif fe == "dummies":
        W = pd.concat([W, _one_hot(frame["unit"], "w_city"), _one_hot(frame["time"], "w_year")], axis=1)
    elif "time" not in modifiers:
        W["w_time"] = frame["time"].to_numpy(dtype=float)

    demean = None
    if fe == "within":
        times = time_codes(frame)
        demean = lambda values: two_way_demean(values, units, times, tol=1e-12, max_iter=500)  # noqa: E731
    y = frame["outcome"].to_numpy(dtype=float)
    d = frame["treatment"].to_numpy(dtype=float)
    return _Design(y, d, X, W if W.shape[1] else None, demean, moderator_feature)


def _one_hot(values: pd.Series, prefix: str) -> pd.DataFrame:
    return pd.get_dummies(values.astype(str), prefix=prefix, drop_first=True, dtype=float)


def _folds(units: np.ndarray, folds: int, seed: int, by_city: bool) -> list:
    index = np.zeros((len(units), 1))
    if by_city:
        if folds > len(np.unique(units)):
            raise UserInputError(f"split.folds = {folds} is more than the {len(np.unique(units))} cities of this sample")
        return list(GroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(index, groups=units))
    return list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(index))


def _cross_fit_predict(learner, features, target, folds) -> np.ndarray:
    values = features.to_numpy(dtype=float) if hasattr(features, "to_numpy") else np.asarray(features, dtype=float)
    out = np.empty(len(target))
    for train, test in folds:
        model = clone(learner).fit(values[train], target[train])
        out[test] = model.predict(values[test])
    return out


# --- clustered aggregation of the scores ----------------------------------------------------------
class _OLS:
    def __init__(self, beta, se, cov, phi):
        self.beta, self.se, self.cov, self.phi = beta, se, cov, phi


def _cluster_ols(y: np.ndarray, Z: np.ndarray, units: np.ndarray, n_units: int) -> _OLS:
    """OLS of y on Z with CR1 cluster-robust covariance by city; phi = per-row influence."""
    n, k = Z.shape
    bread = np.linalg.inv(Z.T @ Z / n)
    beta = bread @ (Z.T @ y / n)
    phi = (Z * (y - Z @ beta)[:, None]) @ bread.T
    sums = np.zeros((n_units, k))
    np.add.at(sums, units, phi)
    clusters = int(np.count_nonzero(np.bincount(units, minlength=n_units)))
    correction = clusters / max(clusters - 1, 1) * (n - 1) / max(n - k, 1)
    cov = correction * sums.T @ sums / n**2
    return _OLS(beta, np.sqrt(np.diag(cov)), cov, phi)


def _cluster_se(phi: np.ndarray, units: np.ndarray, n_units: int) -> float:
    sums = np.bincount(units, weights=phi, minlength=n_units)
    clusters = int(np.count_nonzero(np.bincount(units, minlength=n_units)))
    return float(math.sqrt(clusters / max(clusters - 1, 1) * np.sum(sums**2)) / len(phi))


def _normal(estimate: float, std_error: float) -> dict:
    coef = Coefficient.normal("", estimate, std_error)
    return {"estimate": coef.estimate, "std_error": coef.std_error, "ci_low": coef.ci_low, "ci_high": coef.ci_high, "p_value": coef.p_value}


def _summary(fit: _OLS, k: int, scale: float = 1.0) -> dict:
    return _normal(float(fit.beta[k]) * scale, float(fit.se[k]) * abs(scale))


def _group_effects(psi, masks: dict, units, n_units, extra: dict | None = None) -> dict:
    """Average effect in each group (psi on the group indicators, rows outside every group left out)."""
    names = list(masks)
    inside = np.logical_or.reduce([masks[name] for name in names])
    Z = np.column_stack([masks[name][inside] for name in names]).astype(float)
    fit = _cluster_ols(psi[inside], Z, units[inside], n_units)
    out = {name: {**_summary(fit, k), "n_obs": int(masks[name].sum())} for k, name in enumerate(names)}
    if len(names) == 2:
        contrast = np.array([1.0, -1.0])
        difference = float(contrast @ fit.beta)
        se = float(math.sqrt(contrast @ fit.cov @ contrast))
        out["difference"] = {"of": f"{names[0]} - {names[1]}", **_normal(difference, se)}
    out.update(extra or {})
    return out


# --- config helpers -----------------------------------------------------------------------------
def _integer(config: Mapping[str, Any], key: str, default, label: str | None = None) -> int:
    value = config.get(key, default)
    label = label or f"estimator.{key}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
        raise UserInputError(f"{label} = {value!r}: must be an integer")
    return int(value)


def _number(config: Mapping[str, Any], key: str, default) -> float:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise UserInputError(f"estimator.{key} = {value!r}: must be a number")
    return float(value)


def _modifiers(value) -> str | tuple[str, ...]:
    if value in (None, "auto"):
        return "auto"
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise UserInputError(f"estimator.modifiers = {value!r}: use auto or a list of {', '.join(MODIFIER_CHOICES)}")
    unknown = [v for v in value if v not in MODIFIER_CHOICES]
    if unknown:
        raise UserInputError(f"estimator.modifiers: unknown {', '.join(map(str, unknown))}; use auto or a list of {', '.join(MODIFIER_CHOICES)}")
    return tuple(dict.fromkeys(value))


def _windows(value) -> dict[str, tuple[int, int]]:
    if value is None:
        return dict(DEFAULT_WINDOWS)
    if not isinstance(value, Mapping):
        raise UserInputError(f"estimator.windows = {value!r}: use a mapping name -> [first year, last year]")
    windows = {}
    for name, bounds in value.items():
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2 or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            raise UserInputError(f"estimator.windows.{name} = {bounds!r}: use [first year, last year]")
        if bounds[0] > bounds[1]:
            raise UserInputError(f"estimator.windows.{name} = {list(bounds)}: the first year is after the last")
        windows[str(name)] = (int(bounds[0]), int(bounds[1]))
    return windows
