"""One replication: make the design's draw once, run every cell of the plan on it, keep one
row per coefficient (or one per failed run)."""

from __future__ import annotations

import time
from framework.errors import UserInputError
from framework.pipeline import run
from framework.study.designs import Design
from framework.study.plan import Cell, StudyPlan

ROW_FIELDS = (
    "design", "seed", "configuration", "spec", "status", "error", "term", "estimate", "std_error",
    "ci_low", "ci_high", "p_value", "interval", "truth", "n_obs", "runtime_s", "converged",
    "rv", "rv_alpha", "bound_low", "bound_high", "bound_ci_low", "bound_ci_high",
)
SENSITIVITY_FIELDS = {"bound_low": "estimate_low", "bound_high": "estimate_high", "bound_ci_low": "ci_low", "bound_ci_high": "ci_high"}


def run_replication(seed: int, plan: StudyPlan, design: Design) -> list[dict]:
    """Rows of the draw with ``seed``: one per (cell, term) of each ok run, one per failed run.

    The draw is made once and shared by the cells; their runs are seeded by
    ``design.run_seed(seed, plan.first_seed)`` (the draw's seed, or the study's first seed
    where the design keeps the controls fixed); there, with ``plan.reuse_nuisances``, what the
    learners fit on unchanged columns is computed once per worker process and reused.
    """
    started = time.perf_counter()
    try:
        draw = design.draw(seed)
    except UserInputError as error:  # this draw is impossible (e.g. UIL pushed outside [1, 3]); the others go on
        failed = {"status": "failed", "error": f"drawing the {design.name} design (seed {seed}): {error}", "runtime_s": None}
        return [{**_rows(design.name, seed, cell, failed)[0], "draw_s": time.perf_counter() - started} for cell in plan.cells]
    draw_s = time.perf_counter() - started
    run_seed = design.run_seed(seed, plan.first_seed)
    rows = []
    for cell in plan.cells:
        config = cell.for_draw(run_seed, design.world())
        if design.fixed_inputs and plan.reuse_nuisances:
            config["cache"] = {**(config.get("cache") or {}), "nuisance": "memory"}
        rows.extend(_rows(design.name, seed, cell, run(config, panel=draw.panel(config.get("moderator"))).record))
    for row in rows:
        row["draw_s"] = draw_s
    return rows


def _rows(design: str, seed: int, cell: Cell, record: dict) -> list[dict]:
    base = {
        "design": design,
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
    # the study measures the spec's terms, whose truth the design knows; families that also
    # report the controls' coefficients (control:<column>) have no truth for them
    return [
        {**base, **{key: c.get(key) for key in ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "interval", "truth")},
         **(_sensitivity(record) if c.get("term") == "treatment" else {})}
        for c in record["coefficients"]
        if not str(c.get("term")).startswith("control:")
    ]


def _sensitivity(record: dict) -> dict:
    """The treatment's robustness values and its bounds at the strength of the confounder the
    world left out (the strength labelled ``world``), where the family has an analysis."""
    block = record.get("sensitivity") or {}
    if not (block.get("enabled") and block.get("supported")):
        return {}
    world = next((s for s in block.get("strengths") or [] if s.get("label") == "world"), None)
    return {"rv": block.get("rv"), "rv_alpha": block.get("rv_alpha"),
            **({key: world.get(source) for key, source in SENSITIVITY_FIELDS.items()} if world else {})}
