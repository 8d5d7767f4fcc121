"""An estimator from another package: entry point + Hydra search-path plugin (examples/plugin).

The plugin is "installed" the way pip would leave it, without pip: its sources and a
``*.dist-info`` directory (METADATA, entry_points.txt from its pyproject.toml) in a temporary
directory that only the subprocesses get on their PYTHONPATH, so nothing leaks into this
process or the environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from linearmodels import PooledOLS

from framework.data.synthetic import WorldKnobs, generate_world
from framework.errors import UserInputError
from framework.estimators import available
from framework.spec import Spec, apply_spec
from tests.conftest import ROOT

PLUGIN = ROOT / "examples" / "plugin"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A directory holding the plugin as an installed distribution (sources + dist-info)."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(PLUGIN / "src", root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    dist = root / f"gini_uil_naive_ols-{project['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    groups = [
        "\n".join([f"[{group}]", *(f"{name} = {value}" for name, value in entries.items())])
        for group, entries in project["entry-points"].items()
    ]
    (dist / "entry_points.txt").write_text("\n\n".join(groups) + "\n")
    assert project["entry-points"]["framework.estimators"] == {"naive_ols": "gini_uil_naive_ols:NaiveOLS"}
    assert not (root / "hydra_plugins" / "__init__.py").exists()  # a namespace package, shared with other plugins
    return root


def run(args: list[str], site: Path | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_estimator_naive_ols_runs_from_the_command_line(site, tmp_path):
    done = run(
        ["-m", "experiments.run", "estimator=naive_ols", "learner=lightgbm", "data.world.n_cities=30", f"hydra.run.dir={tmp_path}"],
        site,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "result.json").read_text())
    assert record["status"] == "ok" and record["error"] is None
    assert record["estimator"] == "naive_ols" and record["spec"]["fe"] == "none"
    assert record["config"]["estimator"] == {"name": "naive_ols", "fe": "none"}  # its own config, from the plugin
    (coef,) = record["coefficients"]
    assert coef["term"] == "treatment" and np.isfinite(coef["std_error"]) and coef["truth"] is not None
    assert record["diagnostics"]["se_type"].startswith("HC1")


def test_listing_shows_the_plugin_with_its_config(site):
    done = run(["-m", "experiments.list"], site)
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.split()[:1] == ["naive_ols"]]
    assert "naive baseline" in line and "no estimator/naive_ols.yaml" not in line
    assert any(line.split()[:1] == ["twfe"] for line in done.stdout.splitlines())


def test_without_the_plugin_path_nothing_leaks_and_unknown_names_fail_in_one_line(tmp_path):
    assert "naive_ols" not in available()  # this process never had the plugin on its path
    done = run(["-m", "experiments.run", "estimator.name=nonesuch", "data.world.n_cities=30", f"hydra.run.dir={tmp_path}"])
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: unknown estimator 'nonesuch'; registered: ")
    registered = line.split("registered: ", 1)[1].split(", ")
    assert {"dml", "twfe"} <= set(registered) and "naive_ols" not in registered
    record = json.loads((tmp_path / "result.json").read_text())
    assert record["status"] == "failed" and record["error"] == line.removeprefix("error: ")


def load_plugin_module():
    """The plugin module straight from examples/plugin/src, without touching sys.path or sys.modules."""
    spec = importlib.util.spec_from_file_location("_naive_ols_under_test", PLUGIN / "src" / "gini_uil_naive_ols" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_naive_ols_is_pooled_ols_with_hc1_errors():
    NaiveOLS = load_plugin_module().NaiveOLS
    panel = generate_world(WorldKnobs(n_cities=30), seed=3).panel
    data = apply_spec(panel, Spec.from_config({"moderation": {"name": "centered"}}))
    estimator = NaiveOLS.from_config({"name": "naive_ols", "fe": "none"}).fit(data)
    frame = data.frame.set_index(["unit", "time"])
    columns = [data.terms[t] for t in data.terms] + list(data.covariates)
    exog = frame[columns].assign(const=1.0)
    reference = PooledOLS(frame["outcome"], exog).fit(cov_type="robust", debiased=True)  # n/(n-k): HC1
    assert [c.term for c in estimator.coefficients_] == ["treatment", "moderator", "treatment_x_moderator"]
    for c, column in zip(estimator.coefficients_, columns):
        assert c.estimate == pytest.approx(reference.params[column], abs=1e-10)
        assert c.std_error == pytest.approx(reference.std_errors[column], rel=1e-8)
    with pytest.raises(UserInputError, match="estimator.fe = 'within' is not accepted by naive_ols"):
        NaiveOLS.check_config({"name": "naive_ols", "fe": "within"})  # the registry checks before from_config


def test_listing_in_process_has_estimators_and_learners():
    from experiments.list import lines

    out = lines()
    assert out[0].startswith("estimators")
    by_name = {line.split()[0]: line for line in out if line.startswith("  ")}
    assert "dml" in by_name and "twfe" in by_name and "naive_ols" not in by_name
    assert "[no estimator/twfe.yaml" not in by_name["twfe"]
    assert "sklearn.ensemble.GradientBoostingRegressor" in by_name["gbdt"] and "as in the paper" in by_name["gbdt"]
    assert "make_pipeline(StandardScaler, LassoCV)" in by_name["lasso"]
    # aligned: the second column starts at the same place on every estimator line
    estimators = out[1 : out.index("learners (learner=<name>):")]
    assert len({line.index(line.split()[1], 2 + len(line.split()[0])) for line in estimators}) == 1
