"""The batched R-hat and ESS (framework.bayes.batch_diagnostics) against ArviZ, series by series."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

from framework.bayes.batch_diagnostics import ess_bulk, ess_tail, rhat


def _ar1(rng, chains, draws, series, phi):
    """AR(1) chains with coefficient phi per series, and per-chain offsets so R-hat varies."""
    x = np.empty((chains, draws, series))
    x[:, 0] = rng.standard_normal((chains, series))
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + rng.standard_normal((chains, series))
    return x + rng.normal(0, 0.3, size=(chains, 1, series)) * rng.uniform(0, 1, size=series)


def _arviz(x):
    """ArviZ's rank R-hat, bulk and tail ESS of each series of x (chains, draws, series)."""
    rows = [(az.rhat(x[:, :, s], method="rank"), az.ess(x[:, :, s], method="bulk"), az.ess(x[:, :, s], method="tail"))
            for s in range(x.shape[2])]
    return (np.array([float(r[k]) for r in rows]) for k in range(3))


@pytest.mark.parametrize("chains, draws", [(4, 500), (4, 101), (2, 64), (1, 300)])
def test_equals_arviz_on_autocorrelated_chains(chains, draws):
    rng = np.random.default_rng(chains * 1000 + draws)
    phi = np.r_[np.linspace(-0.6, 0.97, 12)]
    x = np.concatenate([_ar1(rng, chains, draws, 1, p) for p in phi], axis=2)
    expected_rhat, expected_bulk, expected_tail = _arviz(x)
    np.testing.assert_allclose(ess_bulk(x), expected_bulk, rtol=1e-9)
    np.testing.assert_allclose(ess_tail(x), expected_tail, rtol=1e-9)
    if chains >= 2:
        np.testing.assert_allclose(rhat(x), expected_rhat, rtol=1e-9)
    else:
        assert np.isnan(rhat(x)).all() and np.isnan(expected_rhat).all()


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_equals_arviz_on_ties_constants_and_nan():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 200, 5))
    x[:, :, 1] = np.round(x[:, :, 1])            # many ties
    x[:, :, 2] = 2.5                              # constant
    x[:, :, 3] = rng.integers(0, 2, size=(4, 200))  # a 0/1 indicator
    x[1, 7, 4] = np.nan
    expected_rhat, expected_bulk, expected_tail = _arviz(x)
    np.testing.assert_allclose(ess_bulk(x), expected_bulk, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(ess_tail(x), expected_tail, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(rhat(x), expected_rhat, rtol=1e-9, equal_nan=True)
    assert np.isnan(rhat(x)[4]) and np.isnan(ess_bulk(x)[4])


def test_a_stuck_chain_is_flagged():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 300, 3))
    x[0, :, 0] += 3.0  # one chain elsewhere
    values = rhat(x)
    assert values[0] > 1.3 and values[1:].max() < 1.02  # rhat_max is 1.01


def test_shapes_beyond_one_dimension_are_flattened():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 100, 2, 3))
    np.testing.assert_allclose(rhat(x), rhat(x.reshape(4, 100, 6)))


def test_arviz_without_numba_gives_arviz_numbers_and_restores_its_setting():
    from framework.bayes.checks import arviz_without_numba

    x = _ar1(np.random.default_rng(4), 4, 300, 3, 0.7)
    enabled = az.Numba.numba_flag
    with_numba = [np.array(list(values)) for values in _arviz(x)]
    with arviz_without_numba():
        assert not az.Numba.numba_flag
        without = [np.array(list(values)) for values in _arviz(x)]
    assert az.Numba.numba_flag == enabled
    for a, b in zip(with_numba, without):
        np.testing.assert_allclose(a, b, rtol=1e-10)
