"""Numbers, stars and slugs as the report writes them.

Escaping for the three formats (HTML, Markdown, LaTeX) lives in
:mod:`framework.rendering.escape`; its functions and :func:`is_missing` are re-exported here
for the report's modules.
"""

from __future__ import annotations

import math
import re
from typing import Any

from framework.rendering.escape import escape_html, escape_latex, escape_md, is_missing

__all__ = [
    "DAGGER", "coefficient", "escape_html", "escape_latex", "escape_md", "in_parens", "is_missing", "number", "seconds",
    "share", "significant", "slug", "stars",
]

DAGGER = "\u2020"  # marks an estimate whose interval is a credible interval (no p-value, no stars)


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


def slug(value: Any, fallback: str = "x") -> str:
    """A file-name-safe ASCII slug."""
    text = re.sub(r"[^A-Za-z0-9]+", "-", "" if is_missing(value) else str(value)).strip("-").lower()
    return text[:60] or fallback
