"""The nuisance cache: the same numbers as without it, and a miss whenever a learner's inputs change."""

from __future__ import annotations

import numpy as np
import pytest

from framework.cache import NuisanceCache, fingerprint
from framework.data.synthetic import WorldKnobs, generate_world
from framework.estimators import build_estimator
from framework.pipeline import run
from framework.spec import Spec, apply_spec
from tests.conftest import learner_config


@pytest.fixture(scope="module")
def panel():
    return generate_world(WorldKnobs(n_cities=30), seed=0).panel


def data_for(panel, **spec):
    return apply_spec(panel, Spec.from_config(spec))


def fit(data, cache, fe="fd", learner=None, folds=5, n_rep=1, seed=0, score="partialling out"):
    estimator = build_estimator(
        {"name": "dml", "fe": fe, "score": score}, learner or learner_config("lightgbm", seed), {"folds": folds, "n_rep": n_rep}, seed
    )
    estimator.nuisance_cache = cache
    return estimator.fit(data)


def numbers(estimator):
    return [(c.term, c.estimate, c.std_error) for c in estimator.coefficients_]


@pytest.mark.parametrize(
    "fe, moderation, n_rep",
    [("fd", "none", 1), ("cre", "none", 2), ("dummies", "normalized", 1), ("none", "centered", 1)],
)
def test_cached_runs_give_bit_identical_numbers(panel, tmp_path, fe, moderation, n_rep):
    data = data_for(panel, moderation={"name": moderation})
    plain = fit(data, None, fe=fe, n_rep=n_rep)
    first = fit(data, NuisanceCache(tmp_path), fe=fe, n_rep=n_rep)
    second = fit(data, NuisanceCache(tmp_path), fe=fe, n_rep=n_rep)
    assert plain.diagnostics_["nuisance_cache"] == {"status": "off"}
    assert first.diagnostics_["nuisance_cache"]["status"] == "miss"
    assert second.diagnostics_["nuisance_cache"]["status"] == "hit"
    assert numbers(plain) == numbers(first) == numbers(second)
    assert plain.diagnostics_["nuisance_rmse"] == second.diagnostics_["nuisance_rmse"]
    assert plain.diagnostics_["doubleml_std_error"] == second.diagnostics_["doubleml_std_error"]


def test_any_change_in_what_the_learners_see_misses(panel, tmp_path):
    data = data_for(panel)
    fit(data, NuisanceCache(tmp_path))
    tweaked = {**learner_config("lightgbm", 0), "n_estimators": 50}
    changes = {
        "learner parameter": dict(learner=tweaked),
        "learner": dict(learner=learner_config("gbdt", 0)),
        "folds": dict(folds=4),
        "repetitions": dict(n_rep=2),
        "seed": dict(seed=1),
        "approach": dict(fe="within"),
    }
    for change, kwargs in changes.items():
        cache = NuisanceCache(tmp_path)
        fit(data, cache, **kwargs)
        assert (cache.hits_, cache.misses_ > 0) == (0, True), change
    for change, other in {"window": data_for(panel, window={"start": 2011, "end": 2016}),
                          "sample": data_for(panel, sample={"name": "winsor_1_99", "winsorize": [0.01, 0.99]})}.items():
        cache = NuisanceCache(tmp_path)
        fit(other, cache)
        assert cache.hits_ == 0 and cache.misses_ > 0, change
    cache = NuisanceCache(tmp_path)
    fit(data_for(generate_world(WorldKnobs(n_cities=30), seed=1).panel), cache)
    assert cache.hits_ == 0, "other data"


def test_a_final_stage_option_reuses_the_learners_it_shares(panel, tmp_path):
    data = data_for(panel, controls={"name": "paper"})
    fit(data, NuisanceCache(tmp_path), fe="dummies")
    cache = NuisanceCache(tmp_path)
    iv = fit(data, cache, fe="dummies", score="IV-type")
    # E[Y|X] and E[D|X] come from the cache; only the IV-type score's own learner is fitted
    assert (cache.hits_, cache.misses_) == (2, 1)
    assert iv.diagnostics_["nuisance_cache"]["status"] == "partial"
    assert numbers(iv) == numbers(fit(data, None, fe="dummies", score="IV-type"))


def test_the_pipeline_builds_the_cache_from_config(tmp_path):
    config = {
        "seed": 0,
        "data": {"kind": "synthetic", "world": {"n_cities": 30}},
        "estimator": {"name": "dml", "fe": "fd"},
        "learner": learner_config("lightgbm", 0),
        "split": {"folds": 5, "n_rep": 1},
    }
    off = run({**config, "cache": {"nuisance": False, "dir": str(tmp_path)}}, debug=True).record
    assert off["diagnostics"]["nuisance_cache"] == {"status": "off"}
    assert not list(tmp_path.iterdir())
    on = {**config, "cache": {"nuisance": True, "dir": str(tmp_path)}}
    first, second = run(on, debug=True).record, run(on, debug=True).record
    assert first["diagnostics"]["nuisance_cache"]["status"] == "miss"
    assert second["diagnostics"]["nuisance_cache"]["status"] == "hit"
    assert first["coefficients"] == second["coefficients"] == off["coefficients"]
    # no config section at all: no cache
    assert run(config, debug=True).record["diagnostics"]["nuisance_cache"] == {"status": "off"}


def test_entries_are_whole_files_and_an_unreadable_one_is_a_miss(tmp_path):
    cache = NuisanceCache(tmp_path)
    arrays = {"predictions": np.arange(6.0).reshape(3, 2), "targets": np.ones((3, 2))}
    cache.store("k", arrays)
    assert [p.name for p in tmp_path.iterdir()] == ["k.npz"]  # no temporary file left behind
    loaded = cache.load("k")
    assert all(np.array_equal(loaded[name], arrays[name]) for name in arrays)
    whole = cache.path("k").read_bytes()
    cache.path("k").write_bytes(b"torn")
    assert cache.load("k") is None and (cache.hits_, cache.misses_) == (1, 1)
    cache.path("k").write_bytes(whole[: len(whole) // 2])  # a zip cut short, as a killed writer leaves it
    assert cache.load("k") is None and (cache.hits_, cache.misses_) == (1, 2)


def test_fingerprint_tells_values_shapes_and_types_apart():
    a = np.arange(6.0)
    assert fingerprint(a) == fingerprint(a.copy())
    assert fingerprint(a) != fingerprint(a.reshape(2, 3))
    assert fingerprint(a) != fingerprint(a.astype(np.float32))
    assert fingerprint({"x": 1, "y": 2}) == fingerprint({"y": 2, "x": 1})
    assert fingerprint([1, 2]) != fingerprint([[1, 2]])


def test_cache_settings_from_config(tmp_path):
    assert NuisanceCache.from_config(None) is None
    assert NuisanceCache.from_config({"nuisance": False}) is None
    assert NuisanceCache.from_config({"nuisance": True, "dir": str(tmp_path)}).directory == tmp_path
