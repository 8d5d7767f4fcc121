"""The designs checked against the truth (docs/STUDY.md, "How far to trust the designs").

On the synthetic world the real process is known, so the study run on it is the *oracle*: the
ranking a user would want. Each design is then built from one panel drawn from that world, as
if it were the user's file, and its study's ranking is compared with the oracle's, per spec
and term:

``rank_correlation``  Spearman correlation of the two rankings (verdict, then RMSE) over the
                      configurations both rank
``picks_best``        whether the design's first configuration is the oracle's first
``bias_error``        mean |bias under the design - bias under the oracle| over configurations
``coverage_error``    mean |coverage under the design - coverage under the oracle|
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.study.recommend import ORDER

KEY = ["spec", "term"]
COMPARISON = ["panel", "design", "spec", "term", "configurations", "rank_correlation", "picks_best", "design_best", "oracle_best",
              "bias_error", "coverage_error"]


def compare_to_oracle(oracle: pd.DataFrame, ranked: pd.DataFrame, panel: int) -> pd.DataFrame:
    """One row per (design, spec, term) of ``ranked`` (a study's ranked summary, built from the
    panel drawn with seed ``panel``) against ``oracle`` (the ranked summary on the world)."""
    out = []
    for (design, spec, term), group in ranked.groupby(["design", *KEY], sort=False):
        truth = oracle[(oracle["spec"] == spec) & (oracle["term"] == term)].set_index("configuration")
        mine = group.set_index("configuration")
        shared = [c for c in mine.index if c in truth.index and mine.loc[c, "verdict"] != "untested"]
        if not shared:
            continue
        mine, truth = mine.loc[shared], truth.loc[shared]
        out.append({
            "panel": panel, "design": design, "spec": spec, "term": term, "configurations": len(shared),
            "rank_correlation": _spearman(_order(mine), _order(truth)),
            "picks_best": _order(mine).idxmin() == _order(truth).idxmin(),
            "design_best": _order(mine).idxmin(), "oracle_best": _order(truth).idxmin(),
            "bias_error": float(np.nanmean(np.abs(mine["bias"].astype(float) - truth["bias"].astype(float)))),
            "coverage_error": float(np.nanmean(np.abs(mine["coverage"].astype(float) - truth["coverage"].astype(float)))),
        })
    return pd.DataFrame(out, columns=COMPARISON)


def _order(table: pd.DataFrame) -> pd.Series:
    """Each configuration's position in the ranking (verdict, then RMSE), 1 = best."""
    key = pd.DataFrame({"verdict": table["verdict"].map(ORDER), "rmse": table["rmse"].astype(float).fillna(np.inf)})
    ordered = key.sort_values(["verdict", "rmse"], kind="stable").index
    return pd.Series(np.arange(1, len(ordered) + 1), index=ordered).reindex(table.index)


def _spearman(a: pd.Series, b: pd.Series) -> float:
    if len(a) < 2:
        return float("nan")
    return float(np.corrcoef(a.rank().to_numpy(float), b.rank().to_numpy(float))[0, 1])


def aggregate(comparison: pd.DataFrame) -> pd.DataFrame:
    """Per design (and spec, term): over the panels, the mean rank correlation, the share of
    panels whose top configuration is the oracle's, and the mean bias and coverage errors."""
    grouped = comparison.groupby(["design", *KEY], sort=False)
    return grouped.agg(
        panels=("panel", "nunique"),
        rank_correlation=("rank_correlation", "mean"),
        rank_correlation_min=("rank_correlation", "min"),
        picks_best=("picks_best", "mean"),
        bias_error=("bias_error", "mean"),
        coverage_error=("coverage_error", "mean"),
    ).reset_index()
