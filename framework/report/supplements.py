"""Report sections built from outputs that sit beside the runs but are not run records.

Experiments other than ``experiments.run`` (the Monte Carlo study, the coordination analysis)
write their own tables under the results directory. Each supplier below looks for its output
under that directory and returns the report sections for it, or an empty list when there is
none; the comparison report appends what they return after its own sections.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

# "module:function" names, imported only when a report is built.
SUPPLIERS: list[str] = [
    "framework.report.study:sections",
    "framework.report.coordination:sections",
]


def supplement_sections(root: Path) -> list:
    sections = []
    for name in SUPPLIERS:
        module, function = name.split(":")
        sections.extend(getattr(import_module(module), function)(root))
    return sections
