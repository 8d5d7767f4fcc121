"""The Monte Carlo study: which estimator configuration recovers the truth on data like these.

    python -m experiments.simulate                                   # conf/study/core.yaml
    python -m experiments.simulate study=quick study.replications=20
    python -m experiments.simulate -m data.world.confounding=0,1,2   # where does each break?
    python -m experiments.simulate data=file data.path=panel.csv data.columns.id=city ...

Draws ``study.replications`` worlds (seeds ``study.first_seed`` onwards), runs every
configuration of ``study.configurations`` on every spec of ``study.specs`` on each draw,
and writes ``<run dir>/study/`` (replications, summary with verdicts, recommendation; see
:mod:`framework.study.output`) and the comparison report with its study section. With
``data=file`` the world is first calibrated to the file (:mod:`framework.study.calibrate`).
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import hydra
from hydra import compose
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

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
    from framework.data.synthetic import WorldKnobs
    from framework.pipeline import load_panel
    from framework.records.provenance import provenance
    from framework.spec import Spec
    from framework.study import StudyDesign, Thresholds, ranking, recommend, run_study, summarise, verdicts
    from framework.study.calibrate import calibrate
    from framework.study.output import write_study
    from framework.study.runner import print_progress

    started = time.perf_counter()
    study = cfg.study
    data = cfg.data
    units, calibration = None, None
    data_sha = None
    if data.kind == "file":
        panel, data_sha = load_panel(OmegaConf.to_container(data, resolve=True), Spec(), int(cfg.seed))
        grid = OmegaConf.to_container(study.calibration.grid, resolve=True)
        print(f"[study] calibrating the world to {data.path} ...", flush=True)
        calibration = calibrate(panel, grid=grid, draws=int(study.calibration.draws), seed=int(cfg.seed))
        units = calibration.units
        world = asdict(calibration.knobs)
        data_node = {"kind": "synthetic", "seed": "${seed}", "world": world}
    elif data.kind == "synthetic":
        world = OmegaConf.to_container(data.world, resolve=True)
        data_node = OmegaConf.to_container(data, resolve=False)
    else:
        raise UserInputError(f"data.kind = {data.kind!r}: use data=synthetic or data=file")

    WorldKnobs.from_config(world)  # bad knobs stop here, before any draw
    configurations = _selected(study, "configurations")
    specs = _selected(study, "specs")
    cells = _cells(configurations, specs, list(study.get("common") or []), data_node)
    design = StudyDesign(int(study.replications), int(study.first_seed), tuple(cells), world)
    thresholds = Thresholds.from_config(OmegaConf.to_container(study.verdict, resolve=True))
    n_jobs = int(study.n_jobs)
    print(f"[study] {design.replications} draws x {len(configurations)} configurations x {len(specs)} specs on {n_jobs} worker(s)", flush=True)

    rows = run_study(design, n_jobs=n_jobs, units=units, progress=print_progress)
    judged = verdicts(summarise(rows), thresholds)
    ranked = ranking(judged)
    recommendation = recommend(judged)
    wall_s = time.perf_counter() - started
    meta = {
        "replications": design.replications,
        "seeds": [design.seeds[0], design.seeds[-1]],
        "configurations": configurations,
        "specs": specs,
        "common": list(study.get("common") or []),
        "world": world,
        "calibration": calibration.to_record() if calibration else None,
        "data": "calibrated to " + str(data.path) if calibration else "synthetic",
        "verdict": asdict(thresholds),
        "n_jobs": n_jobs,
        "wall_s": wall_s,
        "cost_per_draw_s": rows.drop_duplicates(["seed", "configuration", "spec"]).groupby("configuration", sort=False)["runtime_s"].sum().div(design.replications).to_dict(),
        "draw_s": float(rows.drop_duplicates("seed")["draw_s"].mean()),
        "provenance": provenance(data_sha, int(study.first_seed), str(data.path) if calibration else None),
    }
    for line in recommendation:
        print(f"[study] {line}")
    print(f"[study] {len(rows)} rows in {wall_s / 60:.1f} min", flush=True)
    return write_study(directory, rows, ranked, recommendation, meta)


def _selected(study: DictConfig, key: str) -> dict[str, list[str]]:
    every = {name: list(overrides) for name, overrides in (study.get(key) or {}).items()}
    chosen = study.select.get(key, "all") if study.get("select") else "all"
    if chosen == "all" or chosen is None:
        return every
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    unknown = [name for name in chosen if name not in every]
    if unknown:
        raise UserInputError(f"study.select.{key}: unknown {', '.join(unknown)}; study.{key} has {', '.join(every)}")
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
