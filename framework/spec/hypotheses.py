"""Hypotheses a user declares in the config (``hypotheses:``), which the report judges.

Each item of the ``hypotheses`` list is a mapping::

    hypotheses:
      - name: Union members earn more      # required, a non-empty string
        term: treatment                    # default treatment; see below
        expect: positive                   # required: positive | negative | zero
        runs: {estimator: twfe}            # optional filters on the runs it is judged over
        claim: The union wage premium.     # optional free text

``term`` is one of the role terms every estimator reports (``treatment``; with moderation
``moderator`` and ``treatment_x_moderator``), ``control:<column>`` for a control's own
coefficient (families that estimate the controls report it), or a column name of the user's
panel, matched against the ``column`` each coefficient carries (``union``, ``exper``,
``union×married``).

``runs`` keeps the runs whose values equal the filter's (a list: any of them); without it the
hypothesis is judged over every finished run. Filter keys: ``estimator``, ``fe``,
``learner``, ``window_name``, ``sample``, ``controls``, ``moderation`` (the run's own choices,
as the report's collection holds them), ``spec.<key>`` (a key of the record's ``spec``) and
``config.<dotted.key>`` (a key of the resolved config, e.g. ``config.split.folds``). Values
compare equal when they are equal or print the same (``5`` and ``"5"``).

A run *supports* the hypothesis when its estimate of the term is significant at 5 % with the
expected sign (``zero``: when it is not significant), *contradicts* it when it is significant
with the other sign (``zero``: when it is significant), and is *not significant* otherwise.

Bad input raises :class:`framework.errors.UserInputError` with one line that names the key
path, e.g. ``hypotheses[1].expect = 'up': use positive, negative or zero``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from framework.errors import UserInputError, show_value

EXPECTATIONS = ("positive", "negative", "zero")
ROLE_TERMS = ("treatment", "moderator", "treatment_x_moderator")
CONTROL_PREFIX = "control:"
KEYS = ("name", "term", "expect", "runs", "claim")
FILTERS = ("estimator", "fe", "learner", "window_name", "sample", "controls", "moderation")
FILTER_PREFIXES = ("spec.", "config.")

SUPPORTS, CONTRADICTS, NOT_SIGNIFICANT, NO_ESTIMATE = "supports", "contradicts", "not significant", "no estimate"


@dataclass(frozen=True)
class Hypothesis:
    """One declared hypothesis. ``runs`` is a tuple of ``(filter key, tuple of values)``, so
    identical declarations are equal (and hash alike) wherever they come from."""

    name: str
    expect: str
    term: str = "treatment"
    runs: tuple[tuple[str, tuple], ...] = ()
    claim: str = ""

    @property
    def kind(self) -> str:
        """``role`` (a role term), ``control`` (``control:<column>``) or ``column`` (a column name)."""
        if self.term in ROLE_TERMS:
            return "role"
        return "control" if self.term.startswith(CONTROL_PREFIX) else "column"

    def selects(self, run: Mapping[str, Any], spec: Mapping[str, Any] | None = None,
                config: Mapping[str, Any] | None = None) -> bool:
        """Does the run pass every filter of ``runs``? ``run`` holds the plain filter keys
        (estimator, fe, ...), ``spec`` and ``config`` the record's own mappings."""
        for key, values in self.runs:
            if key.startswith("spec."):
                found, value = lookup(spec or {}, key[len("spec."):])
            elif key.startswith("config."):
                found, value = lookup(config or {}, key[len("config."):])
            else:
                found, value = key in run, run.get(key)
            if not found or not any(same(value, v) for v in values):
                return False
        return True

    def judge(self, estimate: Any, significant: bool | None) -> str:
        """``supports``, ``contradicts`` or ``not significant`` for one estimate of the term
        (``no estimate`` when the estimate or its significance is unknown)."""
        if estimate is None or significant is None or estimate != estimate:
            return NO_ESTIMATE
        if self.expect == "zero":
            return CONTRADICTS if significant else SUPPORTS
        if not significant:
            return NOT_SIGNIFICANT
        positive = float(estimate) > 0
        return SUPPORTS if positive == (self.expect == "positive") else CONTRADICTS

    def truth_agrees(self, truth: float) -> bool:
        """Does a true coefficient have the expected sign (``zero``: is it zero)?"""
        if self.expect == "zero":
            return abs(float(truth)) < 1e-12
        return float(truth) > 0 if self.expect == "positive" else float(truth) < 0

    def describe_runs(self) -> str:
        """The filters in words, e.g. ``estimator=twfe, learner=lasso|gbdt``; empty without any."""
        return ", ".join(f"{k}={'|'.join(str(v) for v in values)}" for k, values in self.runs)


def lookup(mapping: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    """``(found, value)`` of a dotted key path in nested mappings."""
    value: Any = mapping
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def same(value: Any, wanted: Any) -> bool:
    """Equal, or printed the same (a config value of 5 and a filter of "5")."""
    if value is None or wanted is None:
        return value is None and wanted is None
    return value == wanted or str(value) == str(wanted)


def parse_hypotheses(value: Any, path: str = "hypotheses") -> list[Hypothesis]:
    """The declared hypotheses of a config's ``hypotheses`` value (None or [] : none)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise UserInputError(f"{path} = {show_value(value, 80)}: use a list of mappings, each with name and expect")
    out: list[Hypothesis] = []
    names: dict[str, int] = {}
    for i, item in enumerate(value):
        here = f"{path}[{i}]"
        hypothesis = _one(item, here)
        if hypothesis.name in names:
            raise UserInputError(f"{here}.name = {hypothesis.name!r}: already the name of {path}[{names[hypothesis.name]}]; "
                                 "give each hypothesis its own name")
        names[hypothesis.name] = i
        out.append(hypothesis)
    return out


def _one(item: Any, here: str) -> Hypothesis:
    if not isinstance(item, Mapping):
        raise UserInputError(f"{here} = {show_value(item, 80)}: use a mapping with name and expect, e.g. "
                             "{name: Union members earn more, expect: positive}")
    for key in item:
        if key not in KEYS:
            raise UserInputError(f"{here}.{key}: unknown key; use {', '.join(KEYS[:-1])} or {KEYS[-1]}")
    if "name" not in item or item["name"] is None:
        raise UserInputError(f"{here}.name: missing; give the hypothesis a name")
    name = item["name"]
    if not isinstance(name, str) or not name.strip():
        raise UserInputError(f"{here}.name = {show_value(name, 80)}: use a non-empty string")
    if "expect" not in item or item["expect"] is None:
        raise UserInputError(f"{here}.expect: missing; use positive, negative or zero")
    expect = item["expect"]
    if not isinstance(expect, str) or expect.strip().lower() not in EXPECTATIONS:
        raise UserInputError(f"{here}.expect = {show_value(expect, 80)}: use positive, negative or zero")
    term = item.get("term", "treatment")
    term = "treatment" if term is None else term
    if not isinstance(term, str) or not term.strip():
        raise UserInputError(f"{here}.term = {show_value(term, 80)}: use treatment, moderator, treatment_x_moderator, "
                             "control:<column> or a column name")
    term = term.strip()
    if term.startswith(CONTROL_PREFIX) and not term[len(CONTROL_PREFIX):].strip():
        raise UserInputError(f"{here}.term = {term!r}: name the control column after control:, e.g. control:exper")
    claim = item.get("claim", "")
    claim = "" if claim is None else claim
    if not isinstance(claim, str):
        raise UserInputError(f"{here}.claim = {show_value(claim, 80)}: use a string")
    runs = _runs(item.get("runs"), f"{here}.runs")
    return Hypothesis(name=" ".join(name.split()), expect=expect.strip().lower(), term=term, runs=runs, claim=" ".join(claim.split()))


def _runs(value: Any, here: str) -> tuple[tuple[str, tuple], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise UserInputError(f"{here} = {show_value(value, 80)}: use a mapping of filters, e.g. {{estimator: twfe}}")
    out = []
    for key, wanted in value.items():
        key_ok = isinstance(key, str) and (
            key in FILTERS or any(key.startswith(p) and all(key[len(p):].split(".")) for p in FILTER_PREFIXES)
        )
        if not key_ok:
            raise UserInputError(f"{here}.{key}: unknown filter; use {', '.join(FILTERS)}, spec.<key> or config.<dotted.key>")
        values = tuple(wanted) if isinstance(wanted, Sequence) and not isinstance(wanted, (str, bytes)) else (wanted,)
        if not values or not all(v is None or isinstance(v, (str, int, float, bool)) for v in values):
            raise UserInputError(f"{here}.{key} = {show_value(wanted, 80)}: use a value or a non-empty list of values")
        out.append((key, values))
    return tuple(out)
