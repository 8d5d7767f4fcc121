"""Loading a user's data file as a validated :class:`Panel` (``data=file``)."""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping

from framework.data.files import ReadOptions, read_table, separator_hint
from framework.data.panel import Panel
from framework.data.validate import panel_from_frame


def load_file_panel(
    path: str | os.PathLike,
    columns: Mapping[str, Any] | None,
    used_roles: Iterable[str] | None = None,
    read: ReadOptions | Mapping[str, Any] | None = None,
    missing: str | None = "error",
) -> Panel:
    """Read ``path`` (CSV, Parquet or Stata) and validate it against ``data.columns``.

    ``read`` is ``data.read`` (a CSV's ``sep``, ``decimal``, ``encoding``; other formats ignore
    it) and ``missing`` is ``data.missing`` (``error``, the default, or ``drop``). The panel's
    ``source`` is the path exactly as the user gave it, and every
    :class:`~framework.errors.UserInputError` names it. ``used_roles`` is passed on to
    :func:`~framework.data.validate.panel_from_frame` (default: every mapped optional role).
    """
    source = os.fspath(path)
    options = ReadOptions.from_config(read)
    frame = read_table(source, options)
    return panel_from_frame(
        frame,
        columns,
        source=source,
        used_roles=used_roles,
        missing="error" if missing is None else missing,
        not_found_hint=separator_hint(source, options),
    )
