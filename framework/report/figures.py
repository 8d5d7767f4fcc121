"""Forest plots per spec and the specification curve, as PNG bytes (matplotlib, Agg)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from framework.rendering.png import png
from framework.report.analysis import term_rank

PALETTE = ["#2a5caa", "#d1495b", "#2e8b57", "#e59b2f", "#7b4fa0", "#00798c", "#8c564b", "#c2185b", "#556b2f", "#4d4d4d"]
TRUTH = "#c0392b"
PAPER = "#555555"
DPI = 100


def colours(families) -> dict:
    return {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(sorted(set(families)))}


def forest(rows: pd.DataFrame, title: str, palette: dict, published: bool = True) -> bytes:
    """One panel per term (titled by the rows' ``term_label``): each method's estimate with its
    95 % interval, the truth as a red line and, when ``published`` (the paper's kind of data),
    the published estimate (with +-1.96 SE) as a hollow diamond in a row of its own."""
    terms = sorted(rows["term"].dropna().unique(), key=lambda t: (term_rank(t), t))
    rows = rows.sort_values(["family", "method", "run"], kind="stable")
    extra = ["paper (published)"] if published else []
    n_rows = max(len(rows[rows["term"] == t]) for t in terms) + len(extra)
    names_all = [_row_label(r, rows[rows["term"] == r["term"]]) for _, r in rows.iterrows()] + extra
    # a fixed layout (margins from the label lengths) instead of tight bounding boxes: one draw per figure
    width = min(4.6 * len(terms), 13.5) if len(terms) > 1 else 9.5
    height = 1.45 + 0.3 * n_rows
    left = 0.3 + 0.068 * max(len(n) for n in names_all)
    fig, axes = plt.subplots(1, len(terms), figsize=(width, height), squeeze=False, sharey=True)
    fig.subplots_adjust(left=left / width, right=1 - 0.25 / width, top=1 - 0.62 / height, bottom=0.82 / height, wspace=0.1)
    fig.suptitle(title if len(title) <= 130 else title[:127] + "...", fontsize=10.5, x=0.1 / width, y=1 - 0.1 / height, ha="left", va="top")
    for ax, term in zip(axes[0], terms):
        sel = rows[rows["term"] == term]
        names = [_row_label(r, sel) for _, r in sel.iterrows()]
        y = np.arange(len(sel))[::-1] + 1.0
        for yi, (_, r) in zip(y, sel.iterrows()):
            colour = palette.get(r["family"], PALETTE[0])
            if pd.notna(r["ci_low"]) and pd.notna(r["ci_high"]):
                ax.plot([r["ci_low"], r["ci_high"]], [yi, yi], color=colour, lw=2, solid_capstyle="butt")
            credible = r["interval"] == "credible"
            ax.plot(r["estimate"], yi, marker="s" if credible else "o", ms=6.5, color=colour,
                    mfc="white" if credible else colour, mew=1.6)
        pub = sel["published_estimate"].dropna()
        top = len(sel) + 1.0
        if published and len(pub):
            est = float(pub.iloc[0])
            se = sel["published_std_error"].dropna()
            if len(se):
                ax.plot([est - 1.96 * float(se.iloc[0]), est + 1.96 * float(se.iloc[0])], [top, top], color=PAPER, lw=1.5, ls=(0, (3, 2)))
            ax.plot(est, top, marker="D", ms=7, mfc="white", mec=PAPER, mew=1.6, ls="none")
        truths = sel["truth"].dropna()
        if len(truths) and np.ptp(truths.to_numpy(dtype=float)) < 1e-12:
            ax.axvline(float(truths.iloc[0]), color=TRUTH, lw=1.4, ls="--", zorder=0)
        elif len(truths):
            for yi, t in zip(y, sel["truth"]):
                if pd.notna(t):
                    ax.plot(t, yi, marker="|", ms=14, mew=2, color=TRUTH, ls="none")
        ax.axvline(0, color="#999999", lw=0.8, zorder=0)
        labels = [str(t) for t in sel["term_label"].dropna().unique()] if "term_label" in sel else []
        ax.set_title(labels[0] if len(labels) == 1 else str(term), fontsize=10)
        ax.set_yticks(list(y) + ([top] if published else []))
        ax.set_yticklabels(names + extra, fontsize=9)
        ax.set_ylim(0.3, (top if published else top - 1.0) + 0.7)
        ax.grid(axis="x", color="#e6e6e6", lw=0.6)
        ax.tick_params(axis="x", labelsize=8.5)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5 if len(terms) > 1 else 8))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    handles = [plt.Line2D([], [], color="#333333", marker="o", lw=2, label="estimate, 95 % interval")]
    if published:
        handles.append(plt.Line2D([], [], color=PAPER, marker="D", mfc="white", ls=(0, (3, 2)), label="published (\u00b11.96 SE)"))
    if rows["truth"].notna().any():
        handles.append(plt.Line2D([], [], color=TRUTH, ls="--", label="truth"))
    if (rows["interval"] == "credible").any():
        handles.append(plt.Line2D([], [], color="#333333", marker="s", mfc="white", lw=2, label="credible interval"))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(left / width - 0.02, 0.0), ncol=len(handles), fontsize=8.5, frameon=False)
    return png(fig, DPI)


def _row_label(row, sel) -> str:
    label = str(row["method"])
    if (sel["method"] == row["method"]).sum() > 1:
        label += f" [{row['run']}]"
    return label if len(label) <= 48 else label[:45] + "..."


def spec_curve(rows: pd.DataFrame, dims: list[tuple[str, str]], palette: dict, ylabel: str = "UIL coefficient") -> bytes:
    """Estimates of the treatment term sorted, with 95 % intervals and the truth, above a
    dot matrix of the choices behind each estimate (``dims``: (column, label))."""
    rows = rows.sort_values(["estimate", "run"], kind="stable").reset_index(drop=True)
    n = len(rows)
    matrix = []
    for column, label in dims:
        for value in sorted(rows[column].map(str).unique()):
            matrix.append((column, label, value))
    entries = rows["family"].nunique() + int(rows["truth"].notna().any())
    width = min(max(8.5, 0.09 * n + 5), 13.5)
    height = 3.9 + 0.2 * len(matrix)
    left = 0.35 + 0.062 * max([len(f"{label}: {_short(value)}") for _, label, value in matrix] + [14])
    fig = plt.figure(figsize=(width, height))
    grid = fig.add_gridspec(2, 1, height_ratios=[3.0, max(0.2 * len(matrix), 0.6)], hspace=0.06,
                            left=left / width, right=1 - 0.25 / width, top=1 - (0.3 + 0.22 * math.ceil(entries / 6)) / height,
                            bottom=0.5 / height)
    top = fig.add_subplot(grid[0])
    bottom = fig.add_subplot(grid[1], sharex=top)
    x = np.arange(n)
    ms = 5 if n <= 80 else 3
    for family, sel in rows.groupby("family", sort=True):
        colour = palette.get(family, PALETTE[0])
        idx = sel.index.to_numpy()
        lo = (sel["estimate"] - sel["ci_low"]).to_numpy(dtype=float)
        hi = (sel["ci_high"] - sel["estimate"]).to_numpy(dtype=float)
        top.errorbar(idx, sel["estimate"], yerr=np.vstack([np.nan_to_num(lo), np.nan_to_num(hi)]), fmt="o", ms=ms,
                     color=colour, ecolor=colour, elinewidth=1.2, alpha=0.9, label=family)
    if rows["truth"].notna().any():
        top.plot(x, rows["truth"], ls="none", marker="x", ms=ms + 1, mew=1.4, color=TRUTH, label="truth")
    top.axhline(0, color="#999999", lw=0.8, zorder=0)
    top.set_ylabel(ylabel, fontsize=9)
    top.grid(axis="y", color="#e6e6e6", lw=0.6)
    entries = rows["family"].nunique() + int(rows["truth"].notna().any())
    top.legend(fontsize=8.5, frameon=False, ncol=min(6, entries), loc="lower left", bbox_to_anchor=(0.0, 1.0),
               handletextpad=0.3, columnspacing=1.2)
    top.tick_params(axis="x", bottom=False, labelbottom=False)
    for side in ("top", "right"):
        top.spines[side].set_visible(False)
    for i, (column, label, value) in enumerate(matrix):
        hit = rows[column].map(str) == value
        yi = len(matrix) - 1 - i
        bottom.plot(x[hit.to_numpy()], np.full(hit.sum(), yi), ls="none", marker="o", ms=ms - 0.5, color="#333333")
        bottom.plot(x[~hit.to_numpy()], np.full((~hit).sum(), yi), ls="none", marker="o", ms=ms - 1.5, color="#e3e3e3")
    bottom.set_yticks(range(len(matrix)))
    bottom.set_yticklabels([f"{label}: {_short(value)}" for _, label, value in matrix][::-1], fontsize=8)
    bottom.set_ylim(-0.6, len(matrix) - 0.4)
    bottom.set_xlim(-0.8, n - 0.2)
    bottom.set_xlabel("runs, sorted by estimate", fontsize=9)
    bottom.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        bottom.spines[side].set_visible(False)
    # light bands separate the choice dimensions
    start = 0
    for k, (column, _) in enumerate(dims):
        size = sum(1 for c, _, _ in matrix if c == column)
        if k % 2 == 0:
            bottom.axhspan(len(matrix) - start - size - 0.5, len(matrix) - start - 0.5, color="#f4f6f9", zorder=0)
        start += size
    return png(fig, DPI)


def _short(value: str) -> str:
    return value if len(value) <= 36 else value[:33] + "..."
