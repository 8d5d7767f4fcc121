"""The seed paper's columns (Tables 2-6) as the ``column`` config group defines them.

Each ``conf/column/<id>.yaml`` is one column of the paper: its table and number, label,
published sample size and coefficients (``column:``), and, through its defaults list and
``split.folds``, the spec that reproduces it. They are read through Hydra's compose API
exactly as a run composes them: the primary ``config`` with ``+column=<id>``, so the
column's ``override /window: ...`` entries, the config's own defaults and ``split.folds`` are
resolved by Hydra, not parsed here; the group choices come from ``hydra.runtime.choices``.

Where the configs are found: the ``conf/`` directory beside the ``framework`` package,
resolved the way the Hydra apps of ``experiments/`` resolve theirs (``config_path="../conf"``,
relative to their package). The configs are not package data, so this works from the
repository and from an editable install; an install without that directory has no columns
(:func:`paper_columns` returns ``{}``): the report then takes published values only from
records that carry them and shows no hypothesis verdicts. Composition runs in a Hydra
context of its own, so the report can be built inside a running Hydra app (the sweep
callback of ``experiments.run``) whose context is restored afterwards.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
"""The Hydra config directory beside the package (``experiments/`` uses ``../conf``)."""
PRIMARY = "config"
GROUP = "column"
SPEC_GROUPS = ("window", "sample", "controls", "moderation", "learner")
"""The config groups a column chooses (through ``override /<group>: ...``) that make its spec."""


def paper_columns(conf_dir: str | Path | None = None) -> dict[str, dict]:
    """``{column id: info}`` for every config of the ``column`` group: the ``column:`` node
    (``id``, ``table``, ``column``, ``label``, ``published_n``, ``published``), the chosen
    ``window``, ``sample``, ``controls``, ``moderation`` and ``learner``, ``folds``
    (``split.folds``) and the window's ``window_start``/``window_end``. Empty when the configs
    cannot be found; a column that does not compose is left out."""
    directory = Path(conf_dir).resolve() if conf_dir else CONF_DIR
    if not (directory / f"{PRIMARY}.yaml").is_file() or not (directory / GROUP).is_dir():
        return {}
    return copy.deepcopy(_compose_all(str(directory)))


@lru_cache(maxsize=4)
def _compose_all(directory: str) -> dict[str, dict]:
    global_hydra = GlobalHydra.instance()
    outer = global_hydra.hydra if global_hydra.is_initialized() else None
    global_hydra.clear()
    try:
        with initialize_config_dir(config_dir=directory, version_base="1.3"):
            names = GlobalHydra.instance().config_loader().get_group_options(GROUP)
            columns = {}
            for name in names:
                try:
                    info = _compose_one(name)
                except (HydraException, OmegaConfBaseException, yaml.YAMLError, OSError):
                    continue
                if info is not None:
                    columns[info["id"]] = info
            return columns
    finally:
        GlobalHydra.instance().clear()
        if outer is not None:
            GlobalHydra.instance().initialize(outer)


def _compose_one(name: str) -> dict | None:
    config = compose(config_name=PRIMARY, overrides=[f"+{GROUP}={name}"], return_hydra_config=True)
    column = OmegaConf.to_container(config.get(GROUP), resolve=True) if config.get(GROUP) is not None else {}
    if not isinstance(column, dict) or not column.get("id"):
        return None
    choices = config.hydra.runtime.choices
    spec = {group: choices.get(group) for group in SPEC_GROUPS}
    window = config.get("window") or {}
    spec["window_start"], spec["window_end"] = window.get("start"), window.get("end")
    spec["folds"] = (config.get("split") or {}).get("folds")
    return {**column, **spec}
