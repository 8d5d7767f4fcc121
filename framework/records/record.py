"""The ``result.json`` record of one run (its fields: README, "What a run writes"), written atomically."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Callable

from framework.io import write_text_atomic
from framework.records.provenance import git_commit

RECORD_NAME = "result.json"
SCHEMA_VERSION = 3
"""2: ``schema_version`` itself, the family's packages in the provenance; 3: ``sensitivity``
(docs/SENSITIVITY.md). Records without it are version 1 and read the same way; readers treat a
missing ``sensitivity`` as no analysis."""


def ok_record(*, estimator: str, spec: dict, config: dict, n_obs: int, n_units: int, coefficients: list[dict],
              diagnostics: dict, runtime_s: float, provenance: dict, **extra: Any) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "status": "ok",
        "error": None,
        "estimator": estimator,
        "spec": spec,
        "config": config,
        "n_obs": n_obs,
        "n_units": n_units,
        "coefficients": coefficients,
        "diagnostics": diagnostics,
        "runtime_s": round(runtime_s, 3),
        "provenance": provenance,
        **extra,
    }


def failed_record(*, estimator: str | None, config: dict, error: str, runtime_s: float, provenance: dict,
                  spec: dict | None = None) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "status": "failed",
        "error": " ".join(error.split()),
        "estimator": estimator,
        "spec": spec or {},
        "config": config,
        "n_obs": None,
        "n_units": None,
        "coefficients": [],
        "diagnostics": {},
        "runtime_s": round(runtime_s, 3),
        "provenance": provenance,
    }


def json_ready(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # NumPy scalars
        return json_ready(value.item())
    return value


def write_artifacts(artifacts: dict[str, Any], directory: str | os.PathLike) -> dict[str, str]:
    """Save each artifact beside the record; returns name -> file name.

    ArviZ ``InferenceData`` is written as NetCDF (``<name>.nc``), through a temporary file
    renamed into place like the record itself.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, value in artifacts.items():
        if not hasattr(value, "to_netcdf"):
            raise TypeError(f"artifact {name!r}: no writer for {type(value).__name__}")
        target = directory / f"{name}.nc"
        temp = directory / f".{name}.nc.tmp"
        try:
            value.to_netcdf(str(temp))
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        written[name] = target.name
    return written


def write_record(record: dict, directory: str | os.PathLike) -> Path:
    """Write ``record`` to ``directory/result.json`` atomically (temp file, then rename)."""
    text = json.dumps(json_ready(record), indent=2, allow_nan=False)
    return write_text_atomic(Path(directory) / RECORD_NAME, text + "\n")


FRAMEWORK_PACKAGE = "gini-uil-framework"
"""The framework's distribution name, as ``provenance.packages`` names it."""


def framework_version() -> str | None:
    """The installed framework's version (``None`` when it is not installed as a package)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(FRAMEWORK_PACKAGE)
    except PackageNotFoundError:
        return None


def finished_record(
    directory: str | os.PathLike,
    config: dict,
    data_sha256: str | None | Callable[[], str | None],
) -> dict | None:
    """The ``ok`` record already in ``directory`` for this exact run, if any.

    A record counts as this run's only if it is ``ok`` and has the same resolved config, the
    same data fingerprint (``provenance.data_sha256``: a file's SHA-256, a synthetic world's
    fingerprint) and the same framework version (``gini-uil-framework`` in
    ``provenance.packages``) and commit (``provenance.git_commit``). ``data_sha256`` may be a function, called only once the cheaper
    checks pass; ``None`` (the data cannot be fingerprinted) never matches. Failed runs,
    changed configs, changed data, another framework version and unreadable records are run
    again.
    """
    path = Path(directory) / RECORD_NAME
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("status") != "ok":
        return None
    if record.get("config") != json_ready(json.loads(json.dumps(config))):
        return None
    provenance = record.get("provenance") or {}
    if (provenance.get("packages") or {}).get(FRAMEWORK_PACKAGE) != framework_version():
        return None
    if provenance.get("git_commit") != git_commit():  # the same version, other code
        return None
    current = data_sha256() if callable(data_sha256) else data_sha256
    if current is None or provenance.get("data_sha256") != current:
        return None
    return record
