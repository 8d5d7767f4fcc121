"""Tests for the spec (framework.spec): config parsing, the ordered steps of apply_spec, truth.

Every expected value is worked out by hand on tiny panels built directly as :class:`Panel`
objects (3 units x 3 periods), with the arithmetic in comments.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from framework.data.panel import Panel
from framework.errors import UserInputError
from framework.spec import Spec, SpecData, apply_spec, true_values
from framework.spec.apply import INTERACTION_TERM, MODERATOR_TERM

CONF = Path(__file__).resolve().parents[1] / "conf"

# --------------------------------------------------------------------------- toy panel
#
# row  unit time  outcome treatment  c1   c2  moderator municipality resource_city effect
#  0    a   2015     0       1      -50   3     10          1            0         -0.9
#  1    a   2016     1       2        1   1     20          1            0         -0.7
#  2    a   2017     2       3        2   4     30          1            0         -0.5
#  3    b   2015     3       4        3   1     40          0            1         -0.3
#  4    b   2016     4       5        4   5     50          0            1         -0.1
#  5    b   2017     5       6        5   9     60          0            1          0.1
#  6    c   2015     6       7        6   2     70          0            0          0.3
#  7    c   2016     7       8        7   6     80          0            0          0.5
#  8    c   2017   100       9        8   5     90          0            0          0.7
#
# effect = A + B * moderator exactly, with A = -1.1, B = 0.02 (e.g. row 0: -1.1 + 0.2 = -0.9).

A, B = -1.1, 0.02
DELTA = 0.003  # every row's moderator_effect
MODERATOR = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]


def toy_frame(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "unit": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
            "time": [2015, 2016, 2017] * 3,
            "outcome": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0],
            "treatment": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            "c1": [-50.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            "c2": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0],
            "moderator": MODERATOR,
            "municipality": [1, 1, 1, 0, 0, 0, 0, 0, 0],
            "resource_city": [0, 0, 0, 1, 1, 1, 0, 0, 0],
            "effect": [A + B * m for m in MODERATOR],
            "moderator_effect": [DELTA] * 9,
        }
    )
    for column, values in overrides.items():
        frame[column] = values
    return frame


def toy_panel(frame: pd.DataFrame | None = None, drop=()) -> Panel:
    frame = toy_frame() if frame is None else frame
    frame = frame.drop(columns=list(drop))
    return Panel(
        frame=frame,
        controls=("c1", "c2"),
        source="toy.csv",
        names={"treatment": "UIL", "outcome": "Gini", "moderator": "DIFI"},
    )


class Sample:
    """The prepared data and, beside them, the truth the pipeline keeps for that sample."""

    def __init__(self, panel: Panel, spec: Spec):
        self.data = apply_spec(panel, spec)
        self.truth = true_values(self.data, panel)

    def __getattr__(self, name):
        return getattr(self.data, name)


def run(panel: Panel | None = None, **spec) -> Sample:
    return Sample(toy_panel() if panel is None else panel, Spec(**spec))


# --------------------------------------------------------------------------- config -> Spec


@lru_cache(maxsize=None)
def load(group: str, name: str):
    return OmegaConf.load(CONF / group / f"{name}.yaml")


WINDOWS = {
    "all": dict(window_name="all", window_start=None, window_end=None),
    "infra_2011_2015": dict(window_name="infra_2011_2015", window_start=2011, window_end=2015),
    "rapid_2016_2021": dict(window_name="rapid_2016_2021", window_start=2016, window_end=2021),
    "first_half": dict(window_name="first_half", window_start=None, window_end=None, window_half="first"),
    "second_half": dict(window_name="second_half", window_start=None, window_end=None, window_half="second"),
}
_SAMPLE_DEFAULT = dict(winsorize=None, drop_municipalities=False, resource_control=False, treatment_half=None)
SAMPLES = {
    "full": dict(_SAMPLE_DEFAULT, sample_name="full"),
    "winsor_1_99": dict(_SAMPLE_DEFAULT, sample_name="winsor_1_99", winsorize=(0.01, 0.99)),
    "winsor_5_95": dict(_SAMPLE_DEFAULT, sample_name="winsor_5_95", winsorize=(0.05, 0.95)),
    "no_municipalities": dict(_SAMPLE_DEFAULT, sample_name="no_municipalities", drop_municipalities=True),
    "resource_control": dict(_SAMPLE_DEFAULT, sample_name="resource_control", resource_control=True),
    "high_uil": dict(_SAMPLE_DEFAULT, sample_name="high_uil", treatment_half="high"),
    "low_uil": dict(_SAMPLE_DEFAULT, sample_name="low_uil", treatment_half="low"),
}
CONTROLS = {"paper": "paper", "none": "none"}
MODERATIONS = {"none": (False,), "centered": (True,), "normalized": (True,)}


def test_conf_dirs_hold_exactly_the_design_values():
    stems = lambda group: sorted(p.stem for p in (CONF / group).glob("*.yaml"))  # noqa: E731
    assert stems("window") == sorted(WINDOWS)
    assert stems("sample") == sorted(SAMPLES)
    assert stems("controls") == sorted(CONTROLS)
    assert stems("moderation") == sorted(MODERATIONS)


@pytest.mark.parametrize("window", sorted(WINDOWS))
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_from_config_window_and_sample(window, sample):
    cfg = OmegaConf.create(
        {"window": load("window", window), "sample": load("sample", sample),
         "controls": load("controls", "paper"), "moderation": load("moderation", "none")}
    )
    spec = Spec.from_config(cfg)
    for field, expected in {**WINDOWS[window], **SAMPLES[sample]}.items():
        assert getattr(spec, field) == expected, field
    assert spec.controls == "paper" and spec.moderation == "none" and not spec.moderated


@pytest.mark.parametrize("controls", sorted(CONTROLS))
@pytest.mark.parametrize("moderation", sorted(MODERATIONS))
def test_from_config_controls_and_moderation(controls, moderation):
    cfg = OmegaConf.create(
        {"window": load("window", "all"), "sample": load("sample", "full"),
         "controls": load("controls", controls), "moderation": load("moderation", moderation)}
    )
    spec = Spec.from_config(cfg)
    assert spec.controls == CONTROLS[controls]
    assert spec.moderation == moderation
    assert spec.moderated is MODERATIONS[moderation][0]


def test_from_config_plain_string_groups():
    # `controls: none` given as a plain value instead of a mapping
    spec = Spec.from_config({"controls": "none", "moderation": "normalized"})
    assert spec.controls == "none" and spec.moderation == "normalized" and spec.moderated


def test_from_config_winsorize_is_a_float_tuple():
    spec = Spec.from_config({"sample": {"winsorize": [0, 1]}})
    assert spec.winsorize == (0.0, 1.0) and all(isinstance(q, float) for q in spec.winsorize)


def test_conf_specs_apply_to_a_toy_panel():
    """Every conf sample x moderation runs on the toy panel (window all)."""
    for sample in SAMPLES:
        for moderation in MODERATIONS:
            cfg = {"window": load("window", "all"), "sample": load("sample", sample),
                   "controls": load("controls", "paper"), "moderation": load("moderation", moderation)}
            data = Sample(toy_panel(), Spec.from_config(cfg))
            assert data.n_obs > 0 and set(data.truth) == set(data.terms)


# --------------------------------------------------------------------------- bad config values


@pytest.mark.parametrize(
    "cfg, key",
    [
        ({"sample": {"winsorize": [0.9, 0.1]}}, "sample.winsorize"),  # low > high
        ({"sample": {"winsorize": [0.5, 0.5]}}, "sample.winsorize"),  # low == high
        ({"sample": {"winsorize": [-0.1, 0.9]}}, "sample.winsorize"),  # below 0
        ({"sample": {"winsorize": [0.1, 1.5]}}, "sample.winsorize"),  # above 1
        ({"sample": {"winsorize": [0.1, 0.5, 0.9]}}, "sample.winsorize"),  # three values
        ({"sample": {"treatment_half": "middle"}}, "sample.treatment_half"),
        ({"controls": {"name": "kitchen_sink"}}, "controls"),
        ({"controls": "kitchen_sink"}, "kitchen_sink"),
        ({"moderation": {"name": "squared"}}, "moderation"),
        ({"moderation": "squared"}, "squared"),
        ({"window": {"start": 2016, "end": 2015}}, "window.start"),
        ({"window": {"start": "abc", "end": 2015}}, "window.start"),
        ({"window": {"start": 2011, "end": "later"}}, "window.end"),
    ],
)
def test_bad_config_values_raise_user_input_error(cfg, key):
    with pytest.raises(UserInputError, match=key.replace(".", r"\.")):
        Spec.from_config(OmegaConf.create(cfg))


@pytest.mark.parametrize("winsorize", [0.05, ["a", "b"]])
def test_malformed_winsorize_raises_user_input_error(winsorize):
    with pytest.raises(UserInputError, match=r"sample\.winsorize"):
        Spec.from_config({"sample": {"winsorize": winsorize}})


# --------------------------------------------------------------------------- window


def test_window_keeps_exactly_the_periods_in_range():
    data = run(window_start=2016, window_end=2017)
    assert data.periods == [2016, 2017]
    assert data.n_obs == 6  # 3 units x 2 periods
    # rows 1,2,4,5,7,8 -> effects -0.7,-0.5,-0.1,0.1,0.5,0.7; mean = 0/6 = 0
    assert data.truth["treatment"] == pytest.approx(0.0, abs=1e-12)
    assert sorted(data.frame["treatment"]) == [2.0, 3.0, 5.0, 6.0, 8.0, 9.0]


def test_window_open_bounds_use_the_data_ends():
    data = run(window_start=None, window_end=2016)
    assert data.periods == [2015, 2016]
    # rows 0,1,3,4,6,7 -> -0.9-0.7-0.3-0.1+0.3+0.5 = -1.2; /6 = -0.2
    assert data.truth["treatment"] == pytest.approx(-0.2)
    data = run(window_start=2016, window_end=None)
    assert data.periods == [2016, 2017]


def test_window_halves_split_the_data_s_own_periods():
    frame = pd.concat([toy_frame().assign(time=t) for t in (1980, 1981, 1982, 1983, 1984)], ignore_index=True)
    frame = frame.drop_duplicates(["unit", "time"]).sort_values(["unit", "time"]).reset_index(drop=True)
    panel = toy_panel(frame)
    # five periods: floor(5/2) = 2 in the first half, 3 in the second
    assert run(panel, window_half="first").periods == [1980, 1981]
    assert run(panel, window_half="second").periods == [1982, 1983, 1984]
    with pytest.raises(UserInputError, match="window.half = 'middle'"):
        Spec(window_half="middle").check()
    with pytest.raises(UserInputError, match="leave window.start and window.end null"):
        Spec(window_half="first", window_start=1980).check()


def test_window_outside_the_data_raises_naming_window_and_periods():
    with pytest.raises(UserInputError) as info:
        run(window_start=2020, window_end=2021)
    message = str(info.value)
    assert "2020-2021" in message  # the window asked for
    assert "2015-2017" in message  # the data's periods
    assert "toy.csv" in message and "window.start" in message


def test_window_of_one_period_raises():
    with pytest.raises(UserInputError, match="single period"):
        run(window_start=2016, window_end=2016)
    # partly outside the data but only one period inside it
    with pytest.raises(UserInputError, match="2017-2030"):
        run(window_start=2017, window_end=2030)


# --------------------------------------------------------------------------- municipalities


def test_drop_municipalities_removes_exactly_the_flagged_rows():
    data = run(drop_municipalities=True)
    assert sorted(data.frame["unit"].unique()) == ["b", "c"]
    assert data.n_obs == 6
    # the frame keeps rows 3..8 in order (treatment 4..9)
    assert data.frame["treatment"].tolist() == [4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    # effects -0.3,-0.1,0.1,0.3,0.5,0.7: sum 1.2, mean 0.2
    assert data.truth["treatment"] == pytest.approx(0.2)
    assert data.rows == {"data": 9, "window": 9, "exclusions": 6}


def test_drop_municipalities_needs_the_column():
    with pytest.raises(UserInputError, match=r"data\.columns\.municipality"):
        run(toy_panel(drop=["municipality"]), drop_municipalities=True)


def test_municipality_column_unused_when_not_dropping():
    data = run(toy_panel(drop=["municipality"]))
    assert data.n_obs == 9


# --------------------------------------------------------------------------- winsorisation


def test_winsorize_clips_at_hand_quantiles_and_keeps_rows():
    data = run(winsorize=(0.1, 0.9))
    frame = data.frame
    # Linear-interpolation quantiles of 9 values: position (9-1)*q = 0.8 (q=0.1), 7.2 (q=0.9).
    # outcome 0..7,100:  lo = 0 + 0.8*(1-0) = 0.8;  hi = 7 + 0.2*(100-7) = 25.6
    assert frame["outcome"].tolist() == pytest.approx([0.8, 1, 2, 3, 4, 5, 6, 7, 25.6])
    # treatment 1..9:     lo = 1 + 0.8*1 = 1.8;     hi = 8 + 0.2*1 = 8.2
    assert frame["treatment"].tolist() == pytest.approx([1.8, 2, 3, 4, 5, 6, 7, 8, 8.2])
    # c1 -50,1..8:        lo = -50 + 0.8*51 = -9.2;  hi = 7 + 0.2*1 = 7.2
    assert frame["c1"].tolist() == pytest.approx([-9.2, 1, 2, 3, 4, 5, 6, 7, 7.2])
    # c2 sorted 1,1,2,3,4,5,5,6,9: lo = 1 + 0.8*0 = 1; hi = 6 + 0.2*(9-6) = 6.6
    assert frame["c2"].tolist() == pytest.approx([3, 1, 4, 1, 5, 6.6, 2, 6, 5])
    # the bounds agree with numpy's
    for column in ("outcome", "treatment", "c1", "c2"):
        lo, hi = np.quantile(toy_frame()[column], [0.1, 0.9])
        assert frame[column].min() == pytest.approx(lo) and frame[column].max() == pytest.approx(hi)
    # rows are not dropped, effects not touched: truth = mean effect = A + B*mean(M) = -1.1 + 1 = -0.1
    assert data.n_obs == 9 and data.rows == {"data": 9, "window": 9}
    assert "effect" not in frame.columns  # the truth stays in the panel, out of the estimator's data
    assert data.truth["treatment"] == pytest.approx(-0.1)
    assert data.truth == run().truth


def test_winsorize_uses_quantiles_of_rows_left_after_exclusions():
    data = run(winsorize=(0.1, 0.9), drop_municipalities=True)
    # rows 3..8, outcome 3,4,5,6,7,100: positions (6-1)*q = 0.5 and 4.5
    #   lo = 3 + 0.5*1 = 3.5;  hi = 7 + 0.5*(100-7) = 53.5
    assert data.frame["outcome"].tolist() == pytest.approx([3.5, 4, 5, 6, 7, 53.5])
    # the input panel is not modified
    assert toy_panel().frame["outcome"].max() == 100.0


def test_winsorize_leaves_the_unmoderated_moderator_alone_and_clips_it_when_moderated():
    moderator = [-100.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 1000.0]
    panel = toy_panel(toy_frame(moderator=moderator, effect=[0.5] * 9))
    # clip at q=0.1: -100 + 0.8*120 = -4; q=0.9: 80 + 0.2*920 = 264
    clipped = np.array([-4.0, 20, 30, 40, 50, 60, 70, 80, 264])
    # mean of clipped = (-4 + 350 + 264)/9 = 610/9
    data = Sample(panel, Spec(winsorize=(0.1, 0.9), moderation="centered"))
    assert data.frame[MODERATOR_TERM].to_numpy() == pytest.approx(clipped - 610 / 9)
    # constant effect: slope 0, intercept 0.5, moderator truth = 0*mean + 1*DELTA
    assert data.truth["treatment"] == pytest.approx(0.5)
    assert data.truth["treatment_x_moderator"] == pytest.approx(0.0, abs=1e-12)
    assert data.truth["moderator"] == pytest.approx(DELTA)


# --------------------------------------------------------------------------- median split


def test_median_split_with_tie_at_median():
    # treatment 1,2,3,5,5,5,7,8,9 -> 7 distinct values (odd), median 5 (the 5th of 9)
    panel = toy_panel(toy_frame(treatment=[1.0, 2.0, 3.0, 5.0, 5.0, 5.0, 7.0, 8.0, 9.0]))
    high = Sample(panel, Spec(treatment_half="high"))
    # strictly above 5: rows 6,7,8 -> effects 0.3,0.5,0.7, mean 0.5
    assert high.frame["treatment"].tolist() == [7.0, 8.0, 9.0]
    assert high.truth["treatment"] == pytest.approx(0.5)
    assert high.rows == {"data": 9, "window": 9, "median_split": 3}
    low = Sample(panel, Spec(treatment_half="low"))
    # at or below 5: rows 0..5 -> -0.9-0.7-0.5-0.3-0.1+0.1 = -2.4; /6 = -0.4
    assert low.frame["treatment"].tolist() == [1.0, 2.0, 3.0, 5.0, 5.0, 5.0]
    assert low.truth["treatment"] == pytest.approx(-0.4)
    assert low.rows["median_split"] == 6


def test_median_split_distinct_values():
    # treatment 1..9: median 5; high = 6..9 (effects 0.1,0.3,0.5,0.7 -> 0.4); low = 1..5 (-> -0.5)
    assert run(treatment_half="high").truth["treatment"] == pytest.approx(0.4)
    assert run(treatment_half="low").truth["treatment"] == pytest.approx(-0.5)


def test_median_split_after_winsorize_uses_clipped_treatment():
    # treatment clipped to 1.8,2..8,8.2 (median still 5); high keeps 6,7,8,8.2
    data = run(winsorize=(0.1, 0.9), treatment_half="high")
    assert data.frame["treatment"].tolist() == pytest.approx([6, 7, 8, 8.2])
    assert data.truth["treatment"] == pytest.approx(0.4)


# --------------------------------------------------------------------------- covariates


def test_controls_paper_none_and_resource_control():
    assert run().covariates == ("c1", "c2")
    assert run(controls="none").covariates == ()
    data = run(resource_control=True)
    assert data.covariates == ("c1", "c2", "resource_city")
    assert data.frame["resource_city"].tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0]
    data = run(controls="none", resource_control=True)
    assert data.covariates == ("resource_city",)
    assert "c1" not in data.frame.columns and "c2" not in data.frame.columns
    # resource_city only joins when asked
    assert "resource_city" not in run().frame.columns
    # columns of the prepared frame
    assert list(run(controls="none").frame.columns) == ["unit", "time", "outcome", "treatment", "moderator"]  # no truth


def test_resource_control_needs_the_column():
    with pytest.raises(UserInputError, match=r"data\.columns\.resource_city"):
        run(toy_panel(drop=["resource_city"]), resource_control=True)


# --------------------------------------------------------------------------- moderation


def test_moderation_centered_hand_values():
    data = run(moderation="centered")
    frame = data.frame
    assert data.terms == {"treatment": "treatment", "moderator": MODERATOR_TERM,
                          "treatment_x_moderator": INTERACTION_TERM}
    assert data.moderator_scale == 1.0
    # M~ = M - 50 -> -40..40 step 10
    tilde = np.arange(-40.0, 41.0, 10.0)
    assert frame[MODERATOR_TERM].to_numpy() == pytest.approx(tilde)
    assert frame[MODERATOR_TERM].mean() == pytest.approx(0.0, abs=1e-12)
    # interaction = (D - 5) * M~ ; D = 1..9 -> D - 5 = -4..4
    assert frame[INTERACTION_TERM].to_numpy() == pytest.approx(np.arange(-4.0, 5.0) * tilde)
    # effect = A + B*M = (A + 50B) + B*M~ = -0.1 + 0.02*M~
    assert data.truth["treatment"] == pytest.approx(-0.1)
    assert data.truth["treatment_x_moderator"] == pytest.approx(0.02)
    # moderator truth = 1 * mean(moderator_effect) = 0.003
    assert data.truth["moderator"] == pytest.approx(DELTA)


def test_moderation_normalized_hand_values():
    data = run(moderation="normalized")
    frame = data.frame
    assert data.moderator_scale == 80.0  # 90 - 10
    # (M - 10)/80 has mean 0.5 -> M~ = (M - 50)/80 = -0.5..0.5 step 0.125
    tilde = np.arange(-40.0, 41.0, 10.0) / 80.0
    assert frame[MODERATOR_TERM].to_numpy() == pytest.approx(tilde)
    assert frame[MODERATOR_TERM].mean() == pytest.approx(0.0, abs=1e-12)
    assert frame[MODERATOR_TERM].max() - frame[MODERATOR_TERM].min() == pytest.approx(1.0)
    assert frame[INTERACTION_TERM].to_numpy() == pytest.approx(np.arange(-4.0, 5.0) * tilde)
    # effect = -0.1 + 0.02*(M - 50) = -0.1 + (0.02*80)*M~ = -0.1 + 1.6*M~
    assert data.truth["treatment"] == pytest.approx(-0.1)
    assert data.truth["treatment_x_moderator"] == pytest.approx(1.6)
    # moderator truth = 80 * mean(moderator_effect) = 80*0.003 = 0.24
    assert data.truth["moderator"] == pytest.approx(0.24)


def test_moderation_after_a_row_selection_uses_the_final_rows():
    data = run(moderation="normalized", drop_municipalities=True)
    # rows 3..8: M 40..90 (mean 65, span 50), D 4..9 (mean 6.5)
    frame = data.frame
    tilde = (np.arange(40.0, 91.0, 10.0) - 65.0) / 50.0
    assert frame[MODERATOR_TERM].to_numpy() == pytest.approx(tilde)
    assert frame[INTERACTION_TERM].to_numpy() == pytest.approx((np.arange(4.0, 10.0) - 6.5) * tilde)
    assert data.moderator_scale == 50.0
    # effect = (A + 65B) + 50B*M~ = 0.2 + 1.0*M~
    assert data.truth["treatment"] == pytest.approx(0.2)
    assert data.truth["treatment_x_moderator"] == pytest.approx(1.0)
    # moderator = 50 * mean(moderator_effect) = 50*0.003 = 0.15
    assert data.truth["moderator"] == pytest.approx(0.15)


def test_moderation_projection_with_a_residual():
    # effect not linear in M: effect = 0 except row 8 (M=90) = 0.9.
    # centered M~ = -40..40; cov(effect, M~) = 0.9*40/9 = 4; var(M~) = 2*(1600+900+400+100)/9 = 6000/9
    # slope = 4 / (6000/9) = 36/6000 = 0.006; intercept = mean effect = 0.1
    panel = toy_panel(toy_frame(effect=[0.0] * 8 + [0.9]), drop=["moderator_effect"])
    data = Sample(panel, Spec(moderation="centered"))
    assert data.truth["treatment"] == pytest.approx(0.1)
    assert data.truth["treatment_x_moderator"] == pytest.approx(0.006)
    # no moderator_effect column counts as 0
    assert data.truth["moderator"] == pytest.approx(0.0)


def test_moderation_needs_the_moderator_column():
    with pytest.raises(UserInputError, match=r"data\.columns\.moderator"):
        run(toy_panel(drop=["moderator"]), moderation="centered")


def test_normalized_constant_moderator_raises():
    panel = toy_panel(toy_frame(moderator=[7.0] * 9))
    with pytest.raises(UserInputError, match="DIFI"):
        apply_spec(panel, Spec(moderation="normalized"))


# --------------------------------------------------------------------------- rows bookkeeping


def test_rows_list_counts_after_each_step_in_order():
    data = run(window_start=2016, window_end=2017, drop_municipalities=True, treatment_half="high")
    # window: rows 1,2,4,5,7,8 (6); drop unit a: rows 4,5,7,8 (4), treatment 5,6,8,9;
    # median = (6+8)/2 = 7; high keeps 8,9 -> rows 7,8 (2), effects 0.5, 0.7 -> mean 0.6
    assert data.rows == {"data": 9, "window": 6, "exclusions": 4, "median_split": 2}
    assert list(data.rows) == ["data", "window", "exclusions", "median_split"]
    assert data.n_obs == 2
    assert data.truth["treatment"] == pytest.approx(0.6)
    assert data.describe()["rows"] == data.rows
    assert data.describe()["window"] == [2016, 2017]


def test_rows_without_optional_steps():
    assert run().rows == {"data": 9, "window": 9}
    assert run(window_start=2015, window_end=2016).rows == {"data": 9, "window": 6}


# --------------------------------------------------------------------------- files: no truth


@pytest.mark.parametrize("moderation", ["none", "centered", "normalized"])
def test_panel_without_effect_has_no_truth(moderation):
    data = run(toy_panel(drop=["effect"]), moderation=moderation)
    assert set(data.truth) == set(data.terms)
    assert all(value is None for value in data.truth.values())
    assert "effect" not in data.frame.columns


# --------------------------------------------------------------------------- constant treatment


def test_constant_treatment_raises():
    panel = toy_panel(toy_frame(treatment=[2.0] * 9))
    with pytest.raises(UserInputError, match="UIL"):
        apply_spec(panel, Spec())


def test_low_half_with_constant_treatment_raises():
    # treatment 1,1,1,1,1,2,3,4,5: median 1, low keeps the five 1s -> no variation
    panel = toy_panel(toy_frame(treatment=[1.0] * 5 + [2.0, 3.0, 4.0, 5.0]))
    with pytest.raises(UserInputError, match="no variation"):
        apply_spec(panel, Spec(treatment_half="low"))
    # the high half (2,3,4,5) is fine: effects rows 5..8 -> 0.1,0.3,0.5,0.7, mean 0.4
    assert Sample(panel, Spec(treatment_half="high")).truth["treatment"] == pytest.approx(0.4)


def test_window_leaving_constant_treatment_raises():
    # treatment constant (=3) in 2016-2017 only
    panel = toy_panel(toy_frame(treatment=[1.0, 3.0, 3.0, 2.0, 3.0, 3.0, 4.0, 3.0, 3.0]))
    with pytest.raises(UserInputError, match="no variation"):
        apply_spec(panel, Spec(window_start=2016, window_end=2017))
