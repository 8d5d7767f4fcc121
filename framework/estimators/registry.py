"""One registry of estimators by name.

Built-in families are listed by module in :mod:`framework.estimators.builtin` and register
themselves (``@register``) when that module is imported, which happens only when a run or a
listing needs them; an installed package adds one through the entry-point group
``framework.estimators``, whose entry points name an :class:`~framework.estimators.base.Estimator`
subclass.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Mapping

from framework.errors import UserInputError
from framework.estimators.base import Estimator
from framework.estimators.builtin import BUILTIN

ENTRY_POINT_GROUP = "framework.estimators"

_REGISTRY: dict[str, type] = {}
_loaded_plugins = False


def register(cls: type) -> type:
    """Class decorator: make ``cls`` selectable as ``estimator=<cls.name>``."""
    _REGISTRY[cls.name] = cls
    return cls


def _load() -> None:
    global _loaded_plugins
    if _loaded_plugins:
        return
    _loaded_plugins = True
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in _REGISTRY or entry.name in BUILTIN:
            continue
        try:
            cls = entry.load()
        except Exception as error:  # a broken plugin must not take the built-ins down
            raise UserInputError(f"estimator plugin '{entry.name}' ({entry.value}) failed to load: {error}") from None
        if not (isinstance(cls, type) and issubclass(cls, Estimator)):
            raise UserInputError(
                f"estimator plugin '{entry.name}' ({entry.value}) is not a subclass of framework.estimators.Estimator"
            )
        _REGISTRY.setdefault(entry.name, cls)


def resolve(name: str) -> type[Estimator] | None:
    """The class registered as ``name`` (importing a built-in or loading plugins as needed)."""
    if name in BUILTIN and name not in _REGISTRY:
        import_module(BUILTIN[name])  # registers through @register
    if name not in _REGISTRY:
        _load()
    return _REGISTRY.get(name)


def names() -> list[str]:
    _load()
    return sorted(set(_REGISTRY) | set(BUILTIN))


def available() -> dict[str, str]:
    """Registered names -> one-line descriptions (imports every family)."""
    return {name: resolve(name).description for name in names()}


def build_estimator(config: Mapping[str, Any], learner: Mapping[str, Any] | None, split: Mapping[str, Any], seed: int) -> Estimator:
    name = config.get("name")
    cls = resolve(name) if isinstance(name, str) else None
    if cls is None:
        raise UserInputError(f"unknown estimator '{name}'; registered: {', '.join(names())}")
    settings = cls.check_config(config)
    return cls.from_config(settings, learner=learner, split=split, seed=seed)
