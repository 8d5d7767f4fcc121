"""TWFE (linearmodels) against known truth and against a hand-rolled numpy LSDV and CR1 sandwich."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from framework.data.synthetic import WorldKnobs, generate_world
from framework.errors import UserInputError
from framework.estimators import available, build_estimator
from framework.spec import Spec, apply_spec, true_values
from tests.conftest import ROOT

PLAIN = dict(confounding=0.0, nonlinearity=0.0, heterogeneity=0.0)


def fit(data, fe="within", **settings):
    return build_estimator({"name": "twfe", "fe": fe, **settings}, None, {}, 0).fit(data)


def coef(estimator, term="treatment"):
    return next(c for c in estimator.coefficients_ if c.term == term)


@pytest.fixture(scope="module")
def plain(plain_world_panel):
    return apply_spec(plain_world_panel, Spec.from_config({}))


@pytest.fixture(scope="module", params=["balanced", "unbalanced"])
def small(request):
    """60 cities of the default (confounded) world, with 70 rows dropped when unbalanced."""
    panel = generate_world(WorldKnobs(n_cities=60), seed=1).panel
    if request.param == "unbalanced":
        frame = panel.frame
        drop = np.random.default_rng(2).choice(frame.index, size=70, replace=False)
        panel = panel.with_frame(frame.drop(index=drop))
    return apply_spec(panel, Spec.from_config({"sample": {"name": "resource_control", "resource_control": True}}))


def design(frame: pd.DataFrame, columns: list[str], city=True, year=True) -> np.ndarray:
    parts = [np.ones((len(frame), 1)), frame[columns].to_numpy(dtype=float)]
    for by, on in (("unit", city), ("time", year)):
        if on:
            parts.append(pd.get_dummies(frame[by].astype(str), drop_first=True, dtype=float).to_numpy())
    return np.column_stack(parts)


def cr1(z: np.ndarray, resid: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """CR1: G/(G-1) (n-1)/(n-K) (Z'Z)^-1 sum_g Z_g'e_g e_g'Z_g (Z'Z)^-1, K = columns of Z."""
    n, k = z.shape
    codes = pd.factorize(clusters)[0]
    g = codes.max() + 1
    scores = np.zeros((g, k))
    np.add.at(scores, codes, z * resid[:, None])
    bread = np.linalg.inv(z.T @ z)
    return g / (g - 1) * (n - 1) / (n - k) * bread @ (scores.T @ scores) @ bread


# --- truth -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fe", ["within", "fd", "cre"])
def test_interval_covers_the_truth_where_the_assumptions_hold(plain_world_panel, plain, fe):
    c = coef(fit(plain, fe))
    truth = true_values(plain, plain_world_panel)["treatment"]
    assert truth == pytest.approx(-0.10, abs=1e-9)
    assert c.ci_low < truth < c.ci_high
    assert c.interval == "confidence" and 0 <= c.p_value < 0.01


# --- a second implementation -------------------------------------------------------------------
def test_within_equals_numpy_lsdv_and_its_cr1_sandwich(small):
    estimator = fit(small, "within")
    frame = small.frame
    columns = ["treatment", *estimator.diagnostics_["covariates_used"]]
    z = design(frame, columns)
    y = frame["outcome"].to_numpy()
    beta, *_ = np.linalg.lstsq(z, y, rcond=None)
    se = np.sqrt(np.diag(cr1(z, y - z @ beta, frame["unit"].to_numpy())))
    c = coef(estimator)
    assert c.estimate == pytest.approx(beta[1], abs=1e-8)
    assert c.std_error == pytest.approx(se[1], rel=1e-6)
    assert estimator.diagnostics_["df_resid"] == len(y) - z.shape[1]
    assert estimator.diagnostics_["n_obs_used"] == small.n_obs == len(y)


def test_first_differences_equal_numpy_on_adjacent_pairs(small):
    estimator = fit(small, "fd")
    frame = small.frame.sort_values(["unit", "time"])
    years = pd.get_dummies(frame["time"].astype(str), drop_first=True, dtype=float)
    columns = ["outcome", "treatment", *estimator.diagnostics_["covariates_used"]]
    levels = pd.concat([frame[["unit", "time", *columns]], years], axis=1)
    periods = sorted(frame["time"].unique())
    diffs = levels.drop(columns="unit").groupby(levels["unit"]).diff()
    adjacent = frame["time"].map(periods.index).groupby(frame["unit"]).diff() == 1
    diffs = diffs[adjacent].drop(columns="time")
    diffs = diffs.loc[:, (diffs != 0).any()]
    y, z = diffs["outcome"].to_numpy(), diffs.drop(columns="outcome").to_numpy()
    beta, *_ = np.linalg.lstsq(z, y, rcond=None)
    se = np.sqrt(np.diag(cr1(z, y - z @ beta, frame.loc[adjacent, "unit"].to_numpy())))
    c = coef(estimator)
    assert c.estimate == pytest.approx(beta[0], abs=1e-8)
    assert c.std_error == pytest.approx(se[0], rel=1e-6)
    assert estimator.diagnostics_["n_obs_used"] == len(y)


def test_dummies_and_mundlak_give_the_within_coefficients(small):
    within = fit(small, "within")
    dummies = fit(small, "dummies")
    cre = fit(small, "cre")
    w = coef(within)
    assert coef(dummies).estimate == pytest.approx(w.estimate, abs=1e-8)
    assert coef(dummies).std_error == pytest.approx(w.std_error, rel=1e-8)  # same K, same sandwich
    assert coef(cre).estimate == pytest.approx(w.estimate, abs=1e-8)  # Mundlak with year-dummy means
    for other in (dummies, cre):
        assert other.diagnostics_["r2_within"] == pytest.approx(within.diagnostics_["r2_within"], abs=1e-10)
    # the time-invariant resource dummy is absorbed by city effects, but identified under cre
    assert "resource_city" in within.diagnostics_["dropped_covariates"]
    assert "resource_city" in dummies.diagnostics_["dropped_covariates"]
    assert "resource_city" in cre.diagnostics_["covariates_used"]


def test_pooled_ols_has_no_effects(small):
    estimator = fit(small, "none")
    frame = small.frame
    columns = ["treatment", *estimator.diagnostics_["covariates_used"]]
    z = design(frame, columns, city=False, year=False)
    beta, *_ = np.linalg.lstsq(z, frame["outcome"].to_numpy(), rcond=None)
    assert coef(estimator).estimate == pytest.approx(beta[1], abs=1e-8)
    assert estimator.diagnostics_["dropped_covariates"] == {}


# --- record shape and options ------------------------------------------------------------------
@pytest.mark.parametrize("moderation", ["centered", "normalized"])
def test_moderation_gives_three_terms(plain_world_panel, moderation):
    data = apply_spec(plain_world_panel, Spec.from_config({"moderation": {"name": moderation}}))
    estimator = fit(data)
    controls = [f"control:{c}" for c in estimator.diagnostics_["covariates_used"]]
    assert [c.term for c in estimator.coefficients_] == ["treatment", "moderator", "treatment_x_moderator", *controls]
    assert all(np.isfinite(c.std_error) and c.std_error > 0 for c in estimator.coefficients_)
    assert coef(estimator).ci_low < true_values(data, plain_world_panel)["treatment"] < coef(estimator).ci_high


def test_unbalanced_panels_work_with_every_approach(plain_world_panel):
    frame = plain_world_panel.frame
    drop = np.random.default_rng(1).choice(frame.index, size=150, replace=False)
    data = apply_spec(plain_world_panel.with_frame(frame.drop(index=drop)), Spec.from_config({}))
    assert data.n_obs == len(frame) - 150 and not data.describe()["balanced"]
    fits = {fe: fit(data, fe) for fe in ("within", "fd", "cre", "none")}
    for fe, estimator in fits.items():
        assert np.isfinite(coef(estimator).estimate), fe
        json.dumps(estimator.diagnostics_)
    assert fits["within"].diagnostics_["n_obs_used"] == data.n_obs
    assert coef(fits["cre"]).estimate == pytest.approx(coef(fits["within"]).estimate, abs=1e-8)
    # first differences lose each city's first row and the row after every gap
    assert fits["fd"].diagnostics_["n_obs_used"] < data.n_obs - data.n_units


def test_intervals_are_t_based_and_settings_change_the_se(small):
    default = fit(small)
    c = coef(default)
    assert default.diagnostics_["interval"] == f"t({default.diagnostics_['df_resid']})"
    half = (c.ci_high - c.ci_low) / 2
    assert half / c.std_error > 1.959964  # t quantile, a little above the normal one
    plain_cr = coef(fit(small, group_debias=False))
    assert plain_cr.estimate == c.estimate and plain_cr.std_error < c.std_error
    robust = fit(small, cov_type="robust", debiased=False)
    assert robust.diagnostics_["interval"] == "normal"
    assert coef(robust).estimate == c.estimate


def test_bad_settings_fail_in_one_line():
    cases = [
        ({"fe": "twoway"}, "estimator.fe"),
        ({"fe": "within", "cov_type": "hac"}, "estimator.cov_type"),
        ({"debiased": "yes"}, "estimator.debiased"),
        ({"cluster": "city"}, "estimator.cluster"),
    ]
    for settings, key in cases:
        with pytest.raises(UserInputError, match=key) as error:
            build_estimator({"name": "twfe", **settings}, None, {}, 0)
        assert "\n" not in str(error.value)


def test_fixed_effects_need_two_periods_per_unit(plain_world_panel):
    one = plain_world_panel.with_frame(
        plain_world_panel.frame.groupby("unit").head(1).assign(time=lambda f: np.arange(len(f)) % 2)
    )
    data = apply_spec(one, Spec.from_config({}))
    with pytest.raises(UserInputError, match="two periods per unit"):
        fit(data, "within")
    assert np.isfinite(coef(fit(data, "within", effects="time")).estimate)  # period effects alone need no second period


def test_config_file_builds_the_default_and_registry_lists_twfe():
    node = OmegaConf.to_container(OmegaConf.load(ROOT / "conf" / "estimator" / "twfe.yaml"))
    estimator = build_estimator(node, None, {}, 0)
    assert estimator.get_params() == {
        "fe": "within", "effects": "two_way", "cov_type": "clustered", "cluster": "unit", "debiased": True, "group_debias": True,
    }
    assert "twfe" in available() and available()["twfe"]


def test_command_line_run(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "experiments.run", "estimator=twfe", "estimator.fe=fd", "data.world.n_cities=30", f"hydra.run.dir={tmp_path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "result.json").read_text())
    assert record["status"] == "ok" and record["estimator"] == "twfe" and record["spec"]["fe"] == "fd"
    assert record["diagnostics"]["se_type"].startswith("clustered by unit")


# --- every coefficient, effects, clustering, weights -------------------------------------------
def terms_of(estimator) -> list[str]:
    return [c.term for c in estimator.coefficients_]


@pytest.mark.parametrize("fe", ["within", "dummies", "fd", "cre", "none"])
def test_every_estimated_control_is_reported_after_the_terms(small, fe):
    estimator = fit(small, fe)
    used = estimator.diagnostics_["covariates_used"]
    assert used == [c for c in small.covariates if c not in estimator.diagnostics_["dropped_covariates"]]
    assert terms_of(estimator) == ["treatment", *(f"control:{c}" for c in used)]  # no constant, dummies or means
    params = estimator.result_.params
    for c in used:
        assert coef(estimator, f"control:{c}").estimate == float(params[c])
    if fe in ("within", "dummies", "fd"):
        assert "control:resource_city" not in terms_of(estimator)  # absorbed by the unit effects: listed, not reported
        assert "resource_city" in estimator.diagnostics_["dropped_covariates"]


def with_period_covariate(data):
    """``data`` with a covariate that is the same for every unit in each period (a macro series)."""
    frame = data.frame.assign(macro=lambda f: np.sin(f["time"].astype(float)))
    return dataclasses.replace(data, frame=frame, covariates=(*data.covariates, "macro"))


def test_screening_follows_the_effects_in_the_model(small):
    data = with_period_covariate(small)
    kept = {effects: fit(data, "within", effects=effects).diagnostics_["covariates_used"] for effects in ("two_way", "unit", "time")}
    assert "resource_city" not in kept["two_way"] and "macro" not in kept["two_way"]
    assert "resource_city" not in kept["unit"] and "macro" in kept["unit"]  # no period effects: a macro series is identified
    assert "resource_city" in kept["time"] and "macro" not in kept["time"]  # no unit effects: a time-invariant covariate is
    unit_fd = fit(data, "fd", effects="unit")
    assert "macro" in unit_fd.diagnostics_["covariates_used"] and "control:macro" in terms_of(unit_fd)
    assert "macro" in fit(data, "cre", effects="unit").diagnostics_["covariates_used"]
    reason = fit(data, "within", effects="time").diagnostics_["dropped_covariates"]["macro"]
    assert "period effects" in reason and "year" not in reason and "city" not in reason


@pytest.mark.parametrize("effects", ["unit", "time"])
def test_one_kind_of_effects_dummies_and_mundlak_agree_with_within(small, effects):
    within = fit(small, "within", effects=effects, cov_type="robust")
    dummies = fit(small, "dummies", effects=effects, cov_type="robust")
    for a, b in zip(within.coefficients_, dummies.coefficients_):
        assert a.term == b.term and a.estimate == pytest.approx(b.estimate, abs=1e-8)
        assert a.std_error == pytest.approx(b.std_error, rel=1e-8)  # robust: both count every effect
    assert dummies.diagnostics_["r2_within"] == pytest.approx(within.diagnostics_["r2_within"], abs=1e-10)
    if effects == "unit":
        cre = fit(small, "cre", effects="unit")
        assert coef(cre).estimate == pytest.approx(coef(within).estimate, abs=1e-8)
        assert not any(c.startswith("_period_") for c in cre.diagnostics_["unit_means"])


def test_within_leaves_out_effects_nested_in_the_clusters_and_dummies_do_not(small):
    within = fit(small, "within", effects="unit")
    dummies = fit(small, "dummies", effects="unit")
    n, k, units = small.n_obs, len(within.diagnostics_["covariates_used"]) + 1, small.n_units
    ratio = coef(within).std_error / coef(dummies).std_error
    assert ratio == pytest.approx(np.sqrt((n - units - k) / (n - k)), rel=1e-8)
    assert "nested in the clusters" in within.diagnostics_["se_type"]
    assert "nested" not in dummies.diagnostics_["se_type"]


@pytest.mark.parametrize("cluster", ["unit", "time", "two_way"])
def test_clusters_and_labels(small, cluster):
    estimator = fit(small, cluster=cluster)
    label = estimator.diagnostics_["se_type"]
    assert estimator.diagnostics_["cluster"] == cluster == estimator.cluster_by()
    assert label.startswith({"unit": "clustered by unit", "time": "clustered by period", "two_way": "clustered two-way"}[cluster])
    assert "city" not in label and "year" not in label
    assert coef(estimator).estimate == coef(fit(small)).estimate
    robust = fit(small, cov_type="robust", cluster="none")
    assert robust.diagnostics_["cluster"] is None and robust.cluster_by() is None


def test_absorbed_effects_follow_the_settings():
    build = lambda **s: build_estimator({"name": "twfe", **s}, None, {}, 0)  # noqa: E731
    assert build().absorbed_effects() == ("unit", "time")
    assert build(effects="unit").absorbed_effects() == ("unit",)
    assert build(effects="time").absorbed_effects() == ("time",)
    assert build(fe="fd", effects="unit").absorbed_effects() == ("unit",)
    assert build(fe="none").absorbed_effects() == ()


def with_weights(data, values):
    return dataclasses.replace(data, frame=data.frame.assign(weights=values), names={**data.names, "weights": "pop"})


@pytest.mark.parametrize("effects", ["two_way", "unit"])
def test_weights_for_every_fe(small, effects):
    w = np.random.default_rng(5).uniform(0.5, 2.0, small.n_obs)
    data = with_weights(small, w)
    fits = {fe: fit(data, fe, effects=effects) for fe in ("within", "dummies", "fd", "cre")}
    assert all(f.diagnostics_["weights"] and f.diagnostics_["weights_column"] == "pop" for f in fits.values())
    base = coef(fits["within"])
    assert base.estimate != coef(fit(small, effects=effects)).estimate
    assert coef(fits["dummies"]).estimate == pytest.approx(base.estimate, abs=1e-8)
    assert coef(fits["cre"]).estimate == pytest.approx(base.estimate, abs=1e-8)  # Mundlak with weighted unit means
    for fe in ("dummies", "cre"):
        assert fits[fe].diagnostics_["r2_within"] == pytest.approx(fits["within"].diagnostics_["r2_within"], abs=1e-10)
    if effects == "two_way":
        assert coef(fits["dummies"]).std_error == pytest.approx(base.std_error, rel=1e-8)
        none = fit(data, "none")
        frame = small.frame
        z = design(frame, ["treatment", *none.diagnostics_["covariates_used"]], city=False, year=False)
        root = np.sqrt(w)[:, None]
        beta, *_ = np.linalg.lstsq(z * root, frame["outcome"].to_numpy() * root[:, 0], rcond=None)
        assert coef(none).estimate == pytest.approx(beta[1], abs=1e-8)
    assert not fit(small).diagnostics_["weights"]


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_bad_weights_fail_in_one_line(small, bad):
    w = np.ones(small.n_obs)
    w[[7, 9]] = bad
    with pytest.raises(UserInputError, match="weights column 'pop'") as error:
        fit(with_weights(small, w))
    message = str(error.value)
    assert "\n" not in message and "row 8 of the sample" in message and "2 of" in message
    assert ("missing" if np.isnan(bad) else str(bad)) in message


def test_bad_combinations_fail_in_one_line():
    cases = [
        ({"fe": "none", "effects": "unit"}, "fe=none has no effects"),
        ({"fe": "fd", "effects": "time"}, "estimator.effects=time with estimator.fe=fd"),
        ({"fe": "cre", "effects": "time"}, "estimator.effects=time with estimator.fe=cre"),
        ({"cluster": "none"}, "use estimator.cov_type=robust or unadjusted"),
        ({"cov_type": "robust", "cluster": "time"}, "clusters apply only to estimator.cov_type=clustered"),
        ({"cov_type": "unadjusted", "cluster": "two_way"}, "clusters apply only"),
        ({"fe": "fd", "cluster": "time"}, "clusters by unit only"),
        ({"fe": "fd", "cluster": "two_way"}, "clusters by unit only"),
        ({"effects": "both"}, "estimator.effects"),
        ({"cluster": "city"}, "estimator.cluster"),
    ]
    for settings, text in cases:
        with pytest.raises(UserInputError, match=re.escape(text)) as error:
            build_estimator({"name": "twfe", **settings}, None, {}, 0)
        assert "\n" not in str(error.value)
    # the same checks when the class is built directly
    from framework.estimators.twfe import TwoWayFixedEffects

    with pytest.raises(UserInputError, match="fe=none has no effects"):
        TwoWayFixedEffects(fe="none", effects="time").absorbed_effects()
    # meaningful: robust or unadjusted with the default unit or none
    for settings in ({"cov_type": "robust"}, {"cov_type": "unadjusted", "cluster": "none"}, {"fe": "fd", "effects": "unit"}):
        build_estimator({"name": "twfe", **settings}, None, {}, 0)


def test_an_absorbed_term_names_the_users_column(small):
    frame = small.frame.assign(treatment=lambda f: f.groupby("unit")["treatment"].transform("mean"))
    data = dataclasses.replace(small, frame=frame, names={**small.names, "treatment": "uil"})
    with pytest.raises(UserInputError, match=r"^uil is constant within every unit .*absorbed by the unit effects"):
        fit(data, "within")
    assert np.isfinite(coef(fit(data, "within", effects="time")).estimate)
