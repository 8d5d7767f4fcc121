"""The comparison report of every run under a results directory.

    python -m experiments.report <results dir>

Collects every ``result.json`` under the directory (single runs and sweeps, ok and failed)
into ``<dir>/runs.parquet`` and ``<dir>/runs.csv``, then writes ``<dir>/report/index.html``
(self-contained), ``report.md`` (figures in ``report/figures/``) and LaTeX tables in
``report/tables/``. Prints the path of ``index.html`` as its last line. A missing directory,
or one without records, stops with one line and exit code 2. On the paper's kind of data (the
synthetic world, or a file declared ``data.paper_panel: true``) the report speaks the paper's
words; on any other panel it uses the data's own column names and judges the hypotheses
declared in the runs' ``hypotheses:`` config instead of H1-H4. See docs/REPORT.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.report",
        description="Collect every result.json under DIR and write DIR/report/index.html (+ report.md, tables/*.tex). "
        "On your own panel the report uses your column names and judges the hypotheses declared in the runs' config.",
    )
    parser.add_argument("directory", metavar="DIR", help="a results directory (single runs and/or sweeps)")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    args = parser.parse_args(argv)

    from framework.errors import first_line
    from framework.report.build import NoRecords, build_report

    try:
        path = build_report(Path(args.directory))
    except NoRecords as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # one line, unless --debug
        if args.debug:
            raise
        print(f"error: report failed: {type(error).__name__}: {first_line(error)} (run with --debug for the traceback)", file=sys.stderr)
        return 1
    collection = path.parent.parent / "runs.parquet"
    if collection.exists():  # a directory of study or coordination outputs alone has no run records
        print(f"collection: {collection}, {collection.with_suffix('.csv')}")
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
