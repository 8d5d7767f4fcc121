"""5. How strong a hidden confounder would have to be, read from each record's ``sensitivity``
(:mod:`framework.sensitivity`): per run its robustness values and its interval at the strength
of a confounder as strong as the strongest control; a contour plot per spec for the baseline
family; per hypothesis and family, the weakest confounding that flips the verdict.

Strengths are partial R-squares (docs/SENSITIVITY.md): the share of the treatment's residual
variation and of the outcome's that a confounder would explain. RV is the strength, equal in
both, that moves the estimate to zero; RV at 5 % the one that makes its 95 % interval reach zero.
"""

from __future__ import annotations

import json
import math
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from framework.rendering.document import Figure, Paragraph, Section, Table
from framework.rendering.png import png
from framework.report import analysis, declared
from framework.report.text import coefficient, in_parens, is_missing, number, slug

# The family drawn in a spec's contour plot: the framework's default (DML with first
# differences), else another DML, else twfe, else any with an analysis there.
BASELINE_ORDER = (("dml", "fd"), ("dml", None), ("twfe", None))


def percent(value) -> str:
    """A partial R-squared as a percentage: ``8.7 %``, ``0.04 %``, ``0 %``."""
    if is_missing(value):
        return "\u2014"
    x = 100.0 * float(value)
    if x == 0:
        return "0 %"
    return f"{x:.1f} %" if x >= 0.95 else f"{x:.2g} %"


def overturn_text(row) -> str:
    """``RV 8.7 % (5 %: 5.1 %)`` for a run with an analysis, ``—`` without."""
    if not row.get("sensitivity_supported"):
        return "\u2014"
    return f"RV {percent(row['sensitivity_rv'])} (5 %: {percent(row['sensitivity_rv_alpha'])})"


def block_of(row) -> dict:
    text = row.get("_sensitivity")
    return json.loads(text) if isinstance(text, str) and text else {}


def sensitivity_sections(df: pd.DataFrame, hypotheses: Sequence[analysis.Hypothesis] = ()) -> list[Section]:
    rows = analysis.ok_terms(df)
    rows = rows[rows["term"] == "treatment"].drop_duplicates("run")
    section = Section("5. How strong a hidden confounder would have to be", "sensitivity")
    if rows.empty:
        section.blocks.append(Paragraph("No finished run has a treatment estimate.", kind="warn"))
        return [section]
    if not rows["sensitivity_supported"].fillna(False).astype(bool).any():
        reasons = sorted({str(r) for r in rows["sensitivity_reason"].dropna()})
        section.blocks.append(Paragraph("No run has an omitted-variable-bias analysis" + (f": {'; '.join(reasons)}." if reasons else "."),
                                        kind="note"))
        return [section]
    section.blocks.append(Paragraph(
        "Every estimate assumes that the controls and fixed effects remove all confounding. A confounder left out of the data is "
        "described by two partial R-squares: the share of the treatment's variation (left after controls and fixed effects) and of the "
        "outcome's (left after the treatment too) that it would explain. RV is the strength, equal in both, that moves the estimate to "
        "zero; RV at 5 % the strength at which its 95 % interval reaches zero, so that the estimate is no longer significant. A benchmark "
        "is a confounder as strong as an observed control (computed by leaving the control out). DML's bounds are DoubleML's, twfe's "
        "sensemakr's on its within regression; docs/SENSITIVITY.md gives the formulas and which families' bounds can be trusted."))
    section.blocks.append(_run_table(rows))
    flips = _flip_table(df, rows, hypotheses)
    if flips is not None:
        section.blocks.append(flips)
    for i, key in enumerate(analysis.spec_keys_sorted(rows), 1):
        run = _baseline(rows[rows["spec_key"] == key])
        if run is None:
            continue
        block = block_of(run)
        name = run["spec_name"]
        section.blocks.append(Figure(
            f"sensitivity-{i:02d}-{slug(key)}", png=contour(block, f"{name}: {run['method']}"),
            caption=(f"Sensitivity contours: {name}, {run['method']} (run {run['run']}). The estimate a confounder of the strengths on the "
                     "axes would leave, moved towards zero (the worst case); the red line is zero. Triangles: confounders as strong as "
                     "k times a control; squares: the configured strengths; a star: the confounder the synthetic world left out."),
            alt=f"sensitivity contour plot {name}"))
    return [section]


def _run_table(rows: pd.DataFrame) -> Table:
    body, reasons = [], {}
    for _, r in rows.sort_values(["spec_key", "method", "run"], kind="stable").iterrows():
        estimate = f"{coefficient(r['estimate'], r['p_value'], r['interval'])} {in_parens(r['std_error'])}"
        if not r["sensitivity_supported"]:
            reason = str(r["sensitivity_reason"] or "no analysis")
            reasons.setdefault(reason, len(reasons) + 1)
            body.append([r["spec_name"], r["method"], estimate, "\u2014", "\u2014", f"no analysis [{reasons[reason]}]", ""])
            continue
        strongest = _strongest_benchmark(block_of(r))
        if strongest is None:
            bench, verdict = "\u2014", ""
        else:
            bench = f"{strongest['label']}: [{number(strongest['ci_low'])}, {number(strongest['ci_high'])}]"
            verdict = "yes" if strongest["ci_low"] <= 0 <= strongest["ci_high"] else "no"
        body.append([r["spec_name"], r["method"], estimate, percent(r["sensitivity_rv"]), percent(r["sensitivity_rv_alpha"]), bench, verdict])
    notes = ["RV: the confounder strength (partial R-squared with treatment and with outcome, equal) that moves the estimate to zero; "
             "RV 5 %: the one that makes its 95 % interval reach zero. Strongest benchmark: the 95 % interval left by a confounder as "
             "strong as the control that moves it most (k = 1); overturned: that interval contains zero."]
    notes += [f"[{n}] {reason}" for reason, n in reasons.items()]
    return Table("sensitivity-runs", "How strong a confounder overturns each treatment estimate",
                 ["spec", "method", "estimate (SE)", "RV", "RV 5 %", "strongest benchmark (95 % interval)", "overturned"],
                 body, align="lllrrll", notes=notes)


def _strongest_benchmark(block: dict) -> dict | None:
    """The k = 1 benchmark with the largest bias factor (the control whose like moves the estimate most)."""
    ones = [b for b in block.get("benchmarks") or [] if b.get("possible") and b.get("multiple") == 1 and b.get("ci_low") is not None]
    if not ones:
        return None
    return max(ones, key=lambda b: b["r2_outcome"] * b["r2_treatment"] / (1.0 - b["r2_treatment"]))


def _baseline(sel: pd.DataFrame):
    supported = sel[sel["sensitivity_supported"].fillna(False).astype(bool)]
    if supported.empty:
        return None

    def rank(i) -> int:
        estimator, fe = supported.at[i, "estimator"], supported.at[i, "fe"]
        return next((k for k, (e, f) in enumerate(BASELINE_ORDER) if e == estimator and f in (None, fe)), len(BASELINE_ORDER))

    order = sorted(supported.index, key=lambda i: (rank(i), supported.at[i, "method"], analysis.natural(supported.at[i, "run"])))
    return supported.loc[order[0]]


# --- which confounder flips a hypothesis -----------------------------------------------------------
def _flip_table(df: pd.DataFrame, rows: pd.DataFrame, hypotheses: Sequence[analysis.Hypothesis]) -> Table | None:
    rv_alpha = dict(zip(rows["run"], rows["sensitivity_rv_alpha"]))
    supported = dict(zip(rows["run"], rows["sensitivity_supported"].fillna(False).astype(bool)))
    body = []
    terms = analysis.ok_terms(df)
    for h in hypotheses:
        per_part = {p.name: terms[[p.matches(r) for _, r in terms.iterrows()]] if len(terms) else terms for p in h.parts}
        verdicts = analysis.evaluate(h, df).configs
        for family in sorted({f for sel in per_part.values() for f in sel["family"]}):
            methods = verdicts[verdicts["method"].isin({m for sel in per_part.values() for m in sel.loc[sel["family"] == family, "method"]})]
            holding = set(methods.loc[methods["verdict"] == "holds", "method"])
            runs = [(r, part) for part, sel in per_part.items() for r in sel.loc[sel["method"].isin(holding), "run"]]
            body.append([h.id, family, f"holds under {len(holding)} of {len(methods)} method(s)", _weakest(runs, rv_alpha, supported)])
    found, _ = declared.declared(df)
    for d in found:
        v = declared.evaluate(d, df)
        for family, sel in v.runs.groupby("family", sort=True):
            significant = sel[sel["outcome"].isin([declared.SUPPORTS, declared.CONTRADICTS])]
            runs = [(r, s) for r, s in zip(significant["run"], significant["spec_name"])]
            body.append([d.label, family, declared.overall(list(sel["outcome"]))[1], _weakest(runs, rv_alpha, supported)])
    if not body:
        return None
    return Table("sensitivity-hypotheses", "The weakest confounder that flips each hypothesis' verdict, per family",
                 ["hypothesis", "family", "verdict", "weakest flipping confounder"], body, align="llll",
                 notes=["For a family under which the hypothesis holds (declared: runs significant at 5 %), the smallest RV at 5 % among "
                        "the runs it rests on: a confounder that strong, in treatment and outcome, makes one of them no longer "
                        "significant, which flips the verdict. \u2014: nothing significant to flip; no analysis: the family has none."])


def _weakest(runs: list[tuple[str, str]], rv_alpha: dict, supported: dict) -> str:
    if not runs:
        return "\u2014"
    known = [(rv_alpha[r], r, where) for r, where in runs if supported.get(r) and not is_missing(rv_alpha.get(r))]
    if not known:
        return "no analysis"
    value, run, where = min(known)
    return f"RV 5 % = {percent(value)} ({where}, run {run})"


# --- the contour plot ---------------------------------------------------------------------------------
def contour(block: dict, title: str) -> bytes:
    """Contours of the estimate left by a confounder of strength (r2_treatment, r2_outcome),
    moved towards zero: theta - sign(theta) * rho * sqrt(r2_y r2_d / (1 - r2_d)) * scale."""
    theta, scale, rho = float(block["estimate"]), float(block["bias_scale"]), float(block.get("rho", 1.0))
    points = [(b["r2_treatment"], b["r2_outcome"], b["label"]) for b in block.get("benchmarks") or []
              if b.get("possible") and b.get("r2_outcome") is not None and b["r2_outcome"] < 1]
    strengths = [(s["r2_treatment"], s["r2_outcome"], s["label"]) for s in block.get("strengths") or []]
    reach = [float(block.get("rv") or 0.0) * 1.6, 0.1] + [x for x, y, _ in points + strengths] + [y for x, y, _ in points + strengths]
    top = min(max(reach) * 1.15, 0.95)
    grid = np.linspace(0.0, top, 161)
    r2_d, r2_y = np.meshgrid(grid, grid)
    adjusted = theta - math.copysign(1.0, theta) * rho * np.sqrt(r2_y * r2_d / (1.0 - r2_d)) * scale
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    fig.subplots_adjust(left=0.13, right=0.96, top=0.9, bottom=0.12)
    lines = ax.contour(r2_d, r2_y, adjusted, levels=12, colors="#555555", linewidths=0.8)
    ax.clabel(lines, fontsize=7, fmt=lambda v: f"{v:.3g}")
    if adjusted.min() < 0 < adjusted.max():
        ax.contour(r2_d, r2_y, adjusted, levels=[0.0], colors="#c0392b", linewidths=2.0)
    labelled: list[tuple[float, float]] = []
    for x, y, label in sorted(points, key=lambda p: -(p[0] + p[1])):  # the strongest first: they keep their labels
        ax.plot(x, y, marker="^", color="#2a5caa", ms=6, ls="none")
        if all(math.hypot(x - a, y - b) > 0.05 * top for a, b in labelled):  # benchmarks piled up near zero: label one
            ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=7, color="#2a5caa")
            labelled.append((x, y))
    for x, y, label in strengths:
        world = label == "world"
        ax.plot(x, y, marker="*" if world else "s", color="#c0392b" if world else "#777777", ms=11 if world else 5, ls="none")
        ax.annotate("hidden (world)" if world else f"strength {label}", (x, y), textcoords="offset points", xytext=(4, -9), fontsize=7,
                    color="#c0392b" if world else "#777777")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("partial R\u00b2 of the confounder with the treatment")
    ax.set_ylabel("partial R\u00b2 with the outcome")
    short = title if len(title) <= 80 else title[:77] + "..."
    ax.set_title(f"{short}\nestimate {theta:.3g}, RV {percent(block.get('rv'))}", fontsize=9.5, loc="left")
    return png(fig)
