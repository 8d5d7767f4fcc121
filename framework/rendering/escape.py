"""Escaping for the three output formats (HTML, Markdown, LaTeX).

Everything a user can type (spec labels, run directories, error messages, learner names)
passes through one of the ``escape_*`` functions before it reaches a file. A missing value
(None, NaN) becomes the empty string.
"""

from __future__ import annotations

import html
import re
from typing import Any


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pd.NA-safe enough for scalars
    except (TypeError, ValueError):
        return False


def escape_html(value: Any) -> str:
    return html.escape("" if is_missing(value) else str(value), quote=True)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def escape_md(value: Any) -> str:
    """Text for a Markdown table cell: one line, HTML-significant characters as entities,
    Markdown's inline marks and the pipe backslash-escaped."""
    text = "" if is_missing(value) else " ".join(str(value).split())
    text = html.escape(text, quote=False)
    return _MD_SPECIAL.sub(r"\\\1", text)


_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "\u2020": r"\textsuperscript{\dag}",  # the dagger (the report's mark of a credible interval)
    "\u2212": "$-$",
    "\u00d7": r"$\times$",
    "\u2013": "--",
    "\u2014": "---",
    "\u2265": r"$\geq$",
    "\u2264": r"$\leq$",
}
_LEADING_MINUS = re.compile(r"(?<![\w.])-(?=\d|\.\d)")


def escape_latex(value: Any) -> str:
    """Text for LaTeX: the special characters escaped, a minus before a number as ``$-$``."""
    text = "" if is_missing(value) else " ".join(str(value).split())
    out = "".join(_LATEX.get(ch, ch) for ch in text)
    return _LEADING_MINUS.sub("$-$", out)
