"""The comparison report (python -m experiments.report), built from hand-written records.

No estimator runs here: the records are written by hand, so every number the report shows
(agreement, bias, RMSE, coverage, verdicts) can be checked against a hand computation.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.report import main
from framework.report import analysis as A
from framework.report.build import build_report
from framework.report.collect import collect
from framework.report.text import DAGGER, coefficient, escape_latex, escape_md, number, significant, stars

ROOT = Path(__file__).resolve().parents[1]
EVIL = "<script>alert('x')</script> & \"q\" | pipe"

COLUMNS = {
    "t2c2": dict(table=2, column=1 + 1, label="Baseline: controls GDP, DL, SN, EI, ES and FE", published_n=2783,
                 published={"treatment": {"estimate": -0.099, "std_error": 0.035}},
                 window=[2011, 2021], window_name="all", moderation="none"),
    "t5c1": dict(table=5, column=1, label="2011-2015 (digital infrastructure construction)", published_n=1265,
                 published={"treatment": {"estimate": 0.156, "std_error": 0.055}},
                 window=[2011, 2015], window_name="infra_2011_2015", moderation="none"),
    "t5c2": dict(table=5, column=2, label="2016-2021 (rapid digital development)", published_n=1518,
                 published={"treatment": {"estimate": -0.133, "std_error": 0.043}},
                 window=[2016, 2021], window_name="rapid_2016_2021", moderation="none"),
    "t6c1": dict(table=6, column=1, label="Moderation, DIFI mean-centred", published_n=2783,
                 published={"treatment": {"estimate": -0.137, "std_error": 0.049},
                            "treatment_x_moderator": {"estimate": -0.002, "std_error": 0.001},
                            "moderator": {"estimate": -0.002, "std_error": 0.001}},
                 window=[2011, 2021], window_name="all", moderation="centered"),
}


def coef(term, estimate, ci, p_value, truth, se=0.04, interval="confidence"):
    return {"term": term, "estimate": estimate, "std_error": se, "ci_low": ci[0], "ci_high": ci[1], "p_value": p_value,
            "interval": interval, "truth": truth}


def record(estimator, fe, column, coefficients, *, status="ok", error=None, diagnostics=None, runtime=1.0,
           learner="lightgbm", window_name=None):
    c = COLUMNS[column]
    column_cfg = {"id": column, **{k: c[k] for k in ("table", "column", "label", "published_n", "published")}}
    return {
        "status": status,
        "error": error,
        "estimator": estimator,
        "spec": {"window": c["window"], "window_name": window_name or c["window_name"], "sample": "full", "controls": "paper",
                 "moderation": c["moderation"], "fe": fe},
        "config": {"data": {"kind": "synthetic"}, "estimator": {"name": estimator, "fe": fe},
                   "learner": {"_target_": "lightgbm.LGBMRegressor"}, "split": {"folds": 5, "n_rep": 1}, "seed": 0,
                   "column": column_cfg},
        "choices": {"learner": learner},
        "n_obs": None if status != "ok" else 1100,
        "n_units": None if status != "ok" else 100,
        "coefficients": coefficients if status == "ok" else [],
        "diagnostics": diagnostics or {},
        "runtime_s": runtime,
        "provenance": {"data_source": "synthetic world (seed=0)", "seed": 0},
    }


CRED = "credible"
RECORDS = {
    # dml/fd: finds every paper result
    "sweep/dml/0": record("dml", "fd", "t2c2", [coef("treatment", -0.12, (-0.179, -0.061), 0.001, -0.10)], runtime=2.0),
    "sweep/dml/1": record("dml", "fd", "t5c1", [coef("treatment", 0.10, (0.022, 0.178), 0.02, 0.05)], runtime=3.0),
    "sweep/dml/2": record("dml", "fd", "t5c2", [coef("treatment", -0.20, (-0.298, -0.102), 0.0001, -0.23)], runtime=4.0),
    "sweep/dml/3": record("dml", "fd", "t6c1", [
        coef("treatment", -0.11, (-0.19, -0.03), 0.01, -0.10),
        coef("moderator", -0.003, (-0.0076, 0.0016), 0.2, -0.004, se=0.0023),
        coef("treatment_x_moderator", -0.002, (-0.0036, -0.0004), 0.012, -0.0019, se=0.0008),
    ], runtime=5.0),
    # twfe/within: not significant in the baseline and 2011-2015; its moderation run failed
    "sweep/twfe/0": record("twfe", "within", "t2c2", [coef("treatment", -0.05, (-0.145, 0.045), 0.3, -0.10)], runtime=0.5),
    "sweep/twfe/1": record("twfe", "within", "t5c1", [coef("treatment", -0.02, (-0.12, 0.08), 0.7, 0.05)], runtime=0.5),
    "sweep/twfe/2": record("twfe", "within", "t5c2", [coef("treatment", -0.30, (-0.46, -0.14), 0.0005, -0.23)], runtime=0.5),
    f"sweep/twfe/3_{EVIL.split('/')[0]}": record("twfe", "within", "t6c1", [], status="failed", error=f"ValueError: bad {EVIL}",
                                                runtime=0.25),
    # bayes_hier/cre: credible intervals, no p-values; the baseline run did not converge
    "single/bayes_t2c2": record("bayes_hier", "cre", "t2c2", [coef("treatment", -0.15, (-0.23, -0.07), None, -0.10, interval=CRED)],
                                diagnostics={"converged": False, "warnings": ["R-hat 1.05 > 1.01 (treatment)", "3 divergences"]},
                                runtime=30.0),
    "single/bayes_t5c1": record("bayes_hier", "cre", "t5c1", [coef("treatment", 0.06, (-0.02, 0.14), None, 0.05, interval=CRED)],
                                diagnostics={"converged": True, "warnings": []}, runtime=20.0),
    "single/bayes_t5c2": record("bayes_hier", "cre", "t5c2", [coef("treatment", -0.10, (-0.18, -0.02), None, -0.23, interval=CRED)],
                                diagnostics={"converged": True, "warnings": []}, runtime=10.0),
    # user text everywhere: a window name and a learner with markup, pipes and ampersands; no truth
    "single/evil": record("dml", "within", "t2c2", [coef("treatment", 0.01, (-0.05, 0.07), 0.8, None)],
                          learner=f"<b>{EVIL}</b>", window_name=f"{EVIL} $%#_^~{{}}\\"),
}


def write_records(root: Path, records: dict) -> Path:
    for run, rec in records.items():
        directory = root / run
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "result.json").write_text(json.dumps(rec))
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = write_records(tmp_path_factory.mktemp("results"), RECORDS)
    index = build_report(root)
    return root, index


@pytest.fixture(scope="module")
def df(built):
    return A.prepare(collect(built[0]))


# --- numbers ------------------------------------------------------------------------------------
def test_stars_at_the_boundaries():
    assert stars(0.1) == "" and stars(0.5) == "" and stars(None) == "" and stars(float("nan")) == ""
    assert stars(0.0999) == "*" and stars(0.05) == "*"
    assert stars(0.0499) == "**" and stars(0.01) == "**"
    assert stars(0.00999) == "***" and stars(0.0) == "***"
    assert coefficient(-0.099, 0.001) == "-0.099***"
    assert coefficient(-0.15, None, "credible") == "-0.150" + DAGGER  # credible: a dagger, never stars
    assert coefficient(-0.15, 0.001, "credible") == "-0.150" + DAGGER
    assert number(-0.00213) == "-0.0021" and number(0.0) == "0.000" and number(None) == ""


def test_significance_from_p_value_or_interval():
    assert significant(0.049, -1, 1) is True and significant(0.05, -1, 1) is False
    assert significant(None, 0.01, 0.2) is True and significant(None, -0.2, -0.01) is True
    assert significant(None, -0.01, 0.2) is False and significant(None, None, None) is None


def test_escapers():
    assert escape_md("a|b") == "a\\|b" and escape_md("a\\|b") == "a\\\\\\|b"
    assert _unescaped_pipes("| a \\| b | c\\\\| d |") == 4
    assert "<" not in escape_md("<script>") and "&lt;script&gt;" in escape_md("<script>")
    assert escape_latex("50% of $x_1 & {y}#~^\\") == r"50\% of \$x\_1 \& \{y\}\#\textasciitilde{}\textasciicircum{}\textbackslash{}"
    assert escape_latex("-0.12***") == "$-$0.12***"


# --- the collection -----------------------------------------------------------------------------
def test_collection_has_one_row_per_run_and_term(built):
    root, _ = built
    expected = sum(max(len(r["coefficients"]), 1) if r["status"] == "ok" else 1 for r in RECORDS.values())
    assert expected == 14
    parquet = pd.read_parquet(root / "runs.parquet")
    csv = pd.read_csv(root / "runs.csv")
    assert len(parquet) == len(csv) == expected
    assert (parquet["status"] == "failed").sum() == 1
    assert set(parquet["family"]) == {"dml/fd", "dml/within", "twfe/within", "bayes_hier/cre"}


# --- what the report computes -------------------------------------------------------------------
def test_agreement_matches_hand_counts(df):
    agree = A.agreement(df).set_index(["spec_key", "term"])
    base = "window=all sample=full controls=paper"
    row = agree.loc[(base, "treatment")]  # dml -0.12 sig, twfe -0.05 n.s., bayes -0.15 (credible, sig)
    assert (row["n"], row["n_negative"], row["n_positive"], row["n_significant"]) == (3, 3, 0, 2)
    assert row["agree_sign"] and not row["agree_significance"]
    row = agree.loc[("window=infra_2011_2015 sample=full controls=paper", "treatment")]  # +sig, - n.s., + n.s.
    assert (row["n_positive"], row["n_negative"], row["n_significant"]) == (2, 1, 1)
    assert not row["agree_sign"] and not row["agree_significance"]
    row = agree.loc[("window=rapid_2016_2021 sample=full controls=paper", "treatment")]  # all negative and significant
    assert row["agree_sign"] and row["agree_significance"] and row["n_significant"] == 3
    # twfe's moderation run failed: only dml/fd ran t6c1
    assert agree.loc[(base + " moderation=centered", "treatment_x_moderator")]["n"] == 1


def test_truth_metrics_match_hand_computation(df):
    metrics = A.truth_metrics(df, "treatment").set_index("method")
    hand = {  # (estimate, truth, ci_low, ci_high) of the UIL term
        "dml/fd": [(-0.12, -0.10, -0.179, -0.061), (0.10, 0.05, 0.022, 0.178), (-0.20, -0.23, -0.298, -0.102), (-0.11, -0.10, -0.19, -0.03)],
        "twfe/within": [(-0.05, -0.10, -0.145, 0.045), (-0.02, 0.05, -0.12, 0.08), (-0.30, -0.23, -0.46, -0.14)],
        "bayes_hier/cre": [(-0.15, -0.10, -0.23, -0.07), (0.06, 0.05, -0.02, 0.14), (-0.10, -0.23, -0.18, -0.02)],
    }
    assert set(metrics.index) == set(hand)  # the run without a truth is left out
    for method, values in hand.items():
        errors = [e - t for e, t, _, _ in values]
        assert metrics.loc[method, "n"] == len(values)
        assert metrics.loc[method, "bias"] == pytest.approx(sum(errors) / len(errors))
        assert metrics.loc[method, "rmse"] == pytest.approx(math.sqrt(sum(x * x for x in errors) / len(errors)))
        covered = [lo <= t <= hi for _, t, lo, hi in values]
        assert metrics.loc[method, "coverage"] == pytest.approx(sum(covered) / len(covered))
    assert metrics.loc["bayes_hier/cre", "coverage"] == pytest.approx(2 / 3)
    assert list(metrics["rank"]) == [1, 2, 3] and list(metrics.index) == ["dml/fd", "twfe/within", "bayes_hier/cre"]
    # all three ran the same three specs (dml/fd has one more): shared-spec RMSE over those three
    assert metrics.loc["dml/fd", "n_shared"] == 3
    assert metrics.loc["dml/fd", "rmse_shared"] == pytest.approx(math.sqrt((0.02**2 + 0.05**2 + 0.03**2) / 3))


def test_verdicts(df):
    verdicts = {h.id: A.evaluate(h, df) for h in A.HYPOTHESES}
    h1 = verdicts["H1"]  # dml/fd and bayes (credible interval excludes 0) hold, twfe is not significant
    assert h1.status == "depends"
    configs = h1.configs.set_index("method")["verdict"]
    assert configs["dml/fd"] == "holds" and configs["bayes_hier/cre"] == "holds" and configs["twfe/within"] == "fails"
    assert "dml/within" not in configs.index  # its window is not 'all': not the baseline spec
    assert h1.changing == ["estimator+fe"]  # the methods differ in estimator and fe together
    assert h1.truth == "supports"
    h2 = verdicts["H2"]
    assert h2.status == "depends" and set(h2.configs.loc[h2.configs["verdict"] == "holds", "method"]) == {"dml/fd"}
    assert h2.truth == "supports" and "0.050" in h2.truth_text and "-0.230" in h2.truth_text
    assert verdicts["H3"].status == "not tested"
    h4 = verdicts["H4"]
    assert h4.status == "holds" and list(h4.configs["method"]) == ["dml/fd"]


def test_changing_choices_ceteris_paribus():
    items = pd.DataFrame({
        "estimator": ["dml", "dml", "dml", "twfe"], "fe": ["fd", "within", "fd", "within"],
        "learner": ["gbdt", "gbdt", "lasso", "gbdt"], "folds": [5, 5, 5, 5], "n_rep": [1] * 4, "seed": [0] * 4,
        "data_source": ["s"] * 4, "out": ["-", "0", "-", "0"],
    })
    # fd -> within flips it (dml, gbdt); the learner does not (gbdt and lasso agree); estimator: dml/within vs twfe/within agree
    assert A.changing_choices(items, "out") == ["fe"]


def test_bad_diagnostics_and_failures(df):
    bad = A.bad_diagnostics(df)
    assert list(bad["run"]) == ["single/bayes_t2c2"]
    assert "R-hat 1.05" in bad["diagnostic_warnings"].iloc[0]
    failed = A.failed(df)
    assert len(failed) == 1 and failed["run"].iloc[0].startswith("sweep/twfe/3_")


# --- the files ----------------------------------------------------------------------------------
def test_html_is_self_contained_and_escaped(built):
    root, index = built
    assert index == root / "report" / "index.html"
    text = index.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)  # nothing fetched from outside
    assert "<script" not in text.lower()  # the page has no scripts, and user text cannot add one
    assert "&lt;script&gt;" in text and "&amp;" in text
    images = re.findall(r"<img [^>]*src=\"([^\"]*)\"", text)
    assert len(images) >= 4 and all(src.startswith("data:image/png;base64,") for src in images)
    for section in ("1. Summary", "2. The paper", "3. Forest plots", "4. Agreement", "5. How strong a hidden confounder", "6. Runtime", "7. Failed runs"):
        assert section in text
    positions = [text.index(f'id="{a}"') for a in ("summary", "tables", "figures", "agreement", "runtime", "failures")]
    assert positions == sorted(positions)
    # the paper's layout: our coefficient with stars, the published one, the Bayesian one with a dagger
    assert '-0.120<span class="st">***</span>' in text and "-0.099" in text and "(0.035)" in text
    assert "-0.150" + '<span class="st">' + DAGGER in text
    assert "Control variables" in text and "Fixed effect" in text and "Sample size" in text and "2,783" in text
    # the non-converged Bayesian run and the failed run are listed with their messages
    assert "R-hat 1.05 &gt; 1.01 (treatment); 3 divergences" in text
    assert "ValueError: bad &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot; | pipe" in text


def test_no_half_written_report_on_failure(built, monkeypatch, tmp_path):
    root = write_records(tmp_path / "r", {k: v for k, v in list(RECORDS.items())[:3]})
    first = build_report(root)
    before = first.read_text()

    def boom(doc):
        raise RuntimeError("render failed")

    monkeypatch.setattr("framework.report.build.to_html", boom)
    with pytest.raises(RuntimeError):
        build_report(root)
    assert first.read_text() == before  # the previous report is intact
    assert [p.name for p in root.iterdir() if p.name.startswith(".report")] == []  # no temporary left


def _unescaped_pipes(line: str) -> int:
    """Pipes not escaped by a backslash (one preceded by an even number of backslashes)."""
    count, backslashes = 0, 0
    for ch in line:
        if ch == "|" and backslashes % 2 == 0:
            count += 1
        backslashes = backslashes + 1 if ch == "\\" else 0
    return count


def test_markdown_tables_parse(built):
    root, _ = built
    text = (root / "report" / "report.md").read_text()
    assert "<script" not in text.lower() and "&lt;script&gt;" in text
    lines = text.splitlines()
    tables, i = 0, 0
    while i < len(lines):
        if lines[i].startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            tables += 1
            width = _unescaped_pipes(block[0])
            assert re.fullmatch(r"\|( :?-{3,}:? \|)+", block[1]), block[1]
            for row in block:
                assert _unescaped_pipes(row) == width, row
        i += 1
    assert tables >= 10
    for name in re.findall(r"\]\((figures/[^)]+\.png)\)", text):
        assert (root / "report" / name).is_file()
    assert re.search(r"\]\(figures/spec-curve\.png\)", text)


# --- LaTeX: a tiny checker, since no TeX is installed -----------------------------------------------
KNOWN = {"begin", "end", "centering", "small", "caption", "label", "toprule", "midrule", "bottomrule", "cmidrule",
         "multicolumn", "textbackslash", "textasciitilde", "textasciicircum", "textless", "textgreater", "textbar",
         "textsuperscript", "dag", "times", "geq", "leq", "par", "smallskip", "parbox", "linewidth", "footnotesize"}


def check_latex(source: str) -> None:
    """Fail unless ``source`` would compile as a booktabs table: balanced braces and
    environments, known commands only, no stray special characters, even math shifts, and
    every tabular row as wide as the column spec."""
    body = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
    depth, envs, dollars, i = 0, [], 0, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", body[i:])
            assert m, f"dangling backslash at {i}"
            name = m.group(1)
            if name.isalpha():
                assert name in KNOWN, f"unknown command \\{name}"
                if name in ("begin", "end"):
                    env = re.match(r"\{([a-z*]+)\}", body[i + len(m.group(0)):])
                    assert env, f"\\{name} without an environment"
                    if name == "begin":
                        envs.append(env.group(1))
                    else:
                        assert envs and envs.pop() == env.group(1), f"\\end{{{env.group(1)}}} does not close"
            else:
                assert name in "&%$#_{}\\", f"unknown control symbol \\{name}"
            i += len(m.group(0))
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            assert depth >= 0, "unbalanced }"
        elif ch == "$":
            dollars += 1
        elif ch in "#%^_~":
            raise AssertionError(f"unescaped {ch!r}")
        i += 1
    assert depth == 0, "unbalanced {"
    assert not envs, f"unclosed environments {envs}"
    assert dollars % 2 == 0, "unbalanced math shift"
    for marker in ("\\toprule", "\\midrule", "\\bottomrule"):
        assert marker in body
    spec = re.search(r"\\begin\{tabular\}\{([lrc]+)\}", body)
    assert spec
    width = len(spec.group(1))
    inner = body[body.index(spec.group(0)) + len(spec.group(0)): body.index("\\end{tabular}")]
    for row in inner.split("\\\\"):
        row = re.sub(r"\\(toprule|midrule|bottomrule)|\\cmidrule\(lr\)\{\d+-\d+\}", "", row).strip()
        if not row:
            continue
        cells = re.split(r"(?<!\\)&", row)
        spans = sum(int(m) - 1 for m in re.findall(r"\\multicolumn\{(\d+)\}", row))
        assert len(cells) + spans == width, f"row of {len(cells) + spans} columns in a {width}-column tabular: {row}"


def test_latex_checker_catches_errors():
    good = "\\begin{table}\\begin{tabular}{lr}\\toprule a & b \\\\\n\\midrule c & d \\\\\n\\bottomrule\\end{tabular}\\end{table}"
    check_latex(good)
    for bad in (good.replace("c & d", "c_1 & d"), good.replace("a & b", "a & b & c"), good.replace("{lr}", "{lr"),
                good.replace("\\end{table}", ""), good.replace("c & d", "50% & d")):
        with pytest.raises(AssertionError):
            check_latex(bad)


def test_latex_tables_compile(built):
    root, _ = built
    files = sorted((root / "report" / "tables").glob("*.tex"))
    names = {f.stem for f in files}
    assert {"agreement", "truth-ranked", "runtime", "failed", "diagnostics", "hypotheses"} <= names
    assert any(n.startswith("table2-") for n in names) and any(n.startswith("table6-") for n in names)
    for path in files:
        check_latex(path.read_text())
    evil = "\n".join(p.read_text() for p in files)
    assert "\\textless{}script\\textgreater{}" in evil and "\\&" in evil


# --- the command line ---------------------------------------------------------------------------
def test_cli_on_empty_and_missing_dir(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error:")
    assert main([str(tmp_path / "missing")]) == 2
    result = subprocess.run([sys.executable, "-m", "experiments.report", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_cli_prints_report_path_last(tmp_path, capsys):
    root = write_records(tmp_path, {"a": RECORDS["sweep/dml/0"], "b": RECORDS["sweep/twfe/0"]})
    assert main([str(root)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == str(root / "report" / "index.html") and Path(out[-1]).is_file()


def test_tables_by_spec_when_no_column_id(tmp_path):
    records = {}
    for name, rec in [("x", RECORDS["sweep/dml/0"]), ("y", RECORDS["sweep/dml/2"])]:
        rec = json.loads(json.dumps(rec))
        del rec["config"]["column"]
        records[name] = rec
    index = build_report(write_records(tmp_path, records))
    md = (index.parent / "report.md").read_text()
    assert "Table 2: Benchmark regression results" in md and "Table 5: Heterogeneity analysis results" in md
    assert "matched to the paper's columns by their spec" in md
    assert "-0.133" in md  # Table 5 (2): the published value comes from conf/column/t5c2.yaml


def test_records_of_every_schema_version_are_read_alike(tmp_path):
    """Records written before schema_version existed (version 1) sit beside current ones."""
    from framework.records.record import SCHEMA_VERSION

    old = record("twfe", "within", "t2c2", [coef("treatment", -0.05, (-0.145, 0.045), 0.3, -0.10)])
    assert "schema_version" not in old
    current = {**old, "schema_version": SCHEMA_VERSION}
    root = write_records(tmp_path, {"old": old, "current": current})
    frame = collect(root).sort_values("run")
    assert frame["schema_version"].tolist() == [SCHEMA_VERSION, 1]
    assert frame["estimate"].tolist() == [-0.05, -0.05]
    assert build_report(root).exists()
