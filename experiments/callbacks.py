"""Hydra callbacks: the comparison report at the end of every sweep, and the sweep's outcome.

``conf/config.yaml`` attaches :class:`ReportOnMultirunEnd` under ``hydra.callbacks.report``,
so every sweep (``-m``, ``+experiment=paper``, ``+experiment=compare``, the study's sweeps)
ends with the report's path. It also counts this sweep's failed runs: it prints
``2 of 6 runs failed; see the report`` on stderr and leaves a :class:`SweepOutcome` in
:data:`SWEEPS`, from which ``python -m experiments.run`` takes its exit status (1 when a run
failed).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

RECORD_NAME = "result.json"


@dataclass(frozen=True)
class SweepOutcome:
    directory: str
    runs: int
    """This sweep's runs that left a record (skipped runs included)."""
    failed: int
    report: str | None


SWEEPS: list[SweepOutcome] = []
"""The outcome of each sweep that ended in this process, in order."""


def sweep_records(directory: str | Path, since: float | None = None) -> list[dict]:
    """The records of the sweep in ``directory`` that started at ``since`` (a file time).

    A job of this sweep rewrote its ``.hydra/hydra.yaml`` (or, without it, its record) after
    the sweep began; older records in the same directory, from earlier sweeps with other jobs,
    are left out. ``since=None`` takes every record.
    """
    found = []
    for path in sorted(Path(directory).rglob(RECORD_NAME)):
        marker = path.parent / ".hydra" / "hydra.yaml"
        marker = marker if marker.exists() else path
        try:
            if since is not None and marker.stat().st_mtime < since:
                continue
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(record, dict):
            found.append(record)
    return found


class ReportOnMultirunEnd(Callback):
    def __init__(self) -> None:
        self.started: float | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.started = time.time()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from framework.errors import first_line
        from framework.report.build import build_report

        directory = str(config.hydra.sweep.dir)
        # Hydra's sweeper writes multirun.yaml as the sweep begins, on the same file system (and
        # clock) as the jobs' files; the callback's own clock is the fallback.
        sweep_file = Path(directory) / "multirun.yaml"
        since = sweep_file.stat().st_mtime if sweep_file.exists() else self.started
        records = sweep_records(directory, since)
        failed = sum(1 for record in records if record.get("status") == "failed")
        report = None
        try:
            report = str(build_report(directory))
        except Exception as error:  # the runs are safe on disk; say why the report is missing
            print(f"error: report failed: {type(error).__name__}: {first_line(error)}; retry with: python -m experiments.report {directory}", file=sys.stderr)
        if failed:
            print(f"{failed} of {len(records)} runs failed; see the report", file=sys.stderr, flush=True)
        if report is not None:
            print(f"report: {report}", flush=True)
        SWEEPS.append(SweepOutcome(directory=directory, runs=len(records), failed=failed, report=report))
