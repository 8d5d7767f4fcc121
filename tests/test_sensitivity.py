"""Omitted-variable-bias sensitivity (framework.sensitivity): twfe's sensemakr quantities against
PySensemakr, the bias formula against a confounder we construct, DoubleML's analysis as the
DML family records it, and the world's hidden confounder."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from framework.data.synthetic import WorldKnobs, generate_world
from framework.data.synthetic.world import _hidden_confounder
from framework.errors import UserInputError
from framework.estimators.twfe.estimator import TwoWayFixedEffects
from framework.numerics.transforms import two_way_demean, unit_codes
from framework.pipeline import run
from framework.sensitivity import SensitivitySettings, Strength, bias_factor, ols_bounds
from framework.sensitivity.linear import linear_sensitivity
from framework.sensitivity.ovb import robustness_value
from framework.spec import Spec, apply_spec
from tests.golden.record import config_for

# PySensemakr 0.0.8 (the second implementation) on the same regression written with dummies,
# statsmodels' OLS of outcome ~ treatment + GDP + DL + SN + EI + ES + C(unit) + C(time) on the
# default synthetic world with seed 0; benchmarks from ovb_partial_r2_bound with kd = [1, 2, 3]
# and the controls' partial R-squares from the t-values of that model and of treatment ~ controls
# + C(unit) + C(time); adjusted estimates and SEs from adjusted_estimate and adjusted_se.
SENSEMAKR = {
    "estimate": -0.19144385395478972, "se": 0.041855965407616345, "dof": 2514, "r2yd_x": 0.008252847480253763,
    "rv_q": 0.08715646369728455, "rv_qa": 0.050765962740551084,
    "benchmarks": {
        "GDP": {"r2dz_x": [0.07941791145124727, 0.15883582290249454, 0.2382537343537418],
                "r2yz_dx": [0.11246095744776285, 0.22801919649745808, 0.34754400532904806],
                "adjusted_estimate": [0.015269654844906277, 0.2440274579612106, 0.500482054006849],
                "adjusted_se": [0.04110609567289474, 0.04010574810669143, 0.03874486943357191]},
        "SN": {"r2dz_x": [2.3249014719873638e-06, 4.6498029439747275e-06, 6.974704415962091e-06],
               "r2yz_dx": [1.7741744843293381e-06, 3.5483489686970346e-06, 5.3225234531030895e-06],
               "adjusted_estimate": [-0.19143959168490393, -0.19143532940510868, -0.19143106711540395],
               "adjusted_se": [0.04186430399528709, 0.04186431552326057, 0.041864327051284476]},
    },
    "strength_0.05": {"adjusted_estimate": -0.08378538438951912, "adjusted_se": 0.041864292467364034},
}


@pytest.fixture(scope="module")
def world_data():
    return apply_spec(generate_world(seed=0).panel, Spec.from_config({}))


@pytest.fixture(scope="module")
def twfe_sensitivity(world_data):
    return TwoWayFixedEffects().fit(world_data).sensitivity(SensitivitySettings(), world_data)


def test_twfe_matches_pysensemakr(twfe_sensitivity):
    s, ref = twfe_sensitivity, SENSEMAKR
    assert s["supported"] and s["dof"] == ref["dof"]
    for mine, theirs in ((s["estimate"], ref["estimate"]), (s["std_error_classical"], ref["se"]),
                         (s["partial_r2_treatment"], ref["r2yd_x"]), (s["rv"], ref["rv_q"]), (s["rv_alpha"], ref["rv_qa"])):
        assert mine == pytest.approx(theirs, abs=1e-6, rel=1e-6)
    critical = stats.t.ppf(0.975, ref["dof"] - 1)
    for control, expected in ref["benchmarks"].items():
        rows = [row for row in s["benchmarks"] if row["control"] == control]
        assert [row["multiple"] for row in rows] == [1.0, 2.0, 3.0]
        for k, row in enumerate(rows):
            assert row["r2_treatment"] == pytest.approx(expected["r2dz_x"][k], rel=1e-6, abs=1e-9)
            assert row["r2_outcome"] == pytest.approx(expected["r2yz_dx"][k], rel=1e-6, abs=1e-9)
            # the estimate is negative: sensemakr's adjustment towards zero is the upper end
            assert row["estimate_high"] == pytest.approx(expected["adjusted_estimate"][k], abs=1e-6)
            assert (row["ci_high"] - row["estimate_high"]) / critical == pytest.approx(expected["adjusted_se"][k], abs=1e-6)
    at = next(row for row in s["strengths"] if row["label"] == "0.05")
    assert at["estimate_high"] == pytest.approx(ref["strength_0.05"]["adjusted_estimate"], abs=1e-6)
    assert (at["ci_high"] - at["estimate_high"]) / critical == pytest.approx(ref["strength_0.05"]["adjusted_se"], abs=1e-6)


def test_robustness_values_are_where_the_bounds_reach_zero(twfe_sensitivity):
    s = twfe_sensitivity
    rv, rv_alpha = s["rv"], s["rv_alpha"]
    at_rv = ols_bounds(s["estimate"], s["std_error_classical"], s["dof"], Strength("rv", rv, rv))
    assert at_rv["estimate_high"] == pytest.approx(0.0, abs=1e-10)
    at_rv_alpha = ols_bounds(s["estimate"], s["std_error_classical"], s["dof"], Strength("rva", rv_alpha, rv_alpha))
    assert at_rv_alpha["ci_high"] == pytest.approx(0.0, abs=1e-10)
    weaker = ols_bounds(s["estimate"], s["std_error_classical"], s["dof"], Strength("w", 0.9 * rv_alpha, 0.9 * rv_alpha))
    assert weaker["ci_high"] < 0


def test_the_bias_formula_is_exact_for_a_confounder_we_construct():
    """Cinelli & Hazlett's |bias| = bias factor x se x sqrt(dof) is an identity of least squares:
    the short regression's coefficient less the long one's, with Z's realised partial R-squares."""
    rng = np.random.default_rng(1)
    n, k = 400, 3
    x = rng.normal(size=(n, k))
    z = rng.normal(size=n) + 0.3 * x[:, 0]
    d = x @ [0.5, -0.2, 0.1] + 0.8 * z + rng.normal(size=n)
    y = 0.3 * d + x @ [1.0, 0.5, -0.5] - 0.6 * z + rng.normal(size=n)
    ones = np.ones((n, 1))
    short = linear_sensitivity(y, d, np.column_stack([ones, x]), ["const", "a", "b", "c"], n - k - 2, SensitivitySettings(), False)
    long_design = np.column_stack([d, ones, x, z])
    long_coef = np.linalg.lstsq(long_design, y, rcond=None)[0][0]

    def residual(v, design):
        return v - design @ np.linalg.lstsq(design, v, rcond=None)[0]

    base = np.column_stack([ones, x])
    rz, rd = residual(z, base), residual(d, base)
    r2_treatment = (rz @ rd) ** 2 / ((rz @ rz) * (rd @ rd))
    with_d = np.column_stack([d, ones, x])
    rz2, ry2 = residual(z, with_d), residual(y, with_d)
    r2_outcome = (rz2 @ ry2) ** 2 / ((rz2 @ rz2) * (ry2 @ ry2))
    predicted = bias_factor(r2_outcome, r2_treatment) * short["bias_scale"]
    assert abs(short["estimate"] - long_coef) == pytest.approx(predicted, rel=1e-10)
    bounds = ols_bounds(short["estimate"], short["std_error_classical"], short["dof"], Strength("z", r2_outcome, r2_treatment))
    assert min(abs(bounds["estimate_low"] - long_coef), abs(bounds["estimate_high"] - long_coef)) < 1e-10


def test_weights_give_the_weighted_regression():
    rng = np.random.default_rng(2)
    n = 300
    x = rng.normal(size=(n, 2))
    d = x @ [0.4, 0.1] + rng.normal(size=n)
    y = -0.2 * d + x @ [0.3, 0.2] + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    s = linear_sensitivity(y, d, x, ["a", "b"], n - 3, SensitivitySettings(), False, weights=w)
    root = np.sqrt(w)
    coef = np.linalg.lstsq(np.column_stack([d, x]) * root[:, None], y * root, rcond=None)[0][0]
    assert s["estimate"] == pytest.approx(coef, rel=1e-10)


@pytest.mark.parametrize("node, message", [
    ({"q": -1}, "sensitivity.q"),
    ({"alpha": 1.5}, "sensitivity.alpha"),
    ({"rho": 2}, "sensitivity.rho"),
    ({"strengths": [1.2]}, "sensitivity.strengths[0]"),
    ({"strengths": [[0.1, 0.2, 0.3]]}, "sensitivity.strengths[0]"),
    ({"benchmark": "some"}, "sensitivity.benchmark"),
    ({"typo": 1}, "sensitivity.typo"),
])
def test_bad_settings_are_one_line_naming_the_key(node, message):
    with pytest.raises(UserInputError) as caught:
        SensitivitySettings.from_config(node)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_strength_pairs_and_benchmark_choices():
    settings = SensitivitySettings.from_config({"strengths": [0.02, [0.1, 0.3]], "benchmark": "auto"})
    assert [(s.r2_outcome, s.r2_treatment) for s in settings.strengths] == [(0.02, 0.02), (0.1, 0.3)]
    assert settings.benchmarks(needs_refit=False) and not settings.benchmarks(needs_refit=True)
    assert SensitivitySettings.from_config({"benchmark": "all"}).benchmarks(needs_refit=True)
    assert not SensitivitySettings.from_config({"benchmark": "none"}).benchmarks(needs_refit=False)


def test_dml_records_doubleml_analysis_on_its_own_estimate():
    config = config_for(["estimator=dml", "learner=lasso", "window=infra_2011_2015", "sensitivity.strengths=[0.0,0.01,0.05]"])
    record = run(config).record
    s, coefficient = record["sensitivity"], record["coefficients"][0]
    # at zero strength the bounds are the run's own 95 % interval, as twfe's (sensemakr's) are
    none = s["strengths"][0]
    assert (none["ci_low"], none["ci_high"]) == pytest.approx((coefficient["ci_low"], coefficient["ci_high"]), abs=5e-3 * coefficient["std_error"])
    assert s["enabled"] and s["supported"] and "DoubleML" in s["method"]
    assert s["estimate"] == pytest.approx(coefficient["estimate"], abs=5e-3 * coefficient["std_error"])
    # with rho = 1 and q = 1, DoubleML's robustness value (found by a root search) is C&H's closed form in |theta| / scale
    assert s["rv"] == pytest.approx(robustness_value(abs(s["estimate"]) / s["bias_scale"]), rel=1e-3)
    for row in s["strengths"]:
        half_width = bias_factor(row["r2_outcome"], row["r2_treatment"]) * s["bias_scale"]
        assert row["estimate_high"] - row["estimate_low"] == pytest.approx(2 * half_width, rel=1e-6)
        assert row["ci_low"] < row["estimate_low"] and row["ci_high"] > row["estimate_high"]
    assert s["benchmarks"] == []  # auto: DML's benchmarks refit the learners


def test_dml_benchmarks_leave_each_control_out():
    config = config_for(["estimator=dml", "learner=lasso", "window=infra_2011_2015", "sensitivity.benchmark=all",
                         "sensitivity.multiples=[1,2]"])
    s = run(config).record["sensitivity"]
    controls = sorted({row["control"] for row in s["benchmarks"]})
    assert controls == ["DL", "EI", "ES", "GDP", "SN"]
    gdp = [row for row in s["benchmarks"] if row["control"] == "GDP"]
    assert [row["multiple"] for row in gdp] == [1.0, 2.0]
    assert gdp[1]["r2_treatment"] == pytest.approx(2 * gdp[0]["r2_treatment"])


def test_families_without_an_analysis_say_why():
    record = run(config_for(["estimator=twfe", "estimator.fe=fd"])).record
    assert record["status"] == "ok"
    assert record["sensitivity"]["supported"] is False and "estimator.fe=within" in record["sensitivity"]["reason"]
    off = run(config_for(["estimator=twfe", "sensitivity=off"])).record
    assert off["sensitivity"] == {"enabled": False}


def test_a_world_without_a_hidden_confounder_is_todays_world():
    today = generate_world(seed=4).panel.frame
    zero = generate_world(WorldKnobs.from_config({"hidden_confounder": 0.0}), seed=4).panel.frame
    assert today.equals(zero)


def test_the_hidden_confounder_has_the_strength_asked_for_and_is_left_out():
    knobs = WorldKnobs.from_config({"hidden_confounder": [0.10, 0.20]})
    world = generate_world(knobs, seed=5)
    frame = world.panel.frame
    assert world.panel.hidden_confounder == (0.10, 0.20)
    confounder, *_ = _hidden_confounder(knobs, 5, len(frame))
    plain = generate_world(seed=5).panel.frame
    assert set(frame.columns) == set(plain.columns)  # nothing in the data names it
    # UIL's change from the confounder is its share of UIL's shock variance, r2_treatment = 0.2
    units, times = unit_codes(frame), frame["time"].to_numpy()
    moved, z = two_way_demean(np.column_stack([frame["treatment"] - plain["treatment"], confounder]), units, times).T
    shock = two_way_demean((plain["treatment"] - plain["treatment"].mean()).to_numpy()[:, None], units, times)[:, 0]
    assert np.corrcoef(moved, z)[0, 1] > 0.99
    # the treatment's shocks are what the controls and effects leave: the recipe's noise, not all of it
    assert 0.0 < np.var(moved) < np.var(shock)


def test_the_worlds_strength_is_bounded_in_the_record():
    config = config_for(["estimator=twfe", "data.world.hidden_confounder=[0.05,0.1]"])
    s = run(config).record["sensitivity"]
    world = [row for row in s["strengths"] if row["label"] == "world"]
    assert len(world) == 1 and (world[0]["r2_outcome"], world[0]["r2_treatment"]) == (0.05, 0.1)
    assert math.isfinite(world[0]["ci_low"])


def test_an_insignificant_dml_estimate_needs_no_confounder_to_stay_insignificant():
    config = config_for(["estimator=dml", "learner=lasso", "window=infra_2011_2015", "data.world.effect_mean=0.0",
                         "data.world.heterogeneity=0.0"])
    record = run(config).record
    c, s = record["coefficients"][0], record["sensitivity"]
    assert c["ci_low"] <= 0 <= c["ci_high"], "the example must be insignificant"
    assert s["rv_alpha"] == 0.0 and s["rv"] > 0


def test_the_report_shows_robustness_flips_and_contours(tmp_path):
    from framework.records.record import write_record
    from framework.report.build import build_report

    hypothesis = "hypotheses=[{name: UIL lowers the Gini, term: treatment, expect: negative}]"
    for name, overrides in {"twfe": ["estimator=twfe"], "dml": ["estimator=dml", "learner=lasso"]}.items():
        record = run(config_for([*overrides, hypothesis])).record
        assert record["status"] == "ok"
        write_record(record, tmp_path / name)
    text = (build_report(tmp_path).parent / "report.md").read_text()
    section = text.split("## 5. How strong a hidden confounder would have to be")[1].split("## 6. Runtime")[0]
    twfe = run(config_for(["estimator=twfe"])).record["sensitivity"]
    row = next(line for line in section.splitlines() if "twfe/within" in line and "RV" not in line[:5])
    assert f"{100 * twfe['rv']:.1f} %" in row and f"{100 * twfe['rv_alpha']:.1f} %" in row
    flips = section.split("The weakest confounder that flips")[1]
    assert "UIL lowers the Gini" in flips and f"RV 5 % = {100 * twfe['rv_alpha']:.1f} %" in flips
    assert "figures/sensitivity-01-" in section and "dml/fd" in section.split("Sensitivity contours:")[1].splitlines()[0]
    assert "Confounder that overturns it" in text  # the paper-style tables' row
