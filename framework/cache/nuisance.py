"""Cross-fitted nuisance predictions on disk, keyed by everything that determines them.

A key is the SHA-256 of the exact inputs of one cross-fitted learner: the arrays it is fitted
on, the fold assignment, the learner's class, full parameters and package version, and the
model settings (folds, repetitions, approach). Any change in any of them gives another key,
so a hit can only return predictions that a fresh fit would reproduce; nothing is ever
invalidated, and deleting the directory is always safe.

Entries are ``<key>.npz`` files written to a temporary file and moved into place with
``os.replace``, so parallel workers that compute the same entry at once cannot leave a torn
file behind (the last writer wins, with identical content).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from framework.errors import UserInputError

DEFAULT_DIR = "results/.cache/nuisance"
# Bumped when what an entry holds, or how keys are formed, changes.
SCHEMA = "nuisance-v1"


def fingerprint(*parts: Any) -> str:
    """SHA-256 of arrays, frames, mappings, sequences and scalars, by value and shape."""
    digest = hashlib.sha256(SCHEMA.encode())
    for part in parts:
        _update(digest, part)
    return digest.hexdigest()


def _update(digest, value: Any) -> None:
    if isinstance(value, pd.DataFrame):
        digest.update(b"frame" + repr(list(value.columns)).encode())
        for column in value.columns:
            _update(digest, value[column].to_numpy())
    elif isinstance(value, pd.Series):
        _update(digest, value.to_numpy())
    elif isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        if array.dtype == object:
            digest.update(b"object" + repr(array.tolist()).encode())
        else:
            digest.update(b"array" + array.dtype.str.encode() + repr(array.shape).encode() + array.tobytes())
    elif isinstance(value, Mapping):
        digest.update(b"map%d" % len(value))
        for key in sorted(value, key=repr):
            digest.update(repr(key).encode())
            _update(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(b"seq%d" % len(value))
        for item in value:
            _update(digest, item)
    else:
        digest.update(b"scalar" + repr(value).encode())


def learner_identity(learner) -> dict:
    """What determines a learner's predictions besides its data: class, every parameter
    (nested estimators included) and the version of the package that implements it."""
    cls = type(learner)
    params = learner.get_params(deep=True) if hasattr(learner, "get_params") else {}
    package = cls.__module__.split(".")[0]
    version = getattr(sys.modules.get(package), "__version__", None)
    return {
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "params": {key: repr(value) for key, value in params.items()},
        "version": version,
    }


class NuisanceCache:
    """A directory of cached predictions; ``load`` returns ``None`` on a miss.

    ``hits_`` and ``misses_`` count this object's look-ups (one object per run).
    """

    def __init__(self, directory: str | os.PathLike = DEFAULT_DIR):
        self.directory = Path(directory)
        self.hits_ = 0
        self.misses_ = 0

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "NuisanceCache | MemoryNuisanceCache | None":
        """``cache.nuisance``: false (or missing) = off, true = on disk in ``cache.dir``,
        ``memory`` = in this process only (the Monte Carlo study's fixed-input designs)."""
        config = config or {}
        setting = config.get("nuisance", False)
        if setting == "memory":
            return MemoryNuisanceCache()
        if setting not in (True, False, None):
            raise UserInputError(f"cache.nuisance = {setting!r}: use true, false or memory")
        if not setting:
            return None
        return cls(config.get("dir") or DEFAULT_DIR)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.npz"

    def load(self, key: str) -> dict[str, np.ndarray] | None:
        path = self.path(key)
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            # missing, or unreadable (e.g. written by a process that was killed mid-way on a
            # file system without atomic rename): a miss, recomputed and rewritten
            self.misses_ += 1
            return None
        self.hits_ += 1
        return arrays

    def store(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, **{name: np.asarray(value) for name, value in arrays.items()})
            os.replace(temporary, self.path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def summary(self) -> dict:
        """For a run's diagnostics: ``status`` hit (every look-up), miss (none) or partial."""
        status = "hit" if self.hits_ and not self.misses_ else "miss" if not self.hits_ else "partial"
        return {"status": status, "hits": self.hits_, "misses": self.misses_, "dir": str(self.directory)}


class MemoryNuisanceCache:
    """The same look-ups as :class:`NuisanceCache`, held in this process's memory.

    Entries live in one process-wide table shared by every run of the process, keeping the
    ``MEMORY_ENTRIES`` most recently stored, so a worker of the Monte Carlo study fits a
    learner on columns its design never changes once and reuses it in every later draw.
    """

    def __init__(self):
        self.hits_ = 0
        self.misses_ = 0

    def load(self, key: str) -> dict[str, np.ndarray] | None:
        entry = _MEMORY.get(key)
        if entry is None:
            self.misses_ += 1
            return None
        self.hits_ += 1
        _MEMORY[key] = _MEMORY.pop(key)  # most recently used last
        return dict(entry)

    def store(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        _MEMORY[key] = {name: np.array(value, copy=True) for name, value in arrays.items()}
        while len(_MEMORY) > MEMORY_ENTRIES:
            _MEMORY.pop(next(iter(_MEMORY)))

    def summary(self) -> dict:
        status = "hit" if self.hits_ and not self.misses_ else "miss" if not self.hits_ else "partial"
        return {"status": status, "hits": self.hits_, "misses": self.misses_, "dir": "memory"}


MEMORY_ENTRIES = 256
_MEMORY: dict[str, dict[str, np.ndarray]] = {}
