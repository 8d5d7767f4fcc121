"""Line plots over time of the coordination analysis, as PNG bytes (matplotlib, Agg)."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from framework.coordination.tables import subsystem_name
from framework.rendering.png import png

MAX_LINES = 10
"""With more regions than this, a panel shows the median and the 10-90 % band instead of lines."""


def _lines(ax, frame: pd.DataFrame, key: str, value: str) -> None:
    keys = list(dict.fromkeys(frame[key]))
    if len(keys) <= MAX_LINES:
        for k in keys:
            sel = frame[frame[key] == k].sort_values("year")
            ax.plot(sel["year"], sel[value], marker="o", ms=3, lw=1.5, label=str(k))
        ax.legend(fontsize=7, frameon=False)
    else:
        q = frame.groupby("year")[value].quantile([0.1, 0.5, 0.9]).unstack()
        ax.fill_between(q.index, q[0.1], q[0.9], alpha=0.25, label=f"10-90 % of {len(keys)} {key}s")
        ax.plot(q.index, q[0.5], lw=1.8, label="median")
        ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


def _panels(frame: pd.DataFrame, panels: list[str], panel_key: str, key: str, value: str, title: str, ylabel: str) -> bytes:
    cols = min(len(panels), 2)
    rows = int(np.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.2 * rows), squeeze=False, sharex=True, layout="constrained")
    for ax, panel in zip(axes.flat, panels):
        _lines(ax, frame[frame[panel_key] == panel], key, value)
        ax.set_title(subsystem_name(panel), fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=11)
    return png(fig)


def indices_plot(indices_long: pd.DataFrame, columns: list[str]) -> bytes:
    return _panels(indices_long, columns, "subsystem", "region", "index", "Indices by region over time (eq. 1-3)", "index S")


def within_plot(within: pd.DataFrame) -> bytes:
    frame = within.assign(panel="within regions, across subsystems")
    return _panels(frame, ["within regions, across subsystems"], "panel", "region", "D",
                   "Coupling coordination D within each region (eq. 4-6)", "D")


def between_plot(between: pd.DataFrame) -> bytes:
    return _panels(between, list(dict.fromkeys(between["subsystem"])), "subsystem", "group", "D",
                   "Coupling coordination D between regions (eq. 4-6)", "D")
