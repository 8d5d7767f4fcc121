"""Matplotlib figures as PNG bytes.

Importing this module selects matplotlib's non-interactive Agg backend: figures are only ever
written to files here, never shown, and Agg needs no display. This is the one place in
``framework`` that calls ``matplotlib.use``; every module that draws imports :func:`png`.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 100


def png(fig, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (white background); the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    plt.close(fig)
    return buffer.getvalue()
