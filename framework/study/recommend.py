"""From the measures to a verdict per configuration and a plain-language recommendation.

A configuration earns ``trust`` on a spec under a design when it finishes (failure rate at
most ``failure_max``), its bias is not material (|bias| at most ``material_bias`` times the
spread of its estimates across draws, or not distinguishable from 0 at ``bias_z`` Monte
Carlo SEs) and its 95 % intervals cover the truth at least ``coverage_min`` of the time.
Otherwise the first failed condition names it: ``fails``, ``biased`` or ``undercovers``. A
term whose truth the design does not know (the moderator's own effect on a real outcome) is
``untested``.

Across designs a configuration is as good as its worst verdict; among equals, the lower mean
rank wins. The recommendation says on which designs it rests, how often the top
configuration stays on top when the draws are resampled (:mod:`framework.study.stability`),
when the designs disagree, and which configurations failed in every draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from framework.errors import UserInputError

FEW_DRAWS = 20
STABLE = 0.7
"""Below this bootstrap probability of staying on top, the recommendation calls the ranking unstable."""
ORDER = {"trust": 0, "undercovers": 1, "biased": 2, "fails": 3, "untested": 4}


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
    out["verdict"] = [verdict(row, t) for row in out.itertuples()]
    return out


def verdict(row, t: Thresholds) -> str:
    """The verdict of one summary row (any object with the summary's fields as attributes)."""
    if row.ok and _missing(row.truth_mean):
        return "untested"
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
    """Per design, spec and term: configurations best first (verdict, then RMSE)."""
    ranked = judged.assign(
        _design=pd.Categorical(judged["design"], categories=list(dict.fromkeys(judged["design"]))),
        _spec=pd.Categorical(judged["spec"], categories=list(dict.fromkeys(judged["spec"]))),  # the plan's order
        _order=judged["verdict"].map(ORDER),
        _rmse=judged["rmse"].astype(float).fillna(np.inf),
    )
    ranked = ranked.sort_values(["_spec", "term", "_design", "_order", "_rmse"], kind="stable")
    ranked["rank"] = ranked.groupby(["_design", "_spec", "term"], sort=False, observed=True).cumcount() + 1
    return ranked.drop(columns=["_design", "_spec", "_order", "_rmse"]).reset_index(drop=True)


def overall(ranked: pd.DataFrame) -> pd.DataFrame:
    """Per spec and term, one row per configuration across the designs: its worst verdict,
    mean rank and per-design verdicts, best first."""
    rows = []
    for (spec, term), group in ranked.groupby(["spec", "term"], sort=False):
        for configuration, own in group.groupby("configuration", sort=False):
            worst = max(own["verdict"], key=ORDER.get)
            rows.append({"spec": spec, "term": term, "configuration": configuration, "verdict": worst,
                         "mean_rank": float(own["rank"].mean()), "designs": dict(zip(own["design"], own["verdict"]))})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["_order"] = out["verdict"].map(ORDER)
    out = out.sort_values(["_order", "mean_rank"], kind="stable")
    out = out.assign(_spec=pd.Categorical(out["spec"], categories=list(dict.fromkeys(ranked["spec"]))))
    return out.sort_values(["_spec", "term"], kind="stable").drop(columns=["_order", "_spec"]).reset_index(drop=True)


def recommend(judged: pd.DataFrame, stability: pd.DataFrame | None = None) -> list[str]:
    """One paragraph per (spec, term): which configuration to trust, on which designs, how
    stable that is, where the designs disagree, what to avoid and what failed outright."""
    ranked = ranking(judged)
    combined = overall(ranked)
    designs = list(dict.fromkeys(ranked["design"]))
    lines = []
    for (spec, term), group in ranked.groupby(["spec", "term"], sort=False):
        if (group["verdict"] == "untested").all():
            continue
        options = combined[(combined["spec"] == spec) & (combined["term"] == term)]
        best = options.iloc[0]
        on = "every design" if len(designs) > 1 else f"the {designs[0]} design"
        tops = {d: g.iloc[0]["configuration"] for d, g in group.groupby("design", sort=False)}
        if best["verdict"] == "trust":
            text = f"{spec}, {term}: trust {best['configuration']}, trusted on {on} ({_per_design(group, best['configuration'])})"
            others = options[options["verdict"] == "trust"]["configuration"].tolist()[1:]
            if others:
                text += f". Also trusted on {on}: {', '.join(others)}"
        else:
            text = (f"{spec}, {term}: no configuration earns trust on {on}; the least bad is {best['configuration']} "
                    f"({_per_design(group, best['configuration'])})")
        text += _stability(stability, spec, term, tops)
        if len(set(tops.values())) > 1:
            firsts = {}
            for design, configuration in tops.items():
                firsts.setdefault(configuration, []).append(design)
            text += ". The designs disagree: " + "; ".join(f"{' and '.join(d)} put{'s' if len(d) == 1 else ''} {c} first" for c, d in firsts.items())
            text += ", so the advice holds only as far as the design closest to your data"
        dead = group[(group["ok"] == 0) & (group["failure_rate"] >= 1)]
        for _, r in dead.iterrows():
            text += f". {r['configuration']} failed in every draw of the {r['design']} design ({r['first_error'] or 'no error recorded'})"
        avoid = options[options["verdict"].isin(["biased", "fails"]) & ~options["configuration"].isin([*dead["configuration"], best["configuration"]])]
        if len(avoid):
            text += ". Avoid " + "; ".join(f"{r['configuration']} ({_verdicts(r['designs'])})" for _, r in avoid.iterrows())
        if group["ok"].min() < FEW_DRAWS and group["ok"].max() > 0:
            text += f" (fewer than {FEW_DRAWS} successful draws somewhere: indicative only)"
        lines.append(text + ".")
    return lines


def _per_design(group: pd.DataFrame, configuration: str) -> str:
    rows = group[group["configuration"] == configuration]
    if len(rows) == 1:
        return _describe(rows.iloc[0])
    return "; ".join(f"{r['design']}: {r['verdict']}, rank {int(r['rank'])}" for _, r in rows.iterrows())


def _verdicts(by_design: Mapping[str, str]) -> str:
    if len(by_design) == 1:
        return next(iter(by_design.values()))
    return ", ".join(f"{verdict} on {design}" for design, verdict in by_design.items())


def _stability(stability: pd.DataFrame | None, spec: str, term: str, tops: Mapping[str, str]) -> str:
    if stability is None or stability.empty:
        return ""
    parts = []
    for design, configuration in tops.items():
        match = stability[(stability["design"] == design) & (stability["spec"] == spec) & (stability["term"] == term)
                          & (stability["configuration"] == configuration)]
        if match.empty or pd.isna(match["p_top"].iloc[0]):
            continue
        p = float(match["p_top"].iloc[0])
        where = f" on {design}" if len(tops) > 1 else ""
        parts.append(f"{configuration}{where} {p:.0%}" + (" (unstable: more draws needed)" if p < STABLE else ""))
    return ". First in bootstrap resamples of the draws: " + ", ".join(parts) if parts else ""


def _describe(row) -> str:
    if _missing(row.get("bias")):
        return f"failed in {row['failure_rate']:.0%} of runs"
    return f"bias {row['bias']:+.3f} \u00b1 {row['bias_mcse']:.3f}, RMSE {row['rmse']:.3f}, coverage {row['coverage']:.0%}"
