"""Where a result came from: data fingerprint, seed, code version, package versions, time."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from datetime import datetime, timezone
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGES = (
    "gini-uil-framework",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "xgboost-cpu",
    "hydra-core",
)
"""Named in every record; each family adds the packages it declares (``Estimator.packages``)."""


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The checkout's commit (``+dirty`` with uncommitted changes), or None outside git."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if dirty else commit


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the framework's code and shipped configs (``framework/``, ``experiments/``:
    ``*.py``; ``conf/``: ``*.yaml``), which changes with any edit that can change a result,
    committed or not, and with nothing else (docs, tests)."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for folder, pattern in (("framework", "*.py"), ("experiments", "*.py"), ("conf", "*.yaml")):
        for path in sorted((root / folder).rglob(pattern)):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _packages(extra: tuple[str, ...] = ()) -> dict[str, str | None]:
    found = {}
    for name in dict.fromkeys((*PACKAGES, *extra)):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def provenance(data_sha256: str | None, seed: int, data_source: str | None = None,
               packages: tuple[str, ...] = ()) -> dict:
    """Where a record came from; ``packages`` are the run's family's own (its ``packages``)."""
    return {
        "data_sha256": data_sha256,
        "data_source": data_source,
        "seed": seed,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "packages": _packages(tuple(packages)),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
