"""One registry of estimators by name.

Built-in families register themselves when :mod:`framework.estimators.builtin` is imported;
an installed package adds one through the entry-point group ``framework.estimators``, whose
entry points name an :class:`~framework.estimators.base.Estimator` subclass with a
``from_config(config, learner, split, seed)`` class method.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, Mapping

from framework.errors import UserInputError

ENTRY_POINT_GROUP = "framework.estimators"

_REGISTRY: dict[str, type] = {}
_loaded_plugins = False


def register(cls: type) -> type:
    """Class decorator: make ``cls`` selectable as ``estimator=<cls.name>``."""
    _REGISTRY[cls.name] = cls
    return cls


def _load() -> None:
    global _loaded_plugins
    import framework.estimators.builtin  # noqa: F401  (registers the built-in families)

    if _loaded_plugins:
        return
    _loaded_plugins = True
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in _REGISTRY:
            continue
        try:
            cls = entry.load()
        except Exception as error:  # a broken plugin must not take the built-ins down
            raise UserInputError(f"estimator plugin '{entry.name}' ({entry.value}) failed to load: {error}") from None
        _REGISTRY.setdefault(entry.name, cls)


def available() -> dict[str, str]:
    """Registered names -> one-line descriptions."""
    _load()
    return {name: cls.description for name, cls in sorted(_REGISTRY.items())}


def build_estimator(config: Mapping[str, Any], learner: Mapping[str, Any] | None, split: Mapping[str, Any], seed: int):
    _load()
    name = config.get("name")
    if name not in _REGISTRY:
        raise UserInputError(f"unknown estimator '{name}'; registered: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name].from_config(config, learner=learner, split=split, seed=seed)
