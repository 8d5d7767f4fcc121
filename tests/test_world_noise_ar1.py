"""The ``data.world.noise_ar1`` knob: AR(1) shocks of the Gini within each city.

The Gini is linear in its shock (``parts_it = ... + outcome_noise * r_it``, then minus the
panel mean and plus a per-city floor/ceiling shift), and the shock's innovations are drawn
whatever ``outcome_noise`` is, so a world minus the same world with ``outcome_noise = 0``
(same seed, same knobs otherwise) is the shock minus its panel mean, exactly, in every city
that ``_keep_inside`` shifted in neither world. Those few cities (one to three at seed 0)
are the ones whose Gini path touches the floor or the ceiling, and are left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from scipy.stats import norm

from framework.data.synthetic import WorldKnobs, generate_world
from framework.data.synthetic.world import GINI_CEILING, GINI_FLOOR, _ar1_within_city
from framework.errors import UserInputError

ROOT = Path(__file__).resolve().parents[1]
PHI = 0.6


def _frames(world) -> dict[str, pd.DataFrame]:
    return {
        "panel": world.panel.frame,
        "townships": world.townships,
        "sector_shares": world.sector_shares,
        "indicators": world.indicators,
    }


def _assert_identical(a: pd.DataFrame, b: pd.DataFrame, skip: tuple[str, ...] = ()) -> None:
    assert list(a.columns) == list(b.columns) and a.shape == b.shape
    for column in a.columns:
        if column in skip:
            continue
        x, y = a[column].to_numpy(), b[column].to_numpy()
        assert x.dtype == y.dtype, column
        if x.dtype.kind == "f":  # bit for bit, not just ==
            assert np.array_equal(x.view(np.int64), y.view(np.int64)), column
        else:
            assert (x == y).all(), column


@pytest.fixture(scope="module")
def default_world():
    return generate_world(seed=0)


@pytest.fixture(scope="module")
def world_iid():
    return generate_world(WorldKnobs(noise_ar1=0.0), seed=0)


@pytest.fixture(scope="module")
def world_ar():
    return generate_world(WorldKnobs(noise_ar1=PHI), seed=0)


@pytest.fixture(scope="module")
def world_silent():
    """Seed 0 without the Gini's shock (its innovations are still drawn)."""
    return generate_world(WorldKnobs(outcome_noise=0.0), seed=0)


def _shifted_cities(frame: pd.DataFrame) -> set[str]:
    """Cities that ``_keep_inside`` moved: their path touches the floor or the ceiling exactly."""
    by_city = frame.groupby("unit")["outcome"]
    low, high = by_city.min(), by_city.max()
    return set(low.index[low < GINI_FLOOR + 1e-9]) | set(high.index[high > GINI_CEILING - 1e-9])


def _shock(world, silent, *others) -> pd.DataFrame:
    """unit, time, shock (minus its panel mean) over the cities shifted in none of the worlds."""
    f, g = world.panel.frame, silent.panel.frame
    assert f[["unit", "time"]].equals(g[["unit", "time"]])
    shock = pd.DataFrame({"unit": f["unit"], "time": f["time"], "shock": f["outcome"] - g["outcome"]})
    shifted = set().union(*(_shifted_cities(w.panel.frame) for w in (world, silent, *others)))
    kept = shock[~shock["unit"].isin(shifted)]
    assert kept["unit"].nunique() >= 240  # only a handful of the 253 cities is shifted
    return kept.sort_values(["unit", "time"]).reset_index(drop=True)


def _lag1(shock: pd.DataFrame) -> tuple[float, int]:
    """Within-city lag-1 correlation of consecutive years' shocks and the number of pairs."""
    lag = shock.groupby("unit")["shock"].shift(1)
    consecutive = shock["time"] - shock.groupby("unit")["time"].shift(1) == 1
    pairs = lag.notna() & consecutive
    return float(np.corrcoef(shock.loc[pairs, "shock"], lag[pairs])[0, 1]), int(pairs.sum())


# --------------------------------------------------------------------------- (a) 0 is today's world


def test_zero_is_the_default_world_bit_for_bit(default_world, world_iid):
    assert WorldKnobs().noise_ar1 == 0.0
    for name, frame in _frames(default_world).items():
        _assert_identical(frame, _frames(world_iid)[name])
    assert world_iid.panel.sha256() == default_world.panel.sha256()


def test_zero_filter_returns_the_draws_untouched():
    draws = np.random.default_rng(1).standard_normal(12)
    city, year = np.repeat(np.arange(3), 4), np.tile(np.arange(2011, 2015), 3)
    assert _ar1_within_city(draws, city, year, 0.0) is draws


def test_config_default_is_zero():
    node = OmegaConf.to_container(OmegaConf.load(ROOT / "conf" / "data" / "synthetic.yaml"))["world"]
    assert node["noise_ar1"] == 0.0
    assert WorldKnobs.from_config(node) == WorldKnobs()


# --------------------------------------------------------------------------- the random stream


def test_only_the_gini_moves(default_world, world_ar):
    """Same draws in the same order: everything but the Gini (and its lights) is unchanged."""
    a, b = _frames(default_world), _frames(world_ar)
    _assert_identical(a["panel"], b["panel"], skip=("outcome",))
    _assert_identical(a["townships"], b["townships"], skip=("light",))
    _assert_identical(a["sector_shares"], b["sector_shares"])
    _assert_identical(a["indicators"], b["indicators"])
    assert not np.allclose(a["panel"]["outcome"], b["panel"]["outcome"])


def test_ar_shock_is_the_iid_shock_filtered(world_iid, world_ar, world_silent):
    """The AR(1) world's shock is exactly the independent world's innovations filtered by city.

    Both recovered shocks miss their (unknown) panel means m0, m1, so
    ``ar = filter(iid) + m0 * filter(1) - m1``: a least-squares fit on (filter(1), 1) leaves
    rounding error only.
    """
    iid, ar = _shock(world_iid, world_silent, world_ar), _shock(world_ar, world_silent, world_iid)
    assert iid[["unit", "time"]].equals(ar[["unit", "time"]])
    city = pd.factorize(iid["unit"])[0]
    year = iid["time"].to_numpy()
    filtered = _ar1_within_city(iid["shock"].to_numpy(), city, year, PHI)
    ones = _ar1_within_city(np.ones(len(iid)), city, year, PHI)
    gap = ar["shock"].to_numpy() - filtered
    design = np.column_stack([ones, np.ones(len(iid))])
    coef, *_ = np.linalg.lstsq(design, gap, rcond=None)
    assert np.abs(gap - design @ coef).max() < 1e-10


def test_filter_follows_the_years_whatever_the_row_order():
    rng = np.random.default_rng(2)
    city, year = np.repeat(np.arange(5), 6), np.tile(np.arange(2011, 2017), 5)
    draws = rng.standard_normal(city.size)
    expected = draws.reshape(5, 6).copy()
    for t in range(1, 6):
        expected[:, t] = 0.5 * expected[:, t - 1] + np.sqrt(0.75) * draws.reshape(5, 6)[:, t]
    np.testing.assert_allclose(_ar1_within_city(draws, city, year, 0.5), expected.ravel(), rtol=0, atol=1e-15)
    shuffle = rng.permutation(city.size)  # e.g. a year-major panel
    np.testing.assert_allclose(
        _ar1_within_city(draws[shuffle], city[shuffle], year[shuffle], 0.5), expected.ravel()[shuffle], rtol=0, atol=1e-15
    )


# --------------------------------------------------------------------------- (b) autocorrelation, (c) SD


def test_lag1_autocorrelation_is_noise_ar1(world_ar, world_iid, world_silent):
    """About 2,500 within-city pairs: the lag-1 correlation of an AR(1) has sampling SD
    sqrt((1 - phi^2) / pairs) (Bartlett), 0.016 at phi = 0.6 and 0.020 at phi = 0; allow 4 SD."""
    r_ar, pairs = _lag1(_shock(world_ar, world_silent))
    assert pairs >= 2400
    assert abs(r_ar - PHI) < 4 * np.sqrt((1 - PHI**2) / pairs), r_ar
    r_iid, pairs = _lag1(_shock(world_iid, world_silent))
    assert abs(r_iid) < 4 * np.sqrt(1 / pairs), r_iid


def test_marginal_sd_is_unchanged(world_ar, world_iid, world_silent):
    """Same innovations, so the two SDs share most of their sampling error; an unpaired AR(1)
    SD over 2,783 city-years has a relative sampling SD of about 2 % at phi = 0.6."""
    sd_iid = _shock(world_iid, world_silent)["shock"].std(ddof=0)
    sd_ar = _shock(world_ar, world_silent)["shock"].std(ddof=0)
    assert abs(sd_ar / sd_iid - 1) < 0.05, (sd_ar, sd_iid)
    # both near outcome_noise times the SD of a standard normal clipped at +-2.5
    clipped_sd = np.sqrt(1 - 2 * (2.5 * norm.pdf(2.5) + norm.sf(2.5)) + 2 * 2.5**2 * norm.sf(2.5))
    for sd in (sd_iid, sd_ar):
        assert abs(sd / (WorldKnobs().outcome_noise * clipped_sd) - 1) < 0.05, sd


# --------------------------------------------------------------------------- (d) bad values


@pytest.mark.parametrize("value", [1.0, -0.1, 1.5, float("nan")])
def test_bad_value_is_refused_in_one_line(value):
    with pytest.raises(UserInputError, match=r"data\.world\.noise_ar1") as caught:
        WorldKnobs.from_config({"noise_ar1": value})
    assert "\n" not in str(caught.value)
    with pytest.raises(UserInputError, match=r"data\.world\.noise_ar1"):
        generate_world(WorldKnobs(noise_ar1=value, n_cities=10), seed=0)


@pytest.mark.parametrize("value", [0.0, 0.5, 0.99])
def test_good_values_are_accepted(value):
    assert WorldKnobs.from_config({"noise_ar1": value}).noise_ar1 == value
