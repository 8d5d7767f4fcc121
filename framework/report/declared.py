"""Hypotheses the user declared in the config (``hypotheses:``), judged over the runs.

The declarations are read from the records' ``config.hypotheses``
(:func:`framework.spec.hypotheses.parse_hypotheses`); identical declarations in several
records are one hypothesis. A hypothesis is judged over the finished runs on the same data
(data source) as the records that declare it which pass its ``runs`` filters and report its
term: per run ``supports``, ``contradicts`` or ``not significant`` (significance at 5 %, as
everywhere in the report), counted per family, and overall:

* **holds under every run** -- every judged run supports it;
* **holds in k of n runs** -- some do;
* **never holds** -- none does;
* **not tested** -- no finished run matches.

Where the records know the truth (synthetic data), it also says whether the true coefficients
of those runs agree with the expectation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from framework.errors import UserInputError
from framework.report.analysis import is_control, natural, ok_terms, runs
from framework.report.text import number
from framework.spec.hypotheses import (
    CONTRADICTS, CONTROL_PREFIX, NO_ESTIMATE, NOT_SIGNIFICANT, ROLE_TERMS, SUPPORTS, Hypothesis, parse_hypotheses,
)

OUTCOMES = (SUPPORTS, CONTRADICTS, NOT_SIGNIFICANT, NO_ESTIMATE)
FILTER_FIELDS = ("estimator", "fe", "learner", "window_name", "sample", "controls", "moderation")
EXPECT_WORDS = {"positive": "significantly positive", "negative": "significantly negative", "zero": "not significant"}


@dataclass
class Declared:
    hypothesis: Hypothesis
    sources: set = field(default_factory=set)  # the data sources of the records that declare it
    label: str = ""  # its name, made unique where two declarations share one


@dataclass
class DeclaredVerdict:
    declared: Declared
    status: str  # "holds", "some", "never", "not tested"
    text: str  # "holds under every run", "holds in 2 of 5 runs", ...
    runs: pd.DataFrame  # one row per judged run
    families: pd.DataFrame  # one row per family: runs and the count of each outcome
    unmatched: int = 0  # runs that pass the filters but do not report the term
    truth: str = ""  # "supports", "contradicts", "mixed", "" (unknown)
    truth_text: str = ""

    @property
    def hypothesis(self) -> Hypothesis:
        return self.declared.hypothesis

    def count(self, outcome: str) -> int:
        return int((self.runs["outcome"] == outcome).sum()) if len(self.runs) else 0


def declared(df: pd.DataFrame) -> tuple[list[Declared], list[str]]:
    """The distinct declared hypotheses of the collection, in the order they first appear, and
    one line per record whose declaration is invalid."""
    found: dict[Hypothesis, Declared] = {}
    problems = []
    per_run = runs(df)
    order = sorted(range(len(per_run)), key=lambda i: natural(per_run["run"].iloc[i]))
    for _, row in per_run.iloc[order].iterrows():
        if row["hypotheses"] is None:
            continue
        try:
            items = parse_hypotheses(json.loads(row["hypotheses"]))
        except (UserInputError, ValueError) as error:
            problems.append(f"{row['run']}: {error}")
            continue
        for h in items:
            found.setdefault(h, Declared(h)).sources.add(_source(row))
    out = list(found.values())
    names = pd.Series([d.hypothesis.name for d in out], dtype=object).value_counts() if out else {}
    seen: dict[str, int] = {}
    for d in out:
        name = d.hypothesis.name
        if names[name] > 1:  # two different declarations under one name: tell them apart
            seen[name] = seen.get(name, 0) + 1
            d.label = f"{name} ({seen[name]})"
        else:
            d.label = name
    return out, problems


def _source(row) -> str:
    return str(row["data_source"] if row["data_source"] is not None else (row["data"] or "?"))


def _fields(row) -> dict:
    return {key: row[key] for key in FILTER_FIELDS}


def _term_rows(h: Hypothesis, sel: pd.DataFrame) -> pd.DataFrame:
    """The rows of one run that estimate the hypothesis's term."""
    if h.kind == "role":
        return sel[sel["term"] == h.term]
    if h.kind == "control":
        column = h.term[len(CONTROL_PREFIX):]
        controls = pd.Series([is_control(t) for t in sel["term"]], index=sel.index, dtype=bool)
        return sel[(sel["term"] == h.term) | (controls & (sel["term_column"] == column))]
    # a column name: the coefficient's own column, or the role whose column it is
    by_column = sel[sel["term_column"] == h.term]
    if len(by_column):
        return by_column
    roles = [t for t in ROLE_TERMS if t in set(sel["term"])]
    first = sel.iloc[0] if len(sel) else None
    if first is not None:
        if first["treatment_column"] == h.term and "treatment" in roles:
            return sel[sel["term"] == "treatment"]
        if first["moderator_column"] == h.term and "moderator" in roles:
            return sel[sel["term"] == "moderator"]
    return sel[sel["term"] == CONTROL_PREFIX + h.term]


def evaluate(d: Declared, df: pd.DataFrame) -> DeclaredVerdict:
    h = d.hypothesis
    rows = ok_terms(df)
    judged, unmatched = [], 0
    for run, sel in rows.groupby("run", sort=False):
        first = sel.iloc[0]
        if _source(first) not in d.sources:
            continue
        if not h.selects(_fields(first), _json(first["_spec"]), _json(first["_config"])):
            continue
        term = _term_rows(h, sel)
        if term.empty:
            unmatched += 1
            continue
        c = term.iloc[0]
        judged.append({
            "run": run, "family": c["family"], "method": c["method"], "spec_name": c["spec_name"], "term_label": c["term_label"],
            "estimate": c["estimate"], "std_error": c["std_error"], "p_value": c["p_value"], "interval": c["interval"],
            "truth": c["truth"], "outcome": h.judge(c["estimate"], c["sig"]),
        })
    table = pd.DataFrame(judged, columns=["run", "family", "method", "spec_name", "term_label", "estimate", "std_error", "p_value",
                                          "interval", "truth", "outcome"])
    if len(table):
        table = table.iloc[sorted(range(len(table)), key=lambda i: (table["family"].iloc[i], natural(table["run"].iloc[i])))]
        table = table.reset_index(drop=True)
    families = pd.DataFrame(
        [{"family": f, "runs": len(sel), **{o: int((sel["outcome"] == o).sum()) for o in OUTCOMES}}
         for f, sel in table.groupby("family", sort=True)],
        columns=["family", "runs", *OUTCOMES],
    )
    status, text = overall(list(table["outcome"]))
    verdict = DeclaredVerdict(d, status, text, table, families, unmatched)
    verdict.truth, verdict.truth_text = _truth(h, table)
    return verdict


def _json(text) -> dict:
    try:
        value = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def overall(outcomes: list[str]) -> tuple[str, str]:
    """The verdict over the judged runs' outcomes (runs without a usable estimate not counted)."""
    counted = [o for o in outcomes if o != NO_ESTIMATE]
    n, k = len(counted), sum(o == SUPPORTS for o in counted)
    if n == 0:
        return "not tested", "not tested: no finished run matches"
    if k == n:
        return "holds", "holds under every run"
    if k == 0:
        return "never", "never holds"
    return "some", f"holds in {k} of {n} runs"


def _truth(h: Hypothesis, table: pd.DataFrame) -> tuple[str, str]:
    known = table[table["truth"].notna()] if len(table) else table
    if known.empty:
        return "", ""
    agree = [h.truth_agrees(t) for t in known["truth"]]
    values = sorted(set(round(float(t), 6) for t in known["truth"]))
    shown = number(values[0]) if len(values) == 1 else f"{number(values[0])} to {number(values[-1])}"
    if all(agree):
        return "supports", f"The truth supports it: true coefficient {shown}."
    if not any(agree):
        return "contradicts", f"The truth contradicts it: true coefficient {shown}."
    return "mixed", f"The truth supports it in {sum(agree)} of {len(agree)} runs: true coefficient {shown}."


def expectation(h: Hypothesis, term_label: str) -> str:
    return f"{term_label or h.term}: {EXPECT_WORDS[h.expect]} at 5 %"
