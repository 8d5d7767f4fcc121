"""From the measures to a verdict per configuration and a plain-language recommendation.

A configuration earns ``trust`` on a spec when it finishes (failure rate at most
``failure_max``), its bias is not material (|bias| at most ``material_bias`` times the
spread of its estimates across draws, or not distinguishable from 0 at ``bias_z`` Monte
Carlo SEs) and its 95 % intervals cover the truth at least ``coverage_min`` of the time.
Otherwise the first failed condition names it: ``fails``, ``biased`` or ``undercovers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from framework.errors import UserInputError

FEW_DRAWS = 20
ORDER = {"trust": 0, "undercovers": 1, "biased": 2, "fails": 3}


@dataclass(frozen=True)
class Thresholds:
    bias_z: float = 3.0
    material_bias: float = 0.5
    coverage_min: float = 0.90
    failure_max: float = 0.05

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "Thresholds":
        config = dict(config or {})
        unknown = sorted(set(config) - set(cls.__dataclass_fields__))
        if unknown:
            raise UserInputError(f"unknown key(s) study.verdict.{', study.verdict.'.join(unknown)}; known: {', '.join(cls.__dataclass_fields__)}")
        return cls(**{k: float(v) for k, v in config.items()})


def verdicts(summary: pd.DataFrame, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """``summary`` with ``verdict`` and ``bias_z`` (bias in Monte Carlo SEs) added."""
    t = thresholds or Thresholds()
    out = summary.copy()
    out["bias_z"] = out["bias"] / out["bias_mcse"]
    out["verdict"] = [_verdict(row, t) for row in out.itertuples()]
    return out


def _verdict(row, t: Thresholds) -> str:
    if not row.ok or row.failure_rate > t.failure_max or _missing(row.bias):
        return "fails"
    # one draw has no Monte Carlo SE: its bias cannot be told from noise
    detectable = not _missing(row.bias_z) and abs(row.bias_z) > t.bias_z
    spread = row.sd_estimate if not _missing(row.sd_estimate) else 0.0
    if detectable and abs(row.bias) > t.material_bias * spread:
        return "biased"
    if row.coverage < t.coverage_min:
        return "undercovers"
    return "trust"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def ranking(judged: pd.DataFrame) -> pd.DataFrame:
    """Per spec and term: configurations best first (verdict, then RMSE)."""
    ranked = judged.assign(
        _spec=pd.Categorical(judged["spec"], categories=list(dict.fromkeys(judged["spec"]))),  # the design's order
        _order=judged["verdict"].map(ORDER),
        _rmse=judged["rmse"].fillna(np.inf),
    )
    ranked = ranked.sort_values(["_spec", "term", "_order", "_rmse"], kind="stable")
    ranked["rank"] = ranked.groupby(["_spec", "term"], sort=False, observed=True).cumcount() + 1
    return ranked.drop(columns=["_spec", "_order", "_rmse"]).reset_index(drop=True)


def recommend(judged: pd.DataFrame) -> list[str]:
    """One sentence per (spec, term) saying which configuration to trust and which to avoid."""
    lines = []
    for (spec, term), group in ranking(judged).groupby(["spec", "term"], sort=False):
        best = group.iloc[0]
        where = f"{spec}, {term}"
        if best["verdict"] == "trust":
            trusted = group[group["verdict"] == "trust"]["configuration"].tolist()
            text = f"{where}: trust {best['configuration']} ({_describe(best)})"
            if len(trusted) > 1:
                text += f"; also trustworthy: {', '.join(trusted[1:])}"
        else:
            text = f"{where}: no configuration earns trust; the least bad is {best['configuration']} ({best['verdict']}: {_describe(best)})"
        avoid = group[group["verdict"].isin(["biased", "fails"])]
        if len(avoid):
            text += ". Avoid " + "; ".join(f"{r['configuration']} ({r['verdict']}: {_describe(r)})" for _, r in avoid.iterrows())
        if group["ok"].min() < FEW_DRAWS:
            text += f" (fewer than {FEW_DRAWS} draws: indicative only)"
        lines.append(text + ".")
    return lines


def _describe(row) -> str:
    if _missing(row.get("bias")):
        return f"failed in {row['failure_rate']:.0%} of runs"
    return f"bias {row['bias']:+.3f} \u00b1 {row['bias_mcse']:.3f}, RMSE {row['rmse']:.3f}, coverage {row['coverage']:.0%}"
