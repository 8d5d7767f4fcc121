"""The comparison report's own sections, in words: what each says about the collection.

Each function takes the prepared collection (:func:`framework.report.analysis.prepare`) and
returns its section(s) as :mod:`framework.rendering.document` blocks; the numbers come from
:mod:`framework.report.analysis`, the paper's tables from :mod:`framework.report.paper` and
the plots from :mod:`framework.report.figures`. :mod:`framework.report.build` puts them in
order and writes the report.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

from framework.rendering.document import Bullets, Figure, Paragraph, Section, Table
from framework.report import analysis, figures, paper
from framework.report.text import number, seconds, share, slug

STATUS_WORDS = {
    "holds": "holds under every choice that ran",
    "depends": "depends on the choice",
    "fails": "does not hold under any choice that ran",
    "not tested": "not tested",
}


def summary_sections(df: pd.DataFrame, synthetic: bool, hypotheses: Sequence[analysis.Hypothesis]) -> list[Section]:
    """1. Summary: runs, data, families, and the verdict on each of the paper's hypotheses
    (:func:`framework.report.analysis.hypotheses`), with a table per hypothesis."""
    per_run = analysis.runs(df)
    ok = int(per_run["ok"].sum())
    failed = len(per_run) - ok
    blocks = [Paragraph(f"{len(per_run)} run(s): {ok} ok, {failed} failed.", lead="Runs.")]
    sources = per_run["data_source"].fillna(per_run["data"]).fillna("unknown")
    source_text = "; ".join(f"{s} ({n} run(s))" for s, n in sources.value_counts().items())
    kinds = sorted(per_run["data"].dropna().unique())
    truth_text = (" The data are synthetic: the true value of every coefficient is known, so the report also scores each family against it."
                  if synthetic else " No truth is known for these data: the report compares the families with each other and with the paper.")
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
    return [Section("1. Summary", "summary", blocks), detail]


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


def figure_sections(df: pd.DataFrame) -> list[Section]:
    """3. A forest plot per spec and the specification curve."""
    rows = analysis.ok_terms(df)
    section = Section("3. Forest plots and specification curve", "figures")
    if rows.empty:
        section.blocks.append(Paragraph("No finished run has an estimate to plot.", kind="warn"))
        return [section]
    palette = figures.colours(df["family"])
    section.blocks.append(Paragraph(
        "One forest plot per spec: each method's estimate with its 95 % interval (filled circles: confidence intervals; hollow squares: "
        "credible intervals), the published estimate as a hollow diamond with \u00b11.96 published SE, the truth as a red dashed line "
        "(red ticks where it differs between runs), zero as a grey line."))
    for i, key in enumerate(analysis.spec_keys_sorted(rows), 1):
        sel = rows[rows["spec_key"] == key]
        name = sel["spec_name"].iloc[0]
        label = sel["spec_label"].iloc[0]
        title = name if name == label else f"{name}  [{label}]"
        section.blocks.append(Figure(f"forest-{i:02d}-{slug(key)}", png=figures.forest(sel, title, palette),
                                     caption=f"Forest plot: {title} ({len(sel.drop_duplicates('run'))} run(s)).", alt=f"forest plot {name}"))
    curve = rows[rows["term"] == "treatment"]
    if len(curve):
        candidates = [("family", "family"), ("learner", "learner"), ("folds", "folds"), ("window", "window"), ("sample", "sample"),
                      ("controls", "controls"), ("moderation", "moderation"), ("n_rep", "n_rep"), ("seed", "seed"), ("data_source", "data")]
        dims = [(c, l) for c, l in candidates if c == "family" or curve[c].map(str).nunique() > 1]
        constant = [f"{l}={curve[c].iloc[0]}" for c, l in candidates if c != "family" and curve[c].map(str).nunique() == 1]
        sub = Section("Specification curve", "spec-curve", level=3)
        sub.blocks.append(Figure("spec-curve", png=figures.spec_curve(curve, dims, palette),
                                 caption=f"Specification curve: the UIL (treatment) estimate of all {len(curve)} finished runs, sorted, with 95 % intervals "
                                 "and the truth (red \u00d7); beneath, the choices behind each estimate (dark dot = the run's choice)."
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
            r["spec_name"], analysis.TERM_NAMES.get(r["term"], r["term"]), str(r["n"]), f"{r['n_negative']} / {r['n_positive']}",
            f"{r['n_significant']} of {r['n']}", "yes" if r["agree_sign"] else "NO", "yes" if r["agree_significance"] else "NO",
            r["conclusions"], ", ".join(r["changing"]) if r["changing"] else ("\u2014" if not r["split"] else "no single choice"),
        ])
    section.blocks.append(Table("agreement", "Do the methods agree? (per spec and term)",
                                ["spec", "term", "runs", "negative / positive", "significant", "same sign", "same significance",
                                 "conclusions", "changed by"], rows, align="llrrrccll",
                                notes=["sig.: significant at 5 % (p < 0.05, or 0 outside a credible interval); n.s.: not significant at 5 %. "
                                       "changed by: a choice that, changed alone, changes the conclusion (a+b: two choices changed together, "
                                       "where no single one does); \u2014: every run reaches the same conclusion."]))
    splits = [(f"{r['spec_name']} ({analysis.TERM_NAMES.get(r['term'], r['term'])}):", r["split"]) for _, r in agree.iterrows() if r["split"]]
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
        by_term = by_term.assign(order=by_term["term"].map(lambda t: analysis.TERM_ORDER.get(t, 9))).sort_values(["method", "order"])
        rows = [[r["method"], analysis.TERM_NAMES.get(r["term"], r["term"]), str(r["n"]), number(r["bias"]), number(r["rmse"]), share(r["coverage"])]
                for _, r in by_term.iterrows()]
        section.blocks.append(Table("truth-by-term", "Error against the truth by term", ["method", "term", "runs", "bias", "RMSE", "coverage"],
                                    rows, align="llrrrr"))
    rows_ = analysis.ok_terms(df)
    rows_ = rows_[rows_["truth"].notna()]
    methods = sorted(rows_["method"].unique())
    if len(rows_) and len(methods) <= 10:
        table_rows = []
        order = {k: i for i, k in enumerate(analysis.spec_keys_sorted(rows_))}
        for (key, term), sel in sorted(rows_.groupby(["spec_key", "term"]), key=lambda kv: (order[kv[0][0]], analysis.TERM_ORDER.get(kv[0][1], 9))):
            cells = []
            for m in methods:
                hit = sel[sel["method"] == m]
                cells.append(", ".join(number(e - t) for e, t in zip(hit["estimate"], hit["truth"])))
            truths = sorted(set(round(t, 6) for t in sel["truth"]))
            table_rows.append([sel["spec_name"].iloc[0], analysis.TERM_NAMES.get(term, term), ", ".join(number(t) for t in truths)] + cells)
        section.blocks.append(Table("bias-by-spec", "Estimate \u2212 truth, per spec and method", ["spec", "term", "truth"] + methods,
                                    table_rows, align="llr" + "r" * len(methods)))
    return section


def runtime_section(df: pd.DataFrame) -> Section:
    """5. Runtime per run and per family."""
    summary, fam = analysis.runtime(df)
    section = Section("5. Runtime", "runtime")
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
    section = Section("6. Failed runs and diagnostics", "failures")
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
        rows = [[r["run"], r["family"], r["spec_label"] or "", {True: "yes", False: "NO"}.get(r["converged"], "\u2014"), r["diagnostic_warnings"] or ""]
                for _, r in bad.iterrows()]
        section.blocks.append(Table("diagnostics", f"Runs with bad diagnostics ({len(bad)}): not converged or with warnings",
                                    ["run", "family", "spec", "converged", "warnings"], rows, align="lllcl",
                                    notes=["converged: the estimator's own check (e.g. R-hat, divergences, ESS for Bayesian runs); "
                                           "\u2014 where the estimator does not report it. Their estimates are still in every table above."]))
    return section

