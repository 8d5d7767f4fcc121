"""The report on a user's own panel speaks the data's words, and judges declared hypotheses.

Hand-written records of a wage panel (id ``nr``, time ``year``, outcome ``lwage``, treatment
``union``, controls ``exper`` and ``married``) in two families, with three declared
hypotheses whose verdicts are computed by hand below; then the same check on a real sweep
(twfe and dml with lasso on linearmodels' wage panel), as a user would run it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.text
import pandas as pd
import pytest

from framework.errors import UserInputError
from framework.report import analysis as A
from framework.report import declared as D
from framework.report import figures as F
from framework.report.build import build_report, make_document
from framework.report.collect import collect
from framework.rendering.escape import escape_html, escape_latex, escape_md
from framework.spec.hypotheses import Hypothesis, parse_hypotheses
from tests.test_report import RECORDS as PAPER_RECORDS
from tests.test_report import check_latex, write_records

ROOT = Path(__file__).resolve().parents[1]

# What the report must never write on a user's panel (words inside the user's column names don't count).
FORBIDDEN = [r"\b[Cc]ity\b", r"\b[Cc]ities\b", r"UIL", r"(?i)_uil\b", r"(?i)gini", r"(?i)\bdifi\b", r"\bH[1-4]\b",
             r"[Pp]ublished", r"\b[Pp]aper\b", r"Table [2-6]"]

HYPOTHESES = [
    {"name": "Union members earn more", "term": "treatment", "expect": "positive"},
    {"name": "Union premium under TWFE", "term": "treatment", "expect": "positive", "runs": {"estimator": "twfe"}},
    {"name": "Experience does not matter", "term": "exper", "expect": "zero", "claim": "Given the year effects."},
]


def coef(term, estimate, p_value, column=None, se=0.02):
    c = {"term": term, "estimate": estimate, "std_error": se, "ci_low": estimate - 1.96 * se, "ci_high": estimate + 1.96 * se,
         "p_value": p_value, "interval": "confidence", "truth": None}
    if column is not None:
        c["column"] = column
    return c


def wage(estimator, fe, coefficients, *, controls="paper", moderation="none", moderator=None, warnings=None, diagnostics=None,
         status="ok", error=None, learner=None):
    columns = {"id": "nr", "time": "year", "outcome": "lwage", "treatment": "union", "controls": ["exper", "married"],
               "moderator": moderator, "municipality": None, "resource_city": None}
    record = {
        "schema_version": 2, "status": status, "error": error, "estimator": estimator,
        "spec": {"window": [1980, 1987], "window_name": "all", "sample": "full", "controls": controls,
                 "covariates": ["exper", "married"] if controls == "paper" else [], "moderation": moderation, "moderator": "difi", "fe": fe},
        "config": {"data": {"kind": "file", "path": "wage.csv", "columns": columns}, "estimator": {"name": estimator, "fe": fe},
                   "learner": {"_target_": "sklearn.linear_model.LassoCV"}, "split": {"folds": 5, "n_rep": 1}, "seed": 0,
                   "hypotheses": HYPOTHESES},
        "choices": {"learner": "lasso", "estimator": estimator, "data": "file"},
        "learner": "sklearn.linear_model.LassoCV" if learner else None,
        "n_obs": 4360 if status == "ok" else None, "n_units": 545 if status == "ok" else None, "periods": list(range(1980, 1988)),
        "coefficients": coefficients if status == "ok" else [],
        "diagnostics": diagnostics or {}, "runtime_s": 1.5,
        "provenance": {"data_source": "wage.csv", "seed": 0},
    }
    if warnings is not None:
        record["warnings"] = warnings
    return record


FEW = "few clusters: 12 units (nr); clustered standard errors may be too small"
WAGE = {
    # twfe/within estimates the controls' coefficients too
    "sweep/0": wage("twfe", "within", [coef("treatment", 0.080, 0.001, "union"), coef("control:exper", 0.050, 0.0001, "exper"),
                                       coef("control:married", 0.110, 0.02, "married")], warnings=[FEW]),
    "sweep/1": wage("twfe", "within", [coef("treatment", 0.100, 0.0001, "union")], controls="none", warnings=[]),
    # an older dml record: coefficients without their column, warnings only in the diagnostics (one line twice)
    "sweep/2": wage("dml", "fd", [coef("treatment", 0.040, 0.08)], learner="lasso",
                    warnings=["nuisance R2 of the treatment below 0.05"],
                    diagnostics={"warnings": ["nuisance R2 of the treatment below 0.05", "2 folds had no variation in union"]}),
    "sweep/3": wage("dml", "fd", [coef("treatment", -0.060, 0.01, "union")], controls="none", learner="lasso"),
    "sweep/4": wage("twfe", "within", [coef("treatment", 0.070, 0.03, "union"), coef("moderator", 0.001, 0.5, "hours", se=0.001),
                                       coef("treatment_x_moderator", -0.002, 0.04, "union\u00d7hours", se=0.001),
                                       coef("control:exper", 0.040, 0.2, "exper"), coef("control:married", 0.090, 0.01, "married")],
                    moderation="centered", moderator="hours"),
    "sweep/5": wage("dml", "fd", [], status="failed", error="ValueError: the file has 3 rows", learner="lasso"),
}
BASE_SPEC = "window=all sample=full controls=exper+married"

# by hand: treatment positive over runs 0-4: 0, 1, 4 support; 2 is not significant; 3 contradicts
HAND = {
    "Union members earn more": {"runs": 5, "supports": 3, "contradicts": 1, "not significant": 1, "text": "holds in 3 of 5 runs",
                                "families": {"dml/fd": (2, 0, 1, 1, "never holds"), "twfe/within": (3, 3, 0, 0, "holds under every run")}},
    "Union premium under TWFE": {"runs": 3, "supports": 3, "contradicts": 0, "not significant": 0, "text": "holds under every run",
                                 "families": {"twfe/within": (3, 3, 0, 0, "holds under every run")}},
    # zero: run 0's exper is significant (contradicts), run 4's is not (supports); runs 1-3 estimate no exper
    "Experience does not matter": {"runs": 2, "supports": 1, "contradicts": 1, "not significant": 0, "text": "holds in 1 of 2 runs",
                                   "families": {"twfe/within": (2, 1, 1, 0, "holds in 1 of 2 runs")}},
}


def forbidden_hits(text: str) -> list[str]:
    return [m.group(0) for pattern in FORBIDDEN for m in re.finditer(pattern, text)]


def without_images(html: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)


@pytest.fixture(scope="module")
def wage_report(tmp_path_factory):
    """The report of the hand-written records, with every text drawn in its figures."""
    root = write_records(tmp_path_factory.mktemp("wage"), WAGE)
    drawn: list[str] = []
    original = F.png

    def capture(fig, dpi):
        fig.canvas.draw()
        drawn.extend(t.get_text() for t in fig.findobj(matplotlib.text.Text))
        return original(fig, dpi)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(F, "png", capture)
        index = build_report(root)
    report = index.parent
    return {
        "root": root,
        "html": without_images(index.read_text()),
        "md": (report / "report.md").read_text(),
        "tex": {p.stem: p.read_text() for p in sorted((report / "tables").glob("*.tex"))},
        "png": drawn,
    }


@pytest.fixture(scope="module")
def wage_df(wage_report):
    return A.prepare(collect(wage_report["root"]))


# --- the words ---------------------------------------------------------------------------------
def test_no_paper_words_anywhere(wage_report):
    assert forbidden_hits(wage_report["html"]) == []
    assert forbidden_hits(wage_report["md"]) == []
    for name, tex in wage_report["tex"].items():
        assert forbidden_hits(tex) == [], name
    assert wage_report["png"], "no figure text was captured"
    assert forbidden_hits("\n".join(wage_report["png"])) == []
    assert not any(name.startswith(("table", "hypothesis-h")) for name in wage_report["tex"])  # no paper tables, no H1-H4


def test_the_data_own_names_are_used(wage_report):
    for text in (wage_report["html"], wage_report["md"]):
        for word in ("union", "lwage", "nr", "year", "exper", "married", "union\u00d7hours", "units", "periods"):
            assert word in text, word
        for name in HAND:
            assert name in text
    assert "The effect of union on lwage" in wage_report["html"]
    figure_text = "\n".join(wage_report["png"])
    assert "union" in figure_text and "union coefficient" in figure_text and "union\u00d7hours" in figure_text and "hours" in figure_text


def test_declared_verdicts_match_hand_counts(wage_df):
    found, problems = D.declared(wage_df)
    assert problems == []
    assert [d.hypothesis.name for d in found] == list(HAND)  # identical declarations of six records: three hypotheses
    for d in found:
        v = D.evaluate(d, wage_df)
        hand = HAND[d.hypothesis.name]
        assert len(v.runs) == hand["runs"]
        for outcome in ("supports", "contradicts", "not significant"):
            assert v.count(outcome) == hand[outcome], (d.hypothesis.name, outcome)
        assert v.text == hand["text"]
        assert v.truth == ""  # a file: no truth
        families = {r["family"]: (r["runs"], r["supports"], r["contradicts"], r["not significant"],
                                  D.overall(list(v.runs.loc[v.runs["family"] == r["family"], "outcome"]))[1])
                    for _, r in v.families.iterrows()}
        assert families == hand["families"]
    exper = D.evaluate(found[2], wage_df)
    assert exper.unmatched == 3 and set(exper.runs["term_label"]) == {"exper"}
    # the older record without "column": its treatment is still named by the data's column
    assert set(D.evaluate(found[0], wage_df).runs["term_label"]) == {"union"}


def test_verdicts_in_every_format(wage_report):
    md, html = wage_report["md"], wage_report["html"]
    assert "Union members earn more \u2014 holds in 3 of 5 runs." in md
    assert "Union premium under TWFE \u2014 holds under every run." in md
    assert "Experience does not matter \u2014 holds in 1 of 2 runs." in md
    assert "| Union members earn more | dml/fd | 2 | 0 | 1 | 1 | never holds |" in md
    assert "holds in 3 of 5 runs" in html and "estimator=twfe" in html
    tex = wage_report["tex"]
    assert "holds in 3 of 5 runs" in tex["declared-hypotheses"] and "Union premium under TWFE" in tex["declared-hypotheses"]
    assert "never holds" in tex["declared-by-family"]


def test_every_coefficient_table_holds_the_controls(wage_report):
    tex = wage_report["tex"]
    base = [t for n, t in tex.items() if n.startswith("coefficients-") and "exper-married" in n and "moderation" not in n]
    assert len(base) == 1
    table = base[0]
    assert "exper" in table and "married" in table
    assert "0.050***" in table and "(0.020)" in table and "0.110**" in table and "0.040*" in table  # twfe's controls, dml's union
    lines = [line for line in table.splitlines() if " & " in line]
    order = [next(i for i, line in enumerate(lines) if line.startswith(word)) for word in ("union", "exper", "married", "Observations")]
    assert order == sorted(order)  # treatment first, then the controls, then the counts
    moderated = [t for n, t in tex.items() if n.startswith("coefficients-") and "moderation" in n][0]
    rows = [line.split(" & ")[0] for line in moderated.splitlines() if " & " in line]
    assert rows.index("union") < rows.index("union$\\times$hours") < rows.index("hours") < rows.index("exper")
    md = wage_report["md"]
    assert f"**Coefficients: {BASE_SPEC}**" in md
    # controls stay out of the agreement table and the forest plots
    agreement = md[md.index("**Do the methods agree?"):md.index("Where the conclusions split")]
    assert "exper" not in agreement.split("*sig.:")[0].replace("exper+married", "")


def test_warnings_are_counted_per_family_and_listed_per_run(wage_df, wage_report):
    fam = A.warnings_by_family(wage_df).set_index("family")
    assert fam.loc["dml/fd", ["runs", "runs_warned", "warnings", "few_clusters"]].tolist() == [3, 1, 2, 0]
    assert fam.loc["twfe/within", ["runs", "runs_warned", "warnings", "few_clusters"]].tolist() == [3, 1, 1, 1]
    md = wage_report["md"]
    assert "| dml/fd | 3 | 1 | 2 | 0 |" in md and "| twfe/within | 3 | 1 | 1 | 1 |" in md
    assert "2 folds had no variation in union" in md and md.count("nuisance R2 of the treatment below 0.05") == 2  # per run + diagnostics
    assert "Few clusters in 1 run(s): sweep/0 (twfe/within)" in md
    assert "3 warning(s) in 2 of 6 run(s)" in md
    check = wage_report["tex"]["warnings-by-family"]
    assert "twfe/within & 3 & 1 & 1 & 1" in check


def test_latex_tables_compile(wage_report):
    for name, tex in wage_report["tex"].items():
        check_latex(tex)


# --- a mixed collection ---------------------------------------------------------------------------
def test_mixed_collection_keeps_the_paper_for_its_runs_only(tmp_path):
    records = {f"paper/{k}": v for k, v in PAPER_RECORDS.items() if "evil" not in k}
    records.update({f"wage/{k}": v for k, v in WAGE.items()})
    root = write_records(tmp_path / "mixed", records)
    df = A.prepare(collect(root))
    assert not A.paper_mode(df)
    doc = make_document(df, root)
    names = {t.name for t in doc.tables()}
    assert "hypotheses" in names and any(n.startswith("table2-") for n in names)  # H1-H4 and the tables for the synthetic runs
    assert "declared-hypotheses" in names
    checked = 0
    for table in doc.tables():  # every row about a wage run is in the data's own words
        for row in [table.caption, *table.rows]:
            text = json.dumps(row, ensure_ascii=False)
            if "wage.csv" in text or "union" in text:
                assert forbidden_hits(text) == [], (table.name, row)
                checked += 1
    assert checked > 10
    agree = A.agreement(df)
    assert set(agree.loc[agree["spec_key"].str.contains("wage.csv"), "term_label"]) >= {"union"}
    assert set(agree.loc[~agree["spec_key"].str.contains("wage.csv"), "term_label"]) <= {"UIL", "DIFI\u00d7UIL", "DIFI"}


def test_paper_mode_rule():
    def frame(kinds, ok):
        return pd.DataFrame({"run": [str(i) for i in range(len(kinds))], "paper_kind": kinds, "ok": ok})

    assert A.paper_mode(frame([True, True], [True, True]))
    assert not A.paper_mode(frame([True, False], [True, True]))
    assert A.paper_mode(frame([True, False], [True, False]))  # only the finished runs decide
    assert not A.paper_mode(frame([False], [False]))  # no finished run: every run decides
    from framework.report.collect import is_paper_kind

    assert is_paper_kind({"kind": "synthetic"}) and is_paper_kind({"kind": "file", "paper_panel": True})
    assert not is_paper_kind({"kind": "file"}) and not is_paper_kind({"kind": "file", "paper_panel": "yes"})


# --- parse_hypotheses ----------------------------------------------------------------------------
def test_parse_hypotheses_accepts_the_schema():
    assert parse_hypotheses(None) == [] and parse_hypotheses([]) == []
    hs = parse_hypotheses([
        {"name": "A", "expect": "positive"},
        {"name": "B", "term": "control:exper", "expect": "Zero", "runs": {"estimator": ["twfe", "dml"], "config.split.folds": 5,
                                                                            "spec.balanced": True}, "claim": "x"},
        {"name": "C", "term": "union\u00d7married", "expect": "negative", "runs": None},
    ])
    assert hs[0] == Hypothesis("A", "positive") and hs[0].term == "treatment" and hs[0].kind == "role"
    assert hs[1].expect == "zero" and hs[1].kind == "control" and hs[1].runs[0] == ("estimator", ("twfe", "dml"))
    assert hs[2].kind == "column"
    assert parse_hypotheses([{"name": "A", "expect": "positive"}]) == parse_hypotheses([{"expect": "positive", "name": "A", "term": "treatment"}])
    run = {"estimator": "twfe", "fe": "within"}
    assert hs[1].selects(run, {"balanced": True}, {"split": {"folds": 5}})
    assert not hs[1].selects(run, {"balanced": False}, {"split": {"folds": 5}})
    assert not hs[1].selects({"estimator": "causal_forest"}, {"balanced": True}, {"split": {"folds": 5}})
    assert not hs[1].selects(run, {}, {"split": {"folds": 5}})  # a key the record lacks does not match


BAD = [
    ("nope", "hypotheses = 'nope': use a list"),
    ({"name": "A"}, "hypotheses = {'name': 'A'}: use a list"),
    (["A"], "hypotheses[0] = 'A': use a mapping"),
    ([{"expect": "positive"}], "hypotheses[0].name: missing"),
    ([{"name": "", "expect": "positive"}], "hypotheses[0].name = '': use a non-empty string"),
    ([{"name": 3, "expect": "positive"}], "hypotheses[0].name = 3: use a non-empty string"),
    ([{"name": "A", "expect": "positive"}, {"name": "B", "expect": "up"}], "hypotheses[1].expect = 'up': use positive, negative or zero"),
    ([{"name": "A"}], "hypotheses[0].expect: missing; use positive, negative or zero"),
    ([{"name": "A", "expect": 1}], "hypotheses[0].expect = 1: use positive, negative or zero"),
    ([{"name": "A", "expect": "zero", "term": 5}], "hypotheses[0].term = 5: use treatment"),
    ([{"name": "A", "expect": "zero", "term": "control:"}], "hypotheses[0].term = 'control:': name the control column"),
    ([{"name": "A", "expect": "zero", "sign": "+"}], "hypotheses[0].sign: unknown key; use name, term, expect, runs or claim"),
    ([{"name": "A", "expect": "zero", "claim": 3}], "hypotheses[0].claim = 3: use a string"),
    ([{"name": "A", "expect": "zero", "runs": ["twfe"]}], "hypotheses[0].runs = ['twfe']: use a mapping of filters"),
    ([{"name": "A", "expect": "zero", "runs": {"family": "twfe"}}], "hypotheses[0].runs.family: unknown filter"),
    ([{"name": "A", "expect": "zero", "runs": {"spec.": 1}}], "hypotheses[0].runs.spec.: unknown filter"),
    ([{"name": "A", "expect": "zero", "runs": {"config.a..b": 1}}], "hypotheses[0].runs.config.a..b: unknown filter"),
    ([{"name": "A", "expect": "zero", "runs": {"estimator": {"a": 1}}}], "hypotheses[0].runs.estimator = {'a': 1}: use a value"),
    ([{"name": "A", "expect": "zero", "runs": {"estimator": []}}], "hypotheses[0].runs.estimator = []: use a value"),
    ([{"name": "A", "expect": "zero"}, {"name": "A", "expect": "positive"}], "hypotheses[1].name = 'A': already the name of hypotheses[0]"),
]


@pytest.mark.parametrize("value, message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_parse_hypotheses_refuses_bad_input_in_one_line(value, message):
    with pytest.raises(UserInputError) as error:
        parse_hypotheses(value)
    text = str(error.value)
    assert "\n" not in text and text.startswith(message), text


def test_judge_each_expectation():
    positive, negative, zero = Hypothesis("p", "positive"), Hypothesis("n", "negative"), Hypothesis("z", "zero")
    assert [positive.judge(e, s) for e, s in [(0.1, True), (-0.1, True), (0.1, False), (None, True), (0.1, None)]] == \
        ["supports", "contradicts", "not significant", "no estimate", "no estimate"]
    assert [negative.judge(e, s) for e, s in [(-0.1, True), (0.1, True), (-0.1, False)]] == ["supports", "contradicts", "not significant"]
    assert [zero.judge(e, s) for e, s in [(0.1, False), (-0.1, False), (0.1, True), (-0.1, True)]] == \
        ["supports", "supports", "contradicts", "contradicts"]
    assert positive.truth_agrees(0.2) and not positive.truth_agrees(-0.2) and zero.truth_agrees(0.0) and not zero.truth_agrees(0.1)


def test_overall_verdict_from_counts():
    assert D.overall(["supports"] * 4) == ("holds", "holds under every run")
    assert D.overall(["supports", "not significant", "contradicts", "supports"]) == ("some", "holds in 2 of 4 runs")
    assert D.overall(["contradicts", "not significant"]) == ("never", "never holds")
    assert D.overall(["supports", "no estimate"]) == ("holds", "holds under every run")  # no usable estimate: not counted
    assert D.overall([])[0] == "not tested"


def test_a_bad_declaration_in_a_record_is_reported_not_fatal(tmp_path):
    bad = json.loads(json.dumps(WAGE["sweep/0"]))
    bad["config"]["hypotheses"] = [{"name": "Bad", "expect": "up"}]
    root = write_records(tmp_path / "bad", {"a": bad})
    html = build_report(root).read_text()
    assert "a: hypotheses[0].expect = &#x27;up&#x27;: use positive, negative or zero" in html


# --- end to end: a real sweep on linearmodels' wage panel -------------------------------------------
def _outside_texts(root: Path) -> set[str]:
    """Text the records carry from the estimators (errors, diagnostics, warnings): not the report's own words."""
    found: set[str] = set()

    def walk(value):
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for path in root.rglob("result.json"):
        record = json.loads(path.read_text())
        walk([record.get("error"), record.get("diagnostics"), record.get("warnings")])
    return {t for t in found if forbidden_hits(t)}


def test_end_to_end_sweep_on_the_wage_panel(tmp_path_factory, capsys):
    from linearmodels.datasets import wage_panel

    tmp = tmp_path_factory.mktemp("sweep")
    csv = tmp / "wage_panel.csv"
    wage_panel.load().to_csv(csv, index=False)
    sweep = tmp / "out"
    command = [
        sys.executable, "-m", "experiments.run", "-m", "data=file", f"data.path={csv}", "data.columns.id=nr", "data.columns.time=year",
        "data.columns.outcome=lwage", "data.columns.treatment=union", "data.columns.controls=[exper,married]", "estimator=twfe,dml",
        "learner=lasso", "hypotheses=[{name: Union members earn more, term: treatment, expect: positive}]",
        f"hydra.sweep.dir={sweep}", f"cache.dir={tmp / 'cache'}",
    ]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    # a sweep with a failed run exits 1 but records the failure; a command line it refuses exits 2
    assert run.returncode in (0, 1) and len(list(sweep.rglob("result.json"))) == 2, run.stderr[-2000:]
    report = subprocess.run([sys.executable, "-m", "experiments.report", str(sweep)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    index = Path(report.stdout.strip().splitlines()[-1])
    outputs = {"html": without_images(index.read_text()), "md": (index.parent / "report.md").read_text(),
               "tex": "\n".join(p.read_text() for p in sorted((index.parent / "tables").glob("*.tex")))}
    outside = _outside_texts(sweep)
    escapes = {"html": escape_html, "md": escape_md, "tex": escape_latex}
    from_outside = []
    for kind, text in outputs.items():
        for line in sorted(outside, key=len, reverse=True):  # the estimators' own text, as the format writes it
            shown = escapes[kind](line)
            if shown in text:
                from_outside += [f"{kind}: {hit!r} in {line!r}" for hit in forbidden_hits(line)]
                text = text.replace(shown, "")
        assert forbidden_hits(text) == [], kind  # what the report itself writes is clean
    assert "union" in outputs["html"] and "lwage" in outputs["html"] and "Union members earn more" in outputs["md"]
    with capsys.disabled():
        for hit in sorted(set(from_outside)):
            print(f"\n  forbidden word from an estimator's text (not the report's): {hit}")
