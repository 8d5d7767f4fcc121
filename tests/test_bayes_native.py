"""The collapsed model's compiled callbacks (framework/bayes/native.py) against the Numba
functions they wrap, called through their C signatures, and nutpie's draws through them
against its draws through a Python callback of the same density (a second route)."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from framework.bayes.collapsed import log_density
from framework.bayes.collapsed_stats import log_density_sums
from framework.bayes.native import NativeModel, compiled
from framework.bayes.rows import PanelRows
from framework.bayes.sampling import CollapsedData, CollapsedSettings, _start, log_density_of

PRIOR = dict(noise_sd=1.0, slope_sd=0.5)


def _data(gaps: bool) -> CollapsedData:
    rng = np.random.default_rng(11)
    units, periods = np.repeat(np.arange(30), 6), np.tile(np.arange(6), 30)
    keep = rng.random(units.size) > 0.15 if gaps else np.ones(units.size, bool)
    rows = PanelRows.from_codes(units[keep], periods[keep])
    W = rng.normal(size=(rows.n_rows, 3))
    y = -0.4 * W[:, 0] + 0.3 * W[:, 1] + rng.normal(size=rows.n_rows)
    return CollapsedData(y=y, W=W, d=W[:, 0].copy(), rows=rows, names=["d", "b", "c"], prior_sd=np.array([1.0, 2.0, 0.5]))


def _call(model: NativeModel, x: np.ndarray) -> tuple[int, float, np.ndarray]:
    """The model's log density through its C entry point, as nutpie calls it."""
    function = compiled("logp_sums" if model.sums else "logp_rows")
    x = np.ascontiguousarray(x, dtype=float)
    gradient, value = np.zeros(model.n_dim), np.zeros(1)
    pointer = ctypes.POINTER(ctypes.c_double)
    code = function.ctypes(model.n_dim, x.ctypes.data_as(pointer), gradient.ctypes.data_as(pointer),
                           value.ctypes.data_as(pointer), ctypes.c_void_p(model.header.ctypes.data))
    return code, float(value[0]), gradient


@pytest.mark.parametrize("gaps", [False, True])
@pytest.mark.parametrize("ar1", [True, False])
def test_the_callback_returns_the_density_and_gradient_it_wraps(gaps, ar1):
    data = _data(gaps)
    density, args = log_density_of(data)
    assert (density is log_density) == gaps  # a panel with gaps is evaluated row by row
    model = NativeModel.build(density, args, data.prior_sd, ar1=ar1, initial_point=None, **PRIOR)
    rng = np.random.default_rng(2)
    for _ in range(5):
        x = rng.normal(scale=0.7, size=model.n_dim)
        code, value, gradient = _call(model, x)
        expected, expected_gradient = density(x, *args, data.prior_sd, PRIOR["noise_sd"], PRIOR["slope_sd"], ar1)
        assert code == 0
        assert value == pytest.approx(expected, rel=1e-12)
        np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-12, atol=1e-12)


def test_a_point_outside_the_support_is_reported_as_not_finite():
    data = _data(False)
    density, args = log_density_of(data)
    model = NativeModel.build(density, args, data.prior_sd, ar1=True, initial_point=None, **PRIOR)
    x = np.zeros(model.n_dim)
    x[model.k] = 800.0  # exp(800): an innovation SD that overflows
    code, value, _ = _call(model, x)
    assert code == 4 and not np.isfinite(value)


def _python_callback_model(data: CollapsedData, ar1: bool):
    """The same density handed to nutpie as a Python function (the route before the callbacks)."""
    from nutpie.compiled_pyfunc import from_pyfunc

    density, args = log_density_of(data)
    k = data.W.shape[1]
    constants = (np.ascontiguousarray(data.prior_sd), PRIOR["noise_sd"], PRIOR["slope_sd"], ar1)

    def make_logp_fn():
        return lambda x, **_: density(x, *args, *constants)

    def make_expand_fn(*_):
        def expand(x, **_):
            rho = np.tanh(x[k + 2]) if ar1 else 0.0
            return {"theta": x[:k].copy(), "sigma": np.array(np.exp(x[k]) / np.sqrt(1 - rho * rho)),
                    "tau": np.array(abs(x[k + 1])), "rho": np.array(rho)}
        return expand

    return from_pyfunc(k + 2 + int(ar1), make_logp_fn, make_expand_fn, [np.dtype("float64")] * 4,
                       [(k,), (), (), ()], ["theta", "sigma", "tau", "rho"],
                       make_initial_point_fn=lambda seed: _start(data, ar1, np.random.default_rng(seed)))


@pytest.mark.parametrize("gaps", [False, True])
def test_nutpie_draws_through_the_callbacks_equal_its_draws_through_python(gaps):
    import nutpie

    data = _data(gaps)
    density, args = log_density_of(data)
    native = NativeModel.build(density, args, data.prior_sd, ar1=True, **PRIOR,
                               initial_point=lambda seed: _start(data, True, np.random.default_rng(seed)))
    settings = CollapsedSettings(draws=60, tune=60, chains=2, cores=2, seed=9)
    kwargs = dict(draws=settings.draws, tune=settings.tune, chains=settings.chains, cores=settings.cores,
                  seed=settings.seed, progress_bar=False)
    through_c = nutpie.sample(native, **kwargs).posterior
    through_python = nutpie.sample(_python_callback_model(data, True), **kwargs).posterior
    for name in ("theta", "sigma", "tau", "rho"):
        np.testing.assert_allclose(through_c[name].values, through_python[name].values, rtol=1e-12, atol=1e-14)
    assert through_c["theta"].dims == ("chain", "draw", "theta_dim_0")
