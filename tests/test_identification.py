"""Identification guards: what no family can identify in a sample is refused before fitting,
under every family and fe choice that cannot identify it; what it barely can is warned about.

Runs go through framework.pipeline.run with configs composed as the command composes them,
on linearmodels' wage panel (545 people x 8 years) and variants of it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from linearmodels.datasets import wage_panel

from framework.data.validate import panel_from_frame
from framework.estimators.caught import statistical_warnings
from framework.estimators.identification import check_estimates
from framework.numerics.inference import Coefficient
from framework.pipeline import run
from framework.spec import Spec, apply_spec
from tests.golden.record import config_for

COLUMNS = {"id": "nr", "time": "year", "outcome": "lwage", "treatment": "union", "controls": ["married", "hours"]}
LIGHT = {
    "bayes_hier": ["estimator.draws=100", "estimator.tune=100", "estimator.chains=1", "estimator.cores=1"],
    "bayes_dml": ["estimator.draws=100", "estimator.tune=100", "estimator.chains=1", "estimator.cores=1"],
    "causal_forest": ["estimator.n_estimators=20", "estimator.crossfit_estimators=8"],
}
# (family, fe): does the model remove unit effects? (then a time-invariant treatment is not identified)
ABSORBS_UNITS = {
    ("dml", "dummies"): True, ("dml", "within"): True, ("dml", "fd"): True, ("dml", "cre"): True, ("dml", "none"): False,
    ("causal_forest", "within"): True, ("causal_forest", "cre"): True, ("causal_forest", "dummies"): True,
    ("causal_forest", "none"): False,
    ("bayes_hier", "within"): True,  # the collapsed model (the default)
    ("bayes_hier", "cre"): True, ("bayes_hier", "dummies"): True, ("bayes_hier", "random"): False, ("bayes_hier", "none"): False,
    ("bayes_dml", "within"): True, ("bayes_dml", "fd"): True, ("bayes_dml", "dummies"): True,
    ("twfe", "within"): True, ("twfe", "dummies"): True, ("twfe", "fd"): True, ("twfe", "cre"): True, ("twfe", "none"): False,
}
# bayes_hier's fe choices other than within are the explicit model's
MODEL = {("bayes_hier", fe): ["estimator.model=explicit"] for fe in ("cre", "dummies", "random", "none")}


@pytest.fixture(scope="module")
def wage():
    return wage_panel.load()


def panel_of(frame, **columns):
    return panel_from_frame(frame, {**COLUMNS, **columns}, source="wage.csv"), "sha"


def run_on(panel, family, *overrides):
    config = config_for([f"estimator={family}", "learner=lasso", *LIGHT.get(family, []), *overrides])
    return run(config, panel=panel).record


@pytest.mark.parametrize("family, fe", sorted(ABSORBS_UNITS))
def test_a_time_invariant_treatment_is_refused_where_unit_effects_absorb_it(wage, family, fe):
    record = run_on(panel_of(wage, treatment="black"), family, *MODEL.get((family, fe), []), f"estimator.fe={fe}", "split.folds=2")
    refused = "does not vary within any unit (nr) in this sample (time-invariant)"
    if ABSORBS_UNITS[(family, fe)]:
        assert record["status"] == "failed"
        assert refused in record["error"] and f"{family} with estimator.fe={fe}" in record["error"]
    else:
        assert refused not in (record["error"] or "")


def test_twfe_with_period_effects_only_estimates_a_time_invariant_treatment(wage):
    record = run_on(panel_of(wage, treatment="black"), "twfe", "estimator.effects=time")
    assert record["status"] == "ok", record["error"]


def test_a_treatment_the_same_for_every_unit_in_each_period_is_refused(wage):
    frame = wage.assign(trend=wage["year"] - 1980.0)
    record = run_on(panel_of(frame, treatment="trend"), "dml", "estimator.fe=fd")
    assert record["status"] == "failed"
    assert "trend is the same for every unit in each period of this sample" in record["error"]


def test_a_binary_treatment_in_a_single_row_is_refused(wage):
    frame = wage.assign(once=0.0)
    frame.loc[frame.index[17], "once"] = 1.0
    record = run_on(panel_of(frame, treatment="once"), "dml", "estimator.fe=none")
    assert record["status"] == "failed"
    assert "once is binary and takes its rarer value (1) in only 1 of 4360 rows" in record["error"]


def test_a_treatment_varying_within_too_few_units_is_refused(wage):
    frame = wage.assign(rare=wage["union"].where(wage["nr"].isin(wage["nr"].unique()[:3]), 0.0))
    frame["rare"] = frame.groupby("nr")["union"].transform("mean").where(~wage["nr"].isin(wage["nr"].unique()[:3]), frame["rare"])
    record = run_on(panel_of(frame, treatment="rare"), "twfe")
    assert record["status"] == "failed"
    assert "varies within only" in record["error"] and "needs at least 5" in record["error"]


def test_few_clusters_are_warned_about_and_too_few_refused(wage):
    people = wage["nr"].unique()
    twelve = panel_of(wage[wage["nr"].isin(people[:12])].reset_index(drop=True), treatment="hours", controls=["married"])
    record = run_on(twelve, "twfe", "estimator.fe=none")
    assert record["status"] == "ok", record["error"]
    assert any(w.startswith("few clusters: 12 units") for w in record["warnings"])
    four = panel_of(wage[wage["nr"].isin(people[:4])].reset_index(drop=True), treatment="hours", controls=["married"])
    record = run_on(four, "twfe", "estimator.fe=none")
    assert record["status"] == "failed"
    assert record["error"].startswith("only 4 units to cluster by in this sample")


def test_an_outcome_beyond_double_precision_is_refused_not_returned_as_nan(wage):
    record = run_on(panel_of(wage.assign(lwage=wage["lwage"] * 1e300)), "twfe")
    assert record["status"] == "failed"
    assert "column 'lwage' has values up to" in record["error"] and "rescale it" in record["error"]


def test_a_fit_with_a_non_finite_or_absurd_number_is_refused(wage):
    data = apply_spec(panel_of(wage)[0], Spec())
    with pytest.raises(ValueError, match="dml returned a non-finite standard error for union"):
        check_estimates([Coefficient("treatment", 0.1, float("nan"), None, None, None)], data, "dml")
    with pytest.raises(ValueError, match="outcome SDs per SD of union, beyond any effect"):
        check_estimates([Coefficient.normal("treatment", -68887.0, 265831.0)], data, "dml")
    check_estimates([Coefficient.normal("treatment", 0.1, 0.02)], data, "dml")


def test_library_deprecation_noise_stays_out_of_the_record():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("the default of observed=False is deprecated", FutureWarning)
        warnings.warn("old API", DeprecationWarning)
        warnings.warn("the chains did not converge", UserWarning)
    assert statistical_warnings(caught) == ["the chains did not converge"]


def test_an_ok_record_never_holds_a_non_finite_number(wage):
    for family in ("twfe", "dml"):
        record = run_on(panel_of(wage), family)
        assert record["status"] == "ok", record["error"]
        for c in record["coefficients"]:
            assert np.isfinite([c["estimate"], c["std_error"], c["ci_low"], c["ci_high"]]).all()
        assert not any("deprecat" in w.lower() for w in record["warnings"])
