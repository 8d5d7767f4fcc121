"""Every ``result.json`` under a directory as one table: one row per run and term.

Failed runs keep one row (term empty) so the report can list them. Columns hold the spec,
the choices that tell runs apart (estimator, fixed effects, learner, folds, paper column),
the coefficient, its truth and the published value when the run reproduces a paper column.

Each row also says whether its record is of the paper's kind of data (``paper_kind``: the
synthetic world, or a file declared ``data.paper_panel: true``), the user's column names for
each role (``unit_column`` ... ``control_columns``) and for the term (``term_column``, from the
coefficient's ``column`` or else the roles), the run's statistical warnings (``warnings``, a
JSON list: the record's ``warnings`` and ``diagnostics.warnings``, deduplicated) and its
declared hypotheses (``hypotheses``, JSON). Columns whose name starts with ``_`` (the record's
config and spec, as JSON, for the hypotheses' filters) stay in memory and are not written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from framework.records.record import RECORD_NAME

KEYS = ["run", "family", "estimator", "fe", "learner", "folds", "column_id", "spec_label"]
ROLES = ("id", "time", "outcome", "treatment", "moderator")
ROLE_TERMS = ("treatment", "moderator", "treatment_x_moderator")
CONTROL_PREFIX = "control:"


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
    data = config.get("data") or {}
    paper_kind = is_paper_kind(data)
    # a run on other data that reproduces a paper column (+column=...) is not compared with the paper
    column = (config.get("column") or {}) if paper_kind else {}
    window = spec.get("window") or [None, None]
    diagnostics = record.get("diagnostics") or {}
    roles = role_columns(data, spec)
    warnings = run_warnings(record)
    declared = config.get("hypotheses")
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
        "paper_kind": paper_kind,
        **roles,
        "periods": _periods(record.get("periods")),
        "warnings": json.dumps(warnings),
        "n_warnings": len(warnings),
        "hypotheses": json.dumps(declared) if declared else None,
        **_sensitivity_fields(record.get("sensitivity")),
        "_config": json.dumps(config, default=str),
        "_spec": json.dumps(spec, default=str),
    }
    base["family"] = _family(base)
    base["spec_label"] = _spec_label(base) if paper_kind else general_spec_label(base)
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
                "term_column": c.get("column") or term_column(c.get("term"), base),
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


def _sensitivity_fields(block: dict | None) -> dict:
    """The run's omitted-variable-bias analysis of its treatment term: whether it has one, its
    robustness values, and the whole block (JSON) for the report's bounds and contour plots."""
    block = block or {}
    supported = bool(block.get("enabled") and block.get("supported"))
    return {
        "sensitivity_supported": supported if block else None,
        "sensitivity_rv": block.get("rv") if supported else None,
        "sensitivity_rv_alpha": block.get("rv_alpha") if supported else None,
        "sensitivity_reason": None if supported else (block.get("reason") or ("off (sensitivity=off)" if block.get("enabled") is False else None)),
        "_sensitivity": json.dumps(block) if supported else None,
    }


def is_paper_kind(data: dict) -> bool:
    """The paper's kind of data: the synthetic world, or a file its user declares to be the
    paper's panel (``data.paper_panel: true``)."""
    return data.get("kind") == "synthetic" or data.get("paper_panel") is True


def role_columns(data: dict, spec: dict) -> dict:
    """The user's column name of each role (None where the data do not name one)."""
    columns = data.get("columns") or {}
    if not isinstance(columns, dict):
        columns = {}
    controls = spec.get("covariates") if isinstance(spec.get("covariates"), list) else columns.get("controls")
    return {
        "unit_column": columns.get("id"),
        "time_column": columns.get("time"),
        "outcome_column": columns.get("outcome"),
        "treatment_column": columns.get("treatment"),
        "moderator_column": columns.get("moderator"),
        "control_columns": ", ".join(str(c) for c in controls) if isinstance(controls, list) and controls else None,
    }


def term_column(term: str | None, base: dict) -> str | None:
    """The user's column name of a term from the roles (records written before coefficients
    carried their ``column``)."""
    if not term:
        return None
    if term.startswith(CONTROL_PREFIX):
        return term[len(CONTROL_PREFIX):] or None
    treatment, moderator = base.get("treatment_column"), base.get("moderator_column")
    if term == "treatment":
        return treatment
    if term == "moderator":
        return moderator
    if term == "treatment_x_moderator" and treatment and moderator:
        return f"{treatment}\u00d7{moderator}"
    return None


def run_warnings(record: dict) -> list[str]:
    """The run's statistical warnings, one line each: the record's ``warnings`` and the
    estimator's ``diagnostics.warnings``, in that order, each line once."""
    lines = []
    for source in (record.get("warnings"), (record.get("diagnostics") or {}).get("warnings")):
        if isinstance(source, str):
            source = [source]
        for line in source if isinstance(source, list) else []:
            text = " ".join(str(line).split())
            if text and text not in lines:
                lines.append(text)
    return lines


def _periods(periods) -> str | None:
    if not isinstance(periods, list) or not periods:
        return None
    return f"{periods[0]}-{periods[-1]}" if len(periods) > 1 else str(periods[0])


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


SAMPLE_WORDS = {"high_uil": "above median", "low_uil": "at or below median"}


def general_spec_label(row: dict) -> str:
    """A spec in the data's own words: the control columns instead of the paper's ``controls``
    choice name, the treatment halves by the treatment's column, the moderator's column."""
    window = row["window_name"] if row["window_name"] not in (None, "custom") else f"{row['window_start']}-{row['window_end']}"
    parts = [f"window={window}", f"sample={general_sample(row['sample'], row.get('treatment_column'))}",
             f"controls={general_controls(row['controls'], row.get('control_columns'))}"]
    if row["moderation"] not in (None, "none"):
        parts.append(f"moderation={row['moderation']}")
        parts.append(f"moderator={row.get('moderator_column') or 'moderator'}")
    return " ".join(parts)


def general_sample(sample, treatment) -> str:
    if sample in SAMPLE_WORDS:
        return f"{treatment or 'treatment'} {SAMPLE_WORDS[sample]}"
    return str(sample)


def general_controls(controls, columns) -> str:
    """``paper`` is the config's name for "the data's controls": say which they are."""
    if controls == "paper":
        return columns.replace(", ", "+") if columns else "all"
    return str(controls)


def write_collection(frame: pd.DataFrame, directory: str | Path) -> tuple[Path, Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    parquet, csv = directory / "runs.parquet", directory / "runs.csv"
    frame = frame.drop(columns=[c for c in frame.columns if str(c).startswith("_")])
    frame.to_parquet(parquet, index=False)
    frame.to_csv(csv, index=False)
    return parquet, csv
