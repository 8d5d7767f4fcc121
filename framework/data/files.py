"""Reading a user's data file into a :class:`pandas.DataFrame`.

:func:`read_table` picks the reader from the file name (case-insensitive):

=====================  ===========================================================
``.csv``, ``.csv.gz``  :func:`pandas.read_csv` (first line is the header)
``.parquet``, ``.pq``  :func:`pandas.read_parquet` (a stored named index becomes columns)
``.dta``               :func:`pandas.read_stata` with value labels *not* applied, so
                       labelled numeric columns (0/1 indicators, coded ids) stay numeric
=====================  ===========================================================

CSV dialects (``data.read``, :class:`ReadOptions`): ``sep`` (the field separator, default
``,``; ``tab`` or ``\\t`` for tabs), ``decimal`` (the decimal mark, default ``.``) and
``encoding`` (default UTF-8). ``None`` means pandas' default. Parquet and Stata files carry
their own types and text encoding, so they ignore all three.

Every problem the user can fix -- no such file, a directory, an unsupported extension, a
file the reader cannot parse, a file in another text encoding, a table without rows --
raises :class:`~framework.errors.UserInputError` with one line that names the path. A CSV
that looks separated by something other than the separator in use gets a hint
(:func:`separator_hint`) on its parse errors, and :mod:`framework.data.validate` adds the
same hint when a mapped column is not found. Nothing here knows about roles;
:mod:`framework.data.validate` turns the frame into a panel.
"""

from __future__ import annotations

import codecs
import difflib
import gzip
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from framework.errors import UserInputError, show_value

SEPARATOR_CANDIDATES = (",", ";", "\t", "|")
"""Separators :func:`separator_hint` looks for in a CSV's header line."""
_TAB_ALIASES = ("\t", "\\t", "tab", "TAB")  # a tab, a typed backslash-t, the word


@dataclass(frozen=True)
class ReadOptions:
    """How to read a CSV (``data.read``); ``None`` = pandas' default. Other formats ignore it."""

    sep: str | None = None
    decimal: str | None = None
    encoding: str | None = None

    @classmethod
    def from_config(cls, read: "ReadOptions | Mapping[str, Any] | None") -> "ReadOptions":
        """Check ``data.read``; raises :class:`UserInputError` (one line) on a bad key or value."""
        if read is None or isinstance(read, ReadOptions):
            return read or cls()
        if not isinstance(read, Mapping):
            raise UserInputError(f"data.read must be a mapping with keys sep, decimal, encoding; got {show_value(read)}")
        known = ("sep", "decimal", "encoding")
        for key in read:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"; did you mean data.read.{close[0]}?" if close else ""
                raise UserInputError(f"unknown key data.read.{key}{hint} Known keys: {', '.join(known)}")
        values = {}
        for key in known:
            value = read.get(key)
            if value is not None and (not isinstance(value, str) or value == ""):
                raise UserInputError(f"data.read.{key} must be text (or null for the default), got {show_value(value)}")
            values[key] = value
        sep, decimal, encoding = values["sep"], values["decimal"], values["encoding"]
        if sep in _TAB_ALIASES:
            sep = "\t"
        if decimal is not None and len(decimal) != 1:
            raise UserInputError(f"data.read.decimal must be one character, e.g. data.read.decimal=','; got {show_value(decimal)}")
        if decimal is not None and decimal == (sep or ","):
            raise UserInputError(
                f"data.read.decimal and the separator are both {show_value(decimal)}; "
                f"a file with decimal commas is usually ';'-separated: set data.read.sep=';'"
            )
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise UserInputError(
                    f"data.read.encoding = {show_value(encoding)} is not a text encoding Python knows "
                    f"(e.g. utf-8, latin-1, cp1252, gbk, utf-16)"
                ) from None
        return cls(sep=sep, decimal=decimal, encoding=encoding)

    def csv_arguments(self) -> dict[str, Any]:
        given = {"sep": self.sep, "decimal": self.decimal, "encoding": self.encoding}
        arguments = {key: value for key, value in given.items() if value is not None}
        if self.sep is not None and len(self.sep) > 1:
            arguments["engine"] = "python"  # pandas reads a longer separator as a regular expression
        return arguments


def _is_csv(path: Path) -> bool:
    return path.name.lower().endswith((".csv", ".csv.gz"))


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _sep_override(sep: str) -> str:
    """The override that sets ``sep``, quoted so that it can be pasted into a shell as is."""
    return "data.read.sep=tab" if sep == "\t" else f"\"data.read.sep='{sep}'\""


def separator_hint(path: str | os.PathLike, options: ReadOptions | None = None) -> str:
    """`` (the file looks ';'-separated: set "data.read.sep=';'")`` when the CSV's header line
    holds more of another separator (``;``, tab, ``|``, ``,``) than of the one in use; else ``''``."""
    file = Path(os.fspath(path)).expanduser()
    options = options or ReadOptions()
    if not _is_csv(file):
        return ""
    try:
        with _open_bytes(file) as stream:
            head = stream.read(1 << 16)
    except (OSError, EOFError, gzip.BadGzipFile):
        return ""
    try:
        text = head.decode(options.encoding or "utf-8", errors="replace")
    except LookupError:
        return ""
    header = next((line for line in text.splitlines() if line.strip()), "")
    used = options.sep or ","
    counts = {sep: header.count(sep) for sep in SEPARATOR_CANDIDATES if sep != used}
    best = max(counts, key=counts.get, default=None)
    if best is None or counts[best] == 0 or counts[best] <= header.count(used):
        return ""
    what = "tab" if best == "\t" else f"'{best}'"
    return f" (the file looks {what}-separated: set {_sep_override(best)})"


def _encoding_error(path: Path, given: str, options: ReadOptions, error: UnicodeDecodeError) -> UserInputError:
    """One line: which encoding failed, where in the file, and ``data.read.encoding``."""
    encoding = options.encoding or "utf-8"
    where = ""
    try:
        with _open_bytes(path) as stream:
            raw = stream.read()
        try:
            raw.decode(encoding)
        except UnicodeDecodeError as located:
            line = raw[: located.start].count(b"\n") + 1
            where = f" (byte 0x{raw[located.start]:02x} on line {line})"
    except (OSError, EOFError, LookupError):
        pass
    example = "latin-1" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else "utf-8"
    return UserInputError(
        f"cannot read data file '{given}': it is not valid {encoding} text{where}; set data.read.encoding "
        f"to the file's encoding, e.g. data.read.encoding={example} (or cp1252, gbk, utf-16)"
    )


def _read_csv(path: Path, options: ReadOptions) -> pd.DataFrame:
    return pd.read_csv(path, low_memory=False, **options.csv_arguments())


def _read_parquet(path: Path, options: ReadOptions) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    return frame


def _read_stata(path: Path, options: ReadOptions) -> pd.DataFrame:
    return pd.read_stata(path, convert_categoricals=False)


# (suffix, format name, reader), matched case-insensitively against the end of the file name.
FORMATS: tuple[tuple[str, str, Callable[[Path, ReadOptions], pd.DataFrame]], ...] = (
    (".csv.gz", "CSV", _read_csv),
    (".csv", "CSV", _read_csv),
    (".parquet", "Parquet", _read_parquet),
    (".pq", "Parquet", _read_parquet),
    (".dta", "Stata", _read_stata),
)
SUPPORTED_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet", ".pq", ".dta")


def _short_reason(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = lines[0] if lines else type(error).__name__
    return reason if len(reason) <= 200 else reason[:197] + "..."


def _not_found(path: Path, given: str) -> UserInputError:
    where = "" if path.is_absolute() else f" (looked for {path.absolute()})"
    hint = ""
    if path.parent.is_dir():
        siblings = [p.name for p in path.parent.iterdir() if p.is_file()]
        close = difflib.get_close_matches(path.name, siblings, n=1, cutoff=0.6)
        if close:
            hint = f"; did you mean '{Path(given).with_name(close[0])}'?"
    return UserInputError(f"data file '{given}' not found{where}{hint}")


def read_table(path: str | os.PathLike, read: ReadOptions | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Read a CSV, Parquet or Stata file into a DataFrame with a fresh 0..n-1 index.

    ``read`` (``data.read``: ``sep``, ``decimal``, ``encoding``) applies to CSV files only.
    Raises :class:`UserInputError` (one line, naming ``path``) when the file is missing, is a
    directory, has an unsupported extension, cannot be parsed (the format and the reader's
    first line of complaint are given, plus a separator hint where one applies), is not text
    in the encoding in use (``data.read.encoding`` is named), or holds no rows or no columns.
    """
    options = ReadOptions.from_config(read)
    given = os.fspath(path)
    file = Path(given).expanduser()
    if not file.exists():
        raise _not_found(file, given)
    if file.is_dir():
        raise UserInputError(
            f"data path '{given}' is a directory; data.path must name a CSV, Parquet or "
            f"Stata file ({', '.join(SUPPORTED_SUFFIXES)})"
        )
    lower = file.name.lower()
    match = next(((label, read) for suffix, label, read in FORMATS if lower.endswith(suffix)), None)
    if match is None:
        found = f"'{''.join(file.suffixes)}'" if file.suffixes else "no extension"
        raise UserInputError(
            f"cannot read data file '{given}': unsupported file type ({found}); "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    label, reader = match
    try:
        frame = reader(file, options)
    except pd.errors.EmptyDataError:
        raise UserInputError(f"data file '{given}' is empty (no header, no rows)") from None
    except PermissionError as error:
        raise UserInputError(f"cannot open data file '{given}': {_short_reason(error)}") from None
    except UnicodeDecodeError as error:
        raise _encoding_error(file, given, options, error) from None
    except Exception as error:  # whatever the reader raises on a malformed file
        hint = separator_hint(file, options) if label == "CSV" else ""
        raise UserInputError(
            f"cannot read data file '{given}' as {label}: {_short_reason(error)}{hint}"
        ) from None
    if frame.shape[1] == 0:
        raise UserInputError(f"data file '{given}' has no columns")
    if frame.shape[0] == 0:
        raise UserInputError(
            f"data file '{given}' has no data rows (columns: "
            f"{', '.join(map(str, frame.columns[:10]))}{', ...' if frame.shape[1] > 10 else ''})"
        )
    return frame.reset_index(drop=True)
