"""How stable a study's ranking is: the bootstrap over draws.

The draws of a study are resampled with replacement ``resamples`` times; in each resample the
measures, verdicts and ranking are recomputed exactly as for the study itself
(:func:`framework.study.recommend.verdict`, then RMSE), and each configuration's ``p_top`` is
the share of resamples in which it ranks first for its design, spec and term. A top
configuration with ``p_top`` near 1 would stay on top with other draws; one near 1/k (k
configurations) is a coin toss.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from framework.numerics.evaluation import against_truth
from framework.study.metrics import with_design
from framework.study.recommend import ORDER, Thresholds, verdict

COLUMNS = ["design", "spec", "term", "configuration", "p_top"]


def top_stability(rows: pd.DataFrame, thresholds: Thresholds, resamples: int = 200, seed: int = 0) -> pd.DataFrame:
    """One row per (design, spec, term, configuration) with ``p_top``."""
    rows = with_design(rows)
    rng = np.random.default_rng(seed)
    out = []
    for (design, spec), cell in rows.groupby(["design", "spec"], sort=False):
        seeds = np.array(sorted(cell["seed"].unique()))
        configurations = list(dict.fromkeys(cell["configuration"]))
        terms = [t for t in dict.fromkeys(cell["term"].dropna())]
        draws = [rng.integers(len(seeds), size=len(seeds)) for _ in range(resamples)]
        for term in terms:
            arrays = {c: _arrays(cell, c, term, seeds) for c in configurations}
            tops = np.zeros(len(configurations))
            for idx in draws:
                keys = [_rank_key(arrays[c], idx, thresholds) for c in configurations]
                tops[min(range(len(keys)), key=keys.__getitem__)] += 1
            out += [{"design": design, "spec": spec, "term": term, "configuration": c, "p_top": tops[k] / resamples}
                    for k, c in enumerate(configurations)]
    return pd.DataFrame(out, columns=COLUMNS)


def _arrays(cell: pd.DataFrame, configuration: str, term: str, seeds: np.ndarray) -> dict[str, np.ndarray]:
    """Estimate, truth and interval per draw (NaN where the run failed)."""
    own = cell[(cell["configuration"] == configuration) & (cell["term"] == term) & (cell["status"] == "ok")]
    own = own.drop_duplicates("seed").set_index("seed").reindex(seeds)
    return {k: pd.to_numeric(own[k], errors="coerce").to_numpy(float) for k in ("estimate", "truth", "ci_low", "ci_high")}


def _rank_key(a: dict[str, np.ndarray], idx: np.ndarray, t: Thresholds) -> tuple[int, float]:
    estimate, truth = a["estimate"][idx], a["truth"][idx]
    ok = ~np.isnan(estimate)
    n = int(ok.sum())
    known = ok & ~np.isnan(truth)
    row = SimpleNamespace(ok=n, failure_rate=1 - n / len(idx), truth_mean=np.nan, bias=np.nan, bias_z=np.nan,
                          sd_estimate=np.nan, coverage=np.nan)
    rmse = np.inf
    if known.any():
        m = against_truth(estimate[known], truth[known], a["ci_low"][idx][known], a["ci_high"][idx][known])
        row.truth_mean, row.bias, row.coverage, rmse = m["truth_mean"], m["bias"], m["coverage"], m["rmse"]
        row.bias_z = row.bias / m["bias_mcse"] if m["bias_mcse"] and m["bias_mcse"] > 0 else np.nan
        row.sd_estimate = float(estimate[known].std(ddof=1)) if known.sum() > 1 else np.nan
    return ORDER[verdict(row, t)], rmse
