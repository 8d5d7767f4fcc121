"""The paper's estimator: DoubleML's partially linear model (seed 000, eq. 3-8).

    Gini_it = theta_0 UIL_it + g(X_it) + eps_it,   E[eps | X] = 0          (3)
    UIL_it  = f(X_it) + phi_it,                     E[phi | X] = 0          (4)
    theta_0 from OLS of Gini - g^(X) on UIL - f^(X) with cross-fitted g^, f^ (6)-(8)

How city and year effects enter is ``fe``:

``dummies``  the paper's: one-hot city and year columns join X (``DoubleMLPLR``). Rows are
             split at random, as a city's dummy must be seen in training to be learnt; the
             standard error is clustered by city from DoubleML's own scores.
``within``   ``DoubleMLPLPR`` with the within-group transformation (``wg_approx``),
``fd``       ... with first differences (``fd_exact``; the learners see each row's controls
             and the previous row's, and with ``fd_differences`` also their difference:
             :mod:`framework.learners.differences`),
``cre``      ... with correlated random effects (``cre_general``; ``cre_normal`` by config).
             These follow Clarke and Polselli: folds are drawn by city and standard errors
             clustered by city. They remove city effects only, so year indicators join X.
``none``     X holds the controls alone (``DoubleMLPLR``, folds and SEs clustered by city).

With moderation the treatment, the transformed moderator and their interaction are estimated
as DoubleML treatments, each partialled out on X and the other two, as in Table 6 (the panel
models take one treatment at a time, so they are fitted once per term).

Sensitivity to an omitted confounder is DoubleML's own (Chernozhukov et al. 2022; its bound
|bias| <= |rho| sqrt(cf_y cf_d / (1 - cf_d)) sqrt(sigma^2 nu^2)), on the PLR of the panel
model's transformed data: :mod:`framework.sensitivity.doubleml`, ``docs/SENSITIVITY.md``.
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping

import doubleml
import numpy as np
import pandas as pd
from doubleml import DoubleMLData, DoubleMLPanelData, DoubleMLPLPR, DoubleMLPLR
from sklearn.base import clone
from sklearn.metrics import root_mean_squared_error
from sklearn.pipeline import make_pipeline

from framework.cache.nuisance import fingerprint, learner_identity
from framework.errors import UserInputError
from framework.estimators.base import FE_CHOICES, Estimator
from framework.estimators.caught import statistical_warnings
from framework.estimators.registry import register
from framework.learners import build_learner
from framework.learners.differences import AppendDifferences
from framework.numerics.inference import NORMAL_975, Coefficient, score_variance
from framework.numerics.transforms import UNIT_CODE, unit_codes, with_dummies
from framework.settings import choice, cross_fitting, flag

PANEL_APPROACHES = {"within": "wg_approx", "fd": "fd_exact", "cre": "cre_general"}
CRE_VARIANTS = {"general": "cre_general", "normal": "cre_normal"}
# The IV-type score's ml_g is fitted on Y - theta~ D, theta~ from ml_l's and ml_m's predictions;
# ml_l (E[Y|X]) and ml_m (E[D|X]) depend on no other learner, whatever the score.
LEARNER_DEPENDS = {"ml_g": ("ml_l", "ml_m")}


@register
class DoubleMLEstimator(Estimator):
    name = "dml"
    description = "Double machine learning, partially linear model (DoubleML; the paper's eq. 3-8)"
    fe_choices = FE_CHOICES
    settings = ("fe", "cre", "score", "fd_differences")
    uses_learner = True
    packages = ("doubleml", "scikit-learn")

    def __init__(self, learner, fe="within", folds=5, n_rep=1, score="partialling out", cre="general", seed=0,
                 nuisance_cache=None, fd_differences=False):
        self.learner = learner
        self.fe = fe
        self.folds = folds
        self.n_rep = n_rep
        self.score = score
        self.cre = cre
        self.seed = seed
        self.fd_differences = fd_differences
        # a framework.cache.NuisanceCache (or None): cross-fitted predictions are looked up
        # there before the learners are fitted, and stored after
        self.nuisance_cache = nuisance_cache

    @classmethod
    def from_config(cls, config: Mapping[str, Any], learner, split: Mapping[str, Any], seed: int) -> "DoubleMLEstimator":
        cre = choice(config.get("cre", "general"), "estimator.cre", CRE_VARIANTS)
        folds, n_rep = cross_fitting(split)
        return cls(
            learner=build_learner(learner, seed),
            fe=config.get("fe", "within"),
            folds=folds,
            n_rep=n_rep,
            score=config.get("score", "partialling out"),
            cre=cre,
            seed=seed,
            fd_differences=flag(config.get("fd_differences", False), "estimator.fd_differences"),
        )

    def absorbed_effects(self) -> tuple[str, ...]:
        return () if self.fe == "none" else ("unit", "time")

    def cluster_by(self) -> str | None:
        return "unit"

    def use_nuisance_cache(self, cache) -> None:
        self.nuisance_cache = cache

    def fit(self, data) -> "DoubleMLEstimator":
        terms = list(data.terms)
        d_cols = [data.terms[t] for t in terms]
        frame = data.frame.copy()
        frame[UNIT_CODE] = unit_codes(frame)
        if self.fe in ("within", "fd") and data.n_obs <= data.n_units:
            raise UserInputError(f"estimator.fe={self.fe} needs at least two periods per unit; this sample has one row per unit")
        by_unit = self.fe != "dummies"  # every approach but the paper's draws its folds by unit
        available = data.n_units if by_unit else data.n_obs
        if self.folds > available:
            raise UserInputError(
                f"split.folds = {self.folds} is more than the {available} {'units' if by_unit else 'rows'} of this sample"
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            models, targets = self._fit_models(frame, d_cols, data.covariates)
        self.models_ = models
        self.nuisance_targets_ = targets  # per model: learner -> (n_obs, n_rep, n_treat), cached ones included
        estimates, std_errors, doubleml_se = [], [], []
        for model in models:
            estimates += list(np.asarray(model.coef, dtype=float))
            doubleml_se += list(np.asarray(model.se, dtype=float))
            if self.fe == "dummies":
                std_errors += list(clustered_standard_errors(model, frame[UNIT_CODE].to_numpy()))
            else:
                std_errors += list(np.asarray(model.se, dtype=float))
        se_type = (
            "clustered by unit (from DoubleML's scores; rows split at random)"
            if self.fe == "dummies"
            else "clustered by unit (DoubleML, folds drawn by unit)"
        )
        self.coefficients_ = [
            Coefficient.normal(term, estimate, se) for term, estimate, se in zip(terms, estimates, std_errors)
        ]
        self.diagnostics_ = {
            "fe": self.fe,
            "approach": self._approach_label(),
            "fd_differences": self.fe == "fd" and self.fd_differences,
            "se_type": se_type,
            "doubleml_std_error": [float(se) for se in doubleml_se],
            "n_obs_used": int(models[0].n_obs),
            "folds": self.folds,
            "n_rep": self.n_rep,
            "nuisance_rmse": _nuisance_rmse(models[0], targets[0]),
            "nuisance_cache": self.nuisance_cache.summary() if self.nuisance_cache is not None else {"status": "off"},
            "warnings": statistical_warnings(caught),
        }
        return self

    def sensitivity(self, settings, data) -> dict:
        """DoubleML's sensitivity analysis of the treatment's model (:mod:`framework.sensitivity.doubleml`);
        benchmarks refit the learners once per control, so ``sensitivity.benchmark=auto`` leaves them out."""
        if self.score != "partialling out":
            return {"supported": False, "reason": f"DoubleML's sensitivity analysis is used with score='partialling out'; this run's is {self.score!r}"}
        from framework.sensitivity.doubleml import doubleml_sensitivity

        names = dict(getattr(data, "names", {}) or {})
        record = doubleml_sensitivity(self.models_[0], settings, settings.benchmarks(needs_refit=True), list(data.covariates),
                                      UNIT_CODE, self.seed)
        record["benchmarks"] = [{**row, "column": names.get(row["control"], row["control"])} for row in record["benchmarks"]]
        return record

    # --- model construction ------------------------------------------------------------------
    def _approach_label(self) -> str:
        if self.fe == "cre":
            return CRE_VARIANTS[self.cre]
        return PANEL_APPROACHES.get(self.fe, "plr")

    def _fit_models(self, frame: pd.DataFrame, d_cols: list[str], covariates) -> tuple[list, list]:
        """Fitted DoubleML models (panel models take one treatment each, so one per term) and
        each one's nuisance targets."""
        if self.fe not in PANEL_APPROACHES:
            np.random.seed(self.seed)  # DoubleML draws its folds from NumPy's global generator
            fitted = [self._fit(*self._model(frame, d_cols, list(covariates)))]
        else:
            fitted = []
            for d_col in d_cols:
                others = [c for c in d_cols if c != d_col]
                np.random.seed(self.seed)
                fitted.append(self._fit(*self._model(frame, [d_col], list(covariates) + others)))
        return [model for model, _ in fitted], [targets for _, targets in fitted]

    def _fit(self, model, data) -> tuple[Any, dict]:
        """Fit ``model``, taking each cross-fitted learner's predictions from the nuisance cache
        where it holds them (DoubleML's ``external_predictions``), storing the others.

        Returns the model and its nuisance targets (learner -> (n_obs, n_rep, n_treat)), which
        DoubleML leaves empty for predictions it was handed.
        """
        cache = self.nuisance_cache
        if cache is None:
            model.fit(store_predictions=True)
            return model, dict(model.nuisance_targets)
        base = fingerprint(type(model).__name__, self._approach_label(), doubleml.__version__, model.smpls, model.n_folds, model.n_rep)
        # the panel models rename the treatments they transform (e.g. treatment_diff)
        d_cols = list(getattr(model, "data_transform", data).d_cols)
        keys = {
            (d_col, name): fingerprint(
                base, d_col, name, _learner_inputs(data, name, d_col),
                {used: learner_identity(model.learner[used]) for used in (name, *LEARNER_DEPENDS.get(name, ()))},
            )
            for d_col in d_cols
            for name in model.params_names
        }
        external: dict[str, dict[str, np.ndarray]] = {d_col: {} for d_col in d_cols}
        cached_targets = {}
        for (d_col, name), key in keys.items():
            entry = cache.load(key)
            if entry is not None:
                external[d_col][name] = entry["predictions"]
                cached_targets[(d_col, name)] = entry["targets"]
        model.fit(store_predictions=True, external_predictions=external if cached_targets else None)
        targets = {name: np.array(values, dtype=float) for name, values in model.nuisance_targets.items()}
        for (d_col, name), key in keys.items():
            i_treat = d_cols.index(d_col)
            if (d_col, name) in cached_targets:
                targets[name][:, :, i_treat] = cached_targets[(d_col, name)]
                continue
            predictions = model.predictions[name][:, :, i_treat]
            if np.all(np.isfinite(predictions)):
                cache.store(key, {"predictions": predictions, "targets": targets[name][:, :, i_treat]})
        return model, targets

    def _model(self, frame: pd.DataFrame, d_cols: list[str], covariates: list[str]) -> tuple[Any, Any]:
        """The DoubleML model and the data object it was built on."""
        ml_l, ml_m = clone(self.learner), clone(self.learner)
        common = dict(n_folds=self.folds, n_rep=self.n_rep, score=self.score)
        if self.fe in PANEL_APPROACHES:
            # DoubleML's panel data take one treatment; the other terms join X, as DoubleML
            # itself does for several treatments in the PLR.
            design, x_cols = with_dummies(frame, covariates, ["time"])
            data = DoubleMLPanelData(
                design, y_col="outcome", d_cols=d_cols, t_col="time", id_col=UNIT_CODE, x_cols=x_cols, static_panel=True
            )
            if self.fe == "fd" and self.fd_differences:
                ml_l, ml_m = (make_pipeline(AppendDifferences(len(x_cols)), learner) for learner in (ml_l, ml_m))
            return DoubleMLPLPR(data, ml_l, ml_m, approach=self._approach_label(), **common), data
        if self.fe == "dummies":
            design, x_cols = with_dummies(frame, list(covariates), ["unit", "time"])
            data = DoubleMLData(design, y_col="outcome", d_cols=d_cols, x_cols=x_cols)
            return DoubleMLPLR(data, ml_l, ml_m, **common), data
        if not covariates:
            raise UserInputError("estimator.fe=none with controls=none leaves the learners nothing to learn from")
        data = DoubleMLData(frame, y_col="outcome", d_cols=d_cols, x_cols=list(covariates), cluster_cols=UNIT_CODE)
        return DoubleMLPLR(data, ml_l, ml_m, **common), data


def _learner_inputs(data, learner: str, d_col: str) -> pd.DataFrame:
    """The columns of a DoubleML data object that ``learner`` of treatment ``d_col`` (and the
    panel transforms) use, in DoubleML's order: outcome, treatments, covariates, then cluster /
    unit and time ids. ``ml_l`` (E[Y|X]) never sees the treatment it partials out (the other
    treatments are among its covariates) and ``ml_m`` (E[D|X]) never sees the outcome, so a
    change in the one leaves the other's key, and its cached predictions, as they were."""
    d_cols = list(data.d_cols)
    if learner == "ml_l":  # a panel model has one treatment, renamed by its transform (d_col)
        d_cols = [] if len(d_cols) == 1 else [c for c in d_cols if c != d_col]
    columns = [*([] if learner == "ml_m" else [data.y_col]), *d_cols, *data.x_cols]
    for extra in (getattr(data, "cluster_cols", None) or [], [getattr(data, "id_col", None), getattr(data, "t_col", None)]):
        columns += [c for c in extra if c is not None and c not in columns]
    return data.data[columns]


def _nuisance_rmse(model, targets: dict) -> dict[str, float]:
    """Each learner's out-of-fold RMSE, averaged over treatments and repetitions (DoubleML's
    ``evaluate_learners``, from targets that also cover predictions taken from the cache)."""
    out = {}
    try:
        for name in model.params_names:
            values = []
            for i_rep in range(model.n_rep):
                for i_treat in range(targets[name].shape[2]):
                    target = targets[name][:, i_rep, i_treat]
                    keep = ~np.isnan(target)
                    if keep.any():
                        values.append(root_mean_squared_error(target[keep], model.predictions[name][keep, i_rep, i_treat]))
            if values:
                out[name] = float(np.mean(values))
    except Exception:  # evaluation is a diagnostic; never fail a run over it
        return {}
    return out


def clustered_standard_errors(model, clusters: np.ndarray) -> np.ndarray:
    """City-clustered SEs from a fitted DoubleML model's own scores.

    DoubleML clusters standard errors only when it also draws folds by cluster; with the
    paper's city dummies, folds must split rows at random (a held-out city's dummy would
    otherwise never be learnt). Each repetition's variance is the CR0 sandwich of the linear
    score (:func:`framework.numerics.inference.score_variance`); repetitions are aggregated as
    DoubleML does: theta~ = median_r theta_r and se = (median_r(theta_r + z se_r) - theta~) / z,
    z the normal 97.5 % quantile.
    """
    psi = np.asarray(model.psi)  # (n_obs, n_rep, n_coefs)
    psi_a = np.asarray(model.psi_elements["psi_a"])
    all_coef = np.asarray(model.all_coef)  # (n_coefs, n_rep)
    _, n_rep, n_coefs = psi.shape
    codes = pd.factorize(clusters)[0]
    variances = np.array([[score_variance(psi[:, r, k], psi_a[:, r, k], codes) for r in range(n_rep)] for k in range(n_coefs)])
    upper = np.median(all_coef + NORMAL_975 * np.sqrt(variances), axis=1)
    return (upper - np.median(all_coef, axis=1)) / NORMAL_975
