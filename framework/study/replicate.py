"""One replication: draw the world once, run every cell of the design on it, keep one row
per coefficient (or one per failed run)."""

from __future__ import annotations

import json
import time
from typing import Any, Mapping, Sequence

from framework.data.synthetic import WorldKnobs, generate_world
from framework.data.synthetic.moderators import with_moderator
from framework.errors import UserInputError
from framework.pipeline import run
from framework.study.calibrate import Scales
from framework.study.design import Cell

ROW_FIELDS = (
    "seed", "configuration", "spec", "status", "error", "term", "estimate", "std_error",
    "ci_low", "ci_high", "p_value", "interval", "truth", "n_obs", "runtime_s", "converged",
)


def run_replication(
    seed: int,
    cells: Sequence[Cell],
    world: Mapping[str, Any],
    units: Scales | None = None,
) -> list[dict]:
    """Rows of the draw with ``seed``: one per (cell, term) of each ok run, one per failed run.

    The world is drawn once from ``world`` (its knobs) and ``seed``; ``units`` (from a
    calibration) maps it onto a file's means and standard deviations, truth included.
    """
    started = time.perf_counter()
    try:
        drawn = generate_world(WorldKnobs.from_config(world), seed=seed)
    except UserInputError as error:  # this draw is impossible (e.g. UIL pushed outside [1, 3]); the others go on
        failed = {"status": "failed", "error": f"drawing the world (seed {seed}): {error}", "runtime_s": None}
        return [{**_rows(seed, cell, failed)[0], "draw_s": time.perf_counter() - started} for cell in cells]
    panels: dict[str, tuple] = {}  # one panel per measure of the moderator the cells choose
    draw_s = time.perf_counter() - started
    rows = []
    for cell in cells:
        config = cell.for_draw(seed, world)
        measure = json.dumps(config.get("moderator"), sort_keys=True)
        if measure not in panels:
            panel = with_moderator(drawn, config.get("moderator"))
            panel = units.apply(panel) if units is not None else panel
            panels[measure] = (panel, panel.sha256())
        rows.extend(_rows(seed, cell, run(config, panel=panels[measure]).record))
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
    # the study measures the spec's terms, whose truth the world knows; families that also
    # report the controls' coefficients (control:<column>) have no truth for them
    return [
        {**base, **{key: c.get(key) for key in ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "interval", "truth")}}
        for c in record["coefficients"]
        if not str(c.get("term")).startswith("control:")
    ]
