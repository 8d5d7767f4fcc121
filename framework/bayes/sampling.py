"""Sampling the collapsed panel model with nutpie, and drawing the unit effects afterwards.

nutpie samples the global parameters (theta, sigma, tau and, with AR(1) errors, rho) from the
log density of :mod:`framework.bayes.collapsed` (from per-unit sums,
:mod:`framework.bayes.collapsed_stats`, when the panel has no gaps), handed to it as compiled
callbacks (:mod:`framework.bayes.native`), so its chains run in parallel. The unit intercepts
and slope deviations are then drawn for every posterior draw from their exact Gaussian
conditional posterior, so the posterior of every quantity is the one of the uncollapsed model.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from framework.bayes.collapsed import log_density, unit_posteriors
from framework.bayes.collapsed_stats import consecutive, log_density_sums, panel_sums
from framework.bayes.rows import PanelRows


def single_threaded_blas():
    """A context in which BLAS runs on one thread: the collapsed model's matrices are small
    (rows x a few dozen columns), where threads only add overhead, and on a busy machine
    OpenBLAS's waiting threads made a 2,783 x 40 QR take 1.1 s instead of 27 ms."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


@dataclass
class CollapsedData:
    """The inputs of one collapsed fit, rows sorted as ``rows`` sorts them.

    ``W``'s columns enter the mean linearly with coefficients ``theta`` (Normal(0, prior_sd)
    priors); ``d`` is the column each unit's slope deviation multiplies (the treatment).
    """

    y: np.ndarray
    W: np.ndarray
    d: np.ndarray
    rows: PanelRows
    names: list[str]
    prior_sd: np.ndarray

    def arrays(self) -> tuple:
        r = self.rows
        return (np.ascontiguousarray(self.y), np.ascontiguousarray(self.W), np.ascontiguousarray(self.d),
                r.unit, r.prev, r.has_prev, r.gap, r.n_units)


@dataclass(frozen=True)
class CollapsedSettings:
    errors: str = "ar1"          # ar1 or iid
    noise_sd: float = 1.0        # innovation SD sigma sqrt(1 - rho^2) ~ HalfNormal(noise_sd)
    slope_sd: float = 0.5        # tau = |z|, z ~ Normal(0, slope_sd): tau ~ HalfNormal(slope_sd)
    draws: int = 500
    tune: int = 300
    chains: int = 4
    cores: int | None = None
    target_accept: float = 0.8
    seed: int = 0


@dataclass
class CollapsedPosterior:
    """Draws (chain, draw, ...) of the global parameters and of the unit effects."""

    theta: np.ndarray            # (chains, draws, K)
    sigma: np.ndarray            # (chains, draws)
    tau: np.ndarray
    rho: np.ndarray              # zeros with iid errors
    unit_intercept: np.ndarray   # (chains, draws, N)
    unit_slope: np.ndarray       # (chains, draws, N): deviation u_i of the unit's slope
    divergences: int
    sample_stats: object         # nutpie's sample_stats (an xarray Dataset)
    sampling_s: float
    setup_s: float


def sample_collapsed(data: CollapsedData, settings: CollapsedSettings) -> CollapsedPosterior:
    """Sample the collapsed model of ``data`` with nutpie and draw the unit effects."""
    import nutpie

    from framework.bayes.native import NativeModel, compiled

    started = time.perf_counter()
    ar1 = settings.errors == "ar1"
    density, density_args = log_density_of(data)
    model = NativeModel.build(density, density_args, data.prior_sd, settings.noise_sd, settings.slope_sd, ar1,
                              lambda seed: _start(data, ar1, np.random.default_rng(seed)))
    # compile, or load from the disk cache, the compiled functions now: setup_s is their cost
    compiled("logp_sums" if model.sums else "logp_rows"), compiled("expand")
    unit_posteriors(np.zeros(model.k), 1.0, 1.0, 0.0, *data.arrays())
    setup_s = time.perf_counter() - started
    started = time.perf_counter()
    idata = nutpie.sample(
        model, draws=settings.draws, tune=settings.tune, chains=settings.chains, cores=settings.cores,
        seed=settings.seed, target_accept=settings.target_accept, progress_bar=False, save_warmup=False,
    )
    posterior = idata.posterior
    theta = posterior["theta"].values
    sigma, tau, rho = (posterior[name].values for name in ("sigma", "tau", "rho"))
    intercepts, slopes = draw_unit_effects(data, theta, sigma, tau, rho, np.random.default_rng(settings.seed))
    return CollapsedPosterior(
        theta=theta, sigma=sigma, tau=tau, rho=rho, unit_intercept=intercepts, unit_slope=slopes,
        divergences=int(idata.sample_stats["diverging"].values.sum()), sample_stats=idata.sample_stats,
        sampling_s=time.perf_counter() - started, setup_s=setup_s,
    )


def log_density_of(data: CollapsedData):
    """The log density to sample and its data arguments: from per-unit sums when every row
    follows its unit's previous row by one period (``framework.bayes.collapsed_stats``, about
    0.089 ms an evaluation against 0.163 ms on the default world), else row by row (``framework.bayes.collapsed``). Both
    give the same value and gradient (tested)."""
    rows = data.rows
    if consecutive(rows):
        y, W, d = data.arrays()[:3]
        sums = panel_sums(y, W, d, rows.unit, rows.prev, rows.has_prev, rows.n_units)
        return log_density_sums, (*sums, rows.n_rows, rows.n_units)
    return log_density, data.arrays()


def _start(data: CollapsedData, ar1: bool, rng: np.random.Generator) -> np.ndarray:
    """A starting point near the prior's centre: theta 0, innovation SD the outcome's SD, rho 0,
    each jittered by up to +-0.5 on the unconstrained scale, and tau = |z| between 0.05 and 0.15
    (z of either sign)."""
    k = data.W.shape[1]
    centre = np.r_[np.zeros(k), math.log(max(float(np.std(data.y)), 1e-3)), 0.0, np.zeros(int(ar1))]
    start = centre + rng.uniform(-0.5, 0.5, size=centre.size)
    start[k + 1] = rng.choice([-1.0, 1.0]) * rng.uniform(0.05, 0.15)
    return start


def draw_unit_effects(data: CollapsedData, theta, sigma, tau, rho, rng: np.random.Generator):
    """For every posterior draw, each unit's (a_i, u_i) from its Gaussian conditional posterior.
    Returns intercepts and slope deviations, each (chains, draws, N)."""
    arrays = data.arrays()
    chains, draws = sigma.shape
    n_units = data.rows.n_units
    intercepts = np.empty((chains, draws, n_units))
    slopes = np.empty((chains, draws, n_units))
    noise = rng.standard_normal((chains, draws, 2, n_units))
    for c in range(chains):
        for s in range(draws):
            m1, m2, v11, v12, v22, *_ = unit_posteriors(theta[c, s], sigma[c, s], tau[c, s], rho[c, s], *arrays)
            # the 2x2 Cholesky factor of each unit's covariance
            l11 = np.sqrt(v11)
            l21 = v12 / l11
            l22 = np.sqrt(np.maximum(v22 - l21 * l21, 0.0))
            z1, z2 = noise[c, s]
            intercepts[c, s] = m1 + l11 * z1
            slopes[c, s] = m2 + l21 * z1 + l22 * z2
    return intercepts, slopes
