"""The estimator contract: everything a family must or may provide, in one class.

A family is a subclass of :class:`Estimator` in the scikit-learn shape:

* class attributes that describe it -- ``name`` (``estimator=<name>``), ``description``,
  ``fe_choices`` (the ``estimator.fe`` values it accepts; empty: it has no ``fe``),
  ``settings`` (every ``estimator.*`` key it reads besides ``name``), ``uses_learner``
  (whether the ``learner`` group feeds it), ``packages`` (the distributions it relies on,
  whose versions every record's provenance names), ``moderation`` (False for a family that
  estimates the treatment term only and refuses a moderated spec in one line);
* ``from_config(config, learner, split, seed)`` (required): the family built from its
  ``estimator`` node, the ``learner`` node, the ``split`` node and the run's seed, after
  :meth:`Estimator.check_config` has rejected unknown keys and ``fe`` choices the same way
  for every family;
* ``fit(data)`` (required): learn from a prepared :class:`~framework.spec.SpecData` -- which
  carries no truth -- and return ``self``, leaving ``coefficients_`` (one
  :class:`Coefficient` per term of ``data.terms``, optionally more), ``diagnostics_`` (a
  JSON-ready dict) and optionally ``artifacts_`` (name -> object saved beside the record,
  e.g. the posterior as ArviZ ``InferenceData``);
* ``use_nuisance_cache(cache)`` (optional hook): families that cross-fit learners may take
  the run's :class:`~framework.cache.NuisanceCache`; the default ignores it;
* ``sensitivity(settings, data)`` (optional): the omitted-variable-bias analysis of the fitted
  treatment coefficient (:mod:`framework.sensitivity`), or why the family has none;
* ``absorbed_effects()`` and ``cluster_by()`` (optional): which effects the model removes and
  what its standard errors are clustered by, for the identification guards that run before
  every fit (:mod:`framework.estimators.identification`).

An estimator never reads files, parses the command line or writes output.
:func:`framework.testing.check_estimator` checks a class against this contract.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import MappingProxyType
from typing import Any, ClassVar, Mapping

from framework.errors import UserInputError
from framework.numerics.inference import NORMAL_975, Coefficient
from framework.settings import reject_unknown
from framework.spec import SpecData

FE_CHOICES = ("dummies", "within", "fd", "cre", "none")
"""Every ``estimator.fe`` value a built-in family knows; each family accepts its own subset."""

__all__ = ["Coefficient", "Estimator", "FE_CHOICES", "NORMAL_975"]


class Estimator(ABC):
    """Base class of every estimator family (see the module docstring for the contract)."""

    name: ClassVar[str] = "estimator"
    description: ClassVar[str] = ""
    fe_choices: ClassVar[tuple[str, ...]] = ()
    fe_notes: ClassVar[Mapping[str, str]] = {}
    """Why a known ``fe`` value is refused, added to the error line (e.g. ``fd`` for the forest)."""
    settings: ClassVar[tuple[str, ...]] = ()
    uses_learner: ClassVar[bool] = False
    uses_weights: ClassVar[bool] = False
    """Whether ``fit`` uses a ``weights`` column (``data.columns.weights``); runs of families
    that do not are refused when weights are given."""
    packages: ClassVar[tuple[str, ...]] = ()
    moderation: ClassVar[bool] = True  # estimates the moderation terms (else refuses such a spec)
    sensitivity_reason: ClassVar[str] = ""
    """Why the family has no sensitivity analysis, for its records (when it does not override ``sensitivity``)."""

    coefficients_: list[Coefficient]
    diagnostics_: dict
    artifacts_: Mapping[str, Any] = MappingProxyType({})
    """None unless ``fit`` sets its own."""

    @classmethod
    def check_config(cls, config: Mapping[str, Any] | None) -> dict:
        """The ``estimator`` node as a dict, with unknown keys and unaccepted ``fe`` choices
        refused in one line."""
        config = dict(config or {})
        reject_unknown(config, cls.settings, cls.name)
        if config.get("fe") is not None and cls.fe_choices and config["fe"] not in cls.fe_choices:
            note = cls.fe_notes.get(config["fe"])
            reason = f" ({note})" if note else ""
            raise UserInputError(
                f"estimator.fe = {config['fe']!r} is not accepted by {cls.name}{reason}: use one of {', '.join(cls.fe_choices)}"
            )
        return config

    @classmethod
    @abstractmethod
    def from_config(cls, config: Mapping[str, Any], learner: Mapping[str, Any] | None,
                    split: Mapping[str, Any] | None, seed: int) -> "Estimator":
        """The family with its settings from config (called after :meth:`check_config`)."""

    @abstractmethod
    def fit(self, data: SpecData) -> "Estimator":
        """Learn from ``data``; set ``coefficients_`` and ``diagnostics_``; return ``self``."""

    def absorbed_effects(self) -> tuple[str, ...]:
        """The effects this instance's model removes (``unit``, ``time``), which the guards of
        :mod:`framework.estimators.identification` check the treatment against. Default: both
        for an ``fe`` choice that handles unit effects, none for ``fe=none`` or no ``fe``."""
        fe = getattr(self, "fe", None)
        return ("unit", "time") if fe in ("dummies", "within", "fd", "cre") else ()

    def cluster_by(self) -> str | None:
        """What the standard errors are clustered by (``unit``, ``time``, ``two_way``), or None."""
        return None

    def sensitivity(self, settings, data: SpecData) -> dict:
        """Omitted-variable-bias sensitivity of the fitted ``treatment`` coefficient under
        ``settings`` (:class:`~framework.sensitivity.SensitivitySettings`), called after ``fit``:
        a JSON-ready dict with ``supported`` and either the analysis or the ``reason`` why the
        family has none (``docs/SENSITIVITY.md``). The default: none."""
        return {"supported": False, "reason": self.sensitivity_reason or f"{self.name} has no omitted-variable-bias analysis"}

    def use_nuisance_cache(self, cache) -> None:
        """Hand the run's nuisance cache to a family that cross-fits learners (default: unused)."""

    def get_params(self) -> dict:
        return {key: value for key, value in vars(self).items() if not key.endswith("_")}
