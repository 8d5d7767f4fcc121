"""City-clustered standard errors from a fitted DoubleML model's own scores.

DoubleML clusters standard errors only when it also draws folds by cluster; with the paper's
city dummies, folds must split rows at random (a held-out city's dummy would otherwise never
be learnt). For a linear score psi = psi_a * theta + psi_b the sandwich is

    Var(theta^) = (sum_c (sum_{i in c} psi_i)^2) / (sum_i psi_a_i)^2

and repetitions are aggregated as DoubleML does: theta~ = median_r theta_r and
se = (median_r(theta_r + 1.96 se_r) - theta~) / 1.96.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def clustered_standard_errors(model, clusters: np.ndarray) -> np.ndarray:
    psi = np.asarray(model.psi)  # (n_obs, n_rep, n_coefs)
    psi_a = np.asarray(model.psi_elements["psi_a"])
    all_coef = np.asarray(model.all_coef)  # (n_coefs, n_rep)
    n_obs, n_rep, n_coefs = psi.shape
    codes = pd.factorize(clusters)[0]
    variances = np.empty((n_coefs, n_rep))
    for k in range(n_coefs):
        for r in range(n_rep):
            sums = np.bincount(codes, weights=psi[:, r, k])
            variances[k, r] = np.sum(sums**2) / np.sum(psi_a[:, r, k]) ** 2
    critical = 1.96
    upper = np.median(all_coef + critical * np.sqrt(variances), axis=1)
    return (upper - np.median(all_coef, axis=1)) / critical
