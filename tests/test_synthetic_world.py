"""Tests for the calibrated synthetic world (framework.data.synthetic).

The world imitates seed 000's panel (253 cities x 2011-2021, Table 1 moments, eq. 1 Gini from
township lights, eq. 2 UIL from sector shares) with a known effect of UIL on the Gini in every
city-year, and supplies seed 002's digital-economy indicators. Each world takes a few seconds
to draw, so the worlds are module-scoped fixtures, drawn once each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from framework.data.synthetic import CONTROLS, TABLE1, WorldKnobs, generate_world
from framework.errors import UserInputError
from framework.indices import coupling_coordination, entropy_index, gini, gini_by_group

N_CITIES, YEARS = 253, list(range(2011, 2022))

# Table 1 variable -> panel column
TABLE1_COLUMNS = {
    "Gini": "outcome",
    "UIL": "treatment",
    "EI": "EI",
    "SN": "SN",
    "ES": "ES",
    "DL": "DL",
    "GDP": "GDP",
    "DIFI": "moderator",
}

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def world():
    return generate_world(seed=0)


@pytest.fixture(scope="module")
def frame(world) -> pd.DataFrame:
    return world.panel.frame


@pytest.fixture(scope="module")
def unconfounded_linear_constant_world():
    """Seed 0 with confounding, non-linearity and heterogeneity all switched off."""
    return generate_world(WorldKnobs(confounding=0.0, nonlinearity=0.0, heterogeneity=0.0), seed=0)


# --------------------------------------------------------------------------- shape


def test_panel_shape_balanced(world, frame):
    panel = world.panel
    assert len(frame) == N_CITIES * len(YEARS) == 2783
    assert panel.n_units == N_CITIES
    assert panel.periods == YEARS
    assert panel.is_balanced
    assert not frame.duplicated(["unit", "time"]).any()
    assert (frame.groupby("unit").size() == len(YEARS)).all()
    assert panel.is_synthetic
    assert list(panel.controls) == list(CONTROLS)
    assert frame[["outcome", "treatment", *CONTROLS, "moderator", "effect"]].notna().all().all()


def test_municipalities_and_resource_cities(frame):
    by_city = frame.groupby("unit")
    # flags are city traits: constant within each city
    assert (by_city["municipality"].nunique() == 1).all()
    assert (by_city["resource_city"].nunique() == 1).all()
    municipality = by_city["municipality"].first()
    resource = by_city["resource_city"].first()
    assert set(municipality.unique()) <= {0, 1} and set(resource.unique()) <= {0, 1}
    assert municipality.sum() == 4
    assert len(frame[frame["municipality"] == 0]) == 2739
    assert 0.35 <= resource.mean() <= 0.45
    assert not (municipality.astype(bool) & resource.astype(bool)).any()


# --------------------------------------------------------------------------- Table 1


@pytest.mark.parametrize("variable", list(TABLE1_COLUMNS))
def test_table1_mean_and_sd_within_10_percent(frame, variable):
    column = frame[TABLE1_COLUMNS[variable]]
    paper_mean, paper_sd = TABLE1[variable]
    assert abs(column.mean() - paper_mean) <= 0.10 * abs(paper_mean), (variable, column.mean(), paper_mean)
    assert abs(column.std() - paper_sd) <= 0.10 * paper_sd, (variable, column.std(), paper_sd)


def test_table1_constants_are_the_papers():
    assert TABLE1["Gini"] == (0.407, 0.147)
    assert TABLE1["UIL"] == (2.309, 0.142)
    assert TABLE1["DIFI"] == (185.837, 73.191)


def test_ranges_are_plausible(frame):
    assert frame["outcome"].gt(0).all() and frame["outcome"].lt(1).all()
    assert frame["treatment"].ge(1).all() and frame["treatment"].le(3).all()


def test_difi_rises_every_year_and_at_least_triples(frame):
    yearly = frame.groupby("time")["moderator"].mean().sort_index()
    assert list(yearly.index) == YEARS
    assert (yearly.diff().dropna() > 0).all(), yearly
    assert yearly.loc[2021] >= 3 * yearly.loc[2011], yearly


# --------------------------------------------------------------------------- eq. 1: Gini from lights


def _gini_literal(lights) -> float:
    """Seed 000 eq. 1 written out: sum_k sum_r |L_k - L_r| / (2 n^2 mean(L))."""
    values = [float(v) for v in lights]
    n = len(values)
    total = 0.0
    for a in values:
        for b in values:
            total += abs(a - b)
    return total / (2 * n**2 * (sum(values) / n))


def test_townships_per_city_and_lights(world):
    lights = world.townships
    assert set(lights.columns) >= {"unit", "time", "township", "light"}
    assert (lights["light"] >= 0).all() and np.isfinite(lights["light"]).all()
    per_city_year = lights.groupby(["unit", "time"])["township"].nunique()
    assert len(per_city_year) == 2783
    per_city = per_city_year.groupby(level="unit")
    # the same townships every year
    assert (per_city.nunique() == 1).all()
    counts = per_city.first()
    assert counts.between(10, 40).all()
    assert counts.min() < counts.max()  # not a constant count


def test_eq1_gini_recomputed_from_townships_equals_outcome(world, frame):
    lights = world.townships
    recomputed = gini_by_group(lights["light"].to_numpy(), lights[["unit", "time"]])
    keyed = frame.set_index(["unit", "time"])["outcome"]
    recomputed = recomputed.reindex(keyed.index)
    assert recomputed.notna().all()
    np.testing.assert_allclose(recomputed.to_numpy(), keyed.to_numpy(), rtol=0, atol=1e-12)


def test_eq1_gini_single_and_literal_double_sum_on_a_sample(world, frame):
    rng = np.random.default_rng(12345)
    sample = frame.iloc[rng.choice(len(frame), size=60, replace=False)]
    groups = dict(tuple(world.townships.groupby(["unit", "time"])["light"]))
    for unit, time, outcome in sample[["unit", "time", "outcome"]].itertuples(index=False):
        lights = groups[(unit, time)].to_numpy()
        assert abs(gini(lights) - outcome) <= 1e-12
        assert abs(_gini_literal(lights) - outcome) <= 1e-12


# --------------------------------------------------------------------------- eq. 2: UIL from shares


def test_eq2_uil_from_sector_shares_equals_treatment(world, frame):
    shares = world.sector_shares
    assert len(shares) == 2783
    merged = frame[["unit", "time", "treatment"]].merge(shares, on=["unit", "time"], how="left", validate="1:1")
    p = merged[["primary", "secondary", "tertiary"]].to_numpy()
    assert np.isfinite(p).all()
    assert (p >= 0).all() and (p <= 1).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    uil = 1 * p[:, 0] + 2 * p[:, 1] + 3 * p[:, 2]
    np.testing.assert_allclose(uil, merged["treatment"].to_numpy(), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_panel_other_seed_other_panel(world):
    again = generate_world(seed=0)
    assert again.panel.sha256() == world.panel.sha256()
    pd.testing.assert_frame_equal(again.panel.frame, world.panel.frame, check_exact=True)
    pd.testing.assert_frame_equal(again.townships, world.townships, check_exact=True)
    pd.testing.assert_frame_equal(again.indicators, world.indicators, check_exact=True)

    other = generate_world(seed=1)
    assert other.panel.sha256() != world.panel.sha256()
    assert not np.array_equal(other.panel.frame["outcome"].to_numpy(), world.panel.frame["outcome"].to_numpy())


# --------------------------------------------------------------------------- truth by construction


def test_mean_effect_equals_effect_mean(world, frame):
    assert world.knobs.effect_mean == -0.10
    assert abs(frame["effect"].mean() - world.knobs.effect_mean) <= 1e-9


def test_no_heterogeneity_gives_a_constant_effect():
    knobs = WorldKnobs(heterogeneity=0.0)
    effect = generate_world(knobs, seed=0).panel.frame["effect"].to_numpy()
    np.testing.assert_array_equal(effect, np.full(effect.size, knobs.effect_mean))


def test_effect_positive_early_negative_late(frame):
    early = frame.loc[frame["time"] <= 2015, "effect"].mean()
    late = frame.loc[frame["time"].between(2016, 2021), "effect"].mean()
    assert early > 0, early
    assert late < 0, late


def test_effect_by_median_split_of_uil(frame):
    median = frame["treatment"].median()
    above = frame.loc[frame["treatment"] > median, "effect"].mean()
    at_or_below = frame.loc[frame["treatment"] <= median, "effect"].mean()
    assert above < 0, above
    assert at_or_below > above, (above, at_or_below)


def test_effect_slope_on_difi(frame):
    slope = np.polyfit(frame["moderator"].to_numpy(), frame["effect"].to_numpy(), 1)[0]
    assert -0.0025 <= slope <= -0.0010, slope


def test_moderator_effect_is_the_derivative_of_the_gini_in_difi(world, frame):
    """G holds tau_it (U - 2.309) + delta (M - mean M), and tau_it moves by eta * b per DIFI unit."""
    knobs = world.knobs
    expected = knobs.moderator_direct + knobs.heterogeneity * knobs.effect_difi_slope * (frame["treatment"] - TABLE1["UIL"][0])
    np.testing.assert_allclose(frame["moderator_effect"], expected, atol=1e-15)


def test_ols_recovers_constant_effect_without_confounding(unconfounded_linear_constant_world):
    """With confounding, non-linearity and heterogeneity off, the Gini is linear in UIL, the
    controls, DIFI and city/year effects, so two-way-FE OLS is unbiased for effect_mean."""
    world = unconfounded_linear_constant_world
    frame = world.panel.frame
    np.testing.assert_array_equal(frame["effect"].to_numpy(), world.knobs.effect_mean)
    design = np.column_stack(
        [
            frame["treatment"].to_numpy(),
            frame[list(CONTROLS)].to_numpy(),
            frame["moderator"].to_numpy(),
            pd.get_dummies(frame["unit"], dtype=float).to_numpy(),  # city dummies (absorb the constant)
            pd.get_dummies(frame["time"], drop_first=True, dtype=float).to_numpy(),  # year dummies
        ]
    )
    y = frame["outcome"].to_numpy()
    beta, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    assert rank == design.shape[1]
    resid = y - design @ beta
    sigma2 = resid @ resid / (len(y) - rank)
    se = float(np.sqrt(sigma2 * np.linalg.inv(design.T @ design)[0, 0]))
    assert 0 < se < 0.05
    assert abs(beta[0] - world.knobs.effect_mean) <= 4 * se, (beta[0], se)


def test_confounding_knob_weakens_uil_gdp_association(world, unconfounded_linear_constant_world):
    def city_corr(frame: pd.DataFrame) -> float:
        means = frame.groupby("unit")[["treatment", "GDP"]].mean()
        return float(means["treatment"].corr(means["GDP"]))

    with_default = city_corr(world.panel.frame)
    # the unconfounded fixture also switches non-linearity and heterogeneity off; neither enters
    # UIL except through the confounding term, so draw the pure confounding=0 world too
    without = city_corr(generate_world(WorldKnobs(confounding=0.0), seed=0).panel.frame)
    assert abs(without) < abs(with_default), (without, with_default)
    assert abs(city_corr(unconfounded_linear_constant_world.panel.frame)) < abs(with_default)


# --------------------------------------------------------------------------- knobs


def test_defaults_and_from_config_roundtrip():
    knobs = WorldKnobs.from_config({"confounding": 0.5})
    assert knobs.confounding == 0.5 and knobs.n_cities == 253
    assert WorldKnobs.from_config(None) == WorldKnobs()
    assert WorldKnobs().years == YEARS


def test_unknown_knob_is_rejected():
    with pytest.raises(UserInputError, match="n_citys"):
        WorldKnobs.from_config({"n_citys": 10})


@pytest.mark.parametrize("key", ["outcome_noise", "treatment_noise", "confounding", "heterogeneity"])
def test_negative_knob_is_rejected(key):
    with pytest.raises(UserInputError, match=key):
        WorldKnobs.from_config({key: -0.01})


# --------------------------------------------------------------------------- seed 002 indicators


def test_indicators_one_row_per_city_year_all_positive(world, frame):
    indicators = world.indicators
    assert len(indicators) == len(frame)
    assert not indicators.duplicated(["unit", "time"]).any()
    keys = set(zip(frame["unit"], frame["time"]))
    assert set(zip(indicators["unit"], indicators["time"])) == keys
    columns = [c for names in world.subsystems.values() for c in names]
    assert len(world.subsystems) == 3
    assert len(columns) == len(set(columns))
    assert set(columns) <= set(indicators.columns)
    values = indicators[columns].to_numpy()
    assert np.isfinite(values).all() and (values > 0).all()


def test_entropy_and_coupling_coordination_over_subsystems(world):
    indicators = world.indicators
    subsystem_index = pd.DataFrame(
        {name: entropy_index(indicators, columns).index for name, columns in world.subsystems.items()}
    )
    assert subsystem_index.notna().all().all()
    for name, columns in world.subsystems.items():
        weights = entropy_index(indicators, columns).weights
        assert weights.sum() == pytest.approx(1.0) and (weights > 0).all(), name
    coupled = coupling_coordination(subsystem_index)
    assert len(coupled) == len(indicators)
    assert coupled["D"].between(0, 1).all()
    assert coupled["C"].between(0, 1).all()
    assert coupled["level"].between(1, 10).all()
    # digitalisation rises, so coordination does too on average
    by_year = coupled["D"].groupby(indicators["time"].to_numpy()).mean()
    assert by_year.loc[2021] > by_year.loc[2011]
