"""twfe on a public panel against linearmodels' own regressions of the same model.

linearmodels' wage panel (Vella and Verbeek 1998): 545 people (``nr``) x 8 years (``year``),
log wage on union membership with controls that the effects leave identified (``exper`` is
collinear with the year effects within a person; ``expersq`` is not). The panel goes through
the same layers as a user's file (``panel_from_frame``, ``apply_spec``), and the treatment and
every control's estimate and SE must equal ``PanelOLS`` / ``FirstDifferenceOLS`` to 1e-8.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pandas as pd
import pytest
from linearmodels import FirstDifferenceOLS, PanelOLS
from linearmodels.datasets import wage_panel

from framework.data.validate import panel_from_frame
from framework.estimators import build_estimator
from framework.spec import Spec, apply_spec
from tests.conftest import ROOT

CONTROLS = ["married", "hours", "expersq"]
COLUMNS = {"id": "nr", "time": "year", "outcome": "lwage", "treatment": "union", "controls": CONTROLS}
TERMS = {"treatment": "union", **{f"control:{c}": c for c in CONTROLS}}
REL = 1e-8
EFFECTS = {"two_way": (True, True), "unit": (True, False), "time": (False, True)}
COVARIANCES = {
    "unit": dict(cov_type="clustered", cluster_entity=True, group_debias=True),
    "time": dict(cov_type="clustered", cluster_time=True, group_debias=True),
    "two_way": dict(cov_type="clustered", cluster_entity=True, cluster_time=True, group_debias=True),
    "robust": dict(cov_type="robust"),
    "unadjusted": dict(cov_type="unadjusted"),
}
DIFFERENCES: list[float] = []
"""Every relative difference seen, for the summary test at the end."""


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return wage_panel.load()


@pytest.fixture(scope="module")
def data(raw):
    panel = panel_from_frame(raw, COLUMNS, source="wage_panel.csv")
    return apply_spec(panel, Spec())


@pytest.fixture(scope="module")
def indexed(raw) -> pd.DataFrame:
    return raw.set_index(["nr", "year"])


def settings_for(cluster: str) -> dict:
    if cluster in ("robust", "unadjusted"):
        return {"cov_type": cluster}
    return {"cov_type": "clustered", "cluster": cluster}


def fit(data, **settings):
    return build_estimator({"name": "twfe", **settings}, None, {}, 0).fit(data)


def assert_same(estimator, reference) -> None:
    got = {c.term: c for c in estimator.coefficients_}
    assert list(got) == list(TERMS)  # the treatment, then every control in the order of the covariates
    for term, column in TERMS.items():
        for ours, theirs in ((got[term].estimate, reference.params[column]), (got[term].std_error, reference.std_errors[column])):
            DIFFERENCES.append(abs(ours - theirs) / abs(theirs))
            assert ours == pytest.approx(float(theirs), rel=REL, abs=0), term
    assert estimator.diagnostics_["df_resid"] == int(reference.df_resid)
    assert estimator.diagnostics_["n_obs_used"] == int(reference.nobs)


@pytest.mark.parametrize("cluster", list(COVARIANCES))
@pytest.mark.parametrize("effects", list(EFFECTS))
def test_within_equals_panelols(data, indexed, effects, cluster):
    entity, time = EFFECTS[effects]
    reference = PanelOLS(indexed["lwage"], indexed[list(TERMS.values())], entity_effects=entity, time_effects=time)
    reference = reference.fit(**COVARIANCES[cluster])
    estimator = fit(data, effects=effects, **settings_for(cluster))
    assert_same(estimator, reference)
    assert estimator.diagnostics_["effects"] == effects and estimator.diagnostics_["weights"] is False


@pytest.mark.parametrize("cluster", ["unit", "robust", "unadjusted"])
def test_first_differences_with_unit_effects_equal_firstdifferenceols(data, indexed, cluster):
    reference = FirstDifferenceOLS(indexed["lwage"], indexed[list(TERMS.values())]).fit(**COVARIANCES[cluster])
    estimator = fit(data, fe="fd", effects="unit", **settings_for(cluster))
    assert_same(estimator, reference)
    assert estimator.diagnostics_["model"] == "FirstDifferenceOLS(no period dummies)"


def weighted(data):
    """The panel with ``hours`` as the weights column (what ``data.columns.weights=hours`` gives)."""
    return dataclasses.replace(data, frame=data.frame.assign(weights=data.frame["hours"]), names={**data.names, "weights": "hours"})


@pytest.mark.parametrize("effects", list(EFFECTS))
@pytest.mark.parametrize("cluster", ["unit", "two_way", "robust"])
def test_weights_equal_panelols_weighted(data, indexed, effects, cluster):
    entity, time = EFFECTS[effects]
    reference = PanelOLS(indexed["lwage"], indexed[list(TERMS.values())], entity_effects=entity, time_effects=time,
                         weights=indexed["hours"]).fit(**COVARIANCES[cluster])
    estimator = fit(weighted(data), effects=effects, **settings_for(cluster))
    assert_same(estimator, reference)
    assert estimator.diagnostics_["weights"] is True and estimator.diagnostics_["weights_column"] == "hours"


def test_weighted_first_differences_equal_firstdifferenceols(data, indexed):
    reference = FirstDifferenceOLS(indexed["lwage"], indexed[list(TERMS.values())], weights=indexed["hours"])
    estimator = fit(weighted(data), fe="fd", effects="unit")
    assert_same(estimator, reference.fit(**COVARIANCES["unit"]))


def test_command_line_run_on_the_csv(raw, indexed, tmp_path):
    path = tmp_path / "wage_panel.csv"
    raw.to_csv(path, index=False)
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "experiments.run", "data=file", f"data.path={path}", "data.columns.id=nr",
         "data.columns.time=year", "data.columns.outcome=lwage", "data.columns.treatment=union",
         f"data.columns.controls=[{','.join(CONTROLS)}]", "estimator=twfe", "estimator.effects=unit",
         "estimator.cluster=unit", f"hydra.run.dir={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads((out / "result.json").read_text())
    assert record["status"] == "ok", record.get("error")
    reference = PanelOLS(indexed["lwage"], indexed[list(TERMS.values())], entity_effects=True).fit(**COVARIANCES["unit"])
    got = {c["term"]: c for c in record["coefficients"]}
    assert list(got) == list(TERMS)
    for term, column in TERMS.items():
        assert got[term]["estimate"] == pytest.approx(float(reference.params[column]), rel=REL, abs=0)
        assert got[term]["std_error"] == pytest.approx(float(reference.std_errors[column]), rel=REL, abs=0)
    assert got["control:married"]["column"] == "married" and got["treatment"]["column"] == "union"
    assert record["diagnostics"]["effects"] == "unit" and record["diagnostics"]["cluster"] == "unit"
    assert record["diagnostics"]["se_type"].startswith("clustered by unit")


def test_weights_column_from_the_file_through_the_command(raw, indexed, tmp_path):
    """data.columns.weights reaches twfe as weighted least squares; a family without weights refuses."""
    path = tmp_path / "wage_panel.csv"
    raw.assign(w=raw["educ"] + 1.0).to_csv(path, index=False)
    common = [sys.executable, "-m", "experiments.run", "data=file", f"data.path={path}", "data.columns.id=nr",
              "data.columns.time=year", "data.columns.outcome=lwage", "data.columns.treatment=union",
              "data.columns.controls=[married,expersq]", "data.columns.weights=w"]
    done = subprocess.run([*common, "estimator=twfe", f"hydra.run.dir={tmp_path / 'twfe'}"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "twfe" / "result.json").read_text())
    weights = indexed["educ"] + 1.0
    reference = PanelOLS(indexed["lwage"], indexed[["union", "married", "expersq"]], entity_effects=True, time_effects=True,
                         weights=weights).fit(**COVARIANCES["unit"])
    got = {c["term"]: c for c in record["coefficients"]}
    for term, column in {"treatment": "union", "control:married": "married", "control:expersq": "expersq"}.items():
        assert got[term]["estimate"] == pytest.approx(float(reference.params[column]), rel=REL, abs=0)
        assert got[term]["std_error"] == pytest.approx(float(reference.std_errors[column]), rel=REL, abs=0)
    assert record["diagnostics"]["weights"] is True
    done = subprocess.run([*common, "estimator=dml", "learner=lasso", f"hydra.run.dir={tmp_path / 'dml'}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert done.stderr.strip() == "error: data.columns.weights = 'w' is set, but dml does not use weights; use estimator=twfe, or leave data.columns.weights unset"


def test_largest_difference_from_linearmodels():
    """Runs last: every comparison above agreed far inside the tolerance."""
    if not DIFFERENCES:
        pytest.skip("run with the comparisons above")
    print(f"\nlargest relative difference from linearmodels: {max(DIFFERENCES):.3g} over {len(DIFFERENCES)} numbers")
    assert max(DIFFERENCES) < REL
