"""Golden numbers: the fixed runs of tests/golden/record.py give the figures recorded there.

Every estimate, SE, interval bound, p-value and truth of the ``paper`` experiment's columns
and of runs of each family on the synthetic world (seed 0) must stay identical (up to 1e-12,
where a reorganisation changes the order of floating-point operations) on the machine that
recorded them (``tests/golden/recorded_on.txt``, written by ``record.py``).

On another processor the libraries' vector code sums in another order: linear algebra moves at
1e-10, and a tree learner can then split elsewhere, which moves an ML estimate by about 0.003
of its SE (seen between two CPU models). There each figure is held to ``ELSEWHERE`` instead: a
change in what is estimated moves far more than that.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.golden.record import CASES, FIELDS, GOLDEN, RECORDED_ON, machine, run_case

TOLERANCE = 1e-12
ELSEWHERE = {"estimate": 0.02, "ci_low": 0.02, "ci_high": 0.02, "std_error": 0.02, "p_value": 0.05}
"""Off the recording machine: estimate and interval bounds within this share of the recorded SE,
the SE within this share of itself, the p-value within this share of itself or 0.001; the truth
(not estimated) still to 1e-12."""
SAME_MACHINE = RECORDED_ON.exists() and RECORDED_ON.read_text().strip() == machine()
MCMC_SD_SHARE = {"estimate": 0.1, "std_error": 0.1, "ci_low": 0.3, "ci_high": 0.3}
"""nutpie's draws for one seed were seen to differ at ~1e-8 between pytest processes on a loaded
machine, which a short chain can amplify into another realisation; the Bayesian cases are held
to Monte Carlo precision in posterior SDs (0.1 for the mean and the SD, 0.3 for the 2.5/97.5 %
quantiles) instead of 1e-12. Standalone runs reproduce the recorded draws exactly."""
MCMC_CASES = ("bayes_hier_",)
GOLDEN_NUMBERS = json.loads(GOLDEN.read_text())


def same(value, expected, sd=None, field=None) -> bool:
    if value is None or expected is None:
        return value is expected
    if not SAME_MACHINE and sd and field in ELSEWHERE:
        share = ELSEWHERE[field]
        if field == "p_value":
            return abs(value - expected) <= max(share * abs(expected), 1e-3)
        return abs(value - expected) <= share * (sd if field != "std_error" else abs(expected))
    return math.isclose(value, expected, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def same_draws(value, expected, sd, field) -> bool:
    if field not in MCMC_SD_SHARE:  # the truth does not come from the draws
        return same(value, expected, sd, field)
    if value is None or expected is None:
        return value is expected
    return abs(value - expected) <= MCMC_SD_SHARE[field] * sd


def test_golden_file_covers_every_case():
    assert set(GOLDEN_NUMBERS) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_numbers_unchanged(name):
    expected = GOLDEN_NUMBERS[name]
    got = run_case(name)
    assert got["n_obs"] == expected["n_obs"]
    # every recorded term is still there (families may report more, e.g. control coefficients)
    assert set(expected["coefficients"]) <= set(got["coefficients"])
    mcmc = name.startswith(MCMC_CASES)
    moved = [
        f"{term}.{field}: {got['coefficients'][term][field]!r} != {expected['coefficients'][term][field]!r}"
        for term in expected["coefficients"]
        for field in FIELDS
        if not (same_draws if mcmc else same)(got["coefficients"][term][field], expected["coefficients"][term][field],
                                              expected["coefficients"][term]["std_error"], field)
    ]
    assert not moved, f"{name}: " + "; ".join(moved)
