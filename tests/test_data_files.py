"""Reading user data files into a validated Panel, and the one-line errors on bad input.

Row convention under test: "row N" is the 1-based data row (header not counted); CSV
sources add "(line N+1)".
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from framework.data.files import SUPPORTED_SUFFIXES, read_table
from framework.data.load import load_file_panel
from framework.data.validate import panel_from_frame
from framework.errors import UserInputError

COLUMNS = {
    "id": "city",
    "time": "year",
    "outcome": "gini",
    "treatment": "uil",
    "controls": ["gdp", "pop"],
    "moderator": "difi",
    "municipality": "muni",
    "resource_city": None,
}


def frame() -> pd.DataFrame:
    """Three cities, 2011-2013, unbalanced (city 3 lacks 2011), rows not in panel order."""
    return pd.DataFrame(
        {
            "city": [2, 1, 1, 1, 2, 2, 3, 3],
            "year": [2011, 2011, 2012, 2013, 2012, 2013, 2012, 2013],
            "gini": [0.41, 0.30, 0.31, 0.29, 0.40, 0.38, 0.5, 0.49],
            "uil": [0.9, 1.0, 1.2, 1.25, 1.0, 1.1, 1.1, 1.3],
            "gdp": [3.5, 1.25, 2.0, 2.5, 4.0, 4.5, 5.0, 5.5],
            "pop": [100, 50, 51, 52, 101, 102, 70, 71],
            "difi": [12.0, 10.0, 11.0, 11.5, 13.0, 13.5, 14.0, 14.5],
            "muni": [0, 1, 1, 1, 0, 0, 0, 0],
            "other": ["x"] * 8,
        }
    )


def write(tmp_path, df: pd.DataFrame, name: str = "data.csv"):
    path = tmp_path / name
    lower = name.lower()
    if lower.endswith((".csv", ".csv.gz")):
        df.to_csv(path, index=False)
    elif lower.endswith((".parquet", ".pq")):
        df.to_parquet(path, index=False)
    elif lower.endswith(".dta"):
        df.to_stata(path, write_index=False)
    else:
        raise AssertionError(name)
    return path


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(UserInputError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.strip() == message, message
    return message


def load_error(tmp_path, df, columns=COLUMNS, name="data.csv", **kwargs) -> str:
    path = write(tmp_path, df, name)
    message = error_of(load_file_panel, str(path), columns, **kwargs)
    assert name in message, message
    return message


# --- happy paths ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["data.csv.gz", "data.parquet", "data.pq", "data.dta", "DATA.CSV"])
def test_formats_round_trip_to_the_same_panel(tmp_path, name):
    expected = load_file_panel(str(write(tmp_path, frame(), "base.csv")), COLUMNS)
    panel = load_file_panel(str(write(tmp_path, frame(), name)), COLUMNS)
    pd.testing.assert_frame_equal(panel.frame, expected.frame, check_exact=True)
    assert panel.sha256() == expected.sha256()
    assert panel.controls == expected.controls == ("gdp", "pop")
    assert panel.source == str(tmp_path / name)


def test_panel_has_roles_types_and_order(tmp_path):
    path = str(write(tmp_path, frame()))
    panel = load_file_panel(path, COLUMNS)
    df = panel.frame
    assert list(df.columns) == [
        "unit", "time", "outcome", "treatment", "gdp", "pop", "moderator", "municipality"
    ]
    assert df["unit"].tolist() == ["1", "1", "1", "2", "2", "2", "3", "3"]
    assert df["time"].tolist() == [2011, 2012, 2013, 2011, 2012, 2013, 2012, 2013]
    assert df["time"].dtype == np.int64 and df["municipality"].dtype == np.int64
    for column in ("outcome", "treatment", "gdp", "pop", "moderator"):
        assert df[column].dtype == np.float64
    assert df["outcome"].tolist()[:3] == [0.30, 0.31, 0.29]
    assert all(isinstance(u, str) for u in df["unit"])
    assert panel.names == {
        "unit": "city", "time": "year", "outcome": "gini", "treatment": "uil",
        "moderator": "difi", "municipality": "muni",
    }
    assert panel.source == path and not panel.has("resource_city")


def test_unbalanced_panel_is_accepted(tmp_path):
    panel = load_file_panel(str(write(tmp_path, frame())), COLUMNS)
    assert (panel.n_obs, panel.n_units, panel.periods) == (8, 3, [2011, 2012, 2013])
    assert not panel.is_balanced


def test_text_ids_and_boolean_indicator(tmp_path):
    df = frame().assign(city=lambda d: d["city"].map({1: "Beijing", 2: "Hefei", 3: "Xi'an"}))
    df["muni"] = df["muni"].astype(bool)
    panel = load_file_panel(str(write(tmp_path, df, "d.parquet")), COLUMNS)
    assert panel.frame["unit"].unique().tolist() == ["Beijing", "Hefei", "Xi'an"]
    assert panel.frame["municipality"].tolist() == [1, 1, 1, 0, 0, 0, 0, 0]


def test_float_ids_lose_the_trailing_zero():
    df = frame().assign(city=lambda d: d["city"].astype(float))
    panel = panel_from_frame(df, COLUMNS, "mem")
    assert panel.frame["unit"].unique().tolist() == ["1", "2", "3"]


def test_optional_roles_outside_used_roles_are_not_checked_or_kept(tmp_path):
    df = frame()
    df.loc[3, "difi"] = np.nan
    panel = load_file_panel(str(write(tmp_path, df)), COLUMNS, used_roles=["municipality"])
    assert not panel.has("moderator") and panel.has("municipality")
    assert "moderator" not in panel.names


def test_controls_may_be_absent():
    columns = {k: v for k, v in COLUMNS.items() if k != "controls"}
    assert panel_from_frame(frame(), columns, "mem").controls == ()


# --- read_table errors ----------------------------------------------------------------


def test_missing_file_names_path_and_suggests(tmp_path):
    write(tmp_path, frame(), "panel.csv")
    message = error_of(read_table, str(tmp_path / "panal.csv"))
    assert "panal.csv" in message and "not found" in message
    assert f"did you mean '{tmp_path / 'panel.csv'}'?" in message


def test_directory_is_refused(tmp_path):
    message = error_of(read_table, str(tmp_path))
    assert str(tmp_path) in message and "directory" in message


def test_unsupported_extension_lists_supported(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text("a,b\n1,2\n")
    message = error_of(read_table, str(path))
    assert "data.xlsx" in message and "'.xlsx'" in message
    assert all(suffix in message for suffix in SUPPORTED_SUFFIXES)


@pytest.mark.parametrize(
    "name, content, label",
    [
        ("bad.csv", b"a,b\n1,2\n3,4,5,6\n", "CSV"),
        ("bad.csv.gz", b"not gzip at all", "CSV"),
        ("bad.parquet", b"this is not parquet", "Parquet"),
        ("bad.dta", b"this is not stata", "Stata"),
    ],
)
def test_unparseable_file_says_format_and_reason(tmp_path, name, content, label):
    (tmp_path / name).write_bytes(content)
    message = error_of(read_table, str(tmp_path / name))
    assert name in message and f"as {label}:" in message
    assert len(message.split(":", 1)[1].strip()) > len(label) + 5  # a reason follows


def test_csv_reason_names_the_bad_line(tmp_path):
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3,4,5,6\n")
    assert "line 3" in error_of(read_table, str(tmp_path / "bad.csv"))


@pytest.mark.parametrize("name, content", [("e.csv", b""), ("h.csv", b"city,year,gini\n")])
def test_empty_csv_is_refused(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    message = error_of(read_table, str(tmp_path / name))
    assert name in message and ("empty" in message or "no data rows" in message)


def test_empty_parquet_is_refused(tmp_path):
    path = write(tmp_path, frame().iloc[:0], "e.parquet")
    message = error_of(read_table, str(path))
    assert "e.parquet" in message and "no data rows" in message


def test_parquet_named_index_becomes_a_column(tmp_path):
    frame().set_index("city").to_parquet(tmp_path / "i.parquet")
    panel = load_file_panel(str(tmp_path / "i.parquet"), COLUMNS)
    assert panel.n_units == 3 and panel.names["unit"] == "city"


def test_gzipped_csv_reads(tmp_path):
    with gzip.open(tmp_path / "d.csv.gz", "wt") as handle:
        frame().to_csv(handle, index=False)
    assert read_table(tmp_path / "d.csv.gz").shape == frame().shape


# --- mapping errors -------------------------------------------------------------------


@pytest.mark.parametrize("key", ["id", "time", "outcome", "treatment"])
@pytest.mark.parametrize("how", ["missing", "none", "blank"])
def test_required_key(tmp_path, key, how):
    columns = dict(COLUMNS)
    if how == "missing":
        del columns[key]
    else:
        columns[key] = None if how == "none" else " "
    message = load_error(tmp_path, frame(), columns)
    assert f"data.columns.{key} is required" in message


@pytest.mark.parametrize("key, value", [("outcome", ["gini"]), ("controls", {"gdp": 1})])
def test_mapping_values_must_be_column_names(tmp_path, key, value):
    message = load_error(tmp_path, frame(), {**COLUMNS, key: value})
    assert f"data.columns.{key} must be" in message


def test_unknown_key_is_named_with_suggestion(tmp_path):
    columns = {**COLUMNS, "moderater": "difi"}
    message = load_error(tmp_path, frame(), columns)
    assert "data.columns.moderater" in message and "data.columns.moderator?" in message


def test_misspelled_column_suggests_closest(tmp_path):
    message = load_error(tmp_path, frame(), {**COLUMNS, "outcome": "giny"})
    assert "column 'giny' (data.columns.outcome) not found in" in message
    assert "did you mean 'gini'?" in message and "Available: city, year" in message


def test_wrong_case_column_suggests_it(tmp_path):
    message = load_error(tmp_path, frame(), {**COLUMNS, "controls": ["GDP"]})
    assert "column 'GDP' (data.columns.controls)" in message and "did you mean 'gdp'?" in message


def test_long_available_list_is_truncated(tmp_path):
    df = frame().assign(**{f"extra_{i}": 0.0 for i in range(40)})
    message = load_error(tmp_path, df, {**COLUMNS, "moderator": "zzz"})
    assert "column 'zzz' (data.columns.moderator)" in message and "more)" in message
    assert "extra_39" not in message and "did you mean" not in message
    assert "data.csv. Available: city, year" in message


def test_same_column_two_roles(tmp_path):
    message = load_error(tmp_path, frame(), {**COLUMNS, "controls": ["gdp", "gini"]})
    assert "'gini'" in message and "data.columns.outcome" in message
    assert "data.columns.controls" in message


def test_control_listed_twice(tmp_path):
    message = load_error(tmp_path, frame(), {**COLUMNS, "controls": ["gdp", "gdp"]})
    assert "'gdp'" in message and "listed twice in data.columns.controls" in message


def test_control_named_like_a_panel_role(tmp_path):
    df = frame().rename(columns={"pop": "time"})
    message = load_error(tmp_path, df, {**COLUMNS, "controls": ["gdp", "time"]})
    assert "column 'time' (data.columns.controls)" in message and "rename" in message


# --- value errors ---------------------------------------------------------------------


def test_non_numeric_outcome_gives_count_row_and_value(tmp_path):
    df = frame().astype({"gini": object})
    df.loc[2, "gini"] = "0,31"
    df.loc[5, "gini"] = "high"
    message = load_error(tmp_path, df)
    assert "column 'gini' (data.columns.outcome)" in message
    assert "2 non-numeric" in message and "row 3 (line 4): '0,31'" in message


def test_non_numeric_control_in_parquet_has_no_line(tmp_path):
    df = frame().astype({"pop": str})  # a text column, as a careless export gives
    df.loc[6, "pop"] = "n.a."
    message = load_error(tmp_path, df, name="data.parquet")
    assert "column 'pop' (data.columns.controls)" in message
    assert "1 non-numeric" in message and "row 7: 'n.a.'" in message and "line" not in message


def test_time_must_be_integer(tmp_path):
    df = frame().astype({"year": float})
    df.loc[4, "year"] = 2012.5
    message = load_error(tmp_path, df)
    assert "column 'year' (data.columns.time)" in message
    assert "1 non-integer" in message and "row 5 (line 6): 2012.5" in message


def test_time_must_be_numeric(tmp_path):
    df = frame().astype({"year": str})
    df.loc[0, "year"] = "2011a"
    message = load_error(tmp_path, df, name="data.dta")
    assert "column 'year' (data.columns.time)" in message and "row 1: '2011a'" in message


def test_missing_outcome_gives_count_and_first_row(tmp_path):
    df = frame()
    df.loc[[3, 6], "gini"] = np.nan
    message = load_error(tmp_path, df)
    assert "column 'gini' (data.columns.outcome)" in message
    assert "2 missing" in message and "row 4 (line 5): missing" in message


def test_infinite_treatment(tmp_path):
    df = frame()
    df.loc[1, "uil"] = np.inf
    message = load_error(tmp_path, df, name="data.parquet")
    assert "column 'uil' (data.columns.treatment)" in message
    assert "1 infinite" in message and "row 2: inf" in message


def test_missing_mapped_moderator_is_checked_by_default(tmp_path):
    df = frame()
    df.loc[7, "difi"] = np.nan
    message = load_error(tmp_path, df)
    assert "column 'difi' (data.columns.moderator)" in message and "row 8 (line 9)" in message
    message = load_error(tmp_path, df, used_roles=["moderator"])
    assert "column 'difi' (data.columns.moderator)" in message


def test_missing_ids(tmp_path):
    df = frame().astype({"city": str})
    df.loc[4, "city"] = None
    df.loc[6, "city"] = " "
    message = load_error(tmp_path, df, name="data.parquet")
    assert "column 'city' (data.columns.id)" in message
    assert "2 missing id" in message and "row 5" in message


def test_indicator_must_be_zero_one(tmp_path):
    df = frame()
    df.loc[2, "muni"] = 2
    message = load_error(tmp_path, df)
    assert "column 'muni' (data.columns.municipality)" in message
    assert "0/1" in message and "row 3 (line 4): 2" in message


def test_indicator_must_be_constant_within_unit(tmp_path):
    df = frame()
    df.loc[5, "muni"] = 1  # city 2, first seen at row 1
    message = load_error(tmp_path, df)
    assert "column 'muni' (data.columns.municipality)" in message
    assert "constant within each unit" in message and "unit '2'" in message
    assert "rows 1 and 6 (lines 2 and 7)" in message


def test_resource_city_is_an_indicator_too(tmp_path):
    df = frame().assign(res=[0, 0, 0, 0, 0, 0, 0.5, 0.5])
    message = load_error(tmp_path, df, {**COLUMNS, "resource_city": "res"})
    assert "column 'res' (data.columns.resource_city)" in message and "row 7 (line 8)" in message


def test_duplicate_unit_time_pairs(tmp_path):
    df = pd.concat([frame(), frame().iloc[[2]]], ignore_index=True)
    message = load_error(tmp_path, df)
    assert "1 duplicated (id, time) pair" in message
    assert "'city'" in message and "'year'" in message
    assert "city '1', year 2012 at rows 3 and 9 (lines 4 and 10)" in message


def test_single_period(tmp_path):
    df = frame()
    df = df[df["year"] == 2012]
    message = load_error(tmp_path, df)
    assert "single period (2012)" in message and "column 'year' (data.columns.time)" in message


def test_constant_treatment(tmp_path):
    message = load_error(tmp_path, frame().assign(uil=0.7))
    assert "column 'uil' (data.columns.treatment)" in message and "constant" in message


def test_date_time_column_is_refused(tmp_path):
    df = frame().assign(year=pd.to_datetime(frame()["year"].astype(str) + "-01-01"))
    message = load_error(tmp_path, df, name="data.parquet")
    assert "column 'year' (data.columns.time)" in message and "dates" in message


# --- missing values: data.missing=error|drop ------------------------------------------


def test_missing_value_error_hints_drop(tmp_path):
    df = frame()
    df.loc[2, "gdp"] = np.nan
    message = load_error(tmp_path, df)
    assert "column 'gdp' (data.columns.controls)" in message and "row 3 (line 4): missing" in message
    assert "data.missing=drop" in message


def test_missing_ids_hint_drop(tmp_path):
    df = frame().astype({"city": object})
    df.loc[4, "city"] = None
    assert "data.missing=drop" in load_error(tmp_path, df)


def test_drop_leaves_out_rows_missing_a_value_in_use(tmp_path):
    df = frame()
    df.loc[[2, 5], "gdp"] = np.nan   # a control: rows 3 and 6
    df.loc[5, "gini"] = np.nan       # the same row misses the outcome too
    df.loc[7, "uil"] = np.nan        # row 8
    df.loc[0, "other"] = None        # a column the run does not use: kept
    panel = load_file_panel(str(write(tmp_path, df)), COLUMNS, missing="drop")
    assert panel.n_obs == 5 and panel.rows_read == 8
    assert panel.dropped == {"gini": 1, "uil": 1, "gdp": 2}
    assert panel.dropped_rows == (3, 6, 8)
    assert panel.missing_record() == {
        "missing": {"policy": "drop", "rows_read": 8, "rows_dropped": 3,
                    "by_column": {"gini": 1, "uil": 1, "gdp": 2}, "rows": [3, 6, 8]}
    }
    assert not panel.frame[["outcome", "treatment", "gdp"]].isna().any().any()


def test_drop_ignores_optional_roles_the_run_does_not_use(tmp_path):
    df = frame()
    df.loc[3, "difi"] = np.nan
    path = str(write(tmp_path, df))
    assert load_file_panel(path, COLUMNS, used_roles=[], missing="drop").n_obs == 8
    panel = load_file_panel(path, COLUMNS, used_roles=["moderator"], missing="drop")
    assert panel.n_obs == 7 and panel.dropped == {"difi": 1}


def test_errors_after_drop_keep_the_files_row_numbers(tmp_path):
    df = pd.concat([frame(), frame().iloc[[2]]], ignore_index=True)  # rows 3 and 9 duplicate
    df.loc[0, "pop"] = np.nan                                           # row 1 dropped first
    message = load_error(tmp_path, df, missing="drop")
    assert "rows 3 and 9 (lines 4 and 10)" in message


def test_drop_that_leaves_nothing_says_so(tmp_path):
    message = load_error(tmp_path, frame().assign(gdp=np.nan), missing="drop")
    assert "data.missing=drop leaves no rows" in message and "'gdp' 8" in message


def test_unknown_missing_policy(tmp_path):
    message = load_error(tmp_path, frame(), missing="fill")
    assert "data.missing = 'fill'" in message and "drop" in message


def test_synthetic_panels_have_no_missing_record(world_panel):
    assert world_panel.missing_record() == {}


# --- CSV dialects: data.read.sep / decimal / encoding ---------------------------------


def write_text(tmp_path, df: pd.DataFrame, name: str, **to_csv) -> str:
    path = tmp_path / name
    df.to_csv(path, index=False, **to_csv)
    return str(path)


@pytest.mark.parametrize("sep, shown, hint", [
    (";", "';'", "\"data.read.sep=';'\""),
    ("|", "'|'", "\"data.read.sep='|'\""),
    ("\t", "tab", "data.read.sep=tab"),
])
def test_other_separator_gets_a_hint(tmp_path, sep, shown, hint):
    path = write_text(tmp_path, frame(), "semi.csv", sep=sep)
    message = error_of(load_file_panel, path, COLUMNS)
    assert "column 'city' (data.columns.id) not found in" in message
    assert message.endswith(f"(the file looks {shown}-separated: set {hint})")


def test_comma_file_read_with_semicolon_gets_the_comma_hint(tmp_path):
    path = write_text(tmp_path, frame(), "comma.csv")
    message = error_of(load_file_panel, path, COLUMNS, read={"sep": ";"})
    assert "(the file looks ','-separated: set \"data.read.sep=','\")" in message


def test_no_hint_when_the_separator_is_right(tmp_path):
    path = write_text(tmp_path, frame(), "ok.csv")
    message = error_of(load_file_panel, path, {**COLUMNS, "outcome": "giny"})
    assert "looks" not in message


@pytest.mark.parametrize("sep", [";", "|", "\t", "\\t", "tab"])
def test_separator_and_decimal_comma(tmp_path, sep):
    actual = {"\\t": "\t", "tab": "\t"}.get(sep, sep)
    path = write_text(tmp_path, frame(), "eu.csv", sep=actual, decimal=",")
    panel = load_file_panel(path, COLUMNS, read={"sep": sep, "decimal": ","})
    expected = load_file_panel(str(write(tmp_path, frame())), COLUMNS)
    pd.testing.assert_frame_equal(panel.frame, expected.frame, check_exact=True)


def test_decimal_comma_without_the_option_gets_a_hint(tmp_path):
    path = write_text(tmp_path, frame(), "eu.csv", sep=";", decimal=",")
    message = error_of(load_file_panel, path, COLUMNS, read={"sep": ";"})
    assert "column 'gini' (data.columns.outcome)" in message and "'0,41'" in message
    assert "data.read.decimal=','" in message


def test_latin1_file_names_the_encoding_key_then_reads(tmp_path):
    df = frame().assign(city=lambda d: d["city"].map({1: "München", 2: "Köln", 3: "Düsseldorf"}))
    path = write_text(tmp_path, df, "latin.csv", encoding="latin-1")
    message = error_of(load_file_panel, path, COLUMNS)
    assert path in message and "data.read.encoding" in message and "line 2" in message
    panel = load_file_panel(path, COLUMNS, read={"encoding": "latin-1"})
    assert sorted(panel.frame["unit"].unique()) == ["Düsseldorf", "Köln", "München"]


def test_gzipped_latin1_csv_reads_with_the_encoding(tmp_path):
    path = tmp_path / "latin.csv.gz"
    with gzip.open(path, "wt", encoding="latin-1") as handle:
        frame().assign(city="Köln " + frame()["city"].astype(str)).to_csv(handle, index=False)
    assert "data.read.encoding" in error_of(read_table, str(path))
    assert read_table(str(path), {"encoding": "latin-1"})["city"].iloc[0] == "Köln 2"


@pytest.mark.parametrize("read, expected", [
    ({"encoding": "klingon"}, "data.read.encoding = 'klingon' is not a text encoding"),
    ({"sepp": ";"}, "unknown key data.read.sepp; did you mean data.read.sep?"),
    ({"decimal": ",,"}, "data.read.decimal must be one character"),
    ({"decimal": ","}, "data.read.decimal and the separator are both ','"),
    ({"sep": 5}, "data.read.sep must be text"),
])
def test_bad_read_options(tmp_path, read, expected):
    path = write_text(tmp_path, frame(), "d.csv")
    assert expected in error_of(read_table, path, read)


@pytest.mark.parametrize("name", ["d.parquet", "d.dta"])
def test_other_formats_ignore_sep_and_decimal(tmp_path, name):
    path = str(write(tmp_path, frame(), name))
    panel = load_file_panel(path, COLUMNS, read={"sep": ";", "decimal": ",", "encoding": "latin-1"})
    assert panel.n_obs == 8


# --- the same, end to end through python -m experiments.run ---------------------------


def test_a_european_file_end_to_end(tmp_path):
    """Latin-1, ';'-separated, decimal commas, missing controls: each problem is one line that
    says which data.* key fixes it, and the last run's record lists the rows it dropped."""
    from framework.data.synthetic import WorldKnobs, generate_world
    from tests.test_run_command import run_command

    world = generate_world(WorldKnobs(n_cities=40), seed=1).panel.frame
    df = world.rename(columns={"unit": "Stadt", "time": "Jahr", "outcome": "gini", "treatment": "uil"})
    df["Stadt"] = "Köln-" + df["Stadt"]
    df = df.drop(columns=["effect", "moderator_effect"])
    df.loc[[4, 50, 51], "GDP"] = np.nan
    path = write_text(tmp_path, df, "europa.csv", sep=";", decimal=",", encoding="latin-1")
    base = ["estimator=twfe", "data=file", f"data.path={path}", "data.columns.id=Stadt", "data.columns.time=Jahr",
            "data.columns.outcome=gini", "data.columns.treatment=uil", "data.columns.controls=[GDP,DL]"]
    steps = [
        ([], "data.read.encoding"),
        (["data.read.encoding=latin-1"], "the file looks ';'-separated: set \"data.read.sep=';'\""),
        (["data.read.encoding=latin-1", "data.read.sep=';'"], "data.read.decimal=','"),
        (["data.read.encoding=latin-1", "data.read.sep=';'", "data.read.decimal=','"], "data.missing=drop"),
    ]
    for i, (extra, expected) in enumerate(steps):
        done = run_command(*base, *extra, f"hydra.run.dir={tmp_path / str(i)}")
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1 and len(lines) == 1, done.stderr
        assert lines[0].startswith("error: ") and "europa.csv" in lines[0] and expected in lines[0], lines[0]
    final = [*steps[-1][0], "data.missing=drop"]
    done = run_command(*base, *final, f"hydra.run.dir={tmp_path / 'ok'}")
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "ok" / "result.json").read_text())
    assert record["status"] == "ok" and record["n_obs"] == 437
    assert record["spec"]["missing"] == {
        "policy": "drop", "rows_read": 440, "rows_dropped": 3, "by_column": {"GDP": 3}, "rows": [5, 51, 52]
    }
    assert record["spec"]["rows"]["data"] == 437
