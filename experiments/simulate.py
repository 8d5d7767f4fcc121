"""The Monte Carlo study: which estimator configuration recovers the truth on data like these.

    python -m experiments.simulate                                   # conf/study/core.yaml
    python -m experiments.simulate study=quick study.replications=20
    python -m experiments.simulate -m data.world.confounding=0,1,2   # where does each break?
    python -m experiments.simulate data=file data.path=panel.csv data.columns.id=city ...

Makes ``study.replications`` draws (seeds ``study.first_seed`` onwards) of each design in
``study.design`` (:mod:`framework.study.designs`: the synthetic world, or designs built from
the user's panel with ``data=file``), runs every configuration of ``study.configurations`` on
every spec of ``study.specs`` (``study.file_specs`` on a file) on each draw, and writes
``<run dir>/study/`` (replications, summary with verdicts and stability, recommendation; see
:mod:`framework.study.output`) and the comparison report with its study section.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import hydra
from hydra import compose
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig, ListConfig, OmegaConf

from framework.errors import UserInputError, first_line


@hydra.main(version_base="1.3", config_path="../conf", config_name="simulate")
def main(cfg: DictConfig) -> None:
    debug = bool(cfg.get("debug", False))
    directory = Path(HydraConfig.get().runtime.output_dir)
    sweeping = HydraConfig.get().mode == RunMode.MULTIRUN
    try:
        path = simulate(cfg, directory)
    except Exception as error:
        if debug:
            raise
        message = str(error) if isinstance(error, UserInputError) else f"{type(error).__name__}: {first_line(error)} (run with debug=true for the traceback)"
        print(f"error: {message}", file=sys.stderr)
        if not sweeping:
            sys.exit(1)
        return
    print(f"study: {path}")
    if not sweeping:
        from framework.report.build import build_report

        print(f"report: {build_report(directory)}")


def simulate(cfg: DictConfig, directory: Path) -> Path:
    from framework.records.provenance import provenance
    from framework.study import StudyPlan, Thresholds, conduct
    from framework.study.backends import Backend
    from framework.study.checkpoints import DrawStore
    from framework.study.designs import FILE_DESIGNS, build_designs, design_names, source_panel
    from framework.study.output import write_study
    from framework.study.progress import ConsoleProgress

    study, data = cfg.study, cfg.data
    if data.kind not in ("file", "synthetic"):
        raise UserInputError(f"data.kind = {data.kind!r}: use data=synthetic or data=file")
    names = design_names(OmegaConf.to_container(study.design, resolve=True) if isinstance(study.design, DictConfig | ListConfig) else study.design, data.kind)
    on_file = data.kind == "file"
    thresholds = Thresholds.from_config(OmegaConf.to_container(study.verdict, resolve=True))
    settings = OmegaConf.to_container(study, resolve=True)
    backend = Backend.from_config(settings)  # a wrong backend stops before any work
    configurations = _selected(study, "configurations")
    specs = _selected(study, "file_specs" if on_file else "specs", select_key="specs")
    data_node = OmegaConf.to_container(data, resolve=on_file)
    cells = _cells(configurations, specs, list(study.get("common") or []), data_node)
    seed = int(cfg.seed)
    world = None if on_file else OmegaConf.to_container(data.world, resolve=True)
    source, data_sha = None, None
    if on_file:
        source, data_sha = _file_panel(data_node, cells)
    elif any(name in FILE_DESIGNS for name in names):
        source = source_panel(world, seed, OmegaConf.to_container(cfg.moderator, resolve=True) if cfg.get("moderator") else None)
        print(f"[study] the file designs are built from one draw of the world (seed {seed}), its truth removed", flush=True)
    print(f"[study] building the design(s) {', '.join(names)} ...", flush=True)
    designs = build_designs(names, settings, source, world, seed)
    for design in designs:
        for line in describe_design(design.record()):
            print(f"[study] {line}", flush=True)
    plan = StudyPlan(int(study.replications), int(study.first_seed), tuple(cells), reuse_nuisances=bool(study.get("reuse_nuisances", True)))
    records = [d.record() for d in designs]
    store, note = DrawStore.open(directory, draw_fingerprint(plan, records, data_sha), fresh=not bool(study.get("resume", True)))
    if note:
        print(f"[study] {note}", flush=True)
    n_jobs = backend.workers
    print(f"[study] {plan.replications} draws x {len(designs)} design(s) x {len(configurations)} configurations x {len(specs)} specs "
          f"on {backend.describe()}", flush=True)
    resamples = int((study.get("stability") or {}).get("resamples", 200))
    result = conduct(plan, designs, thresholds, n_jobs=n_jobs, progress=ConsoleProgress(), resamples=resamples, seed=int(study.first_seed),
                     store=store, backend=backend)
    rows = result.rows
    calibrated = next((r for r in records if r["name"] == "calibrated"), None)
    meta = {
        "replications": plan.replications,
        "seeds": [plan.seeds[0], plan.seeds[-1]],
        "designs": records,
        "configurations": configurations,
        "specs": specs,
        "common": list(study.get("common") or []),
        "world": world if world is not None else (calibrated or {}).get("world"),
        "calibration": calibrated["calibration"] if calibrated else None,
        "data": f"{data.path}" if on_file else "synthetic",
        "verdict": asdict(thresholds),
        "stability_resamples": resamples,
        "n_jobs": n_jobs,
        "backend": backend.name,
        "wall_s": result.wall_s,
        "cost_per_draw_s": {
            design: group.drop_duplicates(["seed", "configuration", "spec"]).groupby("configuration", sort=False)["runtime_s"].sum().div(plan.replications).to_dict()
            for design, group in rows.groupby("design", sort=False)
        },
        "draw_s": {design: float(group.drop_duplicates("seed")["draw_s"].mean()) for design, group in rows.groupby("design", sort=False)},
        "provenance": provenance(data_sha if on_file else None, int(study.first_seed), str(data.path) if on_file else None),
    }
    for line in result.recommendation:
        print(f"[study] {line}")
    print(f"[study] {len(rows)} rows in {result.wall_s / 60:.1f} min", flush=True)
    return write_study(directory, rows, result.ranked, result.recommendation, meta)


def draw_fingerprint(plan, design_records: list[dict], data_sha: str | None) -> dict:
    """What a draw's rows depend on besides its seed: a kept draw is reused only when all of it
    is unchanged (the number of draws and of workers is not part of it)."""
    from framework.records.provenance import code_fingerprint
    from framework.records.record import framework_version

    return {
        "framework": {"version": framework_version(), "code": code_fingerprint()},
        "first_seed": plan.first_seed,
        "reuse_nuisances": plan.reuse_nuisances,
        "cells": [{"configuration": c.configuration, "spec": c.spec, "config": c.config} for c in plan.cells],
        "designs": design_records,
        "data_sha256": data_sha,
    }


def describe_design(record: dict) -> list[str]:
    """What the console says about a design before its draws: what was fitted, how well."""
    name = record["name"]
    lines = []
    if name == "structured":
        fit = record["fit"]
        lines.append(
            f"structured: true effect {record['effect']:+.4g} ({record['effect_source']}), heterogeneity {record['heterogeneity']:g}; "
            f"the controls' function (out of fold) explains {fit['controls_share']:.0%} of the outcome's within variance; residual SD "
            f"{fit['residual_sd']:.4g}, within-unit autocorrelation {record['residual_autocorrelation']:+.2f}"
        )
    elif name == "placebo":
        lines.append(f"placebo: treatment paths moved ({record['mode']}); within correlation with the real treatment "
                     f"{record['within_correlation_with_real_treatment']:.2f}; true effect 0")
    elif name == "calibrated":
        calibration = record["calibration"]
        lines.append(f"calibrated: moments of the file and of the calibrated world (tolerance {calibration['tolerance']:g})")
        lines.append(f"  {'moment':<48} {'file':>7} {'world':>7} {'diff':>7}")
        from framework.study.calibrate import MOMENT_LABELS

        for row in calibration["fit"]:
            flag = "" if row["within_tolerance"] else "  <- misses"
            lines.append(f"  {MOMENT_LABELS[row['moment']]:<48} {row['file']:+7.3f} {row['world']:+7.3f} {row['difference']:+7.3f}{flag}")
    else:
        lines.append("world: the synthetic world's own process (the truth is its effect on each spec's rows)")
    if record.get("resemblance") and name != "calibrated":  # the calibrated design prints its fit table above
        from framework.study.calibrate import MOMENT_LABELS

        lines.append(f"  {name}'s draws beside your file: " + "; ".join(
            f"{MOMENT_LABELS[r['moment']]} {r['file']:+.2f} vs {r['design']:+.2f}" for r in record["resemblance"]))
    lines += [f"Warning: {w}" for w in record.get("warnings", [])]
    return lines


def _file_panel(data: dict, cells: list) -> tuple:
    """The user's panel, read once with every optional column some cell needs."""
    from framework.data.load import load_file_panel
    from framework.io import file_sha256
    from framework.pipeline import roles_needed
    from framework.spec import Spec

    if not data.get("path"):
        raise UserInputError("data=file needs data.path: the CSV, Parquet or Stata file to read")
    roles = sorted({role for cell in cells for role in roles_needed(Spec.from_config(cell.config), data.get("columns"))})
    panel = load_file_panel(str(data["path"]), data.get("columns"), used_roles=roles, read=data.get("read"), missing=data.get("missing"))
    return panel, file_sha256(str(data["path"]))


def _selected(study: DictConfig, key: str, select_key: str | None = None) -> dict[str, list[str]]:
    every = {name: list(overrides) for name, overrides in (study.get(key) or {}).items()}
    select_key = select_key or key
    chosen = study.select.get(select_key, "all") if study.get("select") else "all"
    if chosen == "all" or chosen is None:
        return every
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    unknown = [name for name in chosen if name not in every]
    if unknown:
        raise UserInputError(f"study.select.{select_key}: unknown {', '.join(unknown)}; study.{key} has {', '.join(every)}")
    return {name: every[name] for name in chosen}


def _cells(configurations: dict, specs: dict, common: list[str], data_node: Any) -> list:
    from framework.study import Cell

    cells = []
    for configuration, config_overrides in configurations.items():
        for spec, spec_overrides in specs.items():
            try:
                composed = compose(config_name="config", overrides=[*common, *spec_overrides, *config_overrides])
            except HydraException as error:
                raise UserInputError(f"study.configurations.{configuration} on study.specs.{spec}: {first_line(error)}") from None
            config = OmegaConf.to_container(composed, resolve=False)
            config["data"] = data_node
            config.pop("debug", None)
            cells.append(Cell(configuration, spec, config))
    return cells


if __name__ == "__main__":
    main()
