"""The Monte Carlo study's section of the comparison report.

Reads every ``study/`` folder under the results directory (one per study; several after a
sweep over world knobs) and shows, for each: what ran, the recommendation with the designs'
warnings and caveat set apart ("Before you trust this"), the designs drawn from (what each
keeps and invents, its truth, how well it fits the file), the calibrated world's fit to the
file's moments, the ranked table of bias, RMSE, coverage (with Monte Carlo SEs), interval
width, bootstrap probability of ranking first and failures per spec, term and design, bias
and coverage plots and the configurations run. With several studies, one more table shows
where each configuration breaks as the knobs change.

Studies written before there were several designs (no ``design`` column, no ``designs`` in
``study.json``, flat ``cost_per_draw_s``) are shown as studies of the ``world`` design.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D

from framework.rendering.document import Bullets, Figure, Paragraph, Section, Table
from framework.rendering.png import png
from framework.report.figures import PALETTE
from framework.report.text import is_missing, number, share, slug
from framework.study.calibrate import MOMENT_LABELS
from framework.study.designs.world import WorldDesign
from framework.study.metrics import DEFAULT_DESIGN
from framework.study.output import STUDY_DIR

HEADER = ["Rank", "Configuration", "Verdict", "P(first)", "Bias", "MC SE", "RMSE", "Coverage", "MC SE", "Width", "Right sign, sig.", "SE / SD",
          "Failed", "Converged", "s / run"]
MARKERS = ["o", "s", "^", "D", "v", "P"]
WARNING, CAVEAT = "Warning:", "Caveat:"
MISSES = "\u2717 misses"
ERROR_LENGTH = 140


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
    summary = pd.read_csv(folder / "summary.csv")
    return _with_design(summary), json.loads((folder / "study.json").read_text())


def _with_design(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with a ``design`` column (studies written before designs had none: the world)."""
    if "design" in summary.columns:
        return summary.assign(design=summary["design"].fillna(DEFAULT_DESIGN))
    return summary.assign(design=DEFAULT_DESIGN)


def _designs(meta: dict) -> list[dict]:
    """Each design's record; a study written before designs drew from the world alone."""
    return meta.get("designs") or [{"name": DEFAULT_DESIGN, "assumptions": WorldDesign.assumptions, "warnings": []}]


# --- one study ----------------------------------------------------------------------------------
def _study_section(summary: pd.DataFrame, meta: dict, label: str, k: int) -> Section:
    title = "Monte Carlo study" + (f": {label}" if label else "")
    designs = _designs(meta)
    advice, cautions = _split_recommendation(meta.get("recommendation", []))
    blocks = [_what_ran(meta, designs), Bullets([("", line) for line in advice])]
    blocks += _before_you_trust(cautions)
    blocks.append(_designs_table(designs, summary, k))
    calibration = _calibration(meta, designs)
    if calibration:
        blocks.append(_calibration_table(calibration, k))
    if any(d.get("resemblance") for d in designs):
        blocks.append(_resemblance_table(designs, k))
    for (spec, term, design), group in summary.groupby(["spec", "term", "design"], sort=False):
        blocks.append(_ranked_table(group, spec, term, design, k, meta.get("stability_resamples")))
    if summary["term"].notna().any():
        blocks.append(Figure(f"study-{k}-bias", _figure_caption(summary), _bias_coverage_png(summary), alt="bias and coverage per configuration and design"))
    blocks.append(_configurations_table(meta, k))
    return Section(title, f"study-{k}", blocks)


def _what_ran(meta: dict, designs: list[dict]) -> Paragraph:
    names = [d["name"] for d in designs]
    drawn = f"the {names[0]} design (" if len(names) == 1 else f"each of {len(names)} designs ({', '.join(names)}; "
    return Paragraph(
        f"{meta['replications']} draws of {drawn}seeds {meta['seeds'][0]}\u2013{meta['seeds'][1]}, {meta['data']}), "
        f"{len(meta['configurations'])} configurations \u00d7 {len(meta['specs'])} specs, in {meta['wall_s'] / 60:.1f} min on "
        f"{meta['n_jobs']} worker(s). Bias, RMSE and coverage are measured against each draw's own truth, which each design "
        "knows by construction; MC SE is the Monte Carlo standard error. 'Right sign, sig.' is the share of intervals that "
        "exclude 0 on the truth's side; SE / SD compares the mean reported SE with the spread of the estimates (below 1: SEs "
        "too small)."
    )


def _split_recommendation(lines: list[str]) -> tuple[list[str], list[str]]:
    """The advice, and the lines that qualify it (the designs' warnings and the caveat)."""
    cautions = [line for line in lines if line.startswith((WARNING, CAVEAT))]
    return [line for line in lines if line not in cautions], cautions


def _before_you_trust(cautions: list[str]) -> list[Paragraph]:
    if not cautions:
        return []
    ordered = [c for c in cautions if c.startswith(WARNING)] + [c for c in cautions if c.startswith(CAVEAT)]
    blocks = [Paragraph("the designs' own limits, which every verdict above inherits.", lead="Before you trust this:", kind="warn")]
    for line in ordered:
        lead = WARNING if line.startswith(WARNING) else CAVEAT
        blocks.append(Paragraph(line[len(lead):].strip(), lead=lead, kind="warn"))
    return blocks


# --- the designs --------------------------------------------------------------------------------
def _designs_table(designs: list[dict], summary: pd.DataFrame, k: int) -> Table:
    rows = [[d["name"], d.get("assumptions", ""), _truth(d, summary), _fit(d)] for d in designs]
    notes = []
    if any(d["name"] == "placebo" for d in designs):
        notes.append("On the placebo design the true effect is 0: its coverage is one minus the false-positive rate, and its bias is "
                     "what a configuration finds where there is nothing to find.")
    return Table(f"study-{k}-designs", "Designs: where the draws come from, what each keeps and invents, and its truth",
                 ["Design", "What it keeps and invents", "Truth", "Fit"], rows, notes=notes, align="llll")


def _truth(design: dict, summary: pd.DataFrame) -> str:
    name = design["name"]
    if name == "structured":
        text = f"{number(design.get('effect'), 4)} ({design.get('effect_source', 'set by the design')})"
        heterogeneity = design.get("heterogeneity") or 0
        low, high = (design.get("effect_range") or [None, None])[:2]
        if heterogeneity and not is_missing(low):
            text += f"; heterogeneity {heterogeneity:g}: from {number(low, 4)} to {number(high, 4)} across rows"
        return text
    if name == "placebo":
        return "0 (by construction)"
    where = "the world's effect" + (", in the file's units" if name == "calibrated" else "") + ", averaged over each spec's rows"
    return where + _mean_truths(summary[summary["design"] == name])


def _mean_truths(rows: pd.DataFrame) -> str:
    truths = rows.loc[rows["term"] == "treatment", "truth_mean"].dropna() if "truth_mean" in rows else pd.Series(dtype=float)
    if truths.empty:
        return ""
    low, high = truths.min(), truths.max()
    return f" (mean truth {number(low, 4)})" if low == high else f" (mean truth {number(low, 4)} to {number(high, 4)} across specs)"


def _fit(design: dict) -> str:
    name = design["name"]
    if name == "structured":
        fit = design.get("fit") or {}
        parts = []
        if not is_missing(fit.get("controls_share")):
            parts.append(f"the controls explain {share(fit['controls_share'])} of the outcome's within variance")
        if not is_missing(fit.get("residual_sd")):
            parts.append(f"residual SD {number(fit['residual_sd'], 3)}")
        if not is_missing(design.get("residual_autocorrelation")):
            parts.append(f"residual autocorrelation {_signed(design['residual_autocorrelation'])}")
        return "; ".join(parts)
    if name == "placebo":
        leak = design.get("within_correlation_with_real_treatment")
        text = f"within correlation with the real treatment {_signed(leak, sign=False)}" if not is_missing(leak) else ""
        return text + (f" (mode {design['mode']})" if design.get("mode") else "")
    if name == "calibrated":
        calibration = design.get("calibration") or {}
        fit = calibration.get("fit") or []
        if not fit:
            return ""
        within = sum(bool(r["within_tolerance"]) for r in fit)
        return f"{within} of {len(fit)} moments within {calibration.get('tolerance', 0):g} of the file's (table below)"
    return ""


def _signed(value, sign: bool = True) -> str:
    return "" if is_missing(value) else (f"{float(value):+.2f}" if sign else f"{float(value):.2f}")


def _calibration(meta: dict, designs: list[dict]) -> dict | None:
    """The calibrated design's record (its fit table); studies before designs kept it in ``calibration``."""
    found = next((d.get("calibration") for d in designs if d["name"] == "calibrated"), None)
    return found or meta.get("calibration")


def _calibration_table(calibration: dict, k: int) -> Table:
    knobs = calibration["knobs"]
    fitted = ", ".join(f"{name} = {knobs[name]}" for name in calibration["fitted_knobs"])
    notes = [f"Fitted: {fitted}; shape {knobs['n_cities']} cities, {knobs['start_year']}\u2013{knobs['end_year']}. "
             "Outcome and treatment are mapped onto the file's means and SDs exactly."]
    if not calibration.get("fit"):  # a study written before the fit table
        rows = [[_moment(m), number(v["file"], 3), number(v["calibrated"], 3), number(v["default_world"], 3)] for m, v in calibration["moments"].items()]
        return Table(f"study-{k}-calibration", "The world calibrated to the file: moments", ["Moment", "File", "Calibrated world", "Default world"],
                     rows, notes=notes, align="lrrr")
    tolerance = calibration.get("tolerance")
    rows = [[_moment(r["moment"]), number(r["file"], 3), number(r["world"], 3), f"{r['difference']:+.3f}", number(r["default_world"], 3),
             "" if r["within_tolerance"] else MISSES] for r in calibration["fit"]]
    missed = sum(not r["within_tolerance"] for r in calibration["fit"])
    if missed:
        notes.append(f"{MISSES}: the calibrated world is further than {tolerance:g} from the file on this moment; on {missed} of "
                     f"{len(rows)} moments its verdicts describe the paper's world more than your data.")
    return Table(f"study-{k}-calibration", f"The world calibrated to the file: moments (tolerance {tolerance:g})",
                 ["Moment", "File", "Calibrated world", "Difference", "Default world", "Within tolerance"], rows, notes=notes, align="lrrrrl")


def _resemblance_table(designs: list[dict], k: int) -> Table:
    """The file's moments beside the mean over a few draws of each design built from it."""
    shown = [d for d in designs if d.get("resemblance")]
    moments = [r["moment"] for r in shown[0]["resemblance"]]
    rows = []
    for m in moments:
        file_value = next(r["file"] for r in shown[0]["resemblance"] if r["moment"] == m)
        rows.append([_moment(m), number(file_value, 3)] + [number(next(r["design"] for r in d["resemblance"] if r["moment"] == m), 3) for d in shown])
    notes = ["Each design's column is the mean over a few of its draws. The structured design keeps your treatment and controls, "
             "so their moments match by construction; its outcome moments show how close the rebuilt outcome comes to yours."]
    if any(d["name"] == "placebo" for d in shown):
        notes.append("The placebo design breaks the link between the treatment and the outcome (and the unit's own controls) "
                     "on purpose: its correlations are expected near 0.")
    return Table(f"study-{k}-resemblance", "How each design's draws resemble your file: moments", ["Moment", "File", *[d["name"] for d in shown]],
                 rows, notes=notes, align="l" + "r" * (1 + len(shown)))


def _moment(name: str) -> str:
    return MOMENT_LABELS.get(name, name)


# --- the rankings -------------------------------------------------------------------------------
def _ranked_table(group: pd.DataFrame, spec: str, term: str, design: str, k: int, resamples=None) -> Table:
    stability = "p_top" in group.columns
    header = HEADER if stability else [h for h in HEADER if h != "P(first)"]
    rows = [
        [str(int(r["rank"])), r["configuration"], r["verdict"], *([share(r["p_top"])] if stability else []),
         number(r["bias"], 4), number(r["bias_mcse"], 4), number(r["rmse"], 4), share(r["coverage"]), share(r["coverage_mcse"]),
         number(r["width"], 3), share(r["sign_sig"]), number(r["se_ratio"], 2), share(r["failure_rate"]), _converged(r), number(r["runtime_mean_s"], 1)]
        for _, r in group.iterrows()
    ]
    truth = group["truth_mean"].mean()
    known = f"mean truth {number(truth, 4)}" if not is_missing(truth) else "truth unknown to the design: untested"
    notes = _failure_notes(group)
    if "unconverged" in group and group["unconverged"].notna().any():
        notes.append("Converged: the share of successful draws whose sampler checks passed (R-hat, ESS, divergences of the "
                     "reported quantities); \u2014 for families without such checks.")
    if stability:
        over = f"{int(resamples)} " if not is_missing(resamples) else ""
        notes.append(f"P(first): the share of {over}bootstrap resamples of the draws in which the configuration ranks first on the {design} design.")
    return Table(f"study-{k}-{slug(spec)}-{slug(term)}-{slug(design)}", f"{spec}: {term}, {design} design ({known}), best first", header, rows,
                 notes=notes, align="rll" + "r" * (len(header) - 3))


def _converged(row) -> str:
    unconverged = row.get("unconverged")
    return "\u2014" if is_missing(unconverged) else share(1.0 - unconverged)


def _failure_notes(group: pd.DataFrame) -> list[str]:
    notes = []
    for _, r in group.iterrows():
        if is_missing(r.get("failure_rate")) or r["failure_rate"] <= 0:
            continue
        when = "in every draw" if r["failure_rate"] >= 1 else f"in {share(r['failure_rate'])} of the draws"
        error = r.get("first_error")
        notes.append(f"{r['configuration']} failed {when}; first error: {_shorten(error) if not is_missing(error) else 'none recorded'}")
    return notes


def _shorten(error: str) -> str:
    line = (str(error).strip().splitlines() or ["no error recorded"])[0]
    return line if len(line) <= ERROR_LENGTH else line[: ERROR_LENGTH - 1].rstrip() + "\u2026"


def _figure_caption(summary: pd.DataFrame) -> str:
    designs = list(dict.fromkeys(summary["design"]))
    by = f"; one marker per design ({', '.join(f'{d}: {_marker_name(i)}' for i, d in enumerate(designs))})" if len(designs) > 1 else ""
    return f"Mean bias (\u00b1 2 MC SE) and coverage of 95 % intervals, per spec{by}"


def _marker_name(i: int) -> str:
    return ["circle", "square", "triangle", "diamond", "inverted triangle", "plus"][i % len(MARKERS)]


def _bias_coverage_png(summary: pd.DataFrame) -> bytes:
    data = summary[summary["term"].notna()].copy()
    panels = list(data.groupby(["spec", "term"], sort=False))
    configurations = list(dict.fromkeys(data["configuration"]))
    designs = list(dict.fromkeys(data["design"]))
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(configurations)}
    marker = {d: MARKERS[i % len(MARKERS)] for i, d in enumerate(designs)}
    # designs side by side within each configuration's row
    offset = {d: ((len(designs) - 1) / 2 - i) * min(0.6 / len(designs), 0.22) for i, d in enumerate(designs)}
    fig, axes = plt.subplots(2, len(panels), figsize=(max(3.6 * len(panels), 6), 5.6 + (0.4 if len(designs) > 1 else 0)), squeeze=False)
    # one row per configuration, in the same place in every panel
    position = {c: len(configurations) - 1 - i for i, c in enumerate(configurations)}
    for j, ((spec, term), group) in enumerate(panels):
        for ax, value, error, ref, name in ((axes[0][j], "bias", "bias_mcse", 0.0, "bias"), (axes[1][j], "coverage", "coverage_mcse", 0.95, "coverage")):
            for _, r in group.iterrows():
                if is_missing(r[value]):  # failed in every draw, or untested
                    if r.get("failure_rate", 0) >= 1:
                        ax.text(0.01, position[r["configuration"]] + offset[r["design"]], f"failed ({r['design']})" if len(designs) > 1 else "failed",
                                transform=ax.get_yaxis_transform(), fontsize=7, color="#5b6575", va="center")
                    continue
                ax.errorbar(r[value], position[r["configuration"]] + offset[r["design"]], xerr=2 * r[error] if pd.notna(r[error]) else None,
                            fmt=marker[r["design"]], color=colour[r["configuration"]], capsize=3)
            ax.axvline(ref, color="#c0392b", lw=1)
            ax.set_yticks(list(position.values()))
            ax.set_yticklabels(list(position) if j == 0 else [""] * len(position), fontsize=8)
            ax.set_ylim(-0.6, len(configurations) - 0.4)
            ax.set_xlabel(name, fontsize=8)
            ax.tick_params(axis="x", labelsize=8)
        axes[0][j].set_title(f"{spec}: {term}", fontsize=9)
        axes[1][j].set_xlim(-0.02, 1.02)
    if len(designs) > 1:
        handles = [Line2D([], [], marker=marker[d], color="#4d4d4d", linestyle="", label=d) for d in designs]
        fig.legend(handles=handles, loc="lower center", ncol=len(designs), fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    else:
        fig.tight_layout()
    return png(fig)


# --- what ran -----------------------------------------------------------------------------------
def _costs(meta: dict) -> dict[str, dict]:
    """Seconds per draw of each configuration, keyed by design (before designs: a flat dict, the world's)."""
    cost = meta.get("cost_per_draw_s") or {}
    if cost and all(isinstance(v, dict) for v in cost.values()):
        return cost
    return {DEFAULT_DESIGN: cost}


def _draw_seconds(meta: dict) -> dict[str, float]:
    """Seconds to make one draw, keyed by design (before designs: one number, the world's)."""
    draw = meta.get("draw_s")
    return draw if isinstance(draw, dict) else ({} if draw is None else {DEFAULT_DESIGN: draw})


def _configurations_table(meta: dict, k: int) -> Table:
    cost = _costs(meta)
    designs = list(cost)
    several = len(designs) > 1
    header = ["Name", "Overrides", *[f"s / draw, {d}" if several else "s / draw" for d in designs]]
    rows = [[name, " ".join(overrides), *[number((cost.get(d) or {}).get(name), 1) for d in designs]] for name, overrides in meta["configurations"].items()]
    rows += [[f"spec {name}", " ".join(overrides), *[""] * len(designs)] for name, overrides in meta["specs"].items()]
    notes = []
    made = [f"{d} {number(s, 2)} s" for d, s in _draw_seconds(meta).items() if not is_missing(s)]
    if made:
        notes.append("Making one draw (before any configuration runs on it): " + "; ".join(made) + ".")
    return Table(f"study-{k}-configurations", "What ran: each configuration and spec as run overrides, and the seconds each configuration cost per draw (all specs)"
                 + (", per design" if several else ""), header, rows, notes=notes, align="ll" + "r" * len(designs))


# --- several studies ----------------------------------------------------------------------------
def _sweep_section(studies: list, root: Path) -> Section:
    worlds = [meta.get("world") or {} for _, _, meta in studies]
    keys = list(dict.fromkeys(key for w in worlds for key in w))
    varying = [key for key in keys if len({json.dumps(w.get(key)) for w in worlds}) > 1]
    labels = [", ".join(f"{key}={w.get(key)}" for key in varying) or str(folder.parent.relative_to(root)) for (folder, _, _), w in zip(studies, worlds)]
    frames = [summary.assign(_world=label) for (_, summary, _), label in zip(studies, labels)]
    data = pd.concat(frames)
    data = data[data["term"].notna()]
    several = data["design"].nunique() > 1 or any(meta.get("designs") for _, _, meta in studies)
    rows = []
    for (configuration, design, spec, term), group in data.groupby(["configuration", "design", "spec", "term"], sort=False):
        cells = [_sweep_cell(group[group["_world"] == label]) for label in labels]
        rows.append([configuration, *([design] if several else []), f"{spec}: {term}", *cells])
    header = ["Configuration", *(["Design"] if several else []), "Spec: term", *labels]
    table = Table("study-sweep", "Bias / coverage (verdict) of each configuration as the world's knobs change", header, rows,
                  align="l" * len(header))
    text = f"Knobs varied across the {len(studies)} studies: {', '.join(varying) or 'none'}. A configuration that keeps its verdict across settings is robust to them; where it changes, that knob is where it breaks."
    return Section("Monte Carlo study: where each configuration breaks", "study-sweep", [Paragraph(text), table])


def _sweep_cell(hit: pd.DataFrame) -> str:
    if hit.empty:
        return ""
    r = hit.iloc[0]
    if is_missing(r["bias"]):
        return f"({r['verdict']})"
    return f"{number(r['bias'], 3)} / {share(r['coverage'])} ({r['verdict']})"
