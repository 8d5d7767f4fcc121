"""TWFE (linearmodels) against known truth and against a hand-rolled numpy LSDV and CR1 sandwich."""

from __future__ import annotations

import json
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
    assert [c.term for c in estimator.coefficients_] == ["treatment", "moderator", "treatment_x_moderator"]
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


def test_fixed_effects_need_two_periods_per_city(plain_world_panel):
    one = plain_world_panel.with_frame(
        plain_world_panel.frame.groupby("unit").head(1).assign(time=lambda f: np.arange(len(f)) % 2)
    )
    data = apply_spec(one, Spec.from_config({}))
    with pytest.raises(UserInputError, match="two periods per city"):
        fit(data, "within")


def test_config_file_builds_the_default_and_registry_lists_twfe():
    node = OmegaConf.to_container(OmegaConf.load(ROOT / "conf" / "estimator" / "twfe.yaml"))
    estimator = build_estimator(node, None, {}, 0)
    assert estimator.get_params() == {"fe": "within", "cov_type": "clustered", "debiased": True, "group_debias": True}
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
    assert record["diagnostics"]["se_type"].startswith("clustered by city")
