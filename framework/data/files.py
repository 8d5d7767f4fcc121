"""Reading a user's data file into a :class:`pandas.DataFrame`.

:func:`read_table` picks the reader from the file name (case-insensitive):

=====================  ===========================================================
``.csv``, ``.csv.gz``  :func:`pandas.read_csv` (first line is the header)
``.parquet``, ``.pq``  :func:`pandas.read_parquet` (a stored named index becomes columns)
``.dta``               :func:`pandas.read_stata` with value labels *not* applied, so
                       labelled numeric columns (0/1 indicators, coded ids) stay numeric
=====================  ===========================================================

Every problem the user can fix -- no such file, a directory, an unsupported extension, a
file the reader cannot parse, a table without rows -- raises
:class:`~framework.errors.UserInputError` with one line that names the path. Nothing here
knows about roles; :mod:`framework.data.validate` turns the frame into a panel.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Callable

import pandas as pd

from framework.errors import UserInputError


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, low_memory=False)


def _read_parquet(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    return frame


def _read_stata(path: Path) -> pd.DataFrame:
    return pd.read_stata(path, convert_categoricals=False)


# (suffix, format name, reader), matched case-insensitively against the end of the file name.
FORMATS: tuple[tuple[str, str, Callable[[Path], pd.DataFrame]], ...] = (
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


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV, Parquet or Stata file into a DataFrame with a fresh 0..n-1 index.

    Raises :class:`UserInputError` (one line, naming ``path``) when the file is missing, is a
    directory, has an unsupported extension, cannot be parsed (the format and the reader's
    first line of complaint are given), or holds no rows or no columns.
    """
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
    label, read = match
    try:
        frame = read(file)
    except pd.errors.EmptyDataError:
        raise UserInputError(f"data file '{given}' is empty (no header, no rows)") from None
    except PermissionError as error:
        raise UserInputError(f"cannot open data file '{given}': {_short_reason(error)}") from None
    except Exception as error:  # whatever the reader raises on a malformed file
        raise UserInputError(
            f"cannot read data file '{given}' as {label}: {_short_reason(error)}"
        ) from None
    if frame.shape[1] == 0:
        raise UserInputError(f"data file '{given}' has no columns")
    if frame.shape[0] == 0:
        raise UserInputError(
            f"data file '{given}' has no data rows (columns: "
            f"{', '.join(map(str, frame.columns[:10]))}{', ...' if frame.shape[1] > 10 else ''})"
        )
    return frame.reset_index(drop=True)
