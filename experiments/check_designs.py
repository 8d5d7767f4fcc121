"""How far to trust the designs: each checked against the truth on the synthetic world.

    python -m experiments.check_designs                         # conf/check_designs.yaml
    python -m experiments.check_designs check.panels=5 study.replications=100 \\
        'study.select.configurations=[dml_dummies,dml_fd,causal_forest,twfe]' 'study.select.specs=[baseline]'

Runs the study on the world itself (``check.oracle_replications`` draws: the oracle ranking),
then, for each of ``check.panels`` panels drawn from the world with their truth removed, the
study under each design of ``check.designs`` built from that panel (``study.replications``
draws each), and compares every design's ranking, biases and coverage with the oracle's
(:mod:`framework.study.check`). Writes ``<run dir>/check/`` (``comparison.csv`` per panel,
``table.csv`` and ``table.md`` per design, ``oracle.csv``, ``designs.csv``, ``check.json``)
and prints the table.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from framework.errors import UserInputError, first_line


@hydra.main(version_base="1.3", config_path="../conf", config_name="check_designs")
def main(cfg: DictConfig) -> None:
    directory = Path(HydraConfig.get().runtime.output_dir)
    try:
        path = check(cfg, directory)
    except Exception as error:
        if cfg.get("debug", False):
            raise
        message = str(error) if isinstance(error, UserInputError) else f"{type(error).__name__}: {first_line(error)} (run with debug=true for the traceback)"
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)
    print(f"check: {path}")


def check(cfg: DictConfig, directory: Path) -> Path:
    import pandas as pd

    from experiments.simulate import _cells, _selected
    from framework.io import write_folder
    from framework.records.provenance import provenance
    from framework.settings import integer
    from framework.study import StudyPlan, Thresholds, conduct
    from framework.study.check import aggregate, compare_to_oracle
    from framework.study.designs import WorldDesign, build_designs, design_names, source_panel
    from framework.study.progress import ConsoleProgress

    if cfg.data.kind != "synthetic":
        raise UserInputError("check_designs needs data=synthetic: the designs are checked where the truth is known")
    started = time.perf_counter()
    study, settings = cfg.study, OmegaConf.to_container(cfg.study, resolve=True)
    checks = cfg.check
    names = design_names(list(checks.designs), "synthetic")
    if "world" in names:
        raise UserInputError("check.designs: the world is the oracle; name the designs to check (structured, placebo, calibrated)")
    panels = integer(checks.panels, "check.panels", minimum=1)
    first_panel = integer(checks.first_panel_seed, "check.first_panel_seed", minimum=0)
    thresholds = Thresholds.from_config(OmegaConf.to_container(study.verdict, resolve=True))
    configurations = _selected(study, "configurations")
    specs = _selected(study, "specs")
    cells = tuple(_cells(configurations, specs, list(study.get("common") or []), OmegaConf.to_container(cfg.data, resolve=False)))
    world = OmegaConf.to_container(cfg.data.world, resolve=True)
    moderator = OmegaConf.to_container(cfg.moderator, resolve=True) if cfg.get("moderator") else None
    n_jobs = int(study.n_jobs)
    resamples = int((study.get("stability") or {}).get("resamples", 200))
    reuse = bool(study.get("reuse_nuisances", True))

    oracle_plan = StudyPlan(integer(checks.oracle_replications, "check.oracle_replications", minimum=2), int(study.first_seed), cells, reuse)
    print(f"[check] the oracle: {oracle_plan.replications} draws of the world", flush=True)
    oracle = conduct(oracle_plan, [WorldDesign(world)], thresholds, n_jobs=n_jobs, progress=ConsoleProgress(), resamples=0).ranked
    plan = StudyPlan(int(study.replications), int(study.first_seed), cells, reuse)
    comparisons, summaries, records = [], [], []
    for k in range(panels):
        seed = first_panel + k
        print(f"[check] panel {k + 1}/{panels} (world seed {seed}): designs {', '.join(names)}", flush=True)
        source = source_panel(world, seed, moderator)
        designs = build_designs(names, settings, source, world, seed)
        records.append({"panel": seed, "designs": [d.record() for d in designs]})
        ranked = conduct(plan, designs, thresholds, n_jobs=n_jobs, progress=ConsoleProgress(), resamples=resamples, seed=seed).ranked
        summaries.append(ranked.assign(panel=seed))
        comparisons.append(compare_to_oracle(oracle, ranked, seed))
    comparison = pd.concat(comparisons, ignore_index=True)
    table = aggregate(comparison)
    markdown = check_markdown(table, oracle)
    print(markdown, flush=True)
    meta = {
        "panels": [first_panel, first_panel + panels - 1], "designs": names, "replications": plan.replications,
        "oracle_replications": oracle_plan.replications, "configurations": configurations, "specs": specs, "world": world,
        "verdict": asdict(thresholds), "design_records": records, "wall_s": time.perf_counter() - started, "n_jobs": n_jobs,
        "provenance": provenance(None, int(study.first_seed), None),
    }

    def fill(folder: Path) -> None:
        comparison.to_csv(folder / "comparison.csv", index=False)
        table.to_csv(folder / "table.csv", index=False)
        (folder / "table.md").write_text(markdown, encoding="utf-8")
        oracle.to_csv(folder / "oracle.csv", index=False)
        pd.concat(summaries, ignore_index=True).to_csv(folder / "designs.csv", index=False)
        (folder / "check.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")

    target = directory / "check"
    write_folder(target, fill)
    return target


def check_markdown(table, oracle) -> str:
    lines = ["| design | spec | term | panels | rank correlation (mean, min) | picks the oracle's best | bias error | coverage error |",
             "|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r['design']} | {r['spec']} | {r['term']} | {r['panels']} | {r['rank_correlation']:+.2f}, {r['rank_correlation_min']:+.2f} "
                     f"| {r['picks_best']:.0%} | {r['bias_error']:.4f} | {r['coverage_error']:.1%} |")
    lines += ["", "The oracle (the study on the world itself):", "",
              "| spec | term | rank | configuration | verdict | bias | RMSE | coverage |", "|---|---|---|---|---|---|---|---|"]
    for _, r in oracle.iterrows():
        lines.append(f"| {r['spec']} | {r['term']} | {int(r['rank'])} | {r['configuration']} | {r['verdict']} | {r['bias']:+.4f} | {r['rmse']:.4f} | {r['coverage']:.1%} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
