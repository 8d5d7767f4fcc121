"""Seed 002's coordination analysis: indices, coupling coordination, Table 2, bad input, the app."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from framework.coordination.analysis import analyse, write_outputs
from framework.coordination.inputs import indicator_panel
from framework.errors import UserInputError
from framework.indices.composite import Indices, between_regions, build_indices, default_groups, within_regions
from framework.indices.coupling import coordination_level
from framework.indices.system import IndicatorSystem
from tests.conftest import ROOT

# Three regions, one year; subsystem A = a1 (positive) + a2 (negative), subsystem B = b1.
FRAME = pd.DataFrame({"region": ["R1", "R2", "R3"], "year": [2020] * 3,
                      "a1": [1.0, 2.0, 4.0], "a2": [3.0, 1.0, 2.0], "b1": [0.0, 5.0, 10.0]})
SYSTEM = IndicatorSystem.from_config({"A": {"a1": "positive", "a2": "negative"}, "B": {"b1": "positive"}})
LN3 = math.log(3)


def test_entropy_weights_and_indices_by_hand_without_shift():
    # eq. 1: a1 -> (0, 1/3, 1); a2 reversed -> ((3-3)/2, (3-1)/2, (3-2)/2) = (0, 1, 1/2); b1 -> (0, 1/2, 1)
    # p(a1) = (0, 1/4, 3/4): e = (ln 4 - 3/4 ln 3) / ln 3, d = 7/4 - ln 4 / ln 3
    # p(a2) = p(b1) = (0, 2/3, 1/3): e = 1 - (2/3) ln 2 / ln 3, d = (2/3) ln 2 / ln 3
    d_a1 = 1.75 - math.log(4) / LN3
    d_a2 = d_b1 = (2 / 3) * math.log(2) / LN3
    result = build_indices(FRAME, SYSTEM, shift=0.0)
    w = result.weights.set_index("indicator")
    assert w.loc["a1", "weight"] == pytest.approx(d_a1 / (d_a1 + d_a2), abs=1e-12)
    assert w.loc["a2", "weight"] == pytest.approx(d_a2 / (d_a1 + d_a2), abs=1e-12)
    assert w.loc["b1", "weight"] == pytest.approx(1.0)
    total = d_a1 + d_a2 + d_b1
    assert list(w["composite_weight"]) == pytest.approx([d_a1 / total, d_a2 / total, d_b1 / total], abs=1e-12)
    wa1 = d_a1 / (d_a1 + d_a2)
    # eq. 3: S_A = w_a1 * a1' + w_a2 * a2'
    expected_a = [0.0, wa1 / 3 + (1 - wa1) * 1.0, wa1 * 1.0 + (1 - wa1) * 0.5]
    assert list(result.frame["A"]) == pytest.approx(expected_a, abs=1e-12)
    assert list(result.frame["B"]) == pytest.approx([0.0, 0.5, 1.0], abs=1e-12)
    composite = [(d_a1 * a + d_a2 * b + d_b1 * c) / total for a, b, c in zip([0, 1 / 3, 1], [0, 1, 0.5], [0, 0.5, 1])]
    assert list(result.frame["composite"]) == pytest.approx(composite, abs=1e-12)


def test_the_papers_shift_is_added_before_the_weights():
    result = build_indices(FRAME, SYSTEM)  # shift 0.0001 (eq. 2)
    y = np.array([0, 1 / 3, 1]) + 1e-4
    p = y / y.sum()
    d_a1 = 1 + (p * np.log(p)).sum() / LN3
    y2 = np.array([0, 1, 0.5]) + 1e-4
    p2 = y2 / y2.sum()
    d_a2 = 1 + (p2 * np.log(p2)).sum() / LN3
    w = d_a1 / (d_a1 + d_a2)
    assert result.weights.set_index("indicator").loc["a1", "weight"] == pytest.approx(w, abs=1e-12)
    assert result.frame["A"].iloc[0] == pytest.approx(1e-4, abs=1e-15)  # min of every indicator: S = shift
    assert result.frame["B"].iloc[2] == pytest.approx(1 + 1e-4)  # max: 1 + shift, capped at 1 for eq. 4-6
    assert result.capped == 1  # only B at R3 exceeds 1 (the composite there is below 1)
    assert within_regions(result)["T"].iloc[2] <= 1.0


def test_pooling_per_year_takes_min_and_max_within_each_year():
    two_years = pd.concat([FRAME, FRAME.assign(year=2021, a1=FRAME["a1"] * 10, b1=FRAME["b1"] + 100)], ignore_index=True)
    per_year = build_indices(two_years, SYSTEM, pooling="year", shift=0.0).frame
    pooled = build_indices(two_years, SYSTEM, pooling="all", shift=0.0).frame
    # within each year the normalised values are the same, so B is (0, 1/2, 1) in both years
    assert list(per_year["B"]) == pytest.approx([0.0, 0.5, 1.0] * 2)
    # pooled: b1 spans 0..110, so 2020's R3 (10) is 10/110
    assert pooled["B"].iloc[2] == pytest.approx(10 / 110)


def test_coupling_and_coordination_for_two_and_three_subsystems_by_hand():
    # n = 2, S = (0.25, 1): C = sqrt(0.25) / 0.625 = 0.8, T = 0.625, D = sqrt(0.5)
    # n = 3, S = (0.2, 0.4, 0.8): C = 0.4 / (1.4/3) = 6/7, T = 1.4/3, D = sqrt(0.4)
    two = Indices(pd.DataFrame({"region": ["R"], "year": [1], "A": [0.25], "B": [1.0]}), ["A", "B"], ["A", "B"])
    three = Indices(pd.DataFrame({"region": ["R"], "year": [1], "A": [0.2], "B": [0.4], "C": [0.8]}), ["A", "B", "C"], ["A", "B", "C"])
    r2, r3 = within_regions(two).iloc[0], within_regions(three).iloc[0]
    assert (r2["n"], r2["C"], r2["T"], r2["D"], r2["level"]) == (2, pytest.approx(0.8), pytest.approx(0.625), pytest.approx(math.sqrt(0.5)), 8)
    assert r2["label"] == "Intermediate level coordination"
    assert (r3["n"], r3["C"], r3["T"], r3["D"], r3["level"]) == (3, pytest.approx(6 / 7), pytest.approx(1.4 / 3), pytest.approx(math.sqrt(0.4)), 7)


def test_between_regions_for_pairs_and_all_together():
    frame = pd.DataFrame({"region": ["X", "Y", "Z"], "year": [1, 1, 1], "A": [0.25, 1.0, 0.5], "B": [0.2, 0.4, 0.8]})
    indices = Indices(frame, ["A", "B"], ["A", "B"])
    groups = default_groups(["X", "Y", "Z"])
    assert groups == [["X", "Y"], ["X", "Z"], ["Y", "Z"], ["X", "Y", "Z"]]
    out = between_regions(indices, groups).set_index(["subsystem", "group"])
    assert out.loc[("A", "X\u2013Y"), "D"] == pytest.approx(math.sqrt(0.5))      # n = 2 by hand above
    assert out.loc[("B", "X\u2013Y\u2013Z"), "C"] == pytest.approx(6 / 7)        # n = 3 by hand above
    assert out.loc[("B", "X\u2013Y\u2013Z"), "n"] == 3
    assert default_groups([f"C{i}" for i in range(11)]) == [[f"C{i}" for i in range(11)]]  # many regions: all together only


@pytest.mark.parametrize("k", range(1, 10))
def test_table2_boundaries(k):
    assert coordination_level(k / 10).level == k + 1            # (k/10 is the lower bound of level k+1)
    assert coordination_level(k / 10 - 1e-6).level == k
    assert coordination_level(0.0).level == 1
    assert coordination_level(1.0) == (10, "Quality coordination")  # 0.9 <= D <= 1.0 inclusive


# --- bad input: one clear line each ------------------------------------------------------------
def test_an_indicator_without_variation_names_it():
    flat = FRAME.assign(b1=7.0)
    with pytest.raises(UserInputError, match=r"subsystem 'B'.*'b1' has no variation.*divides by zero"):
        build_indices(flat, SYSTEM)


def test_a_subsystem_without_indicators_names_it():
    with pytest.raises(UserInputError, match=r"system\.subsystems\.B: the subsystem has no indicators"):
        IndicatorSystem.from_config({"A": {"a1": "positive"}, "B": {}})


def test_a_negative_value_of_a_positive_indicator_names_region_year_and_row():
    bad = FRAME.assign(b1=[0.0, -5.0, 10.0])
    with pytest.raises(UserInputError, match=r"indicator 'b1' is negative \(-5\.0\) at region 'R2', year 2020 \(row 1\).*direction is positive"):
        indicator_panel(bad, SYSTEM, {"region": "region", "year": "year"}, source="panel.csv")
    # a negative indicator may be negative
    ok = FRAME.assign(a2=[-3.0, -1.0, -2.0])
    assert len(indicator_panel(ok, SYSTEM, {"region": "region", "year": "year"})) == 3


def test_a_region_year_with_a_missing_indicator_names_it_wide_and_long():
    wide = FRAME.assign(a1=[1.0, np.nan, 4.0])
    with pytest.raises(UserInputError, match=r"panel\.csv: region 'R2', year 2020 has no value for indicator 'a1' \(row 1\)"):
        indicator_panel(wide, SYSTEM, {"region": "region", "year": "year"}, source="panel.csv")
    long = FRAME.melt(id_vars=["region", "year"], var_name="name", value_name="v")
    long = long[~((long["region"] == "R3") & (long["name"] == "b1"))]
    with pytest.raises(UserInputError, match=r"region 'R3', year 2020 has no value for indicator 'b1' \(no row for it\)"):
        indicator_panel(long, SYSTEM, {"region": "region", "year": "year", "indicator": "name", "value": "v"}, layout="long")


def run_app(*overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.coordination", *overrides], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_bad_file_gives_one_line_a_non_zero_exit_and_writes_nothing(tmp_path):
    path = tmp_path / "panel.csv"
    FRAME.assign(year=[2020, 2020, 2020], b1=7.0).to_csv(path, index=False)
    system = "+system.subsystems={A: {a1: positive, a2: negative}, B: {b1: positive}}"
    done = run_app("data=file", f"data.path={path}", "data.columns.region=region", "data.columns.year=year", "~system.subsystems", system,
                   f"hydra.run.dir={tmp_path / 'run'}")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "'b1' has no variation" in lines[-1] and "Traceback" not in done.stderr
    assert not (tmp_path / "run" / "coordination").exists()


# --- end to end ---------------------------------------------------------------------------------
def test_replication_on_the_papers_table3_matches_hand_values(tmp_path):
    analysis = analyse({"data": {"kind": "paper", "groups": [["BTH", "SD"], ["BTH", "CP"], ["CP", "SD"], ["BTH", "CP", "SD"]]}})
    c = analysis.comparison.set_index(["subsystem", "group", "year"])
    # docs/INDICES.md: BTH 2013 prod = 0.508*0.376*0.633, mean 0.505667 -> D = 0.703195 (paper 0.560)
    bth = c.loc[("within (n = 3 subsystems)", "BTH", 2013)]
    assert bth["D"] == pytest.approx((0.508 * 0.376 * 0.633) ** (1 / 6), abs=1e-12)
    assert (bth["paper_D"], bth["level"], bth["paper_level"]) == (0.560, 8, 6)
    assert c.loc[("within (n = 3 subsystems)", "BTH", 2021), "D"] == pytest.approx((0.822 * 1.0 * 0.476) ** (1 / 6), abs=1e-12)
    pair = c.loc[("digital_infrastructure", "BTH\u2013SD", 2013)]
    assert pair["D"] == pytest.approx((0.508 * 0.104) ** 0.25, abs=1e-12) and pair["paper_D"] == 0.356
    assert c.loc[("composite", "BTH\u2013CP\u2013SD", 2021), "paper_D"] == 0.418
    assert len(analysis.comparison) == 144 + 6
    assert "exactly 0 in 9 cell(s)" in analysis.summary["notes"][0]
    target = write_outputs(analysis, tmp_path)
    for name in ("table3", "table4", "within_table", "replication"):
        for ext in ("csv", "md", "tex"):
            assert (target / f"{name}.{ext}").is_file()


def test_the_app_on_the_synthetic_world_writes_tables_weights_and_plots(tmp_path):
    done = run_app("+data.world.n_cities=30", f"hydra.run.dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "coordination"
    assert done.stdout.strip().splitlines()[-1] == f"coordination: {out}"
    for name in ("table3.csv", "table4.md", "table4.tex", "weights.csv", "within_table.tex", "coordination.json",
                 "figures/indices.png", "figures/within.png", "figures/between.png"):
        assert (out / name).is_file(), name
    weights = pd.read_csv(out / "weights.csv")
    assert weights.groupby("subsystem")["weight"].sum().to_numpy() == pytest.approx([1, 1, 1])
    assert weights["composite_weight"].sum() == pytest.approx(1)
    between = pd.read_csv(out / "between.csv")
    assert set(between["group"]) == {"K1\u2013K2", "K1\u2013K3", "K2\u2013K3", "K1\u2013K2\u2013K3"}


def test_the_report_has_a_coordination_section(tmp_path):
    from framework.report.coordination import sections

    write_outputs(analyse({"data": {"kind": "paper"}}), tmp_path / "a")
    found = sections(tmp_path)
    assert len(found) == 2 and found[0].anchor == "coordination"
    names = [getattr(b, "name", "") for b in found[1].blocks]
    assert any(n.endswith("replication") for n in names) and any(n.endswith("table4") for n in names)
    assert sections(tmp_path / "a" / "coordination" / "figures") == []
