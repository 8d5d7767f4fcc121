"""Inference shared by the families: the coefficient record, clustered sandwiches, group effects.

Clustered covariance of a least-squares fit of y on Z with G clusters (CR1, Stata's):

    V = G/(G-1) (n-1)/(n-k) (Z'Z)^-1 [sum_g Z_g' e_g e_g' Z_g] (Z'Z)^-1

and CR0 without the factor. For the mean of an influence function phi (a score whose mean is
the estimate), ``clustered_mean_se`` gives sqrt(G/(G-1) sum_g (sum_{i in g} phi_i)^2) / n;
for a linear score psi = psi_a theta + psi_b, ``score_variance`` gives DoubleML's
sum_g (sum_{i in g} psi_i)^2 / (sum_i psi_a_i)^2 (CR0).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

NORMAL_975 = 1.959963984540054
CR_TYPES = ("CR0", "CR1")


@dataclass(frozen=True)
class Coefficient:
    """One reported number: estimate, SE, 95 % interval and p-value of ``term``.

    ``interval`` is ``confidence`` or ``credible`` (a posterior mean, SD and 2.5 / 97.5 %
    quantiles, with no p-value).
    """

    term: str
    estimate: float
    std_error: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    interval: str = "confidence"

    @classmethod
    def normal(cls, term: str, estimate: float, std_error: float, interval: str = "confidence") -> "Coefficient":
        """A 95 % interval and two-sided p-value from a normal approximation."""
        z = estimate / std_error if std_error > 0 else math.inf
        half = NORMAL_975 * std_error
        p_value = math.erfc(abs(z) / math.sqrt(2.0))
        return cls(term, float(estimate), float(std_error), float(estimate - half), float(estimate + half), float(p_value), interval)

    @classmethod
    def credible(cls, term: str, draws) -> "Coefficient":
        """Posterior mean, SD and the 2.5 % and 97.5 % quantiles of ``draws``."""
        values = np.asarray(draws, dtype=float).ravel()
        low, high = np.quantile(values, [0.025, 0.975])
        sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
        return cls(term, float(values.mean()), sd, float(low), float(high), None, "credible")

    def to_dict(self, **extra) -> dict:
        return {**asdict(self), **extra}

    def to_record(self, truth: float | None) -> dict:
        return self.to_dict(truth=truth)


def cluster_count(codes: np.ndarray) -> int:
    return int(np.count_nonzero(np.bincount(codes)))


class LeastSquares:
    """A least-squares fit with its clustered covariance and each row's influence ``phi``."""

    def __init__(self, beta, se, cov, phi):
        self.beta, self.se, self.cov, self.phi = beta, se, cov, phi


def clustered_ols(y: np.ndarray, Z: np.ndarray, codes: np.ndarray, n_clusters: int, cr: str = "CR1") -> LeastSquares:
    """OLS of y on Z with the cluster-robust covariance (``CR1`` or ``CR0``) by ``codes``."""
    n, k = Z.shape
    bread = np.linalg.inv(Z.T @ Z / n)
    beta = bread @ (Z.T @ y / n)
    phi = (Z * (y - Z @ beta)[:, None]) @ bread.T
    sums = np.zeros((n_clusters, k))
    np.add.at(sums, codes, phi)
    clusters = int(np.count_nonzero(np.bincount(codes, minlength=n_clusters)))
    correction = clusters / max(clusters - 1, 1) * (n - 1) / max(n - k, 1) if cr == "CR1" else 1.0
    cov = correction * sums.T @ sums / n**2
    return LeastSquares(beta, np.sqrt(np.diag(cov)), cov, phi)


def clustered_mean_se(phi: np.ndarray, codes: np.ndarray, n_clusters: int) -> float:
    """SE of mean(phi) with phi clustered by ``codes``: sqrt(G/(G-1) sum_g S_g^2) / n."""
    sums = np.bincount(codes, weights=phi, minlength=n_clusters)
    clusters = int(np.count_nonzero(np.bincount(codes, minlength=n_clusters)))
    return float(math.sqrt(clusters / max(clusters - 1, 1) * np.sum(sums**2)) / len(phi))


def score_variance(psi: np.ndarray, psi_a: np.ndarray, codes: np.ndarray) -> float:
    """CR0 variance of theta from a linear score psi = psi_a theta + psi_b, clustered by ``codes``."""
    sums = np.bincount(codes, weights=psi)
    return float(np.sum(sums**2) / np.sum(psi_a) ** 2)


def group_effects(coefficients: dict[str, Coefficient], n_obs: dict[str, int] | None = None,
                  difference: Coefficient | None = None, **extra) -> dict:
    """Effects by group (period window, treatment half, ...) in the one shape every family uses:
    group label -> the coefficient's fields plus ``n_obs``; ``difference`` (first minus second)
    with ``of`` naming the two."""
    out = {
        label: coef.to_dict(**({"n_obs": int(n_obs[label])} if n_obs and label in n_obs else {}))
        for label, coef in coefficients.items()
    }
    if difference is not None:
        first, second = list(coefficients)[:2]
        out["difference"] = difference.to_dict(of=f"{first} - {second}")
    out.update(extra)
    return out
