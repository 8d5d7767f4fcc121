"""Numbers, stars and escaping for the three report formats (HTML, Markdown, LaTeX).

Everything a user can type (spec labels, run directories, error messages, learner names)
passes through one of the ``escape_*`` functions before it reaches a file.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

DAGGER = "\u2020"  # marks an estimate whose interval is a credible interval (no p-value, no stars)


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pd.NA-safe enough for scalars
    except (TypeError, ValueError):
        return False


def number(value: Any, digits: int = 3) -> str:
    """A coefficient-like number: ``digits`` decimals, more for small values (two significant)."""
    if is_missing(value):
        return ""
    x = float(value)
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return f"{0:.{digits}f}"
    decimals = max(digits, min(8, -math.floor(math.log10(abs(x))) + 1))
    return f"{x:.{decimals}f}"


def seconds(value: Any) -> str:
    if is_missing(value):
        return ""
    x = float(value)
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def share(value: Any) -> str:
    return "" if is_missing(value) else f"{100 * float(value):.0f} %"


def stars(p_value: Any) -> str:
    """``***`` p < 0.01, ``**`` p < 0.05, ``*`` p < 0.1 (a p-value on a boundary gets the weaker mark)."""
    if is_missing(p_value):
        return ""
    p = float(p_value)
    if p < 0.01:
        return "***"
    if p < 0.05:
        return "**"
    if p < 0.1:
        return "*"
    return ""


def significant(p_value: Any, ci_low: Any, ci_high: Any, level: float = 0.05) -> bool | None:
    """Significant at 5 %: p < 0.05, or, without a p-value (credible intervals), 0 outside the 95 % interval."""
    if not is_missing(p_value):
        return float(p_value) < level
    if is_missing(ci_low) or is_missing(ci_high):
        return None
    return float(ci_low) > 0 or float(ci_high) < 0


def coefficient(estimate: Any, p_value: Any, interval: Any = "confidence") -> str:
    """``-0.099***``; a credible-interval estimate gets a dagger instead of stars."""
    if is_missing(estimate):
        return ""
    if interval == "credible":
        return number(estimate) + DAGGER
    return number(estimate) + stars(p_value)


def in_parens(value: Any) -> str:
    return "" if is_missing(value) else f"({number(value)})"


# --- escaping -----------------------------------------------------------------------------------
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
    DAGGER: r"\textsuperscript{\dag}",
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


def slug(value: Any, fallback: str = "x") -> str:
    """A file-name-safe ASCII slug."""
    text = re.sub(r"[^A-Za-z0-9]+", "-", "" if is_missing(value) else str(value)).strip("-").lower()
    return text[:60] or fallback
