"""Hydra callbacks: the comparison report at the end of a sweep.

Experiments that are sweeps (``+experiment=paper``, ``+experiment=compare``) name
:class:`ReportOnMultirunEnd` under ``hydra.callbacks``, so the one command that runs the
sweep also ends with the report's path.
"""

from __future__ import annotations

import sys
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class ReportOnMultirunEnd(Callback):
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from framework.errors import first_line
        from framework.report.build import build_report

        directory = config.hydra.sweep.dir
        try:
            path = build_report(directory)
        except Exception as error:  # the runs are safe on disk; say why the report is missing
            print(f"error: report failed: {type(error).__name__}: {first_line(error)}; retry with: python -m experiments.report {directory}", file=sys.stderr)
            return
        print(f"report: {path}")
