"""The collapsed panel likelihood of :mod:`framework.bayes.collapsed`, evaluated from per-unit
sums when every row follows its unit's previous row by one period (no gaps).

Then every whitened quantity is a polynomial in rho of sums that do not depend on the
parameters. With r = y - W theta, u = 1 / (1 - rho^2), a unit's first row f and its later rows t
(predecessor t-1):

    c1 = r_f + (R_cur - rho R_lag) / (1 + rho)                          R_cur = sum_t r_t, R_lag = sum_t r_t-1
    c2 = d_f r_f + u (DR_cc - rho DR_x + rho^2 DR_ll)                    DR_cc = sum d_t r_t, DR_x = sum (d_t r_t-1 + d_t-1 r_t), ...
    a11 = 1 + (T - 1)(1 - rho)/(1 + rho),  a12 = d_f + (D_cur - rho D_lag)/(1 + rho),  a22 = d_f^2 + u (dd_cc - rho dd_x + rho^2 dd_ll)
    q'q = sum_f r_f^2 + u (RR_cc - 2 rho RR_cl + rho^2 RR_ll)            quadratic forms in theta

Each residual sum is (a sum of y) - (the same sum of W's rows) theta: seven (units x K) matrices
of W's row sums replace the (rows x K) matrix W, and four K x K Gram matrices give q'q. An
evaluation costs O(units x K + K^2) rather than O(rows x K), 0.089 ms against 0.163 ms on the default
world; the value and gradient equal the row-by-row evaluation's to rounding (tested). The
per-unit formulas that turn these sums into the likelihood are those of
``framework.bayes.collapsed`` (derivation: ``docs/estimators/bayes_collapsed.md``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from framework.bayes.collapsed import LOG_2PI, decode, with_priors

# the seven row sums of W (and of y): first row, later rows, their predecessors, d_f x first row,
# d_t x later rows, d_t x predecessor + d_t-1 x later row, d_t-1 x predecessor
N_SUMS = 7


def consecutive(rows) -> bool:
    """Whether every row with a predecessor follows it by one period (the sums apply)."""
    linked = rows.has_prev > 0
    return bool(np.all(rows.gap[linked] == 1.0))


def panel_sums(y, W, d, unit, prev, has_prev, n_units):
    """The sums the likelihood needs, computed once per fit (NumPy: nothing to compile).

    Returns M (7 * n_units, K): W's row sums per unit, stacked by kind; my (7 * n_units,): the
    same sums of y; G (4, K, K) and g (4, K) and gg (4,): the Gram matrices, W'y-type vectors
    and y'y-type scalars of first rows, later rows, the lag cross terms (symmetrised) and
    predecessors; A (8, n_units): per unit, the number of rows with a predecessor (T - 1),
    d_f, d_f^2, D_cur, D_lag, dd_cc, dd_x and dd_ll, in that order.
    """
    linked = has_prev > 0
    first = ~linked
    cur = np.flatnonzero(linked)
    lag = prev[cur]
    W_f, y_f, d_f, u_f = W[first], y[first], d[first], unit[first]
    W_c, W_l, y_c, y_l, d_c, d_l, u_c = W[cur], W[lag], y[cur], y[lag], d[cur], d[lag], unit[cur]

    def per_unit(index, values):
        out = np.zeros((n_units,) + values.shape[1:])
        np.add.at(out, index, values)
        return out

    M = np.concatenate([
        per_unit(u_f, W_f), per_unit(u_c, W_c), per_unit(u_c, W_l), per_unit(u_f, d_f[:, None] * W_f),
        per_unit(u_c, d_c[:, None] * W_c), per_unit(u_c, d_c[:, None] * W_l + d_l[:, None] * W_c),
        per_unit(u_c, d_l[:, None] * W_l),
    ])
    my = np.concatenate([
        per_unit(u_f, y_f), per_unit(u_c, y_c), per_unit(u_c, y_l), per_unit(u_f, d_f * y_f), per_unit(u_c, d_c * y_c),
        per_unit(u_c, d_c * y_l + d_l * y_c), per_unit(u_c, d_l * y_l),
    ])
    cross = W_c.T @ W_l
    G = np.stack([W_f.T @ W_f, W_c.T @ W_c, cross + cross.T, W_l.T @ W_l])
    g = np.stack([W_f.T @ y_f, W_c.T @ y_c, W_c.T @ y_l + W_l.T @ y_c, W_l.T @ y_l])
    gg = np.array([y_f @ y_f, y_c @ y_c, y_c @ y_l, y_l @ y_l])
    A = np.stack([
        per_unit(u_c, np.ones(len(cur))), per_unit(u_f, d_f), per_unit(u_f, d_f * d_f), per_unit(u_c, d_c),
        per_unit(u_c, d_l), per_unit(u_c, d_c * d_c), per_unit(u_c, 2.0 * d_c * d_l), per_unit(u_c, d_l * d_l),
    ])
    return (np.ascontiguousarray(M), my, np.ascontiguousarray(G), np.ascontiguousarray(g), gg, np.ascontiguousarray(A))


@njit(cache=True, nogil=True, error_model="numpy")
def log_likelihood_and_gradient_sums(theta, sigma, tau, rho, M, my, G, g, gg, A, n_rows, n_units, ar1):
    """What :func:`framework.bayes.collapsed.log_likelihood_and_gradient` returns, from the sums
    of :func:`panel_sums`."""
    k = theta.shape[0]
    lam = 1.0 / (sigma * sigma)
    kap = 1.0 / (tau * tau)
    u = 1.0 / (1.0 - rho * rho)
    du = 2.0 * rho * u * u
    v = 1.0 / (1.0 + rho)      # (1 - rho) u
    dv = -v * v
    R = my - M @ theta         # residual sums, by kind and unit
    N = n_units
    # quadratic part: q'q = RR_f + u (RR_cc - 2 rho RR_cl + rho^2 RR_ll), each RR = y'y - 2 theta'Wy
    # + theta'G theta (the cross terms' G and g symmetrised, hence their halves); explicit loops
    # rather than small matrix products, which cost Numba seconds of compiling each
    half = (1.0, 1.0, 0.5, 1.0)
    quad = np.empty(4)
    dquad = np.empty((4, k))   # d RR / d theta
    for s in range(4):
        value = gg[s]
        for a in range(k):
            gt = 0.0
            for b in range(k):
                gt += G[s, a, b] * theta[b]
            value += theta[a] * (half[s] * gt - 2.0 * half[s] * g[s, a])
            dquad[s, a] = 2.0 * half[s] * (gt - g[s, a])
        quad[s] = value
    inner = quad[1] - 2.0 * rho * quad[2] + rho * rho * quad[3]
    qq = quad[0] + u * inner
    dqq_theta = np.empty(k)
    for a in range(k):
        dqq_theta[a] = dquad[0, a] + u * (dquad[1, a] - 2.0 * rho * dquad[2, a] + rho * rho * dquad[3, a])
    dqq_rho = du * inner + u * (-2.0 * quad[2] + 2.0 * rho * quad[3])
    n_linked = 0.0
    ll_units = 0.0
    d_lam_units = 0.0
    d_kap_units = 0.0
    rho_units = 0.0
    weights = np.empty(N_SUMS * N)  # d ll / d R (the residual sums), for the theta-gradient
    for i in range(N):
        linked = A[0, i]
        n_linked += linked
        d_f, d_f2, d_cur, d_lag, dd_cc, dd_x, dd_ll = A[1, i], A[2, i], A[3, i], A[4, i], A[5, i], A[6, i], A[7, i]
        r_f, r_cur, r_lag = R[i], R[N + i], R[2 * N + i]
        dr_f, dr_cc, dr_x, dr_ll = R[3 * N + i], R[4 * N + i], R[5 * N + i], R[6 * N + i]
        a11 = 1.0 + linked * (1.0 - rho) * v
        a12 = d_f + (d_cur - rho * d_lag) * v
        inner_a = dd_cc - rho * dd_x + rho * rho * dd_ll
        a22 = d_f2 + u * inner_a
        c1 = r_f + (r_cur - rho * r_lag) * v
        inner_c = dr_cc - rho * dr_x + rho * rho * dr_ll
        c2 = dr_f + u * inner_c
        p11 = lam * a11
        p12 = lam * a12
        p22 = lam * a22 + kap
        det = p11 * p22 - p12 * p12
        h1 = lam * c1
        h2 = lam * c2
        m1 = (p22 * h1 - p12 * h2) / det
        m2 = (p11 * h2 - p12 * h1) / det
        inv11, inv12, inv22 = p22 / det, -p12 / det, p11 / det
        ll_units += -(h1 * m1 + h2 * m2) + math.log(det)
        cm = c1 * m1 + c2 * m2
        mam = a11 * m1 * m1 + 2.0 * a12 * m1 * m2 + a22 * m2 * m2
        d_lam_units += -(2.0 * cm - mam) + inv11 * a11 + 2.0 * inv12 * a12 + inv22 * a22
        d_kap_units += m2 * m2 + inv22
        # d ll / d c = lam m; c1 and c2 as combinations of the residual sums
        w1, w2 = lam * m1, lam * m2
        weights[i] = w1
        weights[N + i] = w1 * v
        weights[2 * N + i] = -w1 * rho * v
        weights[3 * N + i] = w2
        weights[4 * N + i] = w2 * u
        weights[5 * N + i] = -w2 * u * rho
        weights[6 * N + i] = w2 * u * rho * rho
        if ar1:
            # d(1 - rho) v / d rho = -2 v^2
            da11 = linked * (-2.0 * v * v)
            da12 = (d_cur - rho * d_lag) * dv - d_lag * v
            da22 = du * inner_a + u * (-dd_x + 2.0 * rho * dd_ll)
            dc1 = (r_cur - rho * r_lag) * dv - r_lag * v
            dc2 = du * inner_c + u * (-dr_x + 2.0 * rho * dr_ll)
            mdc = m1 * dc1 + m2 * dc2
            mdam = da11 * m1 * m1 + 2.0 * da12 * m1 * m2 + da22 * m2 * m2
            tr = inv11 * da11 + 2.0 * inv12 * da12 + inv22 * da22
            rho_units += -(2.0 * lam * mdc - lam * mdam) + lam * tr
    log_s2 = n_linked * math.log(1.0 - rho * rho) if rho != 0.0 else 0.0
    ll = -0.5 * ((n_rows - N) * LOG_2PI - n_rows * math.log(lam) + log_s2 + lam * qq + ll_units - N * math.log(kap))
    d_lam = -0.5 * (-n_rows / lam + qq + d_lam_units)
    d_kap = -0.5 * (d_kap_units - N / kap)
    # R = my - M theta: d ll / d theta = -M' weights from the units, -lam/2 dqq/dtheta from q'q
    d_theta = -(M.T @ weights) - 0.5 * lam * dqq_theta
    d_rho = 0.0
    if ar1:
        dlog_s2 = n_linked * (-2.0 * rho * u)
        d_rho = -0.5 * (dlog_s2 + lam * dqq_rho + rho_units)
    return ll, d_theta, d_lam, d_kap, d_rho


@njit(cache=True, nogil=True, error_model="numpy")
def log_density_sums(x, M, my, G, g, gg, A, n_rows, n_units, prior_sd, noise_sd, slope_sd, ar1):
    """:func:`framework.bayes.collapsed.log_density` (same point, priors and coordinates) from
    the sums of :func:`panel_sums`."""
    k = prior_sd.shape[0]
    theta, nu, z, tau, rho, sigma, ok = decode(x, k, ar1)
    if not ok:
        return -math.inf, np.zeros(x.shape[0])
    ll, d_theta, d_lam, d_kap, d_rho = log_likelihood_and_gradient_sums(
        theta, sigma, tau, rho, M, my, G, g, gg, A, n_rows, n_units, ar1
    )
    return with_priors(x, ll, d_theta, d_lam, d_kap, d_rho, theta, nu, z, rho, sigma, prior_sd, noise_sd, slope_sd, ar1)
