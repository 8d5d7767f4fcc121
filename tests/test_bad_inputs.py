"""Bad input, as users give it, through the real ``python -m experiments.run``.

Every case is one command in a subprocess (cwd = the repository, ``hydra.run.dir`` under the
test's folder, ``cache.nuisance=false``), on linearmodels' public wage panel (Vella and Verbeek
1998: 545 people ``nr`` x 8 years ``year``) written as CSV, Parquet and Stata, and on broken
copies of it. Each must stop with

* a non-zero exit status;
* exactly one line on stderr, no traceback, naming the problem and where (file, column, row,
  or key) -- the fragments below were written from what the command prints;
* a ``result.json`` with ``status: failed`` and that same line as its ``error`` in the run dir;
* nothing half-written: the run dir holds ``result.json`` and nothing else, and no other folder
  appears.

The commands run two at a time in one module-scoped fixture (each costs ~3 s of imports); the
parametrized tests then check one aspect of one case each, so a case that misbehaves in one
aspect is marked ``xfail(strict=True)`` for that aspect alone (none is today).
A sweep whose command line is refused runs nothing and writes nothing (README, "Running"), so
it has no record to check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from linearmodels.datasets import wage_panel

ROOT = Path(__file__).resolve().parents[1]
DATA = "@DATA@"
"""Stands for the folder of data files in a case's arguments (replaced when the case runs)."""
TIMEOUT_S = 240
CONTROLS = "data.columns.controls=[married,hours,expersq]"
COLUMNS = ("data.columns.id=nr", "data.columns.time=year", "data.columns.outcome=lwage", "data.columns.treatment=union")
FAST_BAYES = ("estimator.draws=50", "estimator.tune=50", "estimator.chains=1")


def panel(name: str, *overrides: str, columns: tuple[str, ...] = COLUMNS, controls: str | None = CONTROLS) -> tuple[str, ...]:
    """``data=file`` on ``<data>/name`` with the wage panel's roles; ``overrides`` come last."""
    return ("data=file", f"data.path={DATA}/{name}", *columns, *((controls,) if controls else ()), *overrides)


def without(key: str) -> tuple[str, ...]:
    return tuple(c for c in COLUMNS if not c.startswith(f"data.columns.{key}="))


def replacing(key: str, value: str) -> tuple[str, ...]:
    return tuple(f"data.columns.{key}={value}" if c.startswith(f"data.columns.{key}=") else c for c in COLUMNS)


# --- the data files -------------------------------------------------------------------


def build_data(directory: Path) -> None:
    """The wage panel in three formats and the broken copies the cases read."""
    directory.mkdir(parents=True, exist_ok=True)
    raw = wage_panel.load()
    raw.to_csv(directory / "wage.csv", index=False)
    raw.to_parquet(directory / "wage.parquet", index=False)
    raw.to_stata(directory / "wage.dta", write_index=False)

    raw.to_csv(directory / "semicolon.csv", index=False, sep=";")
    raw.rename(columns={"lwage": "lön"}).to_csv(directory / "latin1.csv", index=False, encoding="latin-1")

    holes = raw.astype({"hours": float})
    holes.loc[[10, 11, 500], "hours"] = np.nan  # rows 11, 12, 501 (lines 12, 13, 502)
    holes.to_csv(directory / "nan_control.csv", index=False)

    pd.concat([raw, raw.iloc[[3]]], ignore_index=True).to_csv(directory / "duplicates.csv", index=False)

    text = raw.astype({"lwage": object})
    text.loc[6, "lwage"] = "high"  # row 7, line 8
    text.to_csv(directory / "text_outcome.csv", index=False)

    control = raw.astype({"hours": object})
    control.loc[20, "hours"] = "forty"  # row 21
    control["hours"] = control["hours"].astype(str)
    control.to_parquet(directory / "text_control.parquet", index=False)

    gaps = raw.astype({"lwage": float})
    gaps.loc[30, "lwage"] = np.nan  # row 31
    gaps.to_stata(directory / "missing_outcome.dta", write_index=False)

    halves = raw.astype({"year": float})
    halves.loc[2, "year"] = 1982.5  # row 3, line 4
    halves.to_csv(directory / "half_year.csv", index=False)

    raw[raw["year"] == 1980].to_csv(directory / "single_period.csv", index=False)
    raw.assign(union=0).to_csv(directory / "constant_treatment.csv", index=False)
    rare = raw.assign(union=0)
    rare.loc[100, "union"] = 1
    rare.to_csv(directory / "rare_treatment.csv", index=False)
    raw.assign(lwage=raw["lwage"] * 1e300).to_csv(directory / "huge_outcome.csv", index=False)
    raw[raw["nr"].isin(raw["nr"].unique()[:4])].to_csv(directory / "four_people.csv", index=False)

    (directory / "empty.csv").write_bytes(b"")
    (directory / "garbage.parquet").write_bytes(b"nr,year,lwage\n1,1980,1.5\n")
    (directory / "garbage.dta").write_bytes(b"this is not a Stata file\n")
    raw.to_csv(directory / "wage.xlsx", index=False)
    (directory / "a_folder.csv").mkdir()


# --- the cases ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    expected: tuple[str, ...]
    """Fragments of the one stderr line (after ``error: ``)."""
    refused: bool = False
    """Also check that no ``ok`` record was written anywhere."""
    sweep: bool = False
    stage: str = "run"
    """``cli``: refused by the command-line check (exit 2) before Hydra runs; ``run``: by the run (exit 1)."""
    xfail: tuple[tuple[str, str], ...] = ()
    """(aspect, reason) pairs: the aspects -- ``line``, ``record``, ``clean``, ``ok`` -- this case fails today."""


def case(id: str, args, *expected: str, **kw) -> Case:
    """A bad input the run itself refuses (exit 1)."""
    return Case(id, tuple(args), tuple(expected), **kw)


def cli(id: str, args, *expected: str, **kw) -> Case:
    """A bad command line, refused before Hydra runs (exit 2)."""
    return Case(id, tuple(args), tuple(expected), stage="cli", **kw)


CASES: list[Case] = [
    # files
    case("file-missing", panel("no_such_panel.csv"), f"data file '{DATA}/no_such_panel.csv' not found"),
    case("file-not-given", ("data=file", *COLUMNS), "data=file needs data.path"),
    case("file-is-a-directory", panel("a_folder.csv"), f"data path '{DATA}/a_folder.csv' is a directory",
         "data.path must name a CSV, Parquet or Stata file"),
    case("file-unsupported-extension", panel("wage.xlsx"), f"cannot read data file '{DATA}/wage.xlsx'",
         "unsupported file type ('.xlsx'); supported: .csv, .csv.gz, .parquet, .pq, .dta"),
    case("file-empty-csv", panel("empty.csv"), f"data file '{DATA}/empty.csv' is empty"),
    case("file-unparseable-parquet", panel("garbage.parquet"), f"cannot read data file '{DATA}/garbage.parquet' as Parquet"),
    case("file-unparseable-stata", panel("garbage.dta"), f"cannot read data file '{DATA}/garbage.dta' as Stata"),
    # the column mapping
    case("columns-id-missing", panel("wage.csv", columns=without("id")),
         f"data.columns.id is required: name the column of {DATA}/wage.csv that holds the unit"),
    case("columns-time-missing", panel("wage.csv", columns=without("time")),
         f"data.columns.time is required: name the column of {DATA}/wage.csv that holds the period"),
    case("columns-outcome-missing", panel("wage.csv", columns=without("outcome")),
         f"data.columns.outcome is required: name the column of {DATA}/wage.csv that holds the outcome"),
    case("columns-treatment-missing", panel("wage.csv", columns=without("treatment")),
         f"data.columns.treatment is required: name the column of {DATA}/wage.csv that holds the treatment"),
    case("column-not-in-file", panel("wage.csv", columns=replacing("outcome", "wage")),
         f"column 'wage' (data.columns.outcome) not found in {DATA}/wage.csv", "Available: nr, year, black"),
    case("column-misspelt-treatment", panel("wage.csv", columns=replacing("treatment", "unoin")),
         "column 'unoin' (data.columns.treatment) not found", "did you mean 'union'?"),
    case("column-misspelt-control", panel("wage.csv", controls="data.columns.controls=[married,hour]"),
         "column 'hour' (data.columns.controls) not found", "did you mean 'hours'?"),
    # the panel's values
    case("duplicate-unit-period", panel("duplicates.csv"),
         f"{DATA}/duplicates.csv has 1 duplicated (id, time) pair(s) in column 'nr' (data.columns.id) and column 'year' "
         "(data.columns.time); first: nr '13', year 1983 at rows 4 and 4361 (lines 5 and 4362)"),
    case("outcome-not-numeric", panel("text_outcome.csv"),
         f"column 'lwage' (data.columns.outcome) of {DATA}/text_outcome.csv must be numeric",
         "first at row 7 (line 8): 'high'"),
    case("control-not-numeric-parquet", panel("text_control.parquet"),
         f"column 'hours' (data.columns.controls) of {DATA}/text_control.parquet must be numeric", "first at row 21: 'forty'"),
    case("period-not-integer", panel("half_year.csv"),
         f"column 'year' (data.columns.time) of {DATA}/half_year.csv must hold integer periods",
         "first at row 3 (line 4): 1982.5"),
    case("missing-control-error", panel("nan_control.csv", "data.missing=error"),
         f"column 'hours' (data.columns.controls) of {DATA}/nan_control.csv has 3 missing value(s); first at row 11 (line 12)",
         "set data.missing=drop"),
    case("missing-outcome-stata", panel("missing_outcome.dta"),
         f"column 'lwage' (data.columns.outcome) of {DATA}/missing_outcome.dta has 1 missing value(s); first at row 31"),
    case("missing-policy-nonsense", panel("wage.csv", "data.missing=nonsense"),
         "data.missing = 'nonsense'", "use data.missing=error", "or data.missing=drop"),
    case("single-period", panel("single_period.csv"),
         f"{DATA}/single_period.csv has a single period (1980) in column 'year' (data.columns.time)"),
    case("constant-treatment", panel("constant_treatment.csv"),
         f"column 'union' (data.columns.treatment) of {DATA}/constant_treatment.csv is constant"),
    # reading CSV files from elsewhere
    case("csv-semicolon-without-sep", panel("semicolon.csv"),
         f"column 'nr' (data.columns.id) not found in {DATA}/semicolon.csv", "the file looks ';'-separated: set \"data.read.sep=';'\""),
    case("csv-wrong-encoding", panel("latin1.csv", columns=replacing("outcome", "'lön'")),
         f"cannot read data file '{DATA}/latin1.csv': it is not valid utf-8 text (byte 0xf6 on line 1)",
         "data.read.encoding=latin-1"),
    cli("read-unknown-key", panel("wage.csv", "data.read.encodng=latin-1"),
        "unknown key data.read.encodng; did you mean data.read.encoding?", "(data.read has: sep, decimal, encoding)"),
    cli("override-unparseable", panel("semicolon.csv", "data.read.sep=;"), "cannot parse override 'data.read.sep=;'",
        "unexpected character ';'", "\"data.read.sep=';'\""),
    # config groups and keys
    cli("estimator-unknown", panel("wage.csv", "estimator=nope"), "estimator=nope: no such choice of estimator",
        "accepted values of estimator: bayes_dml, bayes_hier, causal_forest, dml, twfe"),
    cli("learner-unknown", panel("wage.csv", "learner=nope"), "learner=nope: no such choice of learner",
        "accepted values of learner: custom, gbdt, lasso, lightgbm, random_forest, xgboost"),
    cli("sample-unknown", panel("wage.csv", "sample=nope"), "sample=nope: no such choice of sample",
        "accepted values of sample: full, high_uil"),
    cli("window-unknown", panel("wage.csv", "window=nope"), "window=nope: no such choice of window",
        "accepted values of window: all, first_half, infra_2011_2015, rapid_2016_2021, second_half"),
    cli("moderation-unknown", panel("wage.csv", "moderation=nope"), "moderation=nope: no such choice of moderation",
        "accepted values of moderation: centered, none, normalized"),
    cli("top-level-key-misspelt", panel("wage.csv", "seeed=1"), "unknown key seeed; did you mean seed?"),
    cli("estimator-key-misspelt-dml", panel("wage.csv", "estimator.fee=fd"),
        "unknown key estimator.fee; did you mean estimator.fe? (estimator=dml has: name, fe"),
    cli("estimator-key-misspelt-twfe", panel("wage.csv", "estimator=twfe", "estimator.fee=fd"),
        "unknown key estimator.fee; did you mean estimator.fe? (estimator=twfe has: name, fe, effects"),
    # types and ranges
    cli("seed-not-a-number", panel("wage.csv", "seed=abc"), "seed = 'abc': give a whole number (the default is 0)"),
    cli("folds-not-a-number", panel("wage.csv", "split.folds=abc"), "split.folds = 'abc': give a whole number (the default is 5)"),
    cli("folds-fraction", panel("wage.csv", "split.folds=2.5"), "split.folds = 2.5: give a whole number (the default is 5)"),
    case("folds-one", panel("wage.csv", "split.folds=1"), "split.folds = 1: use a whole number >= 2"),
    case("n-rep-zero", panel("wage.csv", "split.n_rep=0"), "split.n_rep = 0: use a whole number >= 1"),
    case("folds-more-than-units", panel("wage.csv", "split.folds=600"), "split.folds = 600 is more than the 545 units"),
    # estimator settings
    case("causal-forest-fd", panel("wage.csv", "estimator=causal_forest", "estimator.fe=fd"),
         "estimator.fe = 'fd' is not accepted by causal_forest", "use one of within, cre, dummies, none"),
    case("bayes-hier-fd", panel("wage.csv", "estimator=bayes_hier", "estimator.fe=fd", *FAST_BAYES),
         "estimator.fe = 'fd' is not accepted by bayes_hier: use one of within, cre, random, dummies, none"),
    case("bayes-hier-collapsed-cre", panel("wage.csv", "estimator=bayes_hier", "estimator.fe=cre", *FAST_BAYES),
         "estimator.fe=cre: the collapsed model takes fe=within", "use estimator.model=explicit for cre, random, dummies or none"),
    case("bayes-hier-explicit-within", panel("wage.csv", "estimator=bayes_hier", "estimator.model=explicit", "estimator.fe=within",
                                             *FAST_BAYES),
         "estimator.fe=within: the explicit model takes fe=cre|random|dummies|none", "use estimator.model=collapsed for within"),
    case("bayes-hier-collapsed-pymc", panel("wage.csv", "estimator=bayes_hier", "estimator.sampler=pymc", *FAST_BAYES),
         "estimator.sampler=pymc: the collapsed model is sampled by nutpie only", "use estimator.model=explicit"),
    case("twfe-random", panel("wage.csv", "estimator=twfe", "estimator.fe=random"),
         "estimator.fe = 'random' is not accepted by twfe: use one of dummies, within, fd, cre, none"),
    case("twfe-time-effects-fd", panel("wage.csv", "estimator=twfe", "estimator.fe=fd", "estimator.effects=time"),
         "estimator.effects=time with estimator.fe=fd", "use estimator.fe=within or dummies"),
    case("twfe-clustered-by-none", panel("wage.csv", "estimator=twfe", "estimator.cov_type=clustered", "estimator.cluster=none"),
         "estimator.cluster=none with estimator.cov_type=clustered", "use estimator.cov_type=robust or unadjusted"),
    case("gbdt-negative-trees", panel("wage.csv", "learner=gbdt", "learner.n_estimators=-5"),
         "learner.n_estimators = -5: The 'n_estimators' parameter of GradientBoostingRegressor must be an int in the range [1, inf)"),
    case("xgboost-negative-depth", panel("wage.csv", "learner=xgboost", "learner.max_depth=-3"),
         "learner.max_depth = -3:", "max_depth should be greater equal to 0"),
    # the spec
    case("window-outside-data", panel("wage.csv", "window.start=2000", "window.end=2005"),
         "window 2000-2005 leaves no rows", "wage.csv covers 1980-1987", "window.start / window.end"),
    case("window-start-after-end", panel("wage.csv", "window.start=1986", "window.end=1982"),
         "window.start = 1986 is after window.end = 1982"),
    case("moderation-without-moderator", panel("wage.csv", "moderation=centered"),
         "moderation=centered needs the 'moderator' column", "set data.columns.moderator"),
    case("no-municipalities-without-column", panel("wage.csv", "sample=no_municipalities"),
         "sample.drop_municipalities needs the 'municipality' column", "set data.columns.municipality"),
    # identification: refused before any fitting or sampling
    case("time-invariant-dml-within", panel("wage.csv", "estimator.fe=within", columns=replacing("treatment", "black")),
         "black does not vary within any unit (nr)", "dml with estimator.fe=within", "the unit effects absorb it", refused=True),
    case("time-invariant-causal-forest", panel("wage.csv", "estimator=causal_forest", columns=replacing("treatment", "black")),
         "black does not vary within any unit (nr)", "causal_forest with estimator.fe=within", refused=True),
    case("time-invariant-twfe", panel("wage.csv", "estimator=twfe", columns=replacing("treatment", "black")),
         "black does not vary within any unit (nr)", "twfe with estimator.fe=within", refused=True),
    case("time-invariant-bayes-hier", panel("wage.csv", "estimator=bayes_hier", *FAST_BAYES, columns=replacing("treatment", "black")),
         "black does not vary within any unit (nr)", "bayes_hier with estimator.fe=within", refused=True),
    case("time-invariant-bayes-hier-explicit", panel("wage.csv", "estimator=bayes_hier", "estimator.model=explicit", "estimator.fe=cre",
                                                     *FAST_BAYES, columns=replacing("treatment", "black")),
         "black does not vary within any unit (nr)", "bayes_hier with estimator.fe=cre", refused=True),
    case("time-invariant-bayes-dml", panel("wage.csv", "estimator=bayes_dml", *FAST_BAYES, columns=replacing("treatment", "black")),
         "black does not vary within any unit (nr)", "bayes_dml with estimator.fe=fd", refused=True),
    case("treatment-one-in-a-single-row", panel("rare_treatment.csv"),
         "union is binary and takes its rarer value (1) in only 1 of 4360 rows", "at least 5 are needed", refused=True),
    case("outcome-times-1e300", panel("huge_outcome.csv"), "column 'lwage' has values up to 4.05e+300", "rescale it", refused=True),
    case("four-people-too-few-clusters", panel("four_people.csv", "estimator.fe=none", columns=replacing("treatment", "hours"),
                                               controls="data.columns.controls=[married,expersq]"),
         "only 4 units to cluster by", "needs at least 5 clusters", refused=True),
    case("four-people-twfe", panel("four_people.csv", "estimator=twfe"),
         "union is binary and takes its rarer value (1) in only 3 of 32 rows", "at least 5 are needed", refused=True),
    case("four-people-twfe-hours", panel("four_people.csv", "estimator=twfe", columns=replacing("treatment", "hours"),
                                         controls="data.columns.controls=[married,expersq]"),
         "hours varies within only", "twfe with estimator.fe=within", "needs at least 5", refused=True),
    # what the report will judge
    case("hypothesis-malformed", panel("wage.csv", "hypotheses=[{name: x, expect: up}]"),
         "hypotheses[0].expect = 'up'", "positive, negative or zero", refused=True),
    # sweeps
    cli("sweep-without-m", panel("wage.csv", "estimator.fe=fd,within"), "estimator.fe=fd,within", "add -m"),
    cli("sweep-invalid-choice", ("-m", *panel("wage.csv", "estimator=twfe,nope")),
        "estimator=nope: no such choice of estimator", "accepted values of estimator: bayes_dml, bayes_hier, causal_forest, dml, twfe",
        sweep=True, refused=True),
]

IDS = [c.id for c in CASES]
assert len(set(IDS)) == len(IDS)


# --- running them ---------------------------------------------------------------------


@dataclass
class Outcome:
    case: Case
    case_dir: Path
    run_dir: Path
    command: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float


def command_for(case: Case, data: Path, case_dir: Path) -> list[str]:
    args = [a.replace(DATA, str(data)) for a in case.args]
    defaults = [] if any(a.startswith("learner=") for a in args) else ["learner=lasso"]
    sweep_dir = [f"hydra.sweep.dir={case_dir / 'sweep'}"] if case.sweep else []
    return [*args, *defaults, "cache.nuisance=false", f"hydra.run.dir={case_dir / 'run'}", *sweep_dir]


def run_case(case: Case, data: Path, cases: Path) -> Outcome:
    case_dir = cases / case.id
    case_dir.mkdir(parents=True)
    command = command_for(case, data, case_dir)
    environment = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        environment[threads] = "1"
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "experiments.run", *command], cwd=ROOT, capture_output=True,
                              text=True, timeout=TIMEOUT_S, env=environment)
        returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as error:
        returncode = None
        stdout = (error.stdout or b"").decode() if isinstance(error.stdout, bytes) else (error.stdout or "")
        stderr = f"timed out after {TIMEOUT_S} s\n" + ((error.stderr or b"").decode() if isinstance(error.stderr, bytes) else (error.stderr or ""))
    return Outcome(case, case_dir, case_dir / "run", command, returncode, stdout, stderr, time.perf_counter() - started)


@dataclass
class Matrix:
    base: Path
    data: Path
    data_before: list[str]
    started: float
    outcomes: dict[str, Outcome]


def listing(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, request) -> Matrix:
    """Every selected case's command, run two at a time."""
    selected = {item.callspec.params["case"].id for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec") and "case" in item.callspec.params}
    base = tmp_path_factory.mktemp("bad_inputs")
    data = base / "data"
    build_data(data)
    before = listing(data)
    started = time.time()
    cases = base / "cases"
    cases.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {c.id: pool.submit(run_case, c, data, cases) for c in CASES if c.id in selected}
        outcomes = {key: future.result() for key, future in futures.items()}
    return Matrix(base, data, before, started, outcomes)


def params(aspect: str, cases: list[Case] = CASES) -> list:
    out = []
    for c in cases:
        reasons = [reason for name, reason in c.xfail if name == aspect]
        marks = [pytest.mark.xfail(strict=True, reason=reasons[0])] if reasons else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def describe(outcome: Outcome) -> str:
    return (f"\ncommand: experiments.run {' '.join(outcome.command)}\nexit: {outcome.returncode}\n"
            f"stderr:\n{outcome.stderr}\nstdout (tail):\n{outcome.stdout[-2000:]}")


def error_line(outcome: Outcome) -> str:
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1, describe(outcome)
    assert lines[0].startswith("error: "), describe(outcome)
    return lines[0][len("error: "):]


def result_records(directory: Path) -> list[tuple[Path, dict]]:
    found = []
    for path in directory.rglob("result.json"):
        try:
            found.append((path, json.loads(path.read_text())))
        except (OSError, ValueError):
            found.append((path, {}))
    return found


# --- the checks -----------------------------------------------------------------------


def test_the_matrix_is_large_enough():
    assert len(CASES) >= 45


@pytest.mark.parametrize("case", params("line"))
def test_exits_non_zero_with_one_line_naming_the_problem(matrix, case):
    outcome = matrix.outcomes[case.id]
    assert outcome.returncode not in (0, None), describe(outcome)
    assert outcome.returncode == (2 if case.stage == "cli" else 1), describe(outcome)  # README: 1 a run failed, 2 the command line
    assert "Traceback" not in outcome.stderr + outcome.stdout, describe(outcome)
    line = error_line(outcome)
    for fragment in (f.replace(DATA, str(matrix.data)) for f in case.expected):
        assert fragment in line, f"{fragment!r} not in the line{describe(outcome)}"


@pytest.mark.parametrize("case", params("record", [c for c in CASES if not c.sweep]))
def test_a_failed_record_holds_the_same_line(matrix, case):
    outcome = matrix.outcomes[case.id]
    path = outcome.run_dir / "result.json"
    assert path.is_file(), describe(outcome)
    record = json.loads(path.read_text())
    assert record["status"] == "failed", describe(outcome)
    assert record["error"] == error_line(outcome)
    assert "\n" not in record["error"]
    assert outcome.stdout.strip().splitlines()[-1] == f"result: {path} (failed)", describe(outcome)


@pytest.mark.parametrize("case", params("clean", [c for c in CASES if not c.sweep]))
def test_nothing_half_written(matrix, case):
    outcome = matrix.outcomes[case.id]
    assert listing(outcome.case_dir) == ["run", "run/result.json"], describe(outcome)


@pytest.mark.parametrize("case", params("clean", [c for c in CASES if c.sweep]))
def test_a_refused_sweep_writes_nothing(matrix, case):
    """A sweep that does not compose runs nothing and writes nothing (README, "Running")."""
    outcome = matrix.outcomes[case.id]
    assert listing(outcome.case_dir) == [], describe(outcome)


@pytest.mark.parametrize("case", params("ok", [c for c in CASES if c.refused]))
def test_refused_inputs_leave_no_ok_record_anywhere(matrix, case):
    outcome = matrix.outcomes[case.id]
    ok = [str(p) for p, record in result_records(outcome.case_dir) if record.get("status") != "failed"]
    # a run that ignored hydra.run.dir would have written under the repository's results/
    results = ROOT / "results"
    for path in results.rglob("result.json") if results.is_dir() else ():
        try:
            if path.stat().st_mtime < matrix.started - 1:
                continue
            text = path.read_text()
            if str(matrix.base) in text and json.loads(text).get("status") != "failed":
                ok.append(str(path))
        except (OSError, ValueError):
            continue
    assert ok == [], describe(outcome)


def test_no_other_folder_appeared_and_the_data_are_untouched(matrix):
    assert sorted(p.name for p in matrix.base.iterdir()) == ["cases", "data"]
    assert sorted(p.name for p in (matrix.base / "cases").iterdir()) == sorted(matrix.outcomes)
    assert listing(matrix.data) == matrix.data_before
