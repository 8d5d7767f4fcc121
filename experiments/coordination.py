"""Seed 002's coordination analysis as its own Hydra app.

    python -m experiments.coordination                    # synthetic world: 3 city clusters
    python -m experiments.coordination data.level=cities  # every synthetic city a region
    python -m experiments.coordination data=paper         # seed 002's Table 3 + the replication check
    python -m experiments.coordination data=file data.path=panel.csv data.columns.region=province data.columns.year=year

Writes ``<run dir>/coordination/`` (tables as CSV, Markdown and LaTeX, entropy weights, line
plots, ``coordination.json``) atomically and prints its path last. Bad input stops with one
line naming the file, column, row or config key, and a non-zero exit; nothing is written.
Config: ``conf/coordination/`` (docs/COORDINATION.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf


@hydra.main(version_base="1.3", config_path="../conf/coordination", config_name="config")
def main(cfg: DictConfig) -> None:
    config = OmegaConf.to_container(cfg, resolve=True)
    debug = bool(config.pop("debug", False))
    from framework.coordination.analysis import analyse, write_outputs
    from framework.errors import UserInputError, first_line

    try:
        analysis = analyse(config)
        target = write_outputs(analysis, Path(HydraConfig.get().runtime.output_dir))
    except Exception as error:
        if debug:
            raise
        message = str(error) if isinstance(error, UserInputError) else (
            f"{type(error).__name__}: {first_line(error)} (run with debug=true for the traceback)")
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)
    print(summary_text(analysis))
    print(f"coordination: {target}")


def summary_text(analysis) -> str:
    """What the run found, in a few lines (with the replication table when there is one)."""
    s = analysis.summary
    lines = [f"source: {s['source']}", f"pooling: {s['pooling_text']}"]
    within = analysis.within
    first, last = min(s["years"]), max(s["years"])
    for region, sel in within.groupby("region", sort=True):
        if len(s["regions"]) > 12:
            break
        a, b = sel[sel["year"] == first], sel[sel["year"] == last]
        if len(a) and len(b):
            lines.append(f"  within {region}: D {first} {a['D'].iloc[0]:.3f} (level {a['level'].iloc[0]}), "
                         f"{last} {b['D'].iloc[0]:.3f} (level {b['level'].iloc[0]})")
    if analysis.comparison is not None:
        from framework.coordination.tables import replication_table
        from framework.rendering.document import to_markdown_table

        lines += ["", to_markdown_table(replication_table(analysis.comparison)).rstrip()]
    lines += [f"note: {n}" for n in s["notes"]]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
