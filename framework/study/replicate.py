"""One replication: draw the world once, run every cell of the design on it, keep one row
per coefficient (or one per failed run)."""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

from framework.data.synthetic import WorldKnobs, generate_world
from framework.pipeline import run
from framework.study.calibrate import Units
from framework.study.design import Cell

ROW_FIELDS = (
    "seed", "configuration", "spec", "status", "error", "term", "estimate", "std_error",
    "ci_low", "ci_high", "p_value", "interval", "truth", "n_obs", "runtime_s", "converged",
)


def run_replication(
    seed: int,
    cells: Sequence[Cell],
    world: Mapping[str, Any],
    units: Units | None = None,
) -> list[dict]:
    """Rows of the draw with ``seed``: one per (cell, term) of each ok run, one per failed run.

    The world is drawn once from ``world`` (its knobs) and ``seed``; ``units`` (from a
    calibration) maps it onto a file's means and standard deviations, truth included.
    """
    started = time.perf_counter()
    panel = generate_world(WorldKnobs.from_config(world), seed=seed).panel
    if units is not None:
        panel = units.apply(panel)
    fingerprint = (panel, panel.sha256())
    draw_s = time.perf_counter() - started
    rows = []
    for cell in cells:
        record = run(cell.for_draw(seed, world), panel=fingerprint).record
        rows.extend(_rows(seed, cell, record))
    for row in rows:
        row["draw_s"] = draw_s
    return rows


def _rows(seed: int, cell: Cell, record: dict) -> list[dict]:
    base = {
        "seed": seed,
        "configuration": cell.configuration,
        "spec": cell.spec,
        "status": record["status"],
        "error": record.get("error"),
        "n_obs": record.get("n_obs"),
        "runtime_s": record.get("runtime_s"),
        "converged": (record.get("diagnostics") or {}).get("converged"),
    }
    if record["status"] != "ok":
        return [{**base, "term": None}]
    return [
        {**base, **{key: c.get(key) for key in ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "interval", "truth")}}
        for c in record["coefficients"]
    ]
