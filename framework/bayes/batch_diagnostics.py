"""R-hat and bulk and tail ESS of many series at once, as ArviZ defines them.

The definitions are ArviZ's (``arviz.rhat`` with ``method="rank"``, ``arviz.ess`` with
``method="bulk"`` and ``"tail"``; Vehtari et al. 2021, "Rank-normalization, folding, and
localization"): rank-normalised split R-hat, the larger of the bulk and the folded one; ESS
from the split chains' autocovariances truncated by Geyer's initial monotone sequence; the
tail ESS the smaller of those of the indicators at the 5 % and 95 % quantiles.

ArviZ computes them one series at a time in Python, about 5 ms a series, so the per-unit slopes
of a panel (253 series on the default world) cost more to diagnose than the model cost to
sample. Here every step runs on all series of an array together; the per-lag loop of Geyer's
sequences is the only Python loop. ``tests/test_bayes_batch_diagnostics.py`` checks the results
equal ArviZ's to rounding, ties, odd draw counts, constant and NaN series included.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import next_fast_len
from scipy.special import ndtri
from scipy.stats import rankdata

MIN_DRAWS = 4


def rhat(draws: np.ndarray) -> np.ndarray:
    """Rank-normalised split R-hat of each series of ``draws`` (chains, draws, series)."""
    return _each_valid_series(draws, _rhat_rank, min_chains=2)


def ess_bulk(draws: np.ndarray) -> np.ndarray:
    """Bulk ESS (of the rank-normalised split chains) of each series of ``draws``."""
    return _each_valid_series(draws, lambda x: _ess(_z_scale(_split_chains(x))))


def ess_tail(draws: np.ndarray, probs: tuple[float, float] = (0.05, 0.95)) -> np.ndarray:
    """Tail ESS of each series of ``draws``: the smaller of the ESS of the indicators of being
    at or below the ``probs`` quantiles (R's type 7, as ArviZ)."""
    return _each_valid_series(draws, lambda x: _ess_tail(x, probs))


def _each_valid_series(draws, compute, min_chains: int = 1) -> np.ndarray:
    """``compute`` on the series without NaN (NaN for the others, and for all with fewer than
    ``min_chains`` chains or MIN_DRAWS draws, as ArviZ)."""
    x = _series(draws)
    out = np.full(x.shape[2], np.nan)
    if x.shape[0] < min_chains or x.shape[1] < MIN_DRAWS:
        return out
    ok = ~np.isnan(x).any(axis=(0, 1))
    if ok.any():
        out[ok] = compute(x[:, :, ok])
    return out


def _rhat_rank(x: np.ndarray) -> np.ndarray:
    split = _split_chains(x)
    bulk = _rhat(_z_scale(split))
    folded = np.abs(split - np.median(split.reshape(-1, split.shape[2]), axis=0))
    tail = _rhat(_z_scale(folded))
    return np.where(tail > bulk, tail, bulk)  # max(bulk, tail), NaN when bulk is NaN, as ArviZ's


def _ess_tail(x: np.ndarray, probs: tuple[float, float]) -> np.ndarray:
    quantiles = np.quantile(x.reshape(-1, x.shape[2]), probs, axis=0, method="linear")
    low, high = (_ess(_split_chains((x <= q).astype(float))) for q in quantiles)
    return np.where(high < low, high, low)  # min(low, high) as ArviZ's


def _series(draws) -> np.ndarray:
    x = np.asarray(draws, dtype=float)
    return x.reshape(x.shape[0], x.shape[1], -1)


def _split_chains(x: np.ndarray) -> np.ndarray:
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half:]], axis=0)


def _z_scale(x: np.ndarray) -> np.ndarray:
    """Each series' draws replaced by the normal quantiles of their pooled ranks (Blom, c = 3/8)."""
    flat = np.ascontiguousarray(x.reshape(-1, x.shape[2]).T)  # a series per row: sorting rows is ~5x faster
    ranks = rankdata(flat, method="average", axis=1)
    return ndtri((ranks.T - 3 / 8) / (flat.shape[1] - 2 * 3 / 8 + 1)).reshape(x.shape)


def _rhat(x: np.ndarray) -> np.ndarray:
    n = x.shape[1]
    between = n * np.var(x.mean(axis=1), axis=0, ddof=1)
    within = np.var(x, axis=1, ddof=1).mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((between / within + n - 1) / n)


def _autocov(x: np.ndarray) -> np.ndarray:
    """Autocovariance at every lag along the draws (axis 1), by FFT."""
    n = x.shape[1]
    m = next_fast_len(2 * n)
    centred = x - x.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=m, axis=1)
    spectrum *= np.conjugate(spectrum)
    return np.fft.irfft(spectrum, n=m, axis=1)[:, :n] / n


def _ess(x: np.ndarray) -> np.ndarray:
    """ESS of each series of ``x`` (chains, draws, series), NaN-free."""
    chains, n, n_series = x.shape
    total = chains * n
    out = np.empty(n_series)
    constant = (x.max(axis=(0, 1)) - x.min(axis=(0, 1))) < np.finfo(float).resolution
    out[constant] = total
    if constant.all():
        return out
    x = x[:, :, ~constant]
    acov = _autocov(x).mean(axis=0)  # (lags, series): the chains' mean autocovariance
    mean_var = acov[0] * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if chains > 1:
        var_plus = var_plus + np.var(x.mean(axis=1), axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1.0 - (mean_var - acov) / var_plus  # autocorrelation estimate at each lag
    series = np.arange(x.shape[2])
    kept = np.zeros_like(rho)
    kept[0] = 1.0
    kept[1] = rho[1]
    # Geyer's initial positive sequence: pairs (even, odd) of lags while their sum stays positive
    even, odd = np.ones(x.shape[2]), rho[1].copy()
    active = even + odd > 0.0
    t_end = np.ones(x.shape[2], dtype=int)
    t = 1
    while t < n - 3 and active.any():
        new_even, new_odd = rho[t + 1], rho[t + 2]
        keep = active & (new_even + new_odd >= 0)
        kept[t + 1] = np.where(keep, new_even, kept[t + 1])
        kept[t + 2] = np.where(keep, new_odd, kept[t + 2])
        even = np.where(active, new_even, even)
        odd = np.where(active, new_odd, odd)
        t += 2
        t_end = np.where(active, t, t_end)
        active &= even + odd > 0.0
    max_t = t_end - 2
    improve = even > 0
    kept[max_t[improve] + 1, series[improve]] = even[improve]
    # Geyer's initial monotone sequence
    t = 1
    while t <= max_t.max() - 2:
        previous = kept[t - 1] + kept[t]
        lower = (t <= max_t - 2) & (kept[t + 1] + kept[t + 2] > previous)
        kept[t + 1] = np.where(lower, previous / 2.0, kept[t + 1])
        kept[t + 2] = np.where(lower, kept[t + 1], kept[t + 2])
        t += 2
    cumulative = np.vstack([np.zeros(x.shape[2]), np.cumsum(kept, axis=0)])
    after = np.where(max_t + 1 < n, kept[np.minimum(max_t + 1, n - 1), series], 0.0)
    tau = -1.0 + 2.0 * cumulative[max_t + 1, series] + after
    tau = np.maximum(tau, 1 / np.log10(total))
    ess = total / tau
    ess[np.isnan(kept).any(axis=0)] = np.nan
    out[~constant] = ess
    return out
