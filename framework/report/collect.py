"""Every ``result.json`` under a directory as one table: one row per run and term.

Failed runs keep one row (term empty) so the report can list them. Columns hold the spec,
the choices that tell runs apart (estimator, fixed effects, learner, folds, paper column),
the coefficient, its truth and the published value when the run reproduces a paper column.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from framework.records.record import RECORD_NAME

KEYS = ["run", "family", "estimator", "fe", "learner", "folds", "column_id", "spec_label"]


def find_records(directory: str | Path) -> list[Path]:
    root = Path(directory)
    return sorted(p for p in root.rglob(RECORD_NAME) if "report" not in p.relative_to(root).parts)


def collect(directory: str | Path) -> pd.DataFrame:
    root = Path(directory)
    rows = []
    for path in find_records(root):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            rows.append({"run": str(path.parent.relative_to(root)), "status": "unreadable", "error": str(error)})
            continue
        rows.extend(_rows(record, str(path.parent.relative_to(root)) or "."))
    frame = pd.DataFrame(rows)
    order = [c for c in ("spec_order", "family", "run", "term_order") if c in frame.columns]
    if frame.empty or not order:
        return frame
    return frame.sort_values(order, na_position="last").reset_index(drop=True)


def _rows(record: dict, run: str) -> list[dict]:
    config = record.get("config") or {}
    spec = record.get("spec") or {}
    estimator_cfg = config.get("estimator") or {}
    choices = record.get("choices") or {}
    column = config.get("column") or {}
    window = spec.get("window") or [None, None]
    diagnostics = record.get("diagnostics") or {}
    base = {
        "run": run,
        # records written before schema_version existed are version 1; every field read below
        # is read the same way in every version
        "schema_version": record.get("schema_version", 1),
        "status": record.get("status"),
        "error": record.get("error"),
        "estimator": record.get("estimator") or estimator_cfg.get("name"),
        "fe": spec.get("fe", estimator_cfg.get("fe")),
        # estimators that use no learner (twfe, bayes_hier) record learner: null
        "learner": (choices.get("learner") or _short(record.get("learner"))) if record.get("learner") else None,
        "folds": (config.get("split") or {}).get("folds"),
        "n_rep": (config.get("split") or {}).get("n_rep"),
        "seed": config.get("seed"),
        "data": (config.get("data") or {}).get("kind"),
        "data_source": (record.get("provenance") or {}).get("data_source"),
        "window_start": window[0],
        "window_end": window[1],
        "window_name": spec.get("window_name", (config.get("window") or {}).get("name")),
        "sample": spec.get("sample", (config.get("sample") or {}).get("name")),
        "controls": spec.get("controls", (config.get("controls") or {}).get("name")),
        "moderation": spec.get("moderation", (config.get("moderation") or {}).get("name")),
        "moderator": spec.get("moderator", (config.get("moderator") or {}).get("name")),
        "column_id": column.get("id"),
        "column_label": column.get("label"),
        "paper_table": column.get("table"),
        "paper_column": column.get("column"),
        "published_n": column.get("published_n"),
        "n_obs": record.get("n_obs"),
        "n_units": record.get("n_units"),
        "runtime_s": record.get("runtime_s"),
        "converged": diagnostics.get("converged"),
        "diagnostic_warnings": "; ".join(diagnostics.get("warnings") or []) if isinstance(diagnostics.get("warnings"), list) else None,
    }
    base["family"] = _family(base)
    base["spec_label"] = _spec_label(base)
    base["spec_order"] = column.get("id") or base["spec_label"]
    published = column.get("published") or {}
    coefficients = record.get("coefficients") or []
    if not coefficients:
        return [{**base, "term": None, "term_order": 0}]
    rows = []
    for order, c in enumerate(coefficients):
        pub = published.get(c.get("term")) or {}
        rows.append(
            {
                **base,
                "term": c.get("term"),
                "term_order": order,
                "estimate": c.get("estimate"),
                "std_error": c.get("std_error"),
                "ci_low": c.get("ci_low"),
                "ci_high": c.get("ci_high"),
                "p_value": c.get("p_value"),
                "interval": c.get("interval"),
                "truth": c.get("truth"),
                "published_estimate": pub.get("estimate"),
                "published_std_error": pub.get("std_error"),
            }
        )
    return rows


def _short(target: str | None) -> str | None:
    return target.rsplit(".", 1)[-1] if target else None


def _family(row: dict) -> str:
    """Estimator and fixed-effects approach, e.g. ``dml/fd``: what the report compares."""
    return f"{row['estimator']}/{row['fe']}" if row.get("fe") else str(row["estimator"])


def _spec_label(row: dict) -> str:
    window = row["window_name"] if row["window_name"] not in (None, "custom") else f"{row['window_start']}-{row['window_end']}"
    parts = [f"window={window}", f"sample={row['sample']}", f"controls={row['controls']}"]
    if row["moderation"] not in (None, "none"):
        parts.append(f"moderation={row['moderation']}")
        if row.get("moderator") not in (None, "difi"):
            parts.append(f"moderator={row['moderator']}")
    return " ".join(parts)


def write_collection(frame: pd.DataFrame, directory: str | Path) -> tuple[Path, Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    parquet, csv = directory / "runs.parquet", directory / "runs.csv"
    frame.to_parquet(parquet, index=False)
    frame.to_csv(csv, index=False)
    return parquet, csv
