"""The collapsed panel likelihood (framework/bayes/collapsed.py) against a second
implementation, its gradient against finite differences, the control functions, the compile
cache across processes, and the posterior predictive check of serial correlation."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from framework.bayes.collapsed import log_density, log_likelihood_and_gradient
from framework.bayes.collapsed_stats import consecutive, log_density_sums, panel_sums
from framework.bayes.rows import PanelRows
from framework.estimators.bayes_hier.basis import control_basis
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def small_panel():
    """Six units over five periods, one unit missing a middle period (an AR(1) gap of two)
    and one missing its last two: unbalanced and with gaps."""
    rng = np.random.default_rng(1)
    units, periods = np.repeat(np.arange(6), 5), np.tile(np.arange(5), 6)
    keep = np.ones(30, bool)
    keep[[7, 13, 14]] = False
    rows = PanelRows.from_codes(units[keep], periods[keep])
    W = rng.normal(size=(rows.n_rows, 3))
    d = W[:, 0].copy()
    y = rng.normal(size=rows.n_rows)
    period = periods[keep][rows.order]
    return rows, W, d, y, period


def _arrays(rows, W, d, y):
    return (y, W, d, rows.unit, rows.prev, rows.has_prev, rows.gap, rows.n_units)


def _dense_log_likelihood(rows, W, d, y, period, theta, sigma, tau, rho, intercept_sd):
    """The uncollapsed model's marginal likelihood: per unit, y_i ~ Normal(W theta,
    sigma^2 R(rho) + tau^2 d d' + intercept_sd^2 1 1'), R(rho)_ts = rho^|t - s|."""
    total = 0.0
    for i in range(rows.n_units):
        idx = np.flatnonzero(rows.unit == i)
        t = period[idx]
        cov = sigma**2 * rho ** np.abs(t[:, None] - t[None, :]) + tau**2 * np.outer(d[idx], d[idx]) + intercept_sd**2
        total += multivariate_normal(mean=(W @ theta)[idx], cov=cov).logpdf(y[idx])
    return total


@pytest.mark.parametrize("rho", [0.6, -0.3, 0.0])
def test_collapsed_likelihood_is_the_uncollapsed_marginal_likelihood(small_panel, rho):
    rows, W, d, y, period = small_panel
    theta, sigma, tau = np.array([0.4, -0.2, 0.1]), 0.8, 0.5
    collapsed = log_likelihood_and_gradient(theta, sigma, tau, rho, *_arrays(rows, W, d, y), rho != 0.0)[0]
    # a flat intercept prior is the limit of Normal(0, A^2) as A grows, less log(sqrt(2 pi) A) per unit
    big = 1e4
    dense = _dense_log_likelihood(rows, W, d, y, period, theta, sigma, tau, rho, big)
    assert collapsed == pytest.approx(dense + 0.5 * rows.n_units * np.log(2 * np.pi * big**2), abs=1e-5)


@pytest.mark.parametrize("ar1", [True, False])
def test_gradient_matches_finite_differences(small_panel, ar1):
    rows, W, d, y, _ = small_panel
    x = np.r_[0.4, -0.2, 0.1, np.log(0.8), -0.5, *([np.arctanh(0.6)] if ar1 else [])]  # z = -0.5: tau = 0.5
    constants = (np.array([1.0, 2.0, 0.5]), 1.0, 0.5, ar1)
    _, grad = log_density(x, *_arrays(rows, W, d, y), *constants)
    step = 1e-6
    numeric = [
        (log_density(x + e, *_arrays(rows, W, d, y), *constants)[0] - log_density(x - e, *_arrays(rows, W, d, y), *constants)[0])
        / (2 * step)
        for e in np.eye(len(x)) * step
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_the_density_is_symmetric_in_the_slope_spread_coordinate(small_panel):
    """tau = |z|: z and -z are the same model, so the density is even in z and its z-gradient odd."""
    rows, W, d, y, _ = small_panel
    constants = (np.array([1.0, 2.0, 0.5]), 1.0, 0.5, True)
    x = np.r_[0.4, -0.2, 0.1, np.log(0.8), 0.3, np.arctanh(0.6)]
    mirrored = x.copy()
    mirrored[4] = -0.3
    (value, grad), (value_m, grad_m) = (log_density(v, *_arrays(rows, W, d, y), *constants) for v in (x, mirrored))
    assert value == pytest.approx(value_m, abs=1e-12)
    np.testing.assert_allclose(grad_m, grad * np.r_[1, 1, 1, 1, -1, 1], rtol=1e-12)
    # tau = 0.3 in the likelihood
    ll = log_likelihood_and_gradient(x[:3], 0.8 / np.sqrt(1 - 0.36), 0.3, 0.6, *_arrays(rows, W, d, y), True)[0]
    prior = -0.5 * np.sum((x[:3] / constants[0]) ** 2) - 0.5 * 0.8**2 + np.log(0.8) - 0.5 * (0.3 / 0.5) ** 2 + np.log(1 - 0.36)
    assert value == pytest.approx(ll + prior, abs=1e-9)


@pytest.mark.parametrize("ar1", [True, False])
def test_per_unit_sums_give_the_row_by_row_density(ar1):
    """Units entering and leaving at different periods, without gaps: the density from per-unit
    sums equals the row-by-row one, value and gradient, at random points."""
    rng = np.random.default_rng(11)
    units, periods = [], []
    for i in range(25):
        first = int(rng.integers(0, 3))
        last = int(rng.integers(first + 1, 9))  # one unit may have a single row
        units += [i] * (last - first)
        periods += list(range(first, last))
    rows = PanelRows.from_codes(np.array(units), np.array(periods))
    assert consecutive(rows)
    W = rng.normal(size=(rows.n_rows, 4))
    d = W[:, 0] + rng.normal(size=rows.n_rows)
    y = rng.normal(size=rows.n_rows)
    sums = panel_sums(y, W, d, rows.unit, rows.prev, rows.has_prev, rows.n_units)
    constants = (np.array([1.0, 2.0, 0.5, 1.0]), 1.0, 0.5, ar1)
    for _ in range(5):
        x = np.r_[rng.normal(size=4), rng.normal(scale=0.5), rng.normal(), *([rng.normal()] if ar1 else [])]
        by_rows = log_density(x, *_arrays(rows, W, d, y), *constants)
        by_sums = log_density_sums(x, *sums, rows.n_rows, rows.n_units, *constants)
        assert by_sums[0] == pytest.approx(by_rows[0], abs=1e-9)
        np.testing.assert_allclose(by_sums[1], by_rows[1], rtol=1e-9, atol=1e-9)


def test_a_panel_with_gaps_is_evaluated_row_by_row(small_panel):
    from framework.bayes.sampling import CollapsedData, log_density_of

    rows, W, d, y, _ = small_panel
    assert not consecutive(rows)
    data = CollapsedData(y=y, W=W, d=d, rows=rows, names=["a", "b", "c"], prior_sd=np.ones(3))
    assert log_density_of(data)[0] is log_density


def test_rows_know_their_predecessor_and_gap(small_panel):
    rows, *_ , period = small_panel
    linked = rows.has_prev > 0
    assert np.all(rows.unit[linked] == rows.unit[rows.prev[linked]])
    np.testing.assert_array_equal(rows.gap[linked], period[linked] - period[rows.prev[linked]])
    assert sorted(set(rows.gap[linked])) == [1.0, 2.0]  # the unit missing a middle period
    assert int((~linked).sum()) == rows.n_units


def test_spline_basis_spans_the_linear_term():
    values = np.random.default_rng(0).lognormal(size=500)
    basis, kind = control_basis(values, interior_knots=5)
    assert kind == "spline" and basis.shape[1] == 8
    design = np.column_stack([np.ones(500), basis])
    fitted = design @ np.linalg.lstsq(design, values, rcond=None)[0]
    np.testing.assert_allclose(fitted, values, atol=1e-8)


def test_controls_with_few_values_enter_without_a_spline():
    binary = np.tile([0.0, 1.0], 50)
    assert control_basis(binary, 5)[1] == "linear"
    levels, kind = control_basis(np.tile([1.0, 2.0, 3.0, 4.0], 25), 5)
    assert kind == "indicators" and levels.shape[1] == 3
    assert control_basis(np.arange(100.0), 0)[1] == "linear"


_SAMPLE_SCRIPT = """
import json, sys
import numpy as np
from framework.bayes.native import compiled
from framework.bayes.rows import PanelRows
from framework.bayes.sampling import CollapsedData, CollapsedSettings, sample_collapsed
rng = np.random.default_rng(3)
units, periods = np.repeat(np.arange(20), 6), np.tile(np.arange(6), 20)
rows = PanelRows.from_codes(units, periods)
W = rng.normal(size=(rows.n_rows, 2)); y = -0.5 * W[:, 0] + rng.normal(size=rows.n_rows)
data = CollapsedData(y=y, W=W, d=W[:, 0].copy(), rows=rows, names=["b", "c"], prior_sd=np.ones(2))
fit = sample_collapsed(data, CollapsedSettings(draws=100, tune=100, chains=2, cores=1, seed=5))
# a panel without gaps: sampled through the per-unit sums' compiled callback
print(json.dumps({"hits": compiled("logp_sums").cache_hits + compiled("expand").cache_hits,
                  "theta": fit.theta[..., 0].ravel().tolist()}))
"""


def test_compiled_code_is_cached_on_disk_and_reused_by_another_process(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}

    def run():
        out = subprocess.run([sys.executable, "-c", _SAMPLE_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    fresh, cached = run(), run()
    assert fresh["hits"] == 0  # compiled in the first process
    assert cached["hits"] == 2  # both callbacks loaded from the disk cache in the second
    assert cached["theta"] == fresh["theta"]  # the same draws either way
