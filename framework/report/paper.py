"""The seed paper's Tables 2-6, re-made from the runs.

Rows come from runs that reproduce a paper column (``column_id``, set by ``+column=t2c2``
etc.). When no run has a ``column_id``, runs are matched to the paper's columns by their spec
(window, sample, controls, moderation) and the published values are read from the ``column``
configs (``conf/column/*.yaml``, composed by Hydra: :mod:`framework.report.columns`).

One set of tables is made per *group*: a family (``estimator/fe``) and, where they vary within
it, the learner, folds, repetitions, seed and data source. Table 3's columns change the folds
(t3c1) or the learner (t3c2) themselves, so those runs join every group of their family that
agrees on the other choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from framework.rendering.document import Table
from framework.report.analysis import METHOD_DIMS, TERM_NAMES, TERM_ORDER, is_control, objects, show
from framework.report.sensitivity import overturn_text
from framework.report.text import DAGGER, coefficient, in_parens, is_missing, number, slug

TABLE_TITLES = {
    2: "Benchmark regression results",
    3: "Estimation results of resetting DML model",
    4: "Estimation results of excluding outliers and other relevant policies",
    5: "Heterogeneity analysis results",
    6: "Estimation results of mechanism analysis",
}
# The choice a paper column changes itself (so it does not split the groups).
COLUMN_CHOICE = {"t3c1": "folds", "t3c2": "learner"}
# Shown for a paper column whose config does not say (conf/config.yaml's learner and split.folds).
PAPER_LEARNER, PAPER_FOLDS = "gbdt", 5


def assign_columns(df: pd.DataFrame, columns: dict[str, dict]) -> pd.DataFrame:
    """``paper_id`` per row: the run's ``column_id``, or (when no run has one) the paper column
    whose spec it matches; ``matched`` says which. Published values are filled in from
    ``columns`` where the records lack them."""
    df = df.copy()
    if df["column_id"].notna().any():
        df["paper_id"] = df["column_id"]
        df["matched"] = False
    else:
        plain = {cid: c for cid, c in columns.items() if cid not in COLUMN_CHOICE}
        ids = []
        for _, row in df.iterrows():
            found = [
                cid for cid, c in plain.items()
                if row["window"] == c["window"] and row["sample"] == c["sample"]
                and row["controls"] == c["controls"] and (row["moderation"] or "none") == c["moderation"]
                and (row["moderator"] or "difi") == "difi"  # the paper's moderator is DIFI
            ]
            ids.append(found[0] if len(found) == 1 else None)
        df["paper_id"] = objects(ids, df.index)
        df["matched"] = df["paper_id"].notna()
    for i, row in df.iterrows():
        info = columns.get(row["paper_id"]) if row["paper_id"] is not None else None
        if not info:
            continue
        if row["paper_table"] is None:
            df.at[i, "paper_table"] = info.get("table")
            df.at[i, "paper_column"] = info.get("column")
        if row["column_label"] is None:
            df.at[i, "column_label"] = info.get("label")
        if row["published_n"] is None:
            df.at[i, "published_n"] = info.get("published_n")
        published = (info.get("published") or {}).get(row["term"]) or {}
        if is_missing(row["published_estimate"]) and published:
            df.at[i, "published_estimate"] = published.get("estimate")
            df.at[i, "published_std_error"] = published.get("std_error")
    return df


@dataclass
class Group:
    key: tuple
    label: str
    runs: dict = field(default_factory=dict)  # paper_id -> list of run names


def groups(df: pd.DataFrame) -> list[Group]:
    """Groups of runs, each filling at most one run per paper column."""
    per_run = df[df["paper_id"].notna()].drop_duplicates("run").sort_values("run", kind="stable")
    if per_run.empty:
        return []

    def wildcard(row):
        return COLUMN_CHOICE.get(row["paper_id"])

    varying = {}
    for family, rows in per_run.groupby("family", sort=False):
        varying[family] = [
            d for d in METHOD_DIMS
            if rows.loc[[wildcard(r) != d for _, r in rows.iterrows()], d].dropna().nunique() > 1
        ]

    def key(row, skip=None):
        return (row["family"],) + tuple((d, row[d]) for d in varying[row["family"]] if d != skip)

    base = {}
    for _, row in per_run.iterrows():
        if wildcard(row) is None:
            base.setdefault(key(row), []).append(row)
    members: dict[tuple, list] = {k: list(v) for k, v in base.items()}
    for _, row in per_run.iterrows():
        dim = wildcard(row)
        if dim is None:
            continue
        mine = key(row, skip=dim)
        targets = [k for k in base if (k[0],) + tuple(p for p in k[1:] if p[0] != dim) == mine]
        for target in targets or [key(row)]:
            members.setdefault(target, []).append(row)
    out = []
    for k in sorted(members, key=lambda k: tuple(str(p) for p in k)):
        label = " \u00b7 ".join([str(k[0])] + [show(d, v) for d, v in k[1:]])
        repeat = 0
        remaining = list(members[k])
        while remaining:
            group = Group(k + (repeat,), label + (f" (repeat {repeat + 1})" if repeat else ""))
            left = []
            for row in remaining:
                if row["paper_id"] in group.runs:
                    left.append(row)
                else:
                    group.runs[row["paper_id"]] = row["run"]
            out.append(group)
            remaining, repeat = left, repeat + 1
    return out


def tables(df: pd.DataFrame, columns: dict[str, dict], synthetic: bool) -> list[tuple[Group, list[Table]]]:
    """For each group, its Tables 2-6 (only those with at least one run)."""
    made = []
    for index, group in enumerate(groups(df), 1):
        by_table: dict[int, list[str]] = {}
        for pid in group.runs:
            table = _table_number(pid, df, columns)
            if table is not None:
                by_table.setdefault(table, []).append(pid)
        group_tables = []
        for number_ in sorted(by_table):
            ids = sorted(by_table[number_], key=lambda p: _column_number(p, df, columns))
            group_tables.append(_paper_table(number_, ids, group, index, df, columns, synthetic))
        made.append((group, group_tables))
    return made


def _table_number(pid, df, columns):
    info = columns.get(pid) or {}
    if info.get("table") is not None:
        return int(info["table"])
    values = df.loc[df["paper_id"] == pid, "paper_table"].dropna()
    return int(values.iloc[0]) if len(values) else None


def _column_number(pid, df, columns):
    info = columns.get(pid) or {}
    if info.get("column") is not None:
        return int(info["column"])
    values = df.loc[df["paper_id"] == pid, "paper_column"].dropna()
    return int(values.iloc[0]) if len(values) else 99


def _paper_table(number_: int, ids: list[str], group: Group, index: int, df: pd.DataFrame, columns: dict, synthetic: bool) -> Table:
    runs = {pid: df[df["run"] == group.runs[pid]] for pid in ids}
    found = {t for r in runs.values() for t in r["term"].dropna() if not is_control(t)}  # controls: the coefficient tables
    found |= {t for pid in ids for t in ((columns.get(pid) or {}).get("published") or {})}
    terms = sorted(found, key=lambda t: (TERM_ORDER.get(t, 9), t))
    terms = terms or ["treatment"]
    header = [""]
    groups_ = [("", 1)]
    for pid in ids:
        groups_.append((f"({_column_number(pid, df, columns)})", 2))
        header += ["ours", "paper"]
    rows, kinds = [], []
    any_credible = any((r["interval"] == "credible").any() for r in runs.values())
    for term in terms:
        est, se, truth = [TERM_NAMES.get(term, term)], [""], [f"{TERM_NAMES.get(term, term)} truth"]
        has_truth = False
        for pid in ids:
            run = runs[pid]
            first = run.iloc[0]
            line = run[run["term"] == term]
            if first["status"] != "ok" or line.empty:
                est.append("failed" if first["status"] != "ok" else "")
                se.append("")
                truth.append("")
            else:
                c = line.iloc[0]
                est.append(coefficient(c["estimate"], c["p_value"], c["interval"]))
                se.append(in_parens(c["std_error"]))
                truth.append(number(c["truth"]))
                has_truth = has_truth or not is_missing(c["truth"])
            pub_estimate, pub_se = _published(pid, term, df, columns)
            est.append(number(pub_estimate))
            se.append(in_parens(pub_se))
            truth.append("")
        rows += [est, se]
        kinds += [set(), {"se"}]
        if synthetic and has_truth:
            rows.append(truth)
            kinds.append({"se"})
    first_rows = {pid: runs[pid].iloc[0] for pid in ids}

    def pair(ours, paper):
        return [v for pid in ids for v in (ours(first_rows[pid]), paper(pid))]

    rule_at = len(rows)
    rows.append(["Control variables"] + pair(lambda r: _yes(r["controls"]), lambda pid: _yes((columns.get(pid) or {}).get("controls", "paper" if pid != "t2c1" else "none"))))
    rows.append(["Fixed effect"] + pair(lambda r: r["fe"] or "", lambda pid: "Yes (dummies)"))
    if number_ == 3:
        rows.append(["Learner"] + pair(lambda r: r["learner"] or "", lambda pid: (columns.get(pid) or {}).get("learner", PAPER_LEARNER)))
        rows.append(["Folds"] + pair(lambda r: _int(r["folds"]), lambda pid: _int((columns.get(pid) or {}).get("folds", PAPER_FOLDS))))
    rows.append(["Sample size"] + pair(lambda r: _int(r["n_obs"]), lambda pid: _int(_published_n(pid, df, columns))))
    rows.append(["Confounder that overturns it"] + pair(overturn_text, lambda pid: ""))
    kinds += [{"rule"}] + [set()] * (len(rows) - rule_at - 1)
    notes = [
        "ours: this framework's run; paper: the published coefficient (SE). Standard errors in parentheses.",
        "* p < 0.1, ** p < 0.05, *** p < 0.01 from each run's p-value (a p-value on a boundary gets the weaker mark).",
    ]
    notes.append("Confounder that overturns it: RV, the strength of a hidden confounder (partial R-squared with UIL and with the "
                 "Gini) that moves the UIL estimate to zero, and at 5 % the one that makes its 95 % interval reach zero (section 5).")
    if any_credible:
        notes.append(f"{DAGGER} posterior mean (posterior SD) with a 95 % credible interval: no p-value, so no stars.")
    if synthetic:
        notes.append("truth: the true coefficient on the run's own sample (synthetic world).")
    if any(bool(df.loc[df["run"] == group.runs[pid], "matched"].any()) for pid in ids):
        notes.append("Runs were matched to the paper's columns by their spec (window, sample, controls, moderation).")
    notes.append("Runs: " + ", ".join(f"({_column_number(pid, df, columns)}) {group.runs[pid]}" for pid in ids) + ".")
    return Table(
        name=f"table{number_}-{index:02d}-{slug(group.label)}",
        caption=f"Table {number_}: {TABLE_TITLES.get(number_, '')} \u2014 {group.label}",
        header=header,
        rows=rows,
        groups=groups_,
        notes=notes,
        align="l" + "r" * (len(header) - 1),
        kinds=kinds,
    )


def _yes(controls) -> str:
    if controls is None:
        return ""
    return "No" if controls == "none" else "Yes"


def _int(value) -> str:
    if is_missing(value):
        return ""
    try:
        return f"{int(float(value)):,}"
    except (TypeError, ValueError):
        return str(value)


def _published_n(pid, df, columns):
    values = df.loc[df["paper_id"] == pid, "published_n"].dropna()
    if len(values):
        return values.iloc[0]
    return (columns.get(pid) or {}).get("published_n")


def _published(pid, term, df, columns):
    sel = df[(df["paper_id"] == pid) & (df["term"] == term) & df["published_estimate"].notna()]
    if len(sel):
        return sel["published_estimate"].iloc[0], sel["published_std_error"].iloc[0]
    pub = ((columns.get(pid) or {}).get("published") or {}).get(term) or {}
    return pub.get("estimate"), pub.get("std_error")
