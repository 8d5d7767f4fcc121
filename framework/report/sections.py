"""The comparison report's own sections, in words: what each says about the collection.

Each function takes the prepared collection (:func:`framework.report.analysis.prepare`) and
returns its section(s) as :mod:`framework.rendering.document` blocks; the numbers come from
:mod:`framework.report.analysis`, the paper's tables from :mod:`framework.report.paper` and
the plots from :mod:`framework.report.figures`. :mod:`framework.report.build` puts them in
order and writes the report.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from framework.rendering.document import Bullets, Figure, Paragraph, Section, Table
from framework.report import analysis, declared, figures, paper
from framework.report.text import coefficient, in_parens, number, seconds, share, slug
from framework.report.sensitivity import overturn_text

STATUS_WORDS = {
    "holds": "holds under every choice that ran",
    "depends": "depends on the choice",
    "fails": "does not hold under any choice that ran",
    "not tested": "not tested",
}


def summary_sections(df: pd.DataFrame, synthetic: bool, hypotheses: Sequence[analysis.Hypothesis], *,
                     paper_mode: bool = True, paper_df: pd.DataFrame | None = None) -> list[Section]:
    """1. Summary: runs, data, families, warnings, the verdict on each of the paper's
    hypotheses (:func:`framework.report.analysis.hypotheses`, judged on ``paper_df``, the runs
    on the paper's kind of data; none when ``hypotheses`` is empty and ``paper_mode`` false)
    with a table per hypothesis, and the verdict on each hypothesis the user declared."""
    per_run = analysis.runs(df)
    ok = int(per_run["ok"].sum())
    failed = len(per_run) - ok
    blocks = [Paragraph(f"{len(per_run)} run(s): {ok} ok, {failed} failed.", lead="Runs.")]
    sources = per_run["data_source"].fillna(per_run["data"]).fillna("unknown")
    source_text = "; ".join(f"{s} ({n} run(s))" for s, n in sources.value_counts().items())
    kinds = sorted(per_run["data"].dropna().unique())
    if paper_mode:
        truth_text = (" The data are synthetic: the true value of every coefficient is known, so the report also scores each family against it."
                      if synthetic else " No truth is known for these data: the report compares the families with each other and with the paper.")
    else:
        truth_text = (" The true value of a coefficient is known for the synthetic runs, so the report also scores each family against it there."
                      if synthetic else " No truth is known for these data: the report compares the families with each other.")
        truth_text = "".join(f" {t}" for t in data_roles(per_run)) + truth_text
    blocks.append(Paragraph(f"{', '.join(kinds) or 'unknown'} \u2014 {source_text}.{truth_text}", lead="Data."))
    fam_rows = []
    for family, sel in per_run.groupby("family", sort=True):
        fam_rows.append([
            family, str(len(sel)), str(int(sel["ok"].sum())), str(int((~sel["ok"]).sum())),
            ", ".join(sorted(sel["learner"].dropna().map(str).unique())),
            ", ".join(sorted(sel["folds"].dropna().map(lambda v: str(int(v))).unique())),
            str(sel["spec_key"].nunique()),
        ])
    blocks.append(Table("families", "Families (estimator/fixed effects) in this collection",
                        ["family", "runs", "ok", "failed", "learners", "folds", "specs"], fam_rows, align="lrrrlrr"))
    blocks += warnings_summary(df)
    found, problems = declared.declared(df)
    if not paper_mode and not hypotheses:
        own, own_detail = declared_blocks(df, found, problems, alone=True)
        return [Section("1. Summary", "summary", blocks + own), *own_detail]
    everything = df
    if paper_df is not None:
        df = paper_df
    if not hypotheses:
        blocks.append(Paragraph("The paper's columns (the column configs, conf/column) could not be read: no hypothesis is evaluated.", kind="warn"))
    verdicts = [analysis.evaluate(h, df) for h in hypotheses]
    blocks.append(Paragraph(
        "Verdicts. A hypothesis holds for a method when every spec it rests on has the paper's sign and is significant at 5 % "
        "(p < 0.05, or 0 outside the 95 % credible interval); it holds under every choice when it holds for every method that ran "
        "those specs, and depends on the choice otherwise.", kind="note"))
    blocks.append(Bullets([
        (f"{v.hypothesis.id} \u2014 {STATUS_WORDS[v.status]}.", f"{v.hypothesis.claim} {v.text}" + (f" {v.truth_text}" if v.truth_text else ""))
        for v in verdicts
    ]))
    table_rows = []
    for v in verdicts:
        evaluated = v.configs[v.configs["verdict"] != "incomplete"] if len(v.configs) else v.configs
        held = int((evaluated["verdict"] == "holds").sum()) if len(evaluated) else 0
        table_rows.append([
            v.hypothesis.id, v.hypothesis.expectation, STATUS_WORDS[v.status], f"{held} of {len(evaluated)}",
            ", ".join(v.changing), {"supports": "supports", "contradicts": "contradicts", "mixed": "in part",
                                    "partial": "partly known", "": "unknown"}[v.truth],
        ])
    blocks.append(Table("hypotheses", "Hypotheses H1\u2013H4: the paper's claim under every method that ran",
                        ["hypothesis", "the paper's finding", "verdict", "methods where it holds", "flips with", "truth"],
                        table_rows, align="llllll",
                        notes=[f"{h.id} rests on {h.specs}." for h in hypotheses]
                        + ["flips with: a choice that, changed alone, turns the verdict; truth: whether the true coefficients have the paper's signs."]))
    detail = Section("Verdicts in detail", "verdicts", level=3)
    for v in verdicts:
        if v.configs.empty:
            continue
        parts = [p.name for p in v.hypothesis.parts]
        rows = [[r["method"]] + [r[p] for p in parts] + [r["verdict"] + (f" ({r['why']})" if r["why"] and r["verdict"] == "fails" else "")]
                for _, r in v.configs.iterrows()]
        detail.blocks.append(Table(f"hypothesis-{v.hypothesis.id.lower()}", f"{v.hypothesis.id}: {v.hypothesis.claim}",
                                   ["method"] + parts + ["verdict"], rows, align="l" * (len(parts) + 2),
                                   notes=[f"The paper's finding: {v.hypothesis.expectation}.", f"Specs: {v.hypothesis.specs}."]))
    own, own_detail = declared_blocks(everything, found, problems, alone=False)
    return [Section("1. Summary", "summary", blocks + own), detail, *own_detail]


def paper_table_sections(df: pd.DataFrame, synthetic: bool, columns: Mapping[str, dict]) -> list[Section]:
    """2. The paper's Tables 2-6 re-made, one set per group of runs (``columns``: the paper's
    columns, :func:`framework.report.columns.paper_columns`)."""
    assigned = paper.assign_columns(df, columns)
    made = paper.tables(assigned, columns, synthetic)
    intro = Section("2. The paper's tables, re-made", "tables", [Paragraph(
        "Tables 2\u20136 of the seed paper in its layout, one set per family (and learner, folds where they vary). Each column shows "
        "our coefficient with stars and its standard error beneath, next to the published coefficient (SE)"
        + (", with the true coefficient of the run's sample" if synthetic else "") + ".")])
    if not made:
        intro.blocks.append(Paragraph("No run reproduces a column of the paper (none has a column id, and none has a spec of Tables 2\u20136).", kind="warn"))
        return [intro]
    sections = [intro]
    for group, tables in made:
        sections.append(Section(group.label, f"tables-{slug(group.label)}-{len(sections)}", list(tables), level=3))
    return sections


def figure_sections(df: pd.DataFrame, paper_mode: bool = True) -> list[Section]:
    """3. A forest plot per spec (controls left out: they are in the coefficient tables) and the
    specification curve. ``paper_mode``: the collection is of the paper's kind of data (the
    published values are drawn where a spec is); otherwise the terms carry the data's names."""
    rows = analysis.ok_terms(df)
    rows = analysis.without_controls(rows)
    section = Section("3. Forest plots and specification curve", "figures")
    if rows.empty:
        section.blocks.append(Paragraph("No finished run has an estimate to plot.", kind="warn"))
        return [section]
    palette = figures.colours(df["family"])
    if paper_mode:
        section.blocks.append(Paragraph(
            "One forest plot per spec: each method's estimate with its 95 % interval (filled circles: confidence intervals; hollow squares: "
            "credible intervals), the published estimate as a hollow diamond with \u00b11.96 published SE, the truth as a red dashed line "
            "(red ticks where it differs between runs), zero as a grey line."))
    else:
        section.blocks.append(Paragraph(
            "One forest plot per spec, one panel per term: each method's estimate with its 95 % interval (filled circles: confidence "
            "intervals; hollow squares: credible intervals), the truth as a red dashed line where it is known, zero as a grey line."
            + (" Specs of the synthetic world also show the published estimate as a hollow diamond." if rows["paper_kind"].astype(bool).any() else "")))
    for i, key in enumerate(analysis.spec_keys_sorted(rows), 1):
        sel = rows[rows["spec_key"] == key]
        name = sel["spec_name"].iloc[0]
        label = sel["spec_label"].iloc[0]
        title = name if name == label else f"{name}  [{label}]"
        published = bool(sel["paper_kind"].astype(bool).all())
        section.blocks.append(Figure(f"forest-{i:02d}-{slug(key)}", png=figures.forest(sel, title, palette, published=published),
                                     caption=f"Forest plot: {title} ({len(sel.drop_duplicates('run'))} run(s)).", alt=f"forest plot {name}"))
    curve = rows[rows["term"] == "treatment"]
    if len(curve):
        candidates = [("family", "family"), ("learner", "learner"), ("folds", "folds"), ("window", "window"), ("sample_shown", "sample"),
                      ("controls_shown", "controls"), ("moderation", "moderation"), ("n_rep", "n_rep"), ("seed", "seed"), ("data_source", "data")]
        dims = [(c, l) for c, l in candidates if c == "family" or curve[c].map(str).nunique() > 1]
        constant = [f"{l}={curve[c].iloc[0]}" for c, l in candidates if c != "family" and curve[c].map(str).nunique() == 1]
        sub = Section("Specification curve", "spec-curve", level=3)
        labels = sorted({str(t) for t in curve["term_label"] if t})
        name = "UIL" if paper_mode else (labels[0] if len(labels) == 1 else "treatment")
        sub.blocks.append(Figure("spec-curve", png=figures.spec_curve(curve, dims, palette, ylabel=f"{name} coefficient"),
                                 caption=f"Specification curve: the {name} (treatment) estimate of all {len(curve)} finished runs, sorted, with 95 % intervals"
                                 + (" and the truth (red \u00d7)" if paper_mode or curve["truth"].notna().any() else "")
                                 + "; beneath, the choices behind each estimate (dark dot = the run's choice)."
                                 + (f" Constant over the sweep: {', '.join(constant)}." if constant else ""),
                                 alt="specification curve"))
        return [section, sub]
    return [section]


def agreement_sections(df: pd.DataFrame, synthetic: bool) -> list[Section]:
    """4. Agreement between families; on synthetic data, the error against the truth."""
    section = Section("4. Agreement between families", "agreement")
    agree = analysis.agreement(df)
    if agree.empty:
        section.blocks.append(Paragraph("No finished run: nothing to compare.", kind="warn"))
        return [section]
    section.blocks.append(Paragraph(
        "For each spec and term: how many runs found a negative or positive estimate, how many are significant at 5 %, whether they agree "
        "on the sign and on significance, and which single choice changes the conclusion (two runs that differ in that choice alone reach "
        "different conclusions: significantly negative, not significant, significantly positive)."))
    rows = []
    for _, r in agree.iterrows():
        rows.append([
            r["spec_name"], r["term_label"], str(r["n"]), f"{r['n_negative']} / {r['n_positive']}",
            f"{r['n_significant']} of {r['n']}", "yes" if r["agree_sign"] else "NO", "yes" if r["agree_significance"] else "NO",
            r["conclusions"], ", ".join(r["changing"]) if r["changing"] else ("\u2014" if not r["split"] else "no single choice"),
        ])
    section.blocks.append(Table("agreement", "Do the methods agree? (per spec and term)",
                                ["spec", "term", "runs", "negative / positive", "significant", "same sign", "same significance",
                                 "conclusions", "changed by"], rows, align="llrrrccll",
                                notes=["sig.: significant at 5 % (p < 0.05, or 0 outside a credible interval); n.s.: not significant at 5 %. "
                                       "changed by: a choice that, changed alone, changes the conclusion (a+b: two choices changed together, "
                                       "where no single one does); \u2014: every run reaches the same conclusion."]))
    splits = [(f"{r['spec_name']} ({r['term_label']}):", r["split"]) for _, r in agree.iterrows() if r["split"]]
    if splits:
        section.blocks.append(Paragraph("Where the conclusions split, by method:", lead=""))
        section.blocks.append(Bullets(splits))
    else:
        section.blocks.append(Paragraph("Every method reaches the same conclusion on every spec."))
    sections = [section]
    if synthetic:
        sections.append(truth_section(df))
    return sections


def truth_section(df: pd.DataFrame) -> Section:
    section = Section("Error against the truth", "truth", level=3)
    ranked = analysis.truth_metrics(df, "treatment")
    if ranked.empty:
        section.blocks.append(Paragraph("No finished run has a UIL estimate with a known truth."))
    else:
        uneven = bool(ranked["n"].ne(ranked["n_shared"]).any()) and len(ranked) > 1
        rows = []
        for _, r in ranked.iterrows():
            row = [str(r["rank"]), r["method"], str(r["n"]), number(r["bias"]), number(r["mean_abs_bias"]), number(r["rmse"])]
            if uneven:
                row.append(number(r["rmse_shared"]) if r["n_shared"] else "\u2014")
            row += [share(r["coverage"]) + (f" ({r['n_intervals']})" if r["n_intervals"] != r["n"] else ""), number(r["width"]), share(r["sign_right"])]
            rows.append(row)
        header = ["rank", "method", "runs", "bias", "mean |bias|", "RMSE"] + (["RMSE, shared specs"] if uneven else []) + ["coverage", "mean width", "right sign"]
        notes = ["bias = mean of (estimate \u2212 truth); RMSE = root mean squared (estimate \u2212 truth) over the method's runs; "
                 "coverage = share of 95 % intervals that contain the truth (nominal 95 %); width = mean interval width; "
                 "right sign = share of estimates with the truth's sign. Ties in RMSE are broken by coverage closest to 95 %."]
        if uneven:
            shared = int(ranked["n_shared"].iloc[0])
            notes.append(f"The methods ran different specs: RMSE, shared specs is over the {shared} spec(s) every method ran"
                         + (" (none)." if not shared else "."))
        section.blocks.append(Table("truth-ranked", "Methods ranked by RMSE against the truth (UIL coefficient, over specs)",
                                    header, rows, align="rl" + "r" * (len(header) - 2), notes=notes))
    by_term = analysis.truth_metrics(df, None, by=["method", "term"])
    if len(by_term) and by_term["term"].nunique() > 1:
        names = _term_labels(df)
        by_term = by_term.assign(order=by_term["term"].map(analysis.term_rank)).sort_values(["method", "order"])
        rows = [[r["method"], names.get(r["term"], r["term"]), str(r["n"]), number(r["bias"]), number(r["rmse"]), share(r["coverage"])]
                for _, r in by_term.iterrows()]
        section.blocks.append(Table("truth-by-term", "Error against the truth by term", ["method", "term", "runs", "bias", "RMSE", "coverage"],
                                    rows, align="llrrrr"))
    rows_ = analysis.ok_terms(df)
    rows_ = rows_[rows_["truth"].notna().to_numpy() & np.array([not analysis.is_control(t) for t in rows_["term"]], dtype=bool)]
    methods = sorted(rows_["method"].unique())
    if len(rows_) and len(methods) <= 10:
        table_rows = []
        order = {k: i for i, k in enumerate(analysis.spec_keys_sorted(rows_))}
        for (key, term), sel in sorted(rows_.groupby(["spec_key", "term"]), key=lambda kv: (order[kv[0][0]], analysis.term_rank(kv[0][1]))):
            cells = []
            for m in methods:
                hit = sel[sel["method"] == m]
                cells.append(", ".join(number(e - t) for e, t in zip(hit["estimate"], hit["truth"])))
            truths = sorted(set(round(t, 6) for t in sel["truth"]))
            table_rows.append([sel["spec_name"].iloc[0], sel["term_label"].iloc[0], ", ".join(number(t) for t in truths)] + cells)
        section.blocks.append(Table("bias-by-spec", "Estimate \u2212 truth, per spec and method", ["spec", "term", "truth"] + methods,
                                    table_rows, align="llr" + "r" * len(methods)))
    return section


def _term_labels(df: pd.DataFrame) -> dict:
    """term -> its label, where every row that has the term agrees on one."""
    out = {}
    for term, sel in df[df["term"].notna()].groupby("term"):
        labels = set(sel["term_label"])
        out[term] = labels.pop() if len(labels) == 1 else str(term)
    return out


def runtime_section(df: pd.DataFrame) -> Section:
    """5. Runtime per run and per family."""
    summary, fam = analysis.runtime(df)
    section = Section("6. Runtime", "runtime")
    if summary["timed"]:
        section.blocks.append(Paragraph(
            f"{summary['timed']} run(s) timed: {seconds(summary['total'])} s in all, mean {seconds(summary['mean'])} s, "
            f"median {seconds(summary['median'])} s, slowest {seconds(summary['max'])} s ({summary['slowest']}).", lead="Per run."))
    else:
        section.blocks.append(Paragraph("No run records its runtime."))
    rows = [[r["family"], str(r["runs"]), seconds(r["total"]), seconds(r["mean"]), seconds(r["median"]), seconds(r["max"])] for _, r in fam.iterrows()]
    section.blocks.append(Table("runtime", "Runtime per family (seconds)", ["family", "runs", "total", "mean", "median", "max"], rows))
    return section


def failures_section(df: pd.DataFrame) -> Section:
    """6. Failed runs and runs with bad diagnostics."""
    section = Section("7. Failed runs and diagnostics", "failures")
    failed = analysis.failed(df)
    if failed.empty:
        section.blocks.append(Paragraph("No run failed.", lead="Failed runs."))
    else:
        rows = [[r["run"], r["family"], r["spec_label"] or "", r["status"], r["error"] or ""] for _, r in failed.iterrows()]
        section.blocks.append(Table("failed", f"Failed runs ({len(failed)})", ["run", "family", "spec", "status", "error"], rows, align="lllll"))
    bad = analysis.bad_diagnostics(df)
    if bad.empty:
        section.blocks.append(Paragraph("Every finished run reports clean diagnostics (no convergence failure, no warnings).", lead="Diagnostics."))
    else:
        rows = [[r["run"], r["family"], r["spec_label"] or "", {True: "yes", False: "NO"}.get(r["converged"], "\u2014"), r["all_warnings"] or ""]
                for _, r in bad.iterrows()]
        section.blocks.append(Table("diagnostics", f"Runs with bad diagnostics ({len(bad)}): not converged or with warnings",
                                    ["run", "family", "spec", "converged", "warnings"], rows, align="lllcl",
                                    notes=["converged: the estimator's own check (e.g. R-hat, divergences, ESS for Bayesian runs); "
                                           "\u2014 where the estimator does not report it. Their estimates are still in every table above."]))
    return section



# --- the data in their own words, warnings, declared hypotheses, every coefficient ---------------
def data_roles(per_run: pd.DataFrame) -> list[str]:
    """One sentence per distinct mapping of roles to the user's columns (runs on a file)."""
    roles = [("unit_column", "units"), ("time_column", "periods"), ("outcome_column", "outcome"), ("treatment_column", "treatment"),
             ("moderator_column", "moderator"), ("control_columns", "controls")]
    sentences = []
    files = per_run[~per_run["paper_kind"].astype(bool)]
    for _, r in files.drop_duplicates([c for c, _ in roles]).iterrows():
        parts = []
        for column, word in roles:
            if r[column] is None:
                continue
            value = str(r[column])
            if word == "units" and r["n_units"] is not None:
                units = files.loc[(files["unit_column"] == r[column]) & files["n_units"].notna(), "n_units"]
                value += f" ({', '.join(sorted({str(int(u)) for u in units}))} units)"
            if word == "periods" and r["periods"] is not None:
                value += f" ({r['periods']})"
            parts.append(f"{word}: {value}")
        if parts:
            sentences.append("Columns \u2014 " + "; ".join(parts) + ".")
    return sentences


def warnings_summary(df: pd.DataFrame) -> list:
    """The summary's line on statistical warnings, and a plain one for runs with few clusters."""
    per_run = analysis.run_warnings(df)
    if per_run.empty:
        return []
    warned = per_run[per_run["n_warning_lines"] > 0]
    if warned.empty:
        return [Paragraph("No run carries a statistical warning.", lead="Warnings.")]
    blocks = [Paragraph(f"{int(warned['n_warning_lines'].sum())} warning(s) in {len(warned)} of {len(per_run)} run(s); "
                        "each is listed under \u201cStatistical warnings\u201d (section 6).", lead="Warnings.")]
    few = per_run[np.array([bool(f) for f in per_run["few_clusters"]], dtype=bool)]
    if len(few):
        blocks.append(Paragraph(few_clusters_text(few), kind="warn"))
    return blocks


def few_clusters_text(few: pd.DataFrame) -> str:
    runs_ = ", ".join(f"{r['run']} ({r['family']})" for _, r in few.iterrows())
    return (f"Few clusters in {len(few)} run(s): {runs_}. Their standard errors, p-values and intervals are clustered by unit "
            "and rest on few clusters, so they may be too small: do not trust their significance without a check "
            "(e.g. a wild cluster bootstrap).")


DECLARED_STATUS = {"holds": "holds", "some": "holds in part", "never": "never holds", "not tested": "not tested"}


def declared_blocks(df: pd.DataFrame, found: list, problems: list[str], alone: bool) -> tuple[list, list[Section]]:
    """The user's declared hypotheses (:mod:`framework.report.declared`): blocks for the
    summary and a detail section. ``alone``: they are the only hypotheses of the report."""
    blocks: list = [Paragraph(f"Declared hypotheses of {p}", kind="warn") for p in problems]
    if not found:
        if alone:
            blocks.append(Paragraph(
                "No hypothesis is declared. Declare yours in the config, e.g. "
                "'hypotheses=[{name: My claim, term: treatment, expect: positive}]' (docs/REPORT.md), "
                "and the report says under which runs each holds.", kind="note"))
        return blocks, []
    verdicts = [declared.evaluate(d, df) for d in found]
    blocks.append(Paragraph(
        "A run supports a hypothesis when its estimate of the term is significant at 5 % (p < 0.05, or 0 outside the 95 % "
        "credible interval) with the expected sign (expected zero: when it is not significant); it contradicts it when the estimate "
        "is significant with the other sign (expected zero: when it is significant). Each hypothesis is judged over the finished runs "
        "on the data of the records that declare it, that pass its run filters and report its term.",
        lead="Declared hypotheses." if alone else "Your declared hypotheses."))
    items, rows, family_rows = [], [], []
    for v in verdicts:
        h = v.hypothesis
        label = _term_of(v)
        filters = h.describe_runs()
        counts = f"{v.count(declared.SUPPORTS)} support, {v.count(declared.CONTRADICTS)} contradict, {v.count(declared.NOT_SIGNIFICANT)} not significant"
        extra = f" {v.count(declared.NO_ESTIMATE)} without a usable estimate." if v.count(declared.NO_ESTIMATE) else ""
        missing = f" {v.unmatched} matching run(s) do not report the term." if v.unmatched else ""
        text = (f"{h.claim + ' ' if h.claim else ''}Expected: {declared.expectation(h, label)}. "
                f"Judged over {len(v.runs)} run(s){' with ' + filters if filters else ''}: {counts}.{extra}{missing}"
                + (f" {v.truth_text}" if v.truth_text else ""))
        items.append((f"{v.declared.label} \u2014 {v.text}.", text))
        rows.append([v.declared.label, label, h.expect, filters or "all", str(len(v.runs)), str(v.count(declared.SUPPORTS)),
                     str(v.count(declared.CONTRADICTS)), str(v.count(declared.NOT_SIGNIFICANT)), v.text,
                     {"supports": "supports", "contradicts": "contradicts", "mixed": "in part", "": "unknown"}[v.truth]])
        for _, f in v.families.iterrows():
            family_rows.append([v.declared.label, f["family"], str(f["runs"]), str(f[declared.SUPPORTS]), str(f[declared.CONTRADICTS]),
                                str(f[declared.NOT_SIGNIFICANT]), declared.overall([o for o in v.runs.loc[v.runs["family"] == f["family"], "outcome"]])[1]])
    blocks.append(Bullets(items))
    blocks.append(Table("declared-hypotheses", "Declared hypotheses: verdict over every run that matches",
                        ["hypothesis", "term", "expected", "runs filter", "runs", "support", "contradict", "not significant", "verdict", "truth"],
                        rows, align="llllrrrrll",
                        notes=["support / contradict / not significant: runs whose estimate of the term is significant at 5 % with the expected "
                               "sign / with the other sign / not significant (expected zero: not significant / significant); "
                               "truth: whether the true coefficients agree with the expectation (synthetic data only)."]))
    if family_rows:
        blocks.append(Table("declared-by-family", "Declared hypotheses per family", ["hypothesis", "family", "runs", "support", "contradict",
                                                                                     "not significant", "verdict"], family_rows, align="llrrrrl"))
    detail = Section("Declared hypotheses in detail", "declared", level=3)
    for i, v in enumerate(verdicts, 1):
        if v.runs.empty:
            continue
        truth = v.runs["truth"].notna().any()
        table_rows = [[r["run"], r["method"], r["spec_name"], r["term_label"], coefficient(r["estimate"], r["p_value"], r["interval"]),
                       in_parens(r["std_error"])] + ([number(r["truth"])] if truth else []) + [r["outcome"]] for _, r in v.runs.iterrows()]
        detail.blocks.append(Table(f"declared-{i:02d}-{slug(v.declared.label)}", f"{v.declared.label}: {v.text}",
                                   ["run", "method", "spec", "term", "estimate", "SE"] + (["truth"] if truth else []) + ["outcome"],
                                   table_rows, align="llll" + "rr" + ("r" if truth else "") + "l",
                                   notes=[f"Expected: {declared.expectation(v.hypothesis, _term_of(v))}."
                                          + (f" {v.hypothesis.claim}" if v.hypothesis.claim else "")]))
    return blocks, ([detail] if detail.blocks else [])


def _term_of(v) -> str:
    labels = sorted({str(t) for t in v.runs["term_label"] if t}) if len(v.runs) else []
    return ", ".join(labels) if labels else v.hypothesis.term


def coefficient_sections(df: pd.DataFrame, synthetic: bool, level: int = 2, only_with_controls: bool = False) -> list[Section]:
    """Every coefficient of every finished run, one regression table per spec: a column per run
    with each coefficient (stars) and its SE in parentheses beneath, treatment terms first,
    then the controls; then observations, units, fixed effects, controls and learner.
    ``only_with_controls``: of the specs on the paper's kind of data (which the paper's tables
    show), only those where some run reports a control's coefficient."""
    rows = analysis.ok_terms(df)
    title = ("2. " if level == 2 else "") + "Every coefficient, per spec"
    section = Section(title, "coefficients", level=level)
    if rows.empty:
        if not only_with_controls:
            section.blocks.append(Paragraph("No finished run has an estimate.", kind="warn"))
            return [section]
        return []
    section.blocks.append(Paragraph(
        "One table per spec, one column per finished run, as a regression table is printed: each coefficient with stars and its "
        "standard error in parentheses beneath, treatment terms first, then the controls (for the families that estimate them)."))
    made = 0
    for i, key in enumerate(analysis.spec_keys_sorted(rows), 1):
        sel = rows[rows["spec_key"] == key]
        if only_with_controls and sel["paper_kind"].astype(bool).all() and not any(analysis.is_control(t) for t in sel["term"]):
            continue
        run_names = sorted(sel["run"].unique(), key=lambda r: (sel.loc[sel["run"] == r, "method"].iloc[0], analysis.natural(r)))
        for part, start in enumerate(range(0, len(run_names), MAX_RUN_COLUMNS), 1):
            chunk = run_names[start:start + MAX_RUN_COLUMNS]
            section.blocks.append(_coefficient_table(sel[sel["run"].isin(chunk)], chunk, f"coefficients-{i:02d}-{part}-{slug(key)}",
                                                     synthetic, start))
            made += 1
    if not made:
        return []
    return [section]


MAX_RUN_COLUMNS = 8


def _coefficient_table(sel: pd.DataFrame, run_names: list, name: str, synthetic: bool, start: int) -> pd.DataFrame:
    terms = sorted(sel.drop_duplicates("term")[["term", "term_label", "term_order"]].itertuples(index=False),
                   key=lambda t: (analysis.term_rank(t.term), t.term_order))
    by_run = {r: sel[sel["run"] == r] for r in run_names}
    firsts = {r: by_run[r].iloc[0] for r in run_names}
    header = [""] + [f"({start + j}) {firsts[r]['method']}" for j, r in enumerate(run_names, 1)]
    table_rows, kinds = [], []
    has_truth = synthetic and sel["truth"].notna().any()
    for t in terms:
        est, se, truth = [t.term_label], [""], [f"{t.term_label} truth"]
        for r in run_names:
            hit = by_run[r][by_run[r]["term"] == t.term]
            c = hit.iloc[0] if len(hit) else None
            est.append("" if c is None else coefficient(c["estimate"], c["p_value"], c["interval"]))
            se.append("" if c is None else in_parens(c["std_error"]))
            truth.append("" if c is None else number(c["truth"]))
        table_rows += [est, se]
        kinds += [set(), {"se"}]
        if has_truth:
            table_rows.append(truth)
            kinds.append({"se"})
    rule = len(table_rows)
    table_rows.append(["Observations"] + [_int(firsts[r]["n_obs"]) for r in run_names])
    table_rows.append(["Units"] + [_int(firsts[r]["n_units"]) for r in run_names])
    table_rows.append(["Fixed effects"] + [str(firsts[r]["fe"] or "") for r in run_names])
    table_rows.append(["Controls"] + [str(firsts[r]["controls_shown"] or "") for r in run_names])
    table_rows.append(["Learner"] + [str(firsts[r]["learner"] or "\u2014") for r in run_names])
    table_rows.append(["Confounder that overturns it"] + [overturn_text(firsts[r]) for r in run_names])
    kinds += [{"rule"}] + [set()] * (len(table_rows) - rule - 1)
    spec = sel["spec_name"].iloc[0]
    notes = ["Standard errors in parentheses. * p < 0.1, ** p < 0.05, *** p < 0.01 from each run's p-value"
             + (f"; {DAGGER_NOTE}" if (sel["interval"] == "credible").any() else "") + "."]
    notes.append("Confounder that overturns it: RV, the strength of a hidden confounder (partial R-squared with treatment and "
                 "outcome) that moves the treatment estimate to zero, and at 5 % the one that makes its interval reach zero "
                 "(section 5; \u2014: the family has no analysis).")
    notes.append("Runs: " + ", ".join(f"({start + j}) {r}" for j, r in enumerate(run_names, 1)) + ".")
    return Table(name, f"Coefficients: {spec}", header, table_rows, align="l" + "r" * len(run_names), kinds=kinds, notes=notes)


DAGGER_NOTE = "\u2020 posterior mean (posterior SD) with a 95 % credible interval: no p-value, so no stars"


def _int(value) -> str:
    if value is None or value != value:
        return ""
    try:
        return f"{int(float(value)):,}"
    except (TypeError, ValueError):
        return str(value)


def warnings_section(df: pd.DataFrame) -> Section:
    """Statistical warnings per family and every warning line per run (the records' ``warnings``
    and the estimators' ``diagnostics.warnings``)."""
    section = Section("Statistical warnings", "warnings", level=3)
    per_run = analysis.run_warnings(df)
    warned = per_run[per_run["n_warning_lines"] > 0]
    if warned.empty:
        section.blocks.append(Paragraph("No run carries a statistical warning."))
        return section
    few = per_run[np.array([bool(f) for f in per_run["few_clusters"]], dtype=bool)]
    if len(few):
        section.blocks.append(Paragraph(few_clusters_text(few), kind="warn"))
    fam = analysis.warnings_by_family(df)
    section.blocks.append(Table("warnings-by-family", "Statistical warnings per family",
                                ["family", "runs", "runs with warnings", "warnings", "runs with few clusters"],
                                [[r["family"], str(r["runs"]), str(r["runs_warned"]), str(r["warnings"]), str(r["few_clusters"])]
                                 for _, r in fam.iterrows()], align="lrrrr"))
    rows = []
    for _, r in warned.iterrows():
        for k, line in enumerate(r["warning_lines"]):
            rows.append([r["run"] if k == 0 else "", r["family"] if k == 0 else "", str(r["n_warning_lines"]) if k == 0 else "", line])
    section.blocks.append(Table("warnings", f"Statistical warnings per run ({len(warned)} run(s))", ["run", "family", "warnings", "warning"],
                                rows, align="llrl",
                                notes=["The run's own warnings and its estimator's diagnostic warnings, each line once. "
                                       "The runs' estimates are still in every table above."]))
    return section
