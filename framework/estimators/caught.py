"""Warnings raised during a fit, sorted into what a user must see and library noise."""

from __future__ import annotations

import warnings

NOISE = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
"""Libraries telling each other about their APIs: nothing about the user's estimate."""
MAX_LINES = 5


def statistical_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """The first line of each distinct warning that is not API noise (at most ``MAX_LINES``)."""
    lines = [
        str(w.message).strip().splitlines()[0]
        for w in caught
        if not issubclass(w.category, NOISE) and str(w.message).strip()
    ]
    return sorted(set(lines))[:MAX_LINES]
