"""Finished draws kept on disk, so a study stopped part-way resumes where it stopped.

``<run dir>/draws/``:

``fingerprint.json``            what the draws were computed for: the framework's version and
                                code, the first seed, the cells' configs, the designs, the data
``<design>/seed-<seed>.json``   one finished draw's rows, written atomically as the draw finishes

Running the same study into the same run directory (``hydra.run.dir``) again loads the finished
draws and runs only the missing ones; more ``study.replications`` than before adds draws to the
ones kept (draw r has seed ``first_seed + r`` whatever their number). Anything else that
changes what a draw computes — another first seed, configuration, spec, design, data file,
framework version or code — makes the kept draws another study's: they are removed and the
study starts fresh, saying why. Rows are kept as JSON, which gives back exactly the floats
written, so a resumed study's numbers equal an uninterrupted one's.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from framework.io import write_text_atomic

DRAWS_DIR = "draws"
FINGERPRINT = "fingerprint.json"


@dataclass(frozen=True)
class DrawStore:
    """The finished draws of one study under ``folder``."""

    folder: Path

    @classmethod
    def open(cls, directory: str | Path, parts: dict[str, Any], fresh: bool = False) -> tuple["DrawStore", str | None]:
        """The store under ``<directory>/draws`` for the study described by ``parts`` (name ->
        JSON-able value), and a line for the user when kept draws are removed (another
        study's, or ``fresh``) or None."""
        folder = Path(directory) / DRAWS_DIR
        parts = json.loads(json.dumps(_plain(parts), default=str))  # as it will read back
        stored = _read(folder / FINGERPRINT)
        note = None
        if stored is not None and fresh:
            note = f"study.resume=false: removing the draws kept in {folder} and starting fresh"
            shutil.rmtree(folder)
            stored = None
        if stored is not None and stored.get("digest") != _digest(parts):
            changed = [name for name in parts if stored.get("parts", {}).get(name) != parts[name]] or ["the fingerprint"]
            note = (f"the draws kept in {folder} were computed for another study ({', '.join(changed)} changed): "
                    "removing them and starting fresh")
            shutil.rmtree(folder)
            stored = None
        if stored is None:
            write_text_atomic(folder / FINGERPRINT, json.dumps({"digest": _digest(parts), "parts": parts}, indent=1) + "\n")
        return cls(folder), note

    def finished(self, design: str, seeds: list[int]) -> dict[int, list[dict]]:
        """The kept rows of each of ``seeds`` that has finished on ``design``."""
        found = {}
        for seed in seeds:
            rows = _read(self._path(design, seed))
            if rows is not None:
                found[seed] = rows
        return found

    def save(self, design: str, seed: int, rows: list[dict]) -> None:
        write_text_atomic(self._path(design, seed), json.dumps(_plain(rows)))

    def _path(self, design: str, seed: int) -> Path:
        return self.folder / design / f"seed-{seed}.json"


def _read(path: Path):
    """The JSON in ``path``, or None where there is none or it cannot be read (then the draw is
    simply run again)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _digest(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _plain(value):
    """``value`` with NumPy scalars as Python ones and tuples as lists, as JSON gives them back
    (NaN and infinities are written as JSON's NaN and Infinity, read back as the same floats)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value
