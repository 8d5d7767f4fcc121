"""What the report says about a collection: verdicts, agreement, error against truth, runtime.

Everything here works on the table of :func:`framework.report.collect.collect` (one row per
run and term, one row per failed run) and returns plain data; the wording and layout live in
:mod:`framework.report.sections`.

Conventions (``docs/REPORT.md``):

* a coefficient is *significant* at 5 % when its p-value is below 0.05, or -- without a
  p-value (Bayesian credible intervals) -- when 0 lies outside its 95 % interval;
* its *conclusion* is ``+`` (significantly positive), ``-`` (significantly negative) or ``0``
  (not significant);
* a *method* is the family (``estimator/fe``) plus the learner, folds, repetitions, seed or
  data source where those vary within that family;
* a choice *changes the conclusion* when two runs that differ in that choice alone reach
  different conclusions.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from framework.numerics.evaluation import against_truth
from framework.report.collect import general_controls, general_sample
from framework.report.columns import paper_columns
from framework.report.text import DAGGER, is_missing, number, significant, stars

# Columns collect() documents; a collection of unreadable records alone may lack most of them.
COLUMNS = [
    "run", "status", "error", "estimator", "fe", "learner", "folds", "n_rep", "seed", "data", "data_source",
    "window_start", "window_end", "window_name", "sample", "controls", "moderation", "moderator", "column_id", "column_label",
    "paper_table", "paper_column", "published_n", "n_obs", "n_units", "runtime_s", "converged",
    "diagnostic_warnings", "family", "spec_label", "spec_order", "term", "term_order", "estimate", "std_error",
    "ci_low", "ci_high", "p_value", "interval", "truth", "published_estimate", "published_std_error",
    "paper_kind", "unit_column", "time_column", "outcome_column", "treatment_column", "moderator_column", "control_columns",
    "periods", "warnings", "n_warnings", "hypotheses", "term_column", "_config", "_spec",
    "sensitivity_supported", "sensitivity_rv", "sensitivity_rv_alpha", "sensitivity_reason", "_sensitivity",
]
# Choices that tell runs of one family apart, in the order a method label names them.
METHOD_DIMS = ["learner", "folds", "n_rep", "seed", "data_source"]
# Choices a "which choice changes the conclusion" check varies one at a time.
CHOICE_DIMS = ["estimator", "fe", "learner", "folds", "n_rep", "seed", "data_source"]
TERM_NAMES = {"treatment": "UIL", "treatment_x_moderator": "DIFI\u00d7UIL", "moderator": "DIFI"}
TERM_ORDER = {"treatment": 0, "treatment_x_moderator": 1, "moderator": 2}
CONTROL_PREFIX = "control:"


def term_rank(term) -> int:
    """Treatment terms first (treatment, interaction, moderator), then controls, then the rest."""
    if term in TERM_ORDER:
        return TERM_ORDER[term]
    return 5 if str(term).startswith(CONTROL_PREFIX) else 9


def is_control(term) -> bool:
    return term is not None and str(term).startswith(CONTROL_PREFIX)


def without_controls(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows whose term is not a control's."""
    return rows[np.array([not is_control(t) for t in rows["term"]], dtype=bool)]


def term_label(term, column, paper_kind) -> str:
    """How a term is named: on the paper's kind of data the paper's names (UIL, DIFI×UIL,
    DIFI); otherwise the user's column (the coefficient's ``column``, or the role's column);
    a control by its column everywhere."""
    if term is None:
        return ""
    if paper_kind and term in TERM_NAMES:
        return TERM_NAMES[term]
    if column:
        return str(column)
    return str(term)[len(CONTROL_PREFIX):] if is_control(term) else str(term)


def _value(x):
    """A hashable, comparable stand-in for a cell (missing values become None)."""
    if is_missing(x):
        return None
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)) and float(x).is_integer():
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def show(dim: str, value) -> str:
    """A choice value as a user reads it."""
    if value is None:
        return f"{dim}=?"
    if dim == "folds":
        return f"{value} folds"
    if dim in ("n_rep", "seed", "estimator", "fe"):
        return f"{dim}={value}"
    return str(value)


# --- preparation --------------------------------------------------------------------------------
def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The collection with the columns the report uses: ``ok``, ``sig``, ``conclusion``,
    ``method``, ``window``, ``spec_key`` and ``spec_name``."""
    df = frame.copy() if frame is not None else pd.DataFrame()
    for column in COLUMNS:
        if column not in df.columns:
            df[column] = None
    numeric = ("estimate", "std_error", "ci_low", "ci_high", "p_value", "truth", "runtime_s", "published_estimate", "published_std_error")
    for column in df.columns:
        if column in numeric:
            df[column] = pd.to_numeric(df[column], errors="coerce").astype(float)
        else:  # object columns with None for missing (pandas 3 would infer str with NaN)
            df[column] = objects([_value(v) for v in df[column]], df.index)
    df["run"] = df["run"].map(lambda r: "." if r is None else str(r))
    df["ok"] = df["status"].eq("ok")
    df["family"] = [f if f is not None else (str(e) if e is not None else "unknown") for f, e in zip(df["family"], df["estimator"])]
    df["sig"] = objects([significant(p, lo, hi) if ok and t is not None else None for ok, t, p, lo, hi in zip(df["ok"], df["term"], df["p_value"], df["ci_low"], df["ci_high"])], df.index)
    df["conclusion"] = [conclusion(e, s) for e, s in zip(df["estimate"], df["sig"])]
    df["window"] = [_window(n, s, e) for n, s, e in zip(df["window_name"], df["window_start"], df["window_end"])]
    # records without a data kind (unreadable ones) count as the paper's kind only in a collection of that kind alone
    known = [bool(k) for k in df["paper_kind"] if k is not None]
    default_kind = all(known) if known else True
    df["paper_kind"] = objects([default_kind if k is None else bool(k) for k in df["paper_kind"]], df.index)
    df["term_label"] = [term_label(t, c, k) for t, c, k in zip(df["term"], df["term_column"], df["paper_kind"])]
    df["controls_shown"] = [c if k else general_controls(c, cc) for c, cc, k in zip(df["controls"], df["control_columns"], df["paper_kind"])]
    df["sample_shown"] = [s if k else general_sample(s, t) for s, t, k in zip(df["sample"], df["treatment_column"], df["paper_kind"])]
    # a spec is what the data see (window, sample, controls, moderation): paper columns that
    # differ only in the learner or the folds (t2c2, t3c1, t3c2) are one spec run by several methods
    df["spec_key"] = [l if l is not None else (c if c is not None else "?") for c, l in zip(df["column_id"], df["spec_label"])]
    if df["paper_kind"].nunique() > 1:  # a mixed collection: other data never share a spec with the paper's
        df["spec_key"] = [k if p else f"{k} [data={_source(s, d)}]" for k, p, s, d in zip(df["spec_key"], df["paper_kind"], df["data_source"], df["data"])]
        df["spec_label"] = [l if p or l is None else f"{l} [data={_source(s, d)}]" for l, p, s, d in zip(df["spec_label"], df["paper_kind"], df["data_source"], df["data"])]
    names, orders = {}, {}
    for key, sel in df.groupby("spec_key", sort=False):
        ids = sorted({c for c in sel["column_id"] if c is not None})
        labels = {c: l for c, l in zip(sel["column_id"], sel["column_label"]) if c is not None and l is not None}
        names[key] = f"{'/'.join(ids)}: {labels.get(ids[0], '')}".rstrip(": ") if ids else str(key)
        orders[key] = (0, ids[0]) if ids else (1, str(key))
    taken = pd.Series(list(names.values())).value_counts()
    names = {k: (f"{n} [{k}]" if taken[n] > 1 else n) for k, n in names.items()}  # one name per spec
    df["spec_name"] = df["spec_key"].map(names)
    df["spec_sort"] = df["spec_key"].map(orders)
    df["method"] = method_labels(df)
    return df


def _source(source, kind) -> str:
    text = str(source if source is not None else (kind or "?"))
    return text.replace("\\", "/").rsplit("/", 1)[-1]


def paper_mode(df: pd.DataFrame) -> bool:
    """Is the collection of the paper's kind of data? Every finished run's record is (or, with
    no finished run, every run's): then the report speaks the paper's words."""
    per_run = runs(df)
    finished = per_run[per_run["ok"]]
    return bool((finished if len(finished) else per_run)["paper_kind"].astype(bool).all())


def paper_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of records of the paper's kind of data."""
    return df[df["paper_kind"].astype(bool)]


def objects(values, index) -> pd.Series:
    """A column of Python objects, None where missing."""
    return pd.Series(list(values), index=index, dtype=object)


def conclusion(estimate, sig) -> str:
    if is_missing(estimate) or sig is None:
        return "?"
    if not sig:
        return "0"
    return "+" if float(estimate) > 0 else "-"


CONCLUSION_SHORT = {"+": "sig. positive", "-": "sig. negative", "0": "n.s.", "?": "no estimate"}
CONCLUSION_WORDS = {"+": "significantly positive", "-": "significantly negative", "0": "not significant at 5 %", "?": "no estimate"}


def _window(name, start, end) -> str:
    if name not in (None, "custom"):
        return str(name)
    if start is None and end is None:
        return "?"
    return f"{start}-{end}"


def spec_keys_sorted(df: pd.DataFrame) -> list:
    """Spec keys in the paper's order (by first column id), then the others by label."""
    orders = dict(zip(df["spec_key"], df["spec_sort"]))
    return sorted(orders, key=lambda k: orders[k])


def method_labels(df: pd.DataFrame) -> list[str]:
    varying = {}
    for family, rows in df.groupby("family", sort=False, dropna=False):
        varying[family] = [d for d in METHOD_DIMS if rows[d].dropna().nunique() > 1]
    labels = []
    for _, row in df.iterrows():
        parts = [str(row["family"])] + [show(d, row[d]) for d in varying.get(row["family"], [])]
        labels.append(" \u00b7 ".join(parts))
    return labels


def runs(df: pd.DataFrame) -> pd.DataFrame:
    """One row per run (the first term's row)."""
    return df.drop_duplicates("run", keep="first")


def ok_terms(df: pd.DataFrame) -> pd.DataFrame:
    """Rows that carry an estimate of a finished run."""
    return df[df["ok"] & df["term"].notna() & df["estimate"].notna()]


# --- which choice changes a conclusion -----------------------------------------------------------
def changing_choices(items: pd.DataFrame, outcome: str) -> list[str]:
    """Choices (``CHOICE_DIMS``) such that two items differing in that choice alone have
    different ``outcome`` values; where no single choice does, pairs of choices that do
    (``"estimator+learner"``: e.g. a family that ignores the learner keeps the default one)."""
    dims = [d for d in CHOICE_DIMS if d in items.columns and items[d].nunique(dropna=False) > 1]
    found = [d for d in dims if _changes(items, [d], dims, outcome)]
    if found:
        return found
    pairs = []
    for i, first in enumerate(dims):
        for second in dims[i + 1:]:
            if _changes(items, [first, second], dims, outcome):
                pairs.append(f"{first}+{second}")
    return pairs


def _changes(items: pd.DataFrame, varied: list[str], dims: list[str], outcome: str) -> bool:
    """Do two items that agree on every dim but ``varied`` (and differ in all of those) have
    different outcomes?"""
    others = [d for d in dims if d not in varied]
    keys = [tuple(r) for r in items[others].astype(object).itertuples(index=False, name=None)] if others else [()] * len(items)
    groups: dict = {}
    for key, row in zip(keys, items[varied + [outcome]].astype(object).itertuples(index=False, name=None)):
        groups.setdefault(key, []).append(row)
    for members in groups.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                x, y = members[a], members[b]
                if all(x[k] != y[k] for k in range(len(varied))) and x[-1] != y[-1]:
                    return True
    return False


def natural(value) -> tuple:
    """Sort key that puts run 2 before run 10."""
    import re

    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", str(value)) if p)


# --- hypotheses ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    name: str
    term: str
    sign: int  # the paper's sign: -1 or +1 (and significant at 5 %)
    window: tuple = ("all",)
    sample: str = "full"
    moderation: tuple = ("none",)
    controls: str = "paper"

    def matches(self, row) -> bool:
        window_ok = row["window"] in self.window or (
            row["window_start"] is not None and f"{row['window_start']}-{row['window_end']}" in self.window
        )
        return bool(
            window_ok
            and row["sample"] == self.sample
            and row["controls"] == self.controls
            and (row["moderation"] or "none") in self.moderation
            # the paper's moderator is DIFI; other measures of digitalisation are specs of their own
            and (self.moderation == ("none",) or (row["moderator"] or "difi") == "difi")
            and row["term"] == self.term
        )

    @property
    def expected(self) -> str:
        return "-" if self.sign < 0 else "+"

    @property
    def spec(self) -> str:
        window = self.window[0]
        text = f"window={window} sample={self.sample} controls={self.controls}"
        if self.moderation != ("none",):
            text += f" moderation={'/'.join(self.moderation)}"
        return f"{text} ({self.term})"


@dataclass(frozen=True)
class Hypothesis:
    id: str
    claim: str
    parts: tuple
    require_all: bool = True  # every part must have run (H2, H3: the contrast); else any part (H4)

    @property
    def expectation(self) -> str:
        return "; ".join(f"{p.name}: {CONCLUSION_WORDS[p.expected]}" for p in self.parts)

    @property
    def specs(self) -> str:
        return "; ".join(f"{p.name}: {p.spec}" for p in self.parts)


@dataclass(frozen=True)
class Claim:
    """A hypothesis in words, and for each of its parts the paper column (``conf/column/<id>``)
    and term it rests on: the part's spec and the paper's sign are that column's."""

    id: str
    claim: str
    parts: tuple  # (part name, column id, term)
    require_all: bool = True


CLAIMS = (
    Claim("H1", "Industrial structure upgrading (UIL) reduces intracity disparity (the night-light Gini).",
          (("baseline", "t2c2", "treatment"),)),
    Claim("H2", "The effect is positive in 2011\u20132015 (infrastructure period) and negative in 2016\u20132021.",
          (("2011\u20132015", "t5c1", "treatment"), ("2016\u20132021", "t5c2", "treatment"))),
    Claim("H3", "The effect is negative for high-UIL cities and positive for low-UIL ones.",
          (("high UIL", "t5c3", "treatment"), ("low UIL", "t5c4", "treatment"))),
    Claim("H4", "Digitalisation (DIFI) strengthens the negative effect: a negative UIL\u00d7DIFI interaction.",
          (("DIFI mean-centred", "t6c1", "treatment_x_moderator"), ("DIFI normalised", "t6c2", "treatment_x_moderator")),
          require_all=False),
)


def part_of_column(name: str, term: str, column: Mapping[str, Any]) -> Part | None:
    """The part that rests on ``term`` of a paper column (an entry of
    :func:`framework.report.columns.paper_columns`): its window (by name and, for a window
    with years, ``start-end``), sample, controls and moderation, and the sign of the published
    estimate. None when the column publishes no estimate of the term."""
    estimate = ((column.get("published") or {}).get(term) or {}).get("estimate")
    if is_missing(estimate) or float(estimate) == 0:
        return None
    window = (column["window"],)
    if column.get("window_start") is not None and column.get("window_end") is not None:
        window += (f"{column['window_start']}-{column['window_end']}",)
    return Part(name, term, -1 if float(estimate) < 0 else +1, window=window, sample=column["sample"],
                moderation=(column["moderation"],), controls=column["controls"])


def hypotheses(columns: Mapping[str, Mapping[str, Any]]) -> tuple[Hypothesis, ...]:
    """:data:`CLAIMS` made concrete from the paper's columns (``paper_columns()``). A claim
    whose column is missing (or publishes no estimate of its term) is left out."""
    out = []
    for claim in CLAIMS:
        parts = [part_of_column(name, term, columns[cid]) if cid in columns else None for name, cid, term in claim.parts]
        if all(parts):
            out.append(Hypothesis(claim.id, claim.claim, tuple(parts), claim.require_all))
    return tuple(out)


def __getattr__(name: str):
    # HYPOTHESES: the paper's hypotheses from the column configs, composed on first use
    if name == "HYPOTHESES":
        return hypotheses(paper_columns())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class Verdict:
    hypothesis: Hypothesis
    status: str  # "holds", "depends", "fails", "not tested"
    text: str
    configs: pd.DataFrame  # one row per method: outcome per part, verdict
    changing: list[str] = field(default_factory=list)
    truth: str = ""  # "supports", "contradicts", "mixed", "" (unknown)
    truth_text: str = ""


def evaluate(hypothesis: Hypothesis, df: pd.DataFrame) -> Verdict:
    rows = ok_terms(df)
    parts_rows = {p.name: rows[[p.matches(r) for _, r in rows.iterrows()]] if len(rows) else rows for p in hypothesis.parts}
    methods = sorted({m for r in parts_rows.values() for m in r["method"]})
    records = []
    for method in methods:
        record = {"method": method}
        first = None
        outcomes = {}
        for part in hypothesis.parts:
            sel = parts_rows[part.name]
            sel = sel[sel["method"] == method]
            if len(sel):
                first = sel.iloc[0] if first is None else first
                outcomes[part.name] = _part_outcome(part, sel)
                record[part.name] = "; ".join(
                    f"{number(e)}{stars(p) if i != 'credible' else DAGGER} ({CONCLUSION_WORDS[c]})"
                    for e, p, i, c in zip(sel["estimate"], sel["p_value"], sel["interval"], sel["conclusion"])
                )
            else:
                record[part.name] = "not run"
        for dim in CHOICE_DIMS:
            record[dim] = first[dim] if first is not None else None
        present = [o for o in outcomes.values()]
        if hypothesis.require_all and len(outcomes) < len(hypothesis.parts):
            record["verdict"] = "incomplete"
        elif present and all(o == "supports" for o in present):
            record["verdict"] = "holds"
        else:
            record["verdict"] = "fails"
        record["why"] = "; ".join(f"{name}: {o}" for name, o in outcomes.items() if o != "supports")
        records.append(record)
    configs = pd.DataFrame(records, columns=["method"] + [p.name for p in hypothesis.parts] + CHOICE_DIMS + ["verdict", "why"])
    verdict = _overall(hypothesis, configs)
    verdict.truth, verdict.truth_text = _truth(hypothesis, parts_rows)
    return verdict


def _part_outcome(part: Part, sel: pd.DataFrame) -> str:
    found = set(sel["conclusion"])
    if found == {part.expected}:
        return "supports"
    opposite = "+" if part.expected == "-" else "-"
    if opposite in found:
        return "significant with the opposite sign"
    if "?" in found:
        return "no usable estimate"
    return "not significant at 5 %"


def _overall(h: Hypothesis, configs: pd.DataFrame) -> Verdict:
    evaluated = configs[configs["verdict"] != "incomplete"]
    if configs.empty:
        specs = " and ".join(p.name for p in h.parts)
        return Verdict(h, "not tested", f"Not tested: no finished run has the spec ({specs}).", configs)
    if evaluated.empty:
        ran = sorted({p.name for p in h.parts for v in configs[p.name] if v != "not run"})
        return Verdict(h, "not tested", f"Not tested: the contrast needs every part, but only {', '.join(ran)} ran.", configs)
    holds = evaluated[evaluated["verdict"] == "holds"]
    fails = evaluated[evaluated["verdict"] == "fails"]
    n = len(evaluated)
    incomplete = configs[configs["verdict"] == "incomplete"]
    tail = f" ({len(incomplete)} method(s) ran only part of it and are not counted.)" if len(incomplete) else ""
    if fails.empty:
        who = f"the one method that ran it ({evaluated['method'].iloc[0]})" if n == 1 else f"all {n} methods ({', '.join(evaluated['method'])})"
        return Verdict(h, "holds", f"Holds under every choice that ran: {who} find{'s' if n == 1 else ''} it at 5 %.{tail}", configs)
    if holds.empty:
        reasons = "; ".join(f"{m} ({w})" for m, w in zip(fails["method"], fails["why"]))
        return Verdict(h, "fails", f"Does not hold under any choice that ran: {reasons}.{tail}", configs)
    changing = changing_choices(evaluated, "verdict")
    reasons = "; ".join(f"{m} ({w})" for m, w in zip(fails["method"], fails["why"]))
    single = [c for c in changing if "+" not in c]
    if len(single) == 1:
        by = f" The choice that flips it: {single[0]}."
    elif single:
        by = f" Each of these choices flips it on its own: {', '.join(single)}."
    elif changing:
        by = f" No single choice flips it; changing {' or '.join(c.replace('+', ' and ') for c in changing)} together does."
    else:
        by = " No single choice flips it (the methods differ in more than two choices)."
    text = f"Depends on the choice: holds under {', '.join(holds['method'])}; not under {reasons}.{by}{tail}"
    return Verdict(h, "depends", text, configs, changing)


def _truth(h: Hypothesis, parts_rows: dict) -> tuple[str, str]:
    pieces, verdicts = [], []
    for part in h.parts:
        truths = parts_rows[part.name]["truth"].dropna()
        if truths.empty:
            continue
        signs = set(np.sign(truths))
        values = sorted(set(round(float(t), 6) for t in truths))
        shown = number(values[0]) if len(values) == 1 else f"{number(values[0])} to {number(values[-1])}"
        if signs == {part.sign}:
            verdicts.append("supports")
        elif signs == {-part.sign}:
            verdicts.append("contradicts")
        else:
            verdicts.append("mixed")
        pieces.append(f"{part.name} {shown}")
    if not pieces:
        return "", ""
    if h.require_all and len(pieces) < len(h.parts):
        state = "partial"
    elif all(v == "supports" for v in verdicts):
        state = "supports"
    elif all(v == "contradicts" for v in verdicts):
        state = "contradicts"
    else:
        state = "mixed"
    words = {"supports": "The truth supports it", "contradicts": "The truth contradicts it",
             "mixed": "The truth supports it only in part", "partial": "The truth is known for part of it"}
    return state, f"{words[state]}: true coefficient {'; '.join(pieces)}."


# --- agreement ----------------------------------------------------------------------------------
def agreement(df: pd.DataFrame) -> pd.DataFrame:
    """Per spec and term (controls left out): do the methods agree on sign and on significance at 5 %?"""
    rows = ok_terms(df)
    rows = without_controls(rows)
    out = []
    for (key, term), sel in rows.groupby(["spec_key", "term"], sort=False):
        signs = np.sign(sel["estimate"].to_numpy(dtype=float))
        sigs = [s for s in sel["sig"] if s is not None]
        changing = changing_choices(sel, "conclusion") if sel["conclusion"].nunique() > 1 else []
        counts = sel["conclusion"].value_counts()
        out.append({
            "spec_key": key,
            "spec_name": sel["spec_name"].iloc[0],
            "term": term,
            "term_label": sel["term_label"].iloc[0],
            "term_order": term_rank(term),
            "n": len(sel),
            "n_positive": int((signs > 0).sum()),
            "n_negative": int((signs < 0).sum()),
            "n_significant": int(sum(bool(s) for s in sigs)),
            "agree_sign": bool(len(set(signs)) == 1),
            "agree_significance": bool(len(sigs) == len(sel) and len(set(sigs)) == 1),
            "conclusions": ", ".join(f"{counts[c]} {CONCLUSION_SHORT[c]}" for c in ("-", "0", "+", "?") if c in counts),
            "changing": changing,
            "split": "" if sel["conclusion"].nunique() == 1 else "; ".join(
                f"{CONCLUSION_WORDS[c]}: {', '.join(sorted(sel.loc[sel['conclusion'] == c, 'method']))}"
                for c in ("-", "0", "+", "?") if c in counts
            ),
        })
    result = pd.DataFrame(out)
    if result.empty:
        return result
    order = {k: i for i, k in enumerate(spec_keys_sorted(rows))}
    result["spec_rank"] = result["spec_key"].map(order)
    return result.sort_values(["spec_rank", "term_order"], kind="stable").drop(columns="spec_rank").reset_index(drop=True)


# --- error against the truth --------------------------------------------------------------------
def truth_metrics(df: pd.DataFrame, term: str | None = "treatment", by: str = "method") -> pd.DataFrame:
    """Per method: bias (estimate - truth), mean |bias|, RMSE over specs, interval coverage of
    the truth (share of 95 % intervals containing it) and mean interval width; ranked by RMSE."""
    rows = ok_terms(df)
    rows = rows[rows["truth"].notna()]
    if term is not None:
        rows = rows[rows["term"] == term]
    else:
        rows = without_controls(rows)
    out = []
    for key, sel in rows.groupby(by if isinstance(by, list) else [by], sort=False):
        errors = against_truth(sel["estimate"], sel["truth"], sel["ci_low"], sel["ci_high"])
        record = dict(zip(by if isinstance(by, list) else [by], key))
        record.update({key: errors[key] for key in ("n", "bias", "mean_abs_bias", "rmse", "coverage", "n_intervals", "width", "sign_right")})
        out.append(record)
    result = pd.DataFrame(out)
    if result.empty:
        return result
    # RMSE over the specs every method ran, so that methods that ran different specs compare fairly
    keys = by if isinstance(by, list) else [by]
    cells = rows.assign(_cell=list(zip(rows["spec_key"], rows["term"])))
    shared = None
    for _, sel in cells.groupby(keys, sort=False):
        shared = set(sel["_cell"]) if shared is None else shared & set(sel["_cell"])
    shared = shared or set()
    common = cells[cells["_cell"].isin(shared)]
    rmse_shared = {}
    for key, sel in common.groupby(keys, sort=False):
        rmse_shared[key if isinstance(key, tuple) else (key,)] = float(math.sqrt(((sel["estimate"] - sel["truth"]) ** 2).mean()))
    result["n_shared"] = len(shared)
    result["rmse_shared"] = [rmse_shared.get(tuple(r), float("nan")) for r in result[keys].itertuples(index=False, name=None)]
    result["coverage_gap"] = (result["coverage"] - 0.95).abs()
    result = result.sort_values(["rmse", "coverage_gap"], kind="stable").reset_index(drop=True)
    result.insert(0, "rank", range(1, len(result) + 1))
    return result.drop(columns="coverage_gap")


# --- runtime, failures, diagnostics --------------------------------------------------------------
def runtime(df: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    per_run = runs(df)
    times = per_run["runtime_s"].dropna()
    summary = {
        "runs": len(per_run),
        "timed": len(times),
        "total": float(times.sum()) if len(times) else float("nan"),
        "mean": float(times.mean()) if len(times) else float("nan"),
        "median": float(times.median()) if len(times) else float("nan"),
        "max": float(times.max()) if len(times) else float("nan"),
        "slowest": per_run.loc[times.idxmax(), "run"] if len(times) else "",
    }
    fam = (
        per_run.groupby("family", sort=True)["runtime_s"]
        .agg(runs="size", total="sum", mean="mean", median="median", max="max")
        .reset_index()
        .sort_values("total", ascending=False, kind="stable")
    )
    return summary, fam


def failed(df: pd.DataFrame) -> pd.DataFrame:
    out = runs(df[~df["ok"]])
    return out.iloc[sorted(range(len(out)), key=lambda i: natural(out["run"].iloc[i]))]


def warning_lines(value) -> list[str]:
    """The warnings of a run (the collection's ``warnings`` column, a JSON list)."""
    if value is None:
        return []
    try:
        lines = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return [str(line) for line in lines] if isinstance(lines, list) else []


FEW_CLUSTERS = "few clusters"


def few_clusters(lines: list[str]) -> list[str]:
    """The lines that say a run's standard errors rest on few clusters."""
    return [line for line in lines if line.lower().startswith(FEW_CLUSTERS)]


def run_warnings(df: pd.DataFrame) -> pd.DataFrame:
    """One row per run (finished or failed) with its warning lines, their count and the
    few-clusters lines among them."""
    per_run = runs(df).copy()
    per_run["warning_lines"] = objects([warning_lines(w) or ([] if d is None else [x.strip() for x in str(d).split("; ") if x.strip()])
                                        for w, d in zip(per_run["warnings"], per_run["diagnostic_warnings"])], per_run.index)
    per_run["n_warning_lines"] = [len(w) for w in per_run["warning_lines"]]
    per_run["few_clusters"] = objects([few_clusters(w) for w in per_run["warning_lines"]], per_run.index)
    return per_run.iloc[sorted(range(len(per_run)), key=lambda i: natural(per_run["run"].iloc[i]))]


def warnings_by_family(df: pd.DataFrame) -> pd.DataFrame:
    """Per family: runs, runs with warnings, warning lines, runs with few clusters."""
    per_run = run_warnings(df)
    out = []
    for family, sel in per_run.groupby("family", sort=True):
        out.append({"family": family, "runs": len(sel), "runs_warned": int((sel["n_warning_lines"] > 0).sum()),
                    "warnings": int(sel["n_warning_lines"].sum()), "few_clusters": int(sum(bool(f) for f in sel["few_clusters"]))})
    return pd.DataFrame(out, columns=["family", "runs", "runs_warned", "warnings", "few_clusters"])


def bad_diagnostics(df: pd.DataFrame) -> pd.DataFrame:
    """Finished runs that did not converge or carry warnings (``all_warnings``: every line, joined)."""
    per_run = run_warnings(df[df["ok"]])
    per_run["all_warnings"] = ["; ".join(w) for w in per_run["warning_lines"]]
    flags = [(c is not None and not c) or bool(w) for c, w in zip(per_run["converged"], per_run["warning_lines"])]
    out = per_run[flags] if len(per_run) else per_run
    return out.iloc[sorted(range(len(out)), key=lambda i: natural(out["run"].iloc[i]))]
