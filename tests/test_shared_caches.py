"""Caches on a folder that several processes (or machines) share: the nuisance cache with
concurrent writers and readers of the same entries, two runs filling one cache at once, and
two processes compiling the collapsed Bayesian model into one empty Numba cache at once."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys

import numpy as np

from framework.cache import NuisanceCache
from tests.test_bayes_collapsed import _SAMPLE_SCRIPT
from tests.test_run_command import ROOT, SMALL

KEYS = [f"key{k}" for k in range(4)]


def arrays_for(key: str) -> dict[str, np.ndarray]:
    """Large enough that a write takes many system calls, so a torn read would show."""
    seed = int(key[3:])
    return {"predictions": np.full((200_000, 2), float(seed)), "targets": np.arange(200_000.0) + seed}


def hammer(directory: str, start, rounds: int, queue) -> None:
    """Store and load every key many times, checking each read is whole and right."""
    cache = NuisanceCache(directory)
    start.wait()
    bad = 0
    for _ in range(rounds):
        for key in KEYS:
            cache.store(key, arrays_for(key))
            loaded = cache.load(key)
            expected = arrays_for(key)
            if loaded is None or any(not np.array_equal(loaded[name], expected[name]) for name in expected):
                bad += 1
    queue.put((bad, cache.hits_, cache.misses_))


def test_concurrent_writers_and_readers_never_see_a_torn_entry(tmp_path):
    context = multiprocessing.get_context("spawn")
    start, queue = context.Event(), context.Queue()
    workers = [context.Process(target=hammer, args=(str(tmp_path), start, 5, queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0
    results = [queue.get(timeout=10) for _ in workers]
    assert [bad for bad, _, _ in results] == [0, 0, 0, 0]
    assert sum(hits for _, hits, _ in results) == 4 * 5 * len(KEYS)  # every read was a whole entry
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{key}.npz" for key in KEYS]  # no temporary files


def test_two_runs_fill_one_cache_at_once_and_a_third_reuses_it(tmp_path):
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "experiments.run", *SMALL, "estimator=dml", f"cache.dir={cache}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen([*command, f"hydra.run.dir={tmp_path / name}"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    third = subprocess.run([*command, f"hydra.run.dir={tmp_path / 'c'}"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)
    assert third.returncode == 0, third.stderr
    records = {name: json.loads((tmp_path / name / "result.json").read_text()) for name in "abc"}
    assert records["a"]["coefficients"] == records["b"]["coefficients"] == records["c"]["coefficients"]
    assert records["c"]["diagnostics"]["nuisance_cache"]["status"] == "hit"
    assert not list(cache.glob(".*.tmp"))


def test_two_processes_compile_into_one_empty_numba_cache_at_once(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}

    def start():
        return subprocess.Popen([sys.executable, "-c", _SAMPLE_SCRIPT], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def result(process):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])

    first, second = [result(process) for process in (start(), start())]
    assert first["theta"] == second["theta"]
    later = result(start())
    assert later["hits"] == 2  # both compiled callbacks that the two wrote at once load
    assert later["theta"] == first["theta"]
