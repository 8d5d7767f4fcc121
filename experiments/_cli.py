"""The command line of ``python -m experiments.run``, checked before Hydra runs it.

Hydra reports a bad command line (an unknown config choice, a misspelled key, an override it
cannot parse) with several lines and a hint about ``HYDRA_FULL_ERROR``, and it accepts values
of the wrong type (``seed=abc``) that only fail deep inside a run. :func:`check_command_line`
composes the config first, with Hydra's own compose API, the same config directory and the
same overrides, and turns every such problem into :class:`CommandLineError`: one line that
names the key (and, for a config group, the accepted choices), plus the directory the run
would have used, so that the entry point can leave a ``failed`` record there.

Checks, in order:

1. the overrides parse (Hydra's override grammar; the message says how to quote);
2. every config-group choice exists (``estimator=nope``, also each value of a sweep);
3. the config composes with the first value of every sweep, and once more for each other
   value of each sweep (unknown keys such as ``windoww.start`` or ``estimator.fee`` are named
   with the closest existing key);
4. overridden values have the type of the default they replace (``seed=abc``,
   ``split.folds=abc``), for the framework's own keys; ``learner.*`` and ``estimator.*``
   are left to the learner and to the estimator family, which check their own;
5. interpolations resolve; a sweep's values without ``-m`` are refused (Hydra's rule).

Arguments meant for Hydra itself (``--help``, ``--cfg``, ``--info``, ``-cd``, ...) are not
checked here; Hydra handles them as before.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from omegaconf import DictConfig, ListConfig, OmegaConf

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
CONFIG_NAME = "config"
UNCHECKED_TYPES = ("learner", "estimator", "hydra")
"""Top-level keys whose values the type check leaves alone: the learner's and the family's
own settings are checked by them (a learner's ``min_samples_leaf`` may be 5 or 0.05)."""
_MISSING = object()


class CommandLineError(Exception):
    """A bad command line, in one line. ``run_dir``: where a single run would have written
    its record (``None`` for sweeps, or when not even the defaults compose)."""

    def __init__(self, message: str, run_dir: Path | None = None, config: dict | None = None,
                 choices: dict | None = None, debug: bool = False):
        super().__init__(" ".join(message.split()))
        self.run_dir = run_dir
        self.config = config or {}
        self.choices = choices or {}
        self.debug = debug


@dataclass
class Checked:
    """What the checks learned: single run or sweep, and the run's resolved config."""

    multirun: bool
    run_dir: Path | None = None
    sweep_dir: Path | None = None
    config: dict = field(default_factory=dict)


def full_error_wanted(overrides: list[str]) -> bool:
    """``debug=true`` on the command line or ``HYDRA_FULL_ERROR=1``: show tracebacks."""
    if os.environ.get("HYDRA_FULL_ERROR", "") not in ("", "0"):
        return True
    return any(re.fullmatch(r"\+*debug=(true|True|TRUE|1|yes)", item.strip()) for item in overrides)


def check_command_line(argv: list[str]) -> Checked | None:
    """Check ``argv`` (``sys.argv[1:]``); ``None`` when it is for Hydra itself (help, --cfg, ...).

    Raises :class:`CommandLineError`, with the cause chained, on the first problem.
    """
    from hydra import initialize_config_dir
    from hydra._internal.utils import get_args_parser
    from hydra.core.global_hydra import GlobalHydra

    args, unknown = get_args_parser().parse_known_args(argv)
    if unknown or any((args.help, args.hydra_help, args.cfg, args.info, args.shell_completion, args.run and args.multirun,
                       args.experimental_rerun, args.config_path, args.config_name, args.config_dir, args.package)):
        return None
    overrides = list(args.overrides)
    debug = full_error_wanted(overrides)
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3", job_name="run"):
        return _Checker(overrides, bool(args.multirun), debug).check()


class _Checker:
    def __init__(self, overrides: list[str], multirun_flag: bool, debug: bool):
        from hydra.core.global_hydra import GlobalHydra

        self.lines = overrides
        self.multirun_flag = multirun_flag
        self.debug = debug
        self.hydra = GlobalHydra.instance().hydra
        self.loader = GlobalHydra.instance().config_loader()
        self._options: dict[str, list[str]] = {}

    # --- composing --------------------------------------------------------------------

    def compose(self, overrides: list[str]) -> DictConfig:
        from hydra.types import RunMode

        return self.hydra.compose_config(CONFIG_NAME, list(overrides), run_mode=RunMode.RUN, from_shell=True)

    def options(self, group: str) -> list[str]:
        if group not in self._options:
            try:
                self._options[group] = sorted(self.loader.get_group_options(group))
            except Exception:
                self._options[group] = []
        return self._options[group]

    def fail(self, message: str, cause: BaseException | None = None, cfg: DictConfig | None = None,
             multirun: bool | None = None) -> CommandLineError:
        """The error, with the directory a single run would have used."""
        run_dir, config, choices = None, {}, {}
        if multirun is None:
            multirun = self.guess_multirun()
        if not multirun:
            run_dir = self.run_dir(cfg)
            if cfg is not None:
                config, choices = _job_config(cfg), _choices(cfg)
        error = CommandLineError(message, run_dir=run_dir, config=config, choices=choices, debug=self.debug)
        error.__cause__ = cause
        return error

    def guess_multirun(self) -> bool:
        """Whether the command meant a sweep, when the full config does not compose."""
        if self.multirun_flag:
            return True
        kept = [line for line in self.lines if re.match(r"^\+*(experiment|hydra\.mode)=", line.strip())]
        for attempt in (kept, []):
            try:
                mode = self.compose(attempt).hydra.mode
            except Exception:
                continue
            return mode is not None and str(mode).endswith("MULTIRUN")
        return False

    def run_dir(self, cfg: DictConfig | None) -> Path | None:
        """The run's ``hydra.run.dir``: from ``cfg`` when it composed, else from the defaults and
        any ``hydra.run.dir=`` override."""
        if cfg is not None:
            try:
                return Path(str(cfg.hydra.run.dir)).absolute()
            except Exception:
                pass
        kept = [line for line in self.lines if line.strip().startswith("hydra.run.dir=")]
        for attempt in (kept, []):
            try:
                return Path(str(self.compose(attempt).hydra.run.dir)).absolute()
            except Exception:
                continue
        return None

    # --- the checks -------------------------------------------------------------------

    def check(self) -> Checked:
        parsed = self.parse()
        self.check_groups(parsed)
        first = [self.first_line(o) for o in parsed]
        cfg = self.compose_or_fail(first, parsed)
        multirun = self.multirun_flag or str(cfg.hydra.mode).endswith("MULTIRUN")
        sweeps = [o for o in parsed if o.is_sweep_override()]
        if sweeps and not multirun:
            o = sweeps[0]
            raise self.fail(
                f"{o.input_line} gives {o.key_or_group} several values, which is a sweep: add -m to run one job per "
                f"value; for a list write {o.get_key_element()}=[a,b], for one text with commas quote it: "
                f"\"{o.get_key_element()}='a,b'\"",
                cfg=cfg, multirun=False,
            )
        self.check_types(parsed, cfg, multirun)
        for variant in self.sweep_variants(parsed):
            self.compose_or_fail(variant, parsed, multirun=True)
        self.check_resolves(cfg, multirun)
        if multirun:
            return Checked(multirun=True, sweep_dir=Path(str(cfg.hydra.sweep.dir)).absolute(), config=_job_config(cfg))
        return Checked(multirun=False, run_dir=Path(str(cfg.hydra.run.dir)).absolute(), config=_job_config(cfg))

    def parse(self) -> list:
        from hydra.core.override_parser.overrides_parser import OverridesParser
        from hydra.errors import OverrideParseException

        parser = OverridesParser.create()
        for line in self.lines:
            try:
                parser.parse_overrides([line])
            except OverrideParseException as error:
                raise self.fail(_parse_message(line, error), error) from None
        return parser.parse_overrides(self.lines)

    def is_group(self, override) -> bool:
        return "." not in override.key_or_group and bool(self.options(override.key_or_group))

    def check_groups(self, parsed: list) -> None:
        for o in parsed:
            if o.is_delete() or not self.is_group(o):
                continue
            group = o.key_or_group
            accepted = self.options(group)
            for value in self.group_values(o):
                if value is _MISSING or value in accepted:
                    continue
                shown = "" if value is None else str(value)
                close = difflib.get_close_matches(shown, accepted, n=1)
                hint = f" (did you mean {group}={close[0]}?)" if close else ""
                extra = "; python -m experiments.list describes them" if group in ("estimator", "learner") else ""
                raise self.fail(
                    f"{o.get_key_element()}={shown}: no such choice of {group}{hint}; accepted values of {group}: "
                    f"{', '.join(accepted)}{extra}"
                )

    def group_values(self, o) -> Iterator[Any]:
        if o.is_sweep_override():
            try:
                yield from o.sweep_string_iterator()
            except Exception:  # glob(...) needs Hydra's loader: Hydra expands and checks it
                yield _MISSING
            return
        value = o.value()
        if isinstance(value, list):
            yield from (str(v) for v in value)
        elif isinstance(value, str):
            yield value
        else:
            yield _shown(value)

    def first_line(self, o) -> str:
        if not o.is_sweep_override():
            return o.input_line
        try:
            first = next(iter(o.sweep_string_iterator()))
        except Exception:
            return o.input_line
        return f"{o.get_key_element()}={first}"

    def sweep_variants(self, parsed: list) -> Iterator[list[str]]:
        """Each other value of each sweep, with the first value of every other sweep."""
        first = [self.first_line(o) for o in parsed]
        for i, o in enumerate(parsed):
            if not o.is_sweep_override():
                continue
            try:
                values = list(o.sweep_string_iterator())
            except Exception:
                continue
            for value in values[1:]:
                variant = list(first)
                variant[i] = f"{o.get_key_element()}={value}"
                yield variant

    def compose_or_fail(self, overrides: list[str], parsed: list, multirun: bool | None = None) -> DictConfig:
        try:
            return self.compose(overrides)
        except Exception as error:
            raise self.fail(self.composition_message(error, overrides, parsed), error, multirun=multirun) from None

    def composition_message(self, error: Exception, overrides: list[str], parsed: list) -> str:
        text = str(error)
        found = re.search(r"Could not override '([^']+)'", text)
        if found:
            return self.unknown_key_message(found.group(1), overrides, parsed)
        found = re.search(r"Could not find '([^']+)'", text)
        if found:
            group, _, choice = found.group(1).rpartition("/")
            accepted = self.options(group)
            return f"{group}={choice}: no such choice of {group}; accepted values of {group}: {', '.join(accepted)}"
        reason = _first(text)
        cause = error.__cause__
        if cause is not None and _first(str(cause)) and _first(str(cause)) not in reason:
            reason += f": {_first(str(cause))}"
        return f"the command line does not compose: {reason}"

    def unknown_key_message(self, key: str, overrides: list[str], parsed: list) -> str:
        """``unknown key a.b.c`` with where it stops, the closest existing key and what there is."""
        groups = [self.first_line(o) for o in parsed if self.is_group(o) or o.is_hydra_override()]
        try:
            base = self.compose(groups)
        except Exception:
            return f"unknown key {key}"
        parts = key.split(".")
        node: Any = base
        for depth, part in enumerate(parts):
            here = ".".join(parts[:depth])
            if isinstance(node, DictConfig) and part in node:
                node = node._get_node(part)
                if not isinstance(node, (DictConfig, ListConfig)) and depth < len(parts) - 1:
                    return f"unknown key {key}: {'.'.join(parts[: depth + 1])} is a value, not a section"
                continue
            siblings = [str(k) for k in node.keys()] if isinstance(node, DictConfig) else []
            siblings = [k for k in siblings if k != "hydra" or here]
            close = difflib.get_close_matches(part, siblings, n=1, cutoff=0.6)
            where = f"{here}." if here else ""
            hint = f"; did you mean {where}{close[0]}?" if close else ""
            choice = _choices(base).get(parts[0]) if depth == 1 else None  # a group's own keys; deeper: the section
            owner = f"{parts[0]}={choice}" if choice else (here or "the config")
            has = f" ({owner} has: {', '.join(siblings[:12])}{', ...' if len(siblings) > 12 else ''})" if siblings else ""
            return f"unknown key {key}{hint}{has}"
        return f"unknown key {key}"

    def check_types(self, parsed: list, cfg: DictConfig, multirun: bool) -> None:
        """Each value override against its default: the config composed from the group choices
        alone (composed only when a value needs checking, a third of a second each time)."""
        base = None
        for o in parsed:
            if self.is_group(o) or o.is_delete() or o.is_hydra_override():
                continue
            key = o.key_or_group
            if key.split(".")[0] in UNCHECKED_TYPES:
                continue
            if base is None:
                base = self.compose_or_fail([self.first_line(o) for o in parsed if self.is_group(o) or o.is_hydra_override()],
                                            parsed)
            default = OmegaConf.select(base, key, default=_MISSING, throw_on_resolution_failure=False)
            if default is _MISSING:
                continue
            values = list(o.sweep_iterator()) if o.is_sweep_override() and _can_iterate(o) else [o.value()]
            for value in values:
                problem = _type_problem(default, value)
                if problem:
                    raise self.fail(
                        f"{key} = {_shown(value)}: {problem} (the default is {_shown(default)})",
                        cfg=None if multirun else cfg, multirun=multirun,
                    )

    def check_resolves(self, cfg: DictConfig, multirun: bool) -> None:
        from hydra.core.hydra_config import HydraConfig

        HydraConfig.instance().set_config(cfg)
        for key in cfg:
            if key == "hydra":
                continue
            try:
                OmegaConf.to_container(cfg[key], resolve=True) if isinstance(cfg[key], (DictConfig, ListConfig)) else cfg[key]
            except Exception as error:
                where = getattr(error, "full_key", None) or key
                raise self.fail(f"cannot resolve {where}: {_first(str(error))}", error, multirun=multirun) from None


def _can_iterate(o) -> bool:
    try:
        iter(o.sweep_iterator())
        return True
    except Exception:
        return False


def _type_problem(default: Any, value: Any) -> str | None:
    """Why ``value`` cannot replace ``default`` (``None``: it can)."""
    if value is None or (isinstance(value, str) and "${" in value):
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "give true or false"
    if isinstance(default, int):
        return None if isinstance(value, int) and not isinstance(value, bool) else "give a whole number"
    if isinstance(default, float):
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "give a number"
    return None


def _parse_message(line: str, error: Exception) -> str:
    """One line for an override Hydra's grammar refuses, with how to quote its value."""
    lines = [item for item in str(error).splitlines() if item.strip()]
    skip = ("^", "See ", "Error parsing override")
    reason = next((item.strip() for item in lines if not item.strip().startswith(skip)), "not an override")
    caret = next((item for item in lines if item.strip() == "^"), None)
    lexer = "LexerNoViableAltException: "
    if reason.startswith(lexer):
        position = len(caret) - 1 - len(lexer) if caret is not None else -1
        character = line[position] if 0 <= position < len(line) else ""
        reason = f"unexpected character {character!r}" if character else "unexpected character"
    key, equal, value = line.partition("=")
    if not equal:
        return f"cannot parse override '{line}': {reason}; overrides are key=value"
    quote = '"' if "'" in value else "'"
    shell = "'" if quote == '"' else '"'
    suggestion = f"{shell}{key}={quote}{value}{quote}{shell}"
    return (
        f"cannot parse override '{line}': {reason}; values with brackets, spaces, '=', ',' or non-ASCII "
        f"letters need quotes, e.g. {suggestion} (README, \"A user's panel\")"
    )


def _first(text: str) -> str:
    return (text.strip().splitlines() or [""])[0].strip()


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _job_config(cfg: DictConfig) -> dict:
    """The run's config as its record holds it (resolved, without ``hydra`` and ``debug``)."""
    try:
        from hydra.core.hydra_config import HydraConfig

        HydraConfig.instance().set_config(cfg)
        config = OmegaConf.to_container(cfg, resolve=True)
    except Exception:
        try:
            config = OmegaConf.to_container(cfg, resolve=False)
        except Exception:
            return {}
    config.pop("hydra", None)
    config.pop("debug", None)
    return config


def _choices(cfg: DictConfig) -> dict:
    try:
        choices = OmegaConf.to_container(cfg.hydra.runtime.choices, resolve=False)
    except Exception:
        return {}
    return {k: v for k, v in choices.items() if not str(k).startswith("hydra/")}
