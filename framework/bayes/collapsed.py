"""The collapsed panel likelihood: unit intercepts and unit slope deviations integrated out.

For unit i with rows t (sorted by period), given the linear coefficients theta, the noise SD
sigma, the spread of unit slopes tau and the errors' AR(1) coefficient rho:

    y_it = W_it theta + a_i + u_i d_it + e_it,     a_i flat,  u_i ~ Normal(0, tau^2)
    e_it = rho^g e_i,prev + innovation,  stationary with Var e_it = sigma^2 (g = gap in periods)

Whitening each row by its predecessor (phi = rho^g, s = sqrt(1 - phi^2)) turns the errors
into independent Normal(0, sigma^2) innovations:

    q_it = (r_it - phi r_i,prev) / s,   r = y - W theta,
    l1_it = (1 - phi) / s,              ld_it = (d_it - phi d_i,prev) / s,
    q_i ~ Normal(l1_i a_i + ld_i u_i, sigma^2 I)

so (a_i, u_i) enter through two columns. With P_i = A_i / sigma^2 + diag(0, 1 / tau^2),
A_i = [l1 ld]'[l1 ld], h_i = [l1 ld]' q_i / sigma^2 and m_i = P_i^-1 h_i (the conditional
posterior mean of (a_i, u_i)), each unit's marginal log-likelihood is

    -1/2 [ (n_i - 1) log 2 pi + n_i log sigma^2 + sum log s^2 + q_i'q_i / sigma^2
           - h_i' m_i + log det P_i + log tau^2 ]

(the flat prior on a_i contributes a constant). The cost is O(rows x columns of W) per
evaluation whatever the number of units, and nothing in the compiled code depends on the
number of rows, units or columns. Derivation and gradient: ``docs/estimators/bayes_collapsed.md``.

The functions are compiled by Numba once per machine (``cache=True``: the compiled code is
kept on disk and loaded by every later process and sweep worker). Divisions follow NumPy's
rules (``error_model="numpy"``): a point the sampler should never accept yields a non-finite
density rather than an exception.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, nogil=True, error_model="numpy")
def whiten(r, d, rho, unit, prev, has_prev, gap, n_units):
    """Whitened residuals and random-effect columns, and each unit's sums.

    Returns q, l1, ld, phi, s2 (per row) and A11, A12, A22, c1, c2 (per unit).
    """
    n = r.shape[0]
    q = np.empty(n)
    l1 = np.empty(n)
    ld = np.empty(n)
    phi = np.empty(n)
    s2 = np.empty(n)
    a11 = np.zeros(n_units)
    a12 = np.zeros(n_units)
    a22 = np.zeros(n_units)
    c1 = np.zeros(n_units)
    c2 = np.zeros(n_units)
    # most rows follow their predecessor by one period: their phi and s are computed once
    v1 = 1.0 - rho * rho
    s1 = math.sqrt(v1)
    for j in range(n):
        p = prev[j]
        if has_prev[j] == 0.0:
            f, v, s = 0.0, 1.0, 1.0
        elif gap[j] == 1.0:
            f, v, s = rho, v1, s1
        else:
            f = rho ** gap[j]
            v = 1.0 - f * f
            s = math.sqrt(v)
        qj = (r[j] - f * r[p]) / s
        l1j = (1.0 - f) / s
        ldj = (d[j] - f * d[p]) / s
        q[j], l1[j], ld[j], phi[j], s2[j] = qj, l1j, ldj, f, v
        i = unit[j]
        a11[i] += l1j * l1j
        a12[i] += l1j * ldj
        a22[i] += ldj * ldj
        c1[i] += l1j * qj
        c2[i] += ldj * qj
    return q, l1, ld, phi, s2, a11, a12, a22, c1, c2


@njit(cache=True, nogil=True, error_model="numpy")
def unit_conditionals(a11, a12, a22, c1, c2, lam, kap):
    """Per unit, the conditional posterior of (a_i, u_i): P = lam A + diag(0, kap), its
    determinant, the mean m = P^-1 lam c and the covariance P^-1 (entries v11, v12, v22)."""
    n_units = a11.shape[0]
    m1 = np.empty(n_units)
    m2 = np.empty(n_units)
    v11 = np.empty(n_units)
    v12 = np.empty(n_units)
    v22 = np.empty(n_units)
    det = np.empty(n_units)
    for i in range(n_units):
        p11 = lam * a11[i]
        p12 = lam * a12[i]
        p22 = lam * a22[i] + kap
        det[i] = p11 * p22 - p12 * p12
        h1 = lam * c1[i]
        h2 = lam * c2[i]
        m1[i] = (p22 * h1 - p12 * h2) / det[i]
        m2[i] = (p11 * h2 - p12 * h1) / det[i]
        v11[i], v12[i], v22[i] = p22 / det[i], -p12 / det[i], p11 / det[i]
    return m1, m2, v11, v12, v22, det


@njit(cache=True, nogil=True, error_model="numpy")
def log_likelihood_and_gradient(theta, sigma, tau, rho, y, W, d, unit, prev, has_prev, gap, n_units, ar1):
    """The collapsed log-likelihood and its derivatives in theta, sigma^-2 (lam), tau^-2 (kap)
    and rho (zero when ``ar1`` is false)."""
    n = y.shape[0]
    r = y - W @ theta
    q, l1, ld, phi, s2, a11, a12, a22, c1, c2 = whiten(r, d, rho, unit, prev, has_prev, gap, n_units)
    lam = 1.0 / (sigma * sigma)
    kap = 1.0 / (tau * tau)
    m1, m2, inv11, inv12, inv22, det = unit_conditionals(a11, a12, a22, c1, c2, lam, kap)
    ll_units = 0.0
    d_lam = 0.0
    d_kap = 0.0
    for i in range(n_units):
        u1, u2 = m1[i], m2[i]
        ll_units += -((lam * c1[i]) * u1 + (lam * c2[i]) * u2) + math.log(det[i])  # -h'm + log det P
        # d/d lam of [-h'm + log det P]: -(2 c'm - m'Am) + tr(P^-1 A)
        cm = c1[i] * u1 + c2[i] * u2
        mam = a11[i] * u1 * u1 + 2.0 * a12[i] * u1 * u2 + a22[i] * u2 * u2
        d_lam += -(2.0 * cm - mam) + inv11[i] * a11[i] + 2.0 * inv12[i] * a12[i] + inv22[i] * a22[i]
        d_kap += u2 * u2 + inv22[i]
    qq = 0.0
    log_s2 = 0.0
    e_over_s = np.empty(n)
    log_v1 = math.log(1.0 - rho * rho) if rho != 0.0 else 0.0
    # s for a one-period gap (most rows), computed once rather than per row
    s_one = math.sqrt(1.0 - rho * rho)
    inv_s1 = 1.0 / s_one
    for j in range(n):
        qq += q[j] * q[j]
        inv_s = 1.0
        if s2[j] != 1.0:
            if gap[j] == 1.0:
                log_s2 += log_v1
                inv_s = inv_s1
            else:
                log_s2 += math.log(s2[j])
                inv_s = 1.0 / math.sqrt(s2[j])
        i = unit[j]
        e_over_s[j] = (q[j] - l1[j] * m1[i] - ld[j] * m2[i]) * inv_s
    ll = -0.5 * ((n - n_units) * LOG_2PI - n * math.log(lam) + log_s2 + lam * qq + ll_units - n_units * math.log(kap))
    d_lam = -0.5 * (-n / lam + qq + d_lam)
    d_kap = -0.5 * (d_kap - n_units / kap)
    # theta: lam * sum_j e_j (W_j - phi_j W_prev) / s_j, each row's term moved onto W's rows
    g = e_over_s.copy()
    for j in range(n):
        if has_prev[j] > 0.0:
            g[prev[j]] -= phi[j] * e_over_s[j]
    d_theta = lam * (W.T @ g)
    d_rho = 0.0
    if ar1:
        dq = 0.0
        da11 = np.zeros(n_units)
        da12 = np.zeros(n_units)
        da22 = np.zeros(n_units)
        dc1 = np.zeros(n_units)
        dc2 = np.zeros(n_units)
        dlog_s2 = 0.0
        for j in range(n):
            if has_prev[j] == 0.0:
                continue
            p = prev[j]
            f = phi[j]
            if gap[j] == 1.0:
                fp = 1.0
                s = s_one
            else:
                fp = gap[j] * rho ** (gap[j] - 1.0)
                s = math.sqrt(s2[j])
            k = f * fp / s2[j]
            dqj = -fp * r[p] / s + q[j] * k
            dl1 = -fp / s + l1[j] * k
            dld = -fp * d[p] / s + ld[j] * k
            dlog_s2 += -2.0 * k
            dq += 2.0 * q[j] * dqj
            i = unit[j]
            da11[i] += 2.0 * l1[j] * dl1
            da12[i] += dl1 * ld[j] + l1[j] * dld
            da22[i] += 2.0 * ld[j] * dld
            dc1[i] += dl1 * q[j] + l1[j] * dqj
            dc2[i] += dld * q[j] + ld[j] * dqj
        units = 0.0
        for i in range(n_units):
            mdc = m1[i] * dc1[i] + m2[i] * dc2[i]
            mdam = da11[i] * m1[i] * m1[i] + 2.0 * da12[i] * m1[i] * m2[i] + da22[i] * m2[i] * m2[i]
            tr = inv11[i] * da11[i] + 2.0 * inv12[i] * da12[i] + inv22[i] * da22[i]
            units += -(2.0 * lam * mdc - lam * mdam) + lam * tr
        d_rho = -0.5 * (dlog_s2 + lam * dq + units)
    return ll, d_theta, d_lam, d_kap, d_rho


@njit(cache=True, nogil=True, error_model="numpy")
def log_density(x, y, W, d, unit, prev, has_prev, gap, n_units, prior_sd, noise_sd, slope_sd, ar1):
    """Log posterior density (up to a constant) and gradient at the unconstrained point
    x = [theta, log nu, z, atanh rho (with ar1)], nu = sigma sqrt(1 - rho^2) the SD of the
    errors' innovations and tau = |z| the spread of the unit slopes.

    Priors: theta_k ~ Normal(0, prior_sd_k), nu ~ HalfNormal(noise_sd),
    z ~ Normal(0, slope_sd) (so tau ~ HalfNormal(slope_sd)), rho ~ Uniform(-1, 1).

    Two choices of coordinates make the posterior easy to sample. The innovation SD rather
    than the stationary SD, because the data pin it down whatever rho is (with the stationary
    SD the posterior is a curved ridge in (sigma, rho)). And z on the whole line rather than
    log tau: the likelihood depends on tau^2 only, so the density in z is smooth and symmetric,
    and a posterior of tau reaching down to zero is a bridge between z's two halves rather
    than a long tail of log tau that the sampler visits rarely.
    """
    k = W.shape[1]
    theta, nu, z, tau, rho, sigma, ok = decode(x, k, ar1)
    if not ok:
        return -math.inf, np.zeros(x.shape[0])
    ll, d_theta, d_lam, d_kap, d_rho = log_likelihood_and_gradient(
        theta, sigma, tau, rho, y, W, d, unit, prev, has_prev, gap, n_units, ar1
    )
    return with_priors(x, ll, d_theta, d_lam, d_kap, d_rho, theta, nu, z, rho, sigma, prior_sd, noise_sd, slope_sd, ar1)


@njit(cache=True, nogil=True, error_model="numpy")
def decode(x, k, ar1):
    """The parameters at the unconstrained point x (see :func:`log_density`), and whether
    floating point can evaluate the density there."""
    theta = x[:k]
    nu = math.exp(x[k])
    z = x[k + 1]
    tau = abs(z)
    rho = math.tanh(x[k + 2]) if ar1 else 0.0
    one_minus_rho2 = 1.0 - rho * rho
    sigma = nu / math.sqrt(one_minus_rho2) if one_minus_rho2 > 0.0 else math.inf
    # outside what floating point can evaluate (an exp that under- or overflowed, tau^2
    # underflowing to 0, |rho| -> 1): zero density, which the sampler treats as a divergence
    ok = nu > 0.0 and tau * tau > 0.0 and one_minus_rho2 > 1e-12 and math.isfinite(sigma) and math.isfinite(tau)
    return theta, nu, z, tau, rho, sigma, ok


@njit(cache=True, nogil=True, error_model="numpy")
def with_priors(x, ll, d_theta, d_lam, d_kap, d_rho, theta, nu, z, rho, sigma, prior_sd, noise_sd, slope_sd, ar1):
    """The log posterior density and its gradient in x from the log-likelihood and its
    derivatives in theta, lam = sigma^-2, kap = tau^-2 and rho: the priors and the Jacobians of
    :func:`log_density`'s coordinates. -inf with a zero gradient where anything is not finite."""
    k = theta.shape[0]
    grad = np.empty(x.shape[0])
    lp = ll
    for c in range(k):
        lp -= 0.5 * (theta[c] / prior_sd[c]) ** 2
        grad[c] = d_theta[c] - theta[c] / prior_sd[c] ** 2
    # HalfNormal prior on nu, with the log transform's Jacobian (+ log nu); the likelihood's
    # precision lam = (1 - rho^2) / nu^2, so d lam / d log nu = -2 lam
    lam = 1.0 / (sigma * sigma)
    lp += -0.5 * (nu / noise_sd) ** 2 + x[k]
    grad[k] = d_lam * (-2.0 * lam) - (nu / noise_sd) ** 2 + 1.0
    # Normal prior on z; kap = 1 / z^2, so d kap / d z = -2 / z^3
    lp += -0.5 * (z / slope_sd) ** 2
    grad[k + 1] = d_kap * (-2.0 / (z * z * z)) - z / slope_sd ** 2
    if ar1:
        # rho moves lam too (d lam / d rho = -2 rho / nu^2); Uniform(-1, 1) through tanh has
        # Jacobian 1 - rho^2
        one_minus_rho2 = 1.0 - rho * rho
        d_rho_total = d_rho + d_lam * (-2.0 * rho / (nu * nu))
        lp += math.log(one_minus_rho2)
        grad[k + 2] = d_rho_total * one_minus_rho2 - 2.0 * rho
    for c in range(grad.shape[0]):
        if not math.isfinite(grad[c]):
            lp = math.nan
    if not math.isfinite(lp):
        # a divergence for the sampler, never an accepted point
        return -math.inf, np.zeros(x.shape[0])
    return lp, grad


@njit(cache=True, nogil=True, error_model="numpy")
def unit_posteriors(theta, sigma, tau, rho, y, W, d, unit, prev, has_prev, gap, n_units):
    """The conditional posterior of each unit's (a_i, u_i) given the global parameters: mean
    (m1, m2) and covariance (v11, v12, v22) per unit, and the whitened residual columns (q, l1,
    ld) for the posterior predictive check."""
    r = y - W @ theta
    q, l1, ld, phi, s2, a11, a12, a22, c1, c2 = whiten(r, d, rho, unit, prev, has_prev, gap, n_units)
    m1, m2, v11, v12, v22, _ = unit_conditionals(a11, a12, a22, c1, c2, 1.0 / (sigma * sigma), 1.0 / (tau * tau))
    return m1, m2, v11, v12, v22, q, l1, ld
