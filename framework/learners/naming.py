"""What the pipeline says about a learner without building it: its name, and which of its keys
a library's error came from. Kept apart from :mod:`framework.learners.build` so that runs
without a learner (the Bayesian and TWFE families) never import scikit-learn."""

from __future__ import annotations

import traceback
from typing import Any, Mapping

from omegaconf import DictConfig


def learner_name(config: Mapping[str, Any] | DictConfig) -> str:
    target = config.get("_target_") if config is not None else None
    return str(target or "unknown")


def learner_error_key(config: Mapping[str, Any] | None, error: BaseException) -> str | None:
    """Where in the config a library's error came from: ``learner.<key> = value`` when the
    message names one of the learner's keys, else ``learner (<target>)`` when the error was
    raised inside the learner's own package; None otherwise."""
    config = config or {}
    message = str(error)
    for key, value in config.items():
        if not key.startswith("_") and key != "name" and key in message:
            return f"learner.{key} = {value!r}"
    target = str(config.get("_target_") or "")
    package = target.split(".")[0]
    if package and package != "sklearn":
        frames = traceback.extract_tb(error.__traceback__)
        if any(f"/{package}/" in frame.filename for frame in frames):
            return f"learner ({target}) rejected its settings or the data"
    return None
