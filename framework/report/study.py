"""The Monte Carlo study's section of the comparison report.

Reads every ``study/`` folder under the results directory (one per study; several after a
sweep over world knobs) and shows, for each: the recommendation, the ranked table of bias,
RMSE, coverage (with Monte Carlo SEs), interval width and failures per spec, bias and
coverage plots, and — when the world was calibrated to a file — the moments matched. With
several studies, one more table shows where each configuration breaks as the knobs change.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from framework.rendering.document import Bullets, Figure, Paragraph, Section, Table
from framework.rendering.png import png
from framework.report.figures import PALETTE
from framework.report.text import number, share, slug
from framework.study.output import STUDY_DIR

HEADER = ["Rank", "Configuration", "Verdict", "Bias", "MC SE", "RMSE", "Coverage", "MC SE", "Width", "Right sign, sig.", "SE / SD", "Failed", "s / run"]


def find_studies(root: Path) -> list[Path]:
    return sorted(p.parent for p in Path(root).rglob(f"{STUDY_DIR}/summary.csv") if "report" not in p.relative_to(root).parts)


def sections(root: Path) -> list[Section]:
    studies = [(folder, *_load(folder)) for folder in find_studies(root)]
    if not studies:
        return []
    out = []
    for k, (folder, summary, meta) in enumerate(studies):
        label = str(folder.parent.relative_to(root)) if folder.parent != Path(root) else ""
        out.append(_study_section(summary, meta, label, k))
    if len(studies) > 1:
        out.append(_sweep_section(studies, root))
    return out


def _load(folder: Path) -> tuple[pd.DataFrame, dict]:
    return pd.read_csv(folder / "summary.csv"), json.loads((folder / "study.json").read_text())


def _study_section(summary: pd.DataFrame, meta: dict, label: str, k: int) -> Section:
    title = "Monte Carlo study" + (f": {label}" if label else "")
    blocks = [
        Paragraph(
            f"{meta['replications']} draws of the world (seeds {meta['seeds'][0]}\u2013{meta['seeds'][1]}, {meta['data']}), "
            f"{len(meta['configurations'])} configurations \u00d7 {len(meta['specs'])} specs, in {meta['wall_s'] / 60:.1f} min on "
            f"{meta['n_jobs']} worker(s). Bias, RMSE and coverage are measured against each draw's own truth; MC SE is the "
            "Monte Carlo standard error. 'Right sign, sig.' is the share of intervals that exclude 0 on the truth's side; "
            "SE / SD compares the mean reported SE with the spread of the estimates (below 1: SEs too small)."
        ),
        Bullets([("", line) for line in meta.get("recommendation", [])]),
    ]
    if meta.get("calibration"):
        blocks.append(_calibration_table(meta["calibration"], k))
    for (spec, term), group in summary.groupby(["spec", "term"], sort=False):
        blocks.append(_ranked_table(group, spec, term, k))
    blocks.append(Figure(f"study-{k}-bias", "Mean bias (\u00b1 2 MC SE) and coverage of 95 % intervals, per spec", _bias_coverage_png(summary), alt="bias and coverage per configuration"))
    blocks.append(_configurations_table(meta, k))
    return Section(title, f"study-{k}", blocks)


def _ranked_table(group: pd.DataFrame, spec: str, term: str, k: int) -> Table:
    rows = [
        [str(int(r["rank"])), r["configuration"], r["verdict"], number(r["bias"], 4), number(r["bias_mcse"], 4), number(r["rmse"], 4),
         share(r["coverage"]), share(r["coverage_mcse"]), number(r["width"], 3), share(r["sign_sig"]), number(r["se_ratio"], 2),
         share(r["failure_rate"]), number(r["runtime_mean_s"], 1)]
        for _, r in group.iterrows()
    ]
    truth = group["truth_mean"].mean()
    return Table(f"study-{k}-{slug(spec)}-{slug(term)}", f"{spec}: {term} (mean truth {number(truth, 4)}), best first", HEADER, rows,
                 align="rll" + "r" * (len(HEADER) - 3))


def _calibration_table(calibration: dict, k: int) -> Table:
    rows = [[m, number(v["file"], 3), number(v["calibrated"], 3), number(v["default_world"], 3)] for m, v in calibration["moments"].items()]
    knobs = calibration["knobs"]
    fitted = ", ".join(f"{name} = {knobs[name]}" for name in calibration["fitted_knobs"])
    notes = [f"Fitted: {fitted}; shape {knobs['n_cities']} cities, {knobs['start_year']}\u2013{knobs['end_year']}. "
             "Outcome and treatment are mapped onto the file's means and SDs exactly."]
    return Table(f"study-{k}-calibration", "The world calibrated to the file: moments", ["Moment", "File", "Calibrated world", "Default world"], rows, notes=notes)


def _configurations_table(meta: dict, k: int) -> Table:
    cost = meta.get("cost_per_draw_s", {})
    rows = [[name, " ".join(overrides), number(cost.get(name), 1)] for name, overrides in meta["configurations"].items()]
    rows += [[f"spec {name}", " ".join(overrides), ""] for name, overrides in meta["specs"].items()]
    return Table(f"study-{k}-design", "What ran: each configuration and spec as run overrides, and the seconds each configuration cost per draw (all specs)",
                 ["Name", "Overrides", "s / draw"], rows, align="llr")


def _bias_coverage_png(summary: pd.DataFrame) -> bytes:
    data = summary[summary["term"].notna()].copy()
    panels = list(data.groupby(["spec", "term"], sort=False))
    configurations = list(dict.fromkeys(data["configuration"]))
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(configurations)}
    fig, axes = plt.subplots(2, len(panels), figsize=(max(3.6 * len(panels), 6), 5.6), squeeze=False)
    # one row per configuration, in the same place in every panel
    position = {c: len(configurations) - 1 - i for i, c in enumerate(configurations)}
    for j, ((spec, term), group) in enumerate(panels):
        for ax, value, error, ref, name in ((axes[0][j], "bias", "bias_mcse", 0.0, "bias"), (axes[1][j], "coverage", "coverage_mcse", 0.95, "coverage")):
            for _, r in group.iterrows():
                ax.errorbar(r[value], position[r["configuration"]], xerr=2 * r[error] if pd.notna(r[error]) else None, fmt="o",
                            color=colour[r["configuration"]], capsize=3)
            ax.axvline(ref, color="#c0392b", lw=1)
            ax.set_yticks(list(position.values()))
            ax.set_yticklabels(list(position) if j == 0 else [""] * len(position), fontsize=8)
            ax.set_ylim(-0.6, len(configurations) - 0.4)
            ax.set_xlabel(name, fontsize=8)
            ax.tick_params(axis="x", labelsize=8)
        axes[0][j].set_title(f"{spec}: {term}", fontsize=9)
        axes[1][j].set_xlim(-0.02, 1.02)
    fig.tight_layout()
    return png(fig)


def _sweep_section(studies: list, root: Path) -> Section:
    worlds = [meta["world"] for _, _, meta in studies]
    varying = [key for key in worlds[0] if len({json.dumps(w.get(key)) for w in worlds}) > 1]
    labels = [", ".join(f"{key}={w.get(key)}" for key in varying) or str(folder.parent.relative_to(root)) for (folder, _, _), w in zip(studies, worlds)]
    frames = [summary.assign(_world=label) for (_, summary, _), label in zip(studies, labels)]
    data = pd.concat(frames)
    data = data[data["term"].notna()]
    rows = []
    for (configuration, spec, term), group in data.groupby(["configuration", "spec", "term"], sort=False):
        cells = []
        for label in labels:
            hit = group[group["_world"] == label]
            cells.append("" if hit.empty else f"{number(hit['bias'].iloc[0], 3)} / {share(hit['coverage'].iloc[0])} ({hit['verdict'].iloc[0]})")
        rows.append([configuration, f"{spec}: {term}", *cells])
    table = Table("study-sweep", "Bias / coverage (verdict) of each configuration as the world's knobs change", ["Configuration", "Spec: term", *labels], rows,
                  align="ll" + "l" * len(labels))
    text = f"Knobs varied across the {len(studies)} studies: {', '.join(varying) or 'none'}. A configuration that keeps its verdict across settings is robust to them; where it changes, that knob is where it breaks."
    return Section("Monte Carlo study: where each configuration breaks", "study-sweep", [Paragraph(text), table])
