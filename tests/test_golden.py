"""Golden numbers: the fixed runs of tests/golden/record.py give the figures recorded there.

Every estimate, SE, interval bound, p-value and truth of the ``paper`` experiment's columns
and of runs of each family on the synthetic world (seed 0) must stay identical (up to 1e-12,
where a reorganisation changes the order of floating-point operations).
"""

from __future__ import annotations

import json
import math

import pytest

from tests.golden.record import CASES, FIELDS, GOLDEN, run_case

TOLERANCE = 1e-12
GOLDEN_NUMBERS = json.loads(GOLDEN.read_text())


def same(value, expected) -> bool:
    if value is None or expected is None:
        return value is expected
    return math.isclose(value, expected, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def test_golden_file_covers_every_case():
    assert set(GOLDEN_NUMBERS) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_numbers_unchanged(name):
    expected = GOLDEN_NUMBERS[name]
    got = run_case(name)
    assert got["n_obs"] == expected["n_obs"]
    # every recorded term is still there (families may report more, e.g. control coefficients)
    assert set(expected["coefficients"]) <= set(got["coefficients"])
    moved = [
        f"{term}.{field}: {got['coefficients'][term][field]!r} != {expected['coefficients'][term][field]!r}"
        for term in expected["coefficients"]
        for field in FIELDS
        if not same(got["coefficients"][term][field], expected["coefficients"][term][field])
    ]
    assert not moved, f"{name}: " + "; ".join(moved)
