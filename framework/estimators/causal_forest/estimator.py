"""``estimator=causal_forest``: EconML's ``CausalForestDML`` with the ``learner=`` nuisances,
folds drawn by city, averages from doubly robust scores clustered by city.

The model, the fixed-effects handling and the inference: ``docs/estimators/causal_forest.md``.
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping

import numpy as np
from sklearn.base import clone

from framework.errors import UserInputError
from framework.estimators.base import Estimator
from framework.estimators.caught import statistical_warnings
from framework.estimators.causal_forest.config import MODIFIER_CHOICES, SUBFOREST_SIZE, read_settings
from framework.estimators.causal_forest.design import FE_HANDLING, build_design, make_folds
from framework.estimators.causal_forest.econml_compat import check_econml_version, refit_on_transformed
from framework.estimators.causal_forest.scores import (
    dr_scores,
    moderator_slope,
    moderator_term,
    period_effects,
    summary,
    treatment_half_effects,
)
from framework.estimators.registry import register
from framework.learners import build_learner
from framework.numerics.inference import Coefficient, clustered_ols
from framework.numerics.transforms import period_halves, unit_codes
from framework.settings import cross_fitting


@register
class CausalForestEstimator(Estimator):
    name = "causal_forest"
    description = "Causal forest (EconML CausalForestDML), folds by unit; averages from doubly robust scores clustered by unit"
    fe_choices = ("within", "cre", "dummies", "none")
    fe_notes = {"fd": "first differences hold only for an effect constant over a unit's periods, the heterogeneity this family estimates"}
    settings = (
        "fe", "modifiers", "n_estimators", "min_samples_leaf", "max_depth", "max_samples", "max_features",
        "honest", "dr_cate", "crossfit_estimators", "variance_floor", "windows", "n_jobs",
    )
    uses_learner = True
    packages = ("econml", "scikit-learn")
    sensitivity_reason = (
        "EconML's causal forest has no omitted-variable-bias analysis, and its average effect is not the partially "
        "linear coefficient that DoubleML's bounds are for: a bound needs the Riesz representer of the average of "
        "theta(X) (residual treatment weighted by 1 / Var(D|X)), which the forest does not estimate (docs/SENSITIVITY.md)"
    )

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
        self.windows = None if windows is None else dict(windows)
        self.variance_floor = variance_floor
        self.dr_cate = dr_cate
        self.crossfit_estimators = crossfit_estimators
        self.n_jobs = n_jobs
        self.seed = seed

    @classmethod
    def from_config(cls, config: Mapping[str, Any], learner, split: Mapping[str, Any], seed: int) -> "CausalForestEstimator":
        folds, n_rep = cross_fitting(split)
        return cls(learner=build_learner(learner, seed), folds=folds, n_rep=n_rep, seed=seed, **read_settings(config))

    # --- fitting -------------------------------------------------------------------------------
    def fit(self, data) -> "CausalForestEstimator":
        frame = data.frame.reset_index(drop=True)
        units = unit_codes(frame)
        n_units = int(units.max()) + 1
        if self.fe == "within":
            if data.n_obs <= data.n_units:
                raise UserInputError("estimator.fe=within needs at least two periods per unit; this sample has one row per unit")
            check_econml_version()
        moderator_col = data.terms.get("moderator") or ("moderator" if "moderator" in frame.columns else None)
        design = build_design(frame, list(data.covariates), units, self.fe, self._modifiers(moderator_col), moderator_col)
        grouped = self.fe != "dummies"
        city_folds = make_folds(units, self.folds, self.seed, by_city=True)
        nuisance_folds = city_folds if grouped else make_folds(units, self.folds, self.seed, by_city=False)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            forest, y_res, d_res = self._fit_forest(design, units if grouped else None)
            psi, theta_dr, floored = dr_scores(self, forest, design.X.to_numpy(dtype=float), y_res, d_res, city_folds)
            theta = np.ravel(forest.effect(design.X))
            population = forest.effect_inference(design.X).population_summary()
            moderation = None
            if data.spec.moderated:
                moderation = moderator_term(self.learner, frame, design, data, psi, theta_dr, units, nuisance_folds)
        self.forest_ = forest
        self.scores_ = psi

        ate = clustered_ols(psi, np.ones((len(psi), 1)), units, n_units)
        plr = clustered_ols(y_res, d_res[:, None], units, n_units)  # sum(Y~ D~) / sum(D~^2)
        diagnostics = {
            "fe": self.fe,
            "fe_handling": FE_HANDLING[self.fe],
            "folds": "by unit (EconML groups=unit)" if grouped else "rows at random (a unit dummy must be seen in training)",
            "n_folds": self.folds,
            "n_rep": self.n_rep,
            "se_type": "cluster-robust (CR1) by unit over doubly robust scores",
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
            "average_effect": summary(ate, 0).to_dict(),
            "partially_linear_average": summary(plr, 0).to_dict(
                note="sum(Y~ D~) / sum(D~^2): the variance-weighted average a DML partially linear model reports",
            ),
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
            "group_effects": {
                "period": period_effects(frame["time"].to_numpy(), psi, units, n_units, self.windows or period_halves(data.periods)),
                "treatment_half": treatment_half_effects(frame["treatment"].to_numpy(dtype=float), psi, units, n_units),
            },
            "feature_importances": {
                name: float(value) for name, value in zip(design.X.columns, np.ravel(forest.feature_importances_))
            },
            "nuisance_rmse": {"outcome": float(np.sqrt(np.mean(y_res**2))), "treatment": float(np.sqrt(np.mean(d_res**2)))},
            "variance_floor_share": floored,
            "warnings": statistical_warnings(caught) + _overlap_warning(floored, self.variance_floor, data.label("treatment")),
        }
        if moderator_col is not None:
            diagnostics["moderator_slope"] = moderator_slope(frame, data, moderator_col, psi, units, n_units)
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
            **self.tree_settings(),
            inference=True,
            subforest_size=SUBFOREST_SIZE,
            random_state=self.seed,
        )
        forest.fit(design.y, design.d, X=design.X, W=design.W, groups=groups, cache_values=True)
        if design.demean:
            refit_on_transformed(forest, design.demean, self.n_estimators)
        y_res, d_res, *_ = forest.residuals_
        return forest, np.ravel(y_res).astype(float), np.ravel(d_res).astype(float)

    def cluster_by(self) -> str | None:
        return "unit"

    def tree_settings(self) -> dict:
        """The settings every forest of this family is grown with (the main one and the
        cross-fitted ones of the scores)."""
        return {
            "min_samples_leaf": self.min_samples_leaf,
            "max_depth": self.max_depth,
            "max_samples": self.max_samples,
            "max_features": self.max_features if self.max_features is not None else 1.0,
            "honest": self.honest,
            "n_jobs": self.n_jobs,
        }

    def absorbed_effects(self) -> tuple[str, ...]:
        # fe=none still learns the nuisances on the period (W or X), which absorbs a treatment
        # that is the same for every unit in each period
        return ("time",) if self.fe == "none" else ("unit", "time")

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


WEAK_OVERLAP_SHARE = 0.2
"""Above this share of rows with a floored E[D~^2 | X], the scores' weights rest on the floor."""


def _overlap_warning(floored: float, variance_floor: float, treatment: str) -> list[str]:
    """A line when the learner leaves the treatment little residual variation in many rows: the
    doubly robust weights D~ / V(X) then rest on the floor and the average is unstable."""
    if floored <= WEAK_OVERLAP_SHARE:
        return []
    return [
        f"weak overlap: the residual variance of {treatment} is below estimator.variance_floor ({variance_floor:g} x its "
        f"mean) in {floored:.0%} of rows, so the doubly robust average is unstable; a smoother learner "
        "(e.g. learner=lasso) or more data help"
    ]
