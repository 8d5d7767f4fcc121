"""Tests for framework.indices against hand-computed values (seed 000 eq. 1-2, seed 002 eq. 1-6)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from framework.errors import UserInputError
from framework.indices import (
    LEVEL_LABELS,
    comprehensive_index,
    composite_index,
    coordination_degree,
    coordination_level,
    coordination_levels,
    coupling_coordination,
    coupling_degree,
    entropy_index,
    entropy_weights,
    gini,
    gini_by_group,
    minmax_normalise,
    shares_for_uil,
    uil,
)


def gini_double_sum(lights) -> float:
    """Seed 000 eq. 1 literally: sum_k sum_r |L_k - L_r| / (2 n^2 mean(L))."""
    x = np.asarray(lights, dtype=float)
    n = x.size
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * n**2 * x.mean()))


# --------------------------------------------------------------------------- Gini (seed 000 eq. 1)


def test_gini_equal_lights_is_zero():
    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([5.5]) == 0.0


def test_gini_all_light_in_one_area_n_squared_form():
    # pairs with |diff| = 4: (4, 0) three times, each counted twice -> 24; 2 n^2 mean = 2*16*1 = 32.
    assert gini([0, 0, 0, 4]) == pytest.approx(24 / 32)  # 3/4, not 1 (the n(n-1) form would give 1)


def test_gini_one_two_three_by_hand():
    # ordered pairs: |1-2|=1, |1-3|=2, |2-3|=1, each twice -> 8; 2 n^2 mean = 2*9*2 = 36 -> 2/9.
    assert gini([1, 2, 3]) == pytest.approx(2 / 9, abs=1e-15)
    assert gini([3, 1, 2]) == pytest.approx(2 / 9, abs=1e-15)  # order does not matter
    # [1, 3]: |1-3| twice = 4; 2*4*2 = 16 -> 1/4
    assert gini(np.array([1.0, 3.0])) == pytest.approx(0.25, abs=1e-15)


def test_gini_matches_literal_double_sum_on_random_vectors():
    rng = np.random.default_rng(0)
    for n in [1, 2, 3, 7, 50, 333]:
        for _ in range(5):
            x = rng.lognormal(size=n) * rng.integers(0, 2, size=n)  # some zeros
            if not x.any():
                x[0] = 1.0
            assert gini(x) == pytest.approx(gini_double_sum(x), rel=1e-12, abs=1e-14)


def test_gini_scale_invariant():
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, size=40)
    assert gini(7.3 * x) == pytest.approx(gini(x), rel=1e-12)


def test_gini_shrink_toward_mean_scales_linearly():
    # L' = mean + s (L - mean): |L'_k - L'_r| = s |L_k - L_r| and mean(L') = mean(L) -> Gini' = s Gini.
    rng = np.random.default_rng(2)
    x = rng.gamma(1.5, size=60)
    m = x.mean()
    for s in [0.0, 0.25, 0.5, 1.0]:
        assert gini(m + s * (x - m)) == pytest.approx(s * gini(x), rel=1e-10, abs=1e-14)


def test_gini_by_group_matches_per_group_gini():
    rng = np.random.default_rng(3)
    groups = rng.integers(0, 20, size=500)
    x = rng.lognormal(size=500)
    out = gini_by_group(x, groups)
    assert out.name == "gini"
    assert list(out.index) == sorted(set(groups.tolist()))
    for g, value in out.items():
        assert value == pytest.approx(gini_double_sum(x[groups == g]), rel=1e-12)


def test_gini_by_group_hand_values_and_compound_key():
    values = pd.Series([1, 2, 3, 0, 0, 0, 4, 2, 2])
    keys = pd.DataFrame({"city": ["a"] * 3 + ["b"] * 4 + ["a"] * 2, "year": [1, 1, 1, 1, 1, 1, 1, 2, 2]})
    out = gini_by_group(values, keys)
    assert out.index.names == ["city", "year"]
    assert out[("a", 1)] == pytest.approx(2 / 9)
    assert out[("b", 1)] == pytest.approx(3 / 4)
    assert out[("a", 2)] == 0.0


@pytest.mark.parametrize(
    "lights, needle",
    [
        ([1.0, -2.0, 3.0], "index 1"),
        ([1.0, float("nan")], "index 1"),
        ([0.0, 0.0, 0.0], "all 3 lights are zero"),
        ([], "empty"),
    ],
)
def test_gini_bad_input(lights, needle):
    with pytest.raises(UserInputError, match=needle) as info:
        gini(lights)
    assert "\n" not in str(info.value)


def test_gini_bad_input_names_series_label():
    with pytest.raises(UserInputError, match="label 'z'"):
        gini(pd.Series([1.0, -1.0], index=["y", "z"]))


def test_gini_by_group_bad_input():
    with pytest.raises(UserInputError, match="group 'b'"):
        gini_by_group([1.0, 2.0, 0.0, 0.0], ["a", "a", "b", "b"])
    with pytest.raises(UserInputError, match="index 2"):
        gini_by_group([1.0, 2.0, -1.0], ["a", "a", "b"])
    with pytest.raises(UserInputError, match="group key at index 1"):
        gini_by_group([1.0, 2.0], ["a", None])
    with pytest.raises(UserInputError, match="one key per light"):
        gini_by_group([1.0, 2.0], ["a"])


# --------------------------------------------------------------------------- UIL (seed 000 eq. 2)


def test_uil_hand_rows():
    shares = np.array([[1, 0, 0], [0, 0, 1], [0.1, 0.4, 0.5], [0.2, 0.3, 0.5]])
    # 1; 3; 0.1 + 0.8 + 1.5 = 2.4; 0.2 + 0.6 + 1.5 = 2.3
    np.testing.assert_allclose(uil(shares), [1.0, 3.0, 2.4, 2.3], rtol=0, atol=1e-15)
    assert uil([0.05, 0.45, 0.5]) == pytest.approx(0.05 + 0.9 + 1.5)


def test_uil_dataframe_keeps_index():
    frame = pd.DataFrame({"p1": [0.1, 0.3], "p2": [0.4, 0.3], "p3": [0.5, 0.4]}, index=["x", "y"])
    out = uil(frame)
    assert isinstance(out, pd.Series) and list(out.index) == ["x", "y"]
    assert out["y"] == pytest.approx(0.3 + 0.6 + 1.2)


def test_uil_bad_rows():
    with pytest.raises(UserInputError, match=r"row 1 .*sum to 0\.9"):
        uil([[0.2, 0.3, 0.5], [0.2, 0.2, 0.5], [0.0, 0.0, 0.5]])
    with pytest.raises(UserInputError, match=r"row 0 \(index 'a'\), column 'p2'"):
        uil(pd.DataFrame({"p1": [0.5], "p2": [-0.1], "p3": [0.6]}, index=["a"]))
    with pytest.raises(UserInputError, match="row 0, column 'tertiary'"):
        uil([[0.5, 0.5, float("nan")]])
    with pytest.raises(UserInputError, match="3 columns"):
        uil([[0.5, 0.5]])
    # within tolerance passes, outside fails
    assert uil([[0.2, 0.3, 0.5 + 5e-7]]) == pytest.approx([2.3], abs=1e-5)
    with pytest.raises(UserInputError, match="tolerance 1e-08"):
        uil([[0.2, 0.3, 0.5 + 5e-7]], tol=1e-8)


def test_shares_for_uil_hand_values():
    # u = 2, f = 0: lo = 0, hi = 0.5 -> P1 = 0, P3 = 0, P2 = 1
    # u = 1.5, f = 0.5: lo = 0.5, hi = 0.75 -> P1 = 0.625, P3 = 0.125, P2 = 0.25 ; UIL = .625+.5+.375 = 1.5
    out = shares_for_uil([2.0, 1.5, 1.0, 3.0], [0.0, 0.5, 0.3, 0.9])
    np.testing.assert_allclose(out[0], [0.0, 1.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(out[1], [0.625, 0.25, 0.125], atol=1e-15)
    np.testing.assert_allclose(out[2], [1.0, 0.0, 0.0], atol=1e-15)  # u = 1 forces all-primary
    np.testing.assert_allclose(out[3], [0.0, 0.0, 1.0], atol=1e-15)  # u = 3 forces all-tertiary


def test_shares_for_uil_round_trip_random():
    rng = np.random.default_rng(4)
    u = np.concatenate([rng.uniform(1, 3, size=20_000), [1.0, 2.0, 3.0]])
    f = np.concatenate([rng.uniform(0, 1, size=20_000), [0.0, 1.0, 1.0]])
    shares = shares_for_uil(u, f)
    assert shares.shape == (u.size, 3)
    assert (shares >= 0).all() and (shares <= 1).all()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(uil(shares, tol=1e-12), u, rtol=0, atol=1e-12)


def test_shares_for_uil_series_and_bad_targets():
    out = shares_for_uil(pd.Series([2.5, 1.2], index=["a", "b"]), 0.5)
    assert list(out.columns) == ["primary", "secondary", "tertiary"] and list(out.index) == ["a", "b"]
    with pytest.raises(UserInputError, match=r"row 1 .*3\.2"):
        shares_for_uil([2.0, 3.2], 0.5)
    with pytest.raises(UserInputError, match="row 0"):
        shares_for_uil([0.99], 0.5)
    with pytest.raises(UserInputError, match="primary_position in row 1"):
        shares_for_uil([2.0, 2.0], [0.5, 1.5])


# --------------------------------------------------------------------------- entropy index (seed 002 eq. 1-3)

THREE_REGIONS = pd.DataFrame({"x1": [1.0, 2.0, 3.0], "x2": [10.0, 40.0, 20.0]}, index=["r1", "r2", "r3"])
# Hand computation, x1 positive, x2 negative, shift = 0:
#   eq. 1: x1' = (x1 - 1)/2 = [0, 0.5, 1];  x2' = (40 - x2)/30 = [1, 0, 2/3]
#   p1 = [0, 1/3, 2/3]  (sum 1.5);  p2 = [3/5, 0, 2/5]  (sum 5/3)
#   e1 = -((1/3) ln(1/3) + (2/3) ln(2/3)) / ln 3 = 0.636514 / 1.098612 = 0.579380;  d1 = 0.420620
#   e2 = -(0.6 ln 0.6 + 0.4 ln 0.4) / ln 3     = 0.673012 / 1.098612 = 0.612602;  d2 = 0.387398
#   w1 = 0.420620 / 0.808018 = 0.520557;  w2 = 0.479443
#   eq. 3: S = [0*w1 + 1*w2, 0.5*w1 + 0, 1*w1 + (2/3)*w2] = [0.479443, 0.260279, 0.840186]
E1 = -((1 / 3) * math.log(1 / 3) + (2 / 3) * math.log(2 / 3)) / math.log(3)
E2 = -(0.6 * math.log(0.6) + 0.4 * math.log(0.4)) / math.log(3)
W1 = (1 - E1) / ((1 - E1) + (1 - E2))
W2 = 1 - W1


def test_entropy_hand_example_shift_zero():
    assert E1 == pytest.approx(0.579380, abs=1e-6) and E2 == pytest.approx(0.612602, abs=1e-6)
    res = entropy_index(THREE_REGIONS, ["x1", "x2"], directions={"x2": "negative"}, shift=0.0)
    np.testing.assert_allclose(res.normalised.to_numpy(), [[0, 1], [0.5, 0], [1, 2 / 3]], atol=1e-15)
    assert list(res.weights.index) == ["x1", "x2"]
    assert res.weights["x1"] == pytest.approx(0.520557, abs=1e-6)
    assert res.weights["x2"] == pytest.approx(0.479443, abs=1e-6)
    assert res.weights.sum() == pytest.approx(1.0)
    assert list(res.index.index) == ["r1", "r2", "r3"]
    np.testing.assert_allclose(res.index.to_numpy(), [W2, 0.5 * W1, W1 + 2 / 3 * W2], rtol=1e-12)
    np.testing.assert_allclose(res.index.to_numpy(), [0.479443, 0.260279, 0.840186], atol=1e-6)


def test_entropy_default_shift_is_eq2():
    # Same example with y' = x' + 0.0001 (eq. 2): repeat the formulas on the shifted matrix.
    res = entropy_index(THREE_REGIONS, ["x1", "x2"], directions=["positive", "negative"])
    y = np.array([[0, 1], [0.5, 0], [1, 2 / 3]]) + 1e-4
    p = y / y.sum(axis=0)
    d = 1 + (p * np.log(p)).sum(axis=0) / math.log(3)
    w = d / d.sum()
    np.testing.assert_allclose(res.normalised.to_numpy(), y, atol=1e-15)
    np.testing.assert_allclose(res.weights.to_numpy(), w, rtol=1e-12)
    np.testing.assert_allclose(res.index.to_numpy(), y @ w, rtol=1e-12)
    # and the pieces compose the same way
    np.testing.assert_allclose(composite_index(res.normalised, entropy_weights(res.normalised)), res.index)


def test_entropy_three_indicators_equal_patterns_get_equal_weights():
    frame = THREE_REGIONS.assign(x3=[5.0, 7.0, 9.0])  # x3 normalises exactly like x1
    res = entropy_index(frame, ["x1", "x2", "x3"], directions={"x2": "negative"}, shift=0.0)
    assert res.weights["x1"] == pytest.approx(res.weights["x3"], rel=1e-12)
    # with x1 and x3 identical: w1 = w3 = d1 / (2 d1 + d2)
    assert res.weights["x1"] == pytest.approx((1 - E1) / (2 * (1 - E1) + (1 - E2)), rel=1e-12)


def test_minmax_pooled_versus_by_group():
    frame = pd.DataFrame({"year": [2013] * 3 + [2014] * 3, "x": [1.0, 2.0, 3.0, 10.0, 20.0, 30.0]})
    np.testing.assert_allclose(minmax_normalise(frame, ["x"], by="year")["x"], [0, 0.5, 1, 0, 0.5, 1])
    np.testing.assert_allclose(minmax_normalise(frame, ["x"])["x"], (frame["x"] - 1) / 29)
    res = entropy_index(frame, ["x"], by="year")
    assert res.weights["x"] == pytest.approx(1.0)
    np.testing.assert_allclose(res.index, np.array([0, 0.5, 1, 0, 0.5, 1]) + 1e-4)


def test_entropy_bad_input():
    with pytest.raises(UserInputError, match="'flat' has no variation"):
        entropy_index(THREE_REGIONS.assign(flat=2.0), ["x1", "flat"])
    with pytest.raises(UserInputError, match=r"'x2' .* row 1 \(index 'r2'\)"):
        entropy_index(THREE_REGIONS.assign(x2=[1.0, np.nan, 2.0]), ["x1", "x2"])
    with pytest.raises(UserInputError, match="'nope' is not in the data"):
        entropy_index(THREE_REGIONS, ["x1", "nope"])
    with pytest.raises(UserInputError, match="direction of indicator 'x2'"):
        entropy_index(THREE_REGIONS, ["x1", "x2"], directions={"x2": "down"})
    frame = pd.DataFrame({"year": [1, 1, 2, 2], "x": [1.0, 2.0, 3.0, 3.0]})
    with pytest.raises(UserInputError, match=r"'x' has no variation within group year=2"):
        entropy_index(frame, ["x"], by="year")
    with pytest.raises(UserInputError, match="shift"):
        entropy_index(THREE_REGIONS, ["x1"], shift=-1.0)


# --------------------------------------------------------------------------- coupling (seed 002 eq. 4-6)


def literal_c(s) -> float:
    """Seed 002 eq. 4 as printed: [prod S / (sum S / n)^n]^(1/n)."""
    s = np.asarray(s, dtype=float)
    n = s.size
    return float((np.prod(s) / (s.sum() / n) ** n) ** (1 / n))


def test_coupling_n2_hand():
    # S = (0.25, 1): prod 0.25, mean 0.625 -> C = sqrt(0.25 / 0.625^2) = 0.5 / 0.625 = 0.8
    # T = 0.625, D = sqrt(0.8 * 0.625) = sqrt(0.5)
    assert coupling_degree([0.25, 1.0]) == pytest.approx(0.8, abs=1e-15)
    assert comprehensive_index([0.25, 1.0]) == pytest.approx(0.625, abs=1e-15)
    assert coordination_degree([0.25, 1.0]) == pytest.approx(math.sqrt(0.5), abs=1e-15)
    # S = (0.16, 0.64): sqrt(0.1024) = 0.32, mean 0.4 -> C = 0.8, T = 0.4, D = sqrt(0.32)
    out = coupling_coordination(np.array([[0.16, 0.64]]))
    assert out.loc[0, "C"] == pytest.approx(0.8) and out.loc[0, "T"] == pytest.approx(0.4)
    assert out.loc[0, "D"] == pytest.approx(math.sqrt(0.32))
    assert out.loc[0, "level"] == 6 and out.loc[0, "label"] == "sue for harmonization"


def test_coupling_n3_hand():
    # S = (0.2, 0.4, 0.8): prod 0.064, geometric mean 0.4, mean 1.4/3 -> C = 0.4 / (1.4/3) = 6/7
    # T = 1.4/3, C*T = 0.4 -> D = sqrt(0.4) = 0.632456 (level 7)
    s = [0.2, 0.4, 0.8]
    assert coupling_degree(s) == pytest.approx(6 / 7, rel=1e-13)
    assert coupling_degree(s) == pytest.approx(literal_c(s), rel=1e-13)
    assert comprehensive_index(s) == pytest.approx(1.4 / 3, rel=1e-13)
    assert coordination_degree(s) == pytest.approx(math.sqrt(0.4), rel=1e-13)
    assert coordination_level(coordination_degree(s)).level == 7


def test_coupling_matches_literal_eq4_random():
    rng = np.random.default_rng(5)
    for n in [2, 3, 4, 6]:
        s = rng.uniform(0, 1, size=(200, n))
        np.testing.assert_allclose(coupling_degree(s), [literal_c(row) for row in s], rtol=1e-12)
        # with equal weights C * T = geometric mean, so D = sqrt(geometric mean)
        np.testing.assert_allclose(coordination_degree(s), np.prod(s, axis=1) ** (1 / (2 * n)), rtol=1e-12)


def test_coupling_dataframe_equal_all_zero_and_weights():
    frame = pd.DataFrame({"a": [0.5, 0.0, 0.0, 0.3], "b": [0.5, 0.0, 0.7, 0.6]}, index=list("wxyz"))
    c = coupling_degree(frame)
    assert list(c.index) == list("wxyz") and c.name == "C"
    assert c["w"] == 1.0  # equal subsystems
    assert c["x"] == 0.0  # all zero: defined as 0
    assert c["y"] == 0.0  # one zero
    # weights (0.25, 0.75): T = 0.25*0.3 + 0.75*0.6 = 0.525 ; C = sqrt(0.18)/0.45
    t = comprehensive_index(frame, weights=[0.25, 0.75])
    assert t["z"] == pytest.approx(0.525)
    d = coordination_degree(frame, weights={"a": 0.25, "b": 0.75})
    assert d["z"] == pytest.approx(math.sqrt(math.sqrt(0.18) / 0.45 * 0.525))


# Seed 002 Table 3 (rows: BTH, Central Plains, Shandong; columns 2013 and 2021)
TABLE3 = {
    "infrastructure": {"BTH": (0.508, 0.822), "CP": (0.000, 0.309), "SD": (0.104, 0.303)},
    "industrialisation": {"BTH": (0.376, 1.000), "CP": (0.000, 0.053), "SD": (0.056, 0.230)},
    "digitalisation": {"BTH": (0.633, 0.476), "CP": (0.011, 0.060), "SD": (0.083, 0.192)},
    "comprehensive": {"BTH": (0.583, 0.899), "CP": (0.000, 0.121), "SD": (0.084, 0.267)},
}


def test_table3_bth_within_cluster():
    # Hand: equal weights -> D = (S1 S2 S3)^(1/6).
    # 2013: prod = 0.508*0.376*0.633 = 0.120908; mean = 1.517/3 = 0.505667;
    #       C = (0.120908/0.505667^3)^(1/3) = (0.120908/0.129300)^(1/3) = 0.977884; T = 0.505667;
    #       D = sqrt(0.977884*0.505667) = sqrt(0.494488) = 0.703195  (paper text: 0.560)
    # 2021: prod = 0.822*1.000*0.476 = 0.391272; mean = 2.298/3 = 0.766;
    #       C = (0.391272/0.449455)^(1/3) = 0.954840; T = 0.766; D = sqrt(0.731407) = 0.855224  (paper: 0.782)
    s = np.array([[0.508, 0.376, 0.633], [0.822, 1.000, 0.476]])
    out = coupling_coordination(s)
    np.testing.assert_allclose(out["C"], [0.977884, 0.954840], atol=1e-6)
    np.testing.assert_allclose(out["T"], [1.517 / 3, 2.298 / 3], atol=1e-12)
    np.testing.assert_allclose(out["D"], [0.703195, 0.855224], atol=1e-6)
    np.testing.assert_allclose(out["D"], [0.120908 ** (1 / 6), 0.391272 ** (1 / 6)], atol=1e-6)
    assert list(out["level"]) == [8, 9]  # paper text: 0.560 (level 6) and 0.782 (level 8)
    # Our numbers disagree with the paper's text (0.560 / 0.782); see docs/INDICES.md.
    assert abs(out["D"][0] - 0.560) > 0.1 and abs(out["D"][1] - 0.782) > 0.05


def test_table3_between_clusters_zero_index_gives_zero():
    # Central Plains digital infrastructure is 0.000 in 2013 -> any coupling with it is 0 (Table 4 prints 0.054).
    s = TABLE3["infrastructure"]
    assert coordination_degree([s["BTH"][0], s["CP"][0]]) == 0.0
    assert coordination_degree([s["BTH"][0], s["CP"][0], s["SD"][0]]) == 0.0
    # BTH-Shandong 2013: D = (0.508*0.104)^(1/4) = 0.052832^(1/4) = 0.479424 (Table 4 prints 0.356)
    assert coordination_degree([s["BTH"][0], s["SD"][0]]) == pytest.approx(0.052832 ** 0.25, abs=1e-6)


# --------------------------------------------------------------------------- Table 2 levels


@pytest.mark.parametrize("k", range(1, 10))
def test_level_boundaries_fall_in_upper_level(k):
    boundary = k / 10
    assert coordination_level(boundary).level == k + 1
    assert coordination_level(boundary - 1e-6).level == k
    assert coordination_level(boundary).label == LEVEL_LABELS[k]


def test_level_ends_and_float_noise():
    assert coordination_level(0.0) == (1, "extreme disorder")
    assert coordination_level(1.0) == (10, "Quality coordination")
    assert coordination_level(0.95).level == 10
    assert 0.1 + 0.2 == 0.30000000000000004
    assert coordination_level(0.1 + 0.2).level == 4
    assert 0.3 * 3 == 0.8999999999999999
    assert coordination_level(0.3 * 3).level == 10  # 0.9 computed one ulp low is still level 10
    assert 0.7 - 0.4 < 0.3  # 0.29999999999999993
    assert coordination_level(0.7 - 0.4).level == 4
    assert 0.2 + 0.7 < 0.9  # 0.8999999999999999
    assert coordination_level(0.2 + 0.7).level == 10
    assert coordination_level(1.0 + 1e-12).level == 10
    assert coordination_level(-1e-12).level == 1


def test_level_labels_as_printed():
    assert LEVEL_LABELS == (
        "extreme disorder",
        "severe disorder",
        "moderate disorder",
        "on the verge of becoming dysfunctional",
        "barely in tune",
        "sue for harmonization",
        "Primary coordination",
        "Intermediate level coordination",
        "good coordination",
        "Quality coordination",
    )


def test_levels_vectorised():
    d = pd.Series([0.0, 0.05, 0.1, 0.45, 0.9, 1.0], index=list("abcdef"))
    out = coordination_levels(d)
    assert list(out.index) == list("abcdef")
    assert list(out["level"]) == [1, 1, 2, 5, 10, 10]
    assert out.loc["d", "label"] == "barely in tune"


# --------------------------------------------------------------------------- coupling bad input


def test_coupling_bad_input():
    with pytest.raises(UserInputError, match=r"row 1 \(index 'y'\), column 'b' is negative"):
        coupling_degree(pd.DataFrame({"a": [0.1, 0.2], "b": [0.3, -0.1]}, index=["x", "y"]))
    with pytest.raises(UserInputError, match="row 0, column '1'"):
        coupling_degree([[0.1, float("nan")]])
    with pytest.raises(UserInputError, match="n >= 2"):
        coupling_degree([[0.5], [0.4]])
    with pytest.raises(UserInputError, match=r"row 0, column '0' is 1\.5 > 1"):
        coordination_degree([[1.5, 0.5]])
    with pytest.raises(UserInputError, match="weights sum to"):
        comprehensive_index([[0.1, 0.2]], weights=[0.5, 0.6])
    with pytest.raises(UserInputError, match="weight of subsystem '0'"):
        comprehensive_index([[0.1, 0.2]], weights=[-0.5, 1.5])
    with pytest.raises(UserInputError, match="D at index 0 is 1.2"):
        coordination_level(1.2)
    with pytest.raises(UserInputError, match=r"D at index 1 \(label 'q'\)"):
        coordination_levels(pd.Series([0.5, -0.2], index=["p", "q"]))
    with pytest.raises(UserInputError) as info:
        coordination_level(float("nan"))
    assert "\n" not in str(info.value)
