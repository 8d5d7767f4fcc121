"""List what a run can choose: the registered estimators and the learner configs.

    python -m experiments.list

One line each: estimators as ``name  description`` (built-ins and those that installed
packages add through the ``framework.estimators`` entry-point group; a name without an
``estimator/<name>.yaml`` on Hydra's search path is marked, as ``estimator=<name>`` needs
one), learners as ``name  _target_  description`` from ``conf/learner/*.yaml`` (the first
comment line of the file).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from omegaconf import OmegaConf

from framework.errors import UserInputError
from framework.estimators import available

CONF = Path(__file__).resolve().parents[1] / "conf"


def estimator_configs() -> set[str] | None:
    """Names with an ``estimator/<name>`` config on Hydra's search path (plugins included)."""
    try:
        from hydra import initialize_config_dir
        from hydra.core.global_hydra import GlobalHydra

        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            return set(GlobalHydra.instance().config_loader().get_group_options("estimator"))
    except Exception:  # the listing must not depend on Hydra's internals
        return None


def learners(directory: Path = CONF / "learner") -> list[tuple[str, str, str]]:
    """(name, _target_, first comment line) for each learner YAML, sorted by name."""
    rows = []
    for path in sorted(directory.glob("*.yaml")):
        node = OmegaConf.to_container(OmegaConf.load(path))
        rows.append((path.stem, target_label(node), first_comment(path)))
    return rows


def target_label(node: dict) -> str:
    """``_target_``, with the targets of its positional ``_args_`` (e.g. a pipeline's steps)."""
    target = node.get("_target_")
    if not target:
        return "(set learner._target_)"
    steps = [arg["_target_"].rsplit(".", 1)[-1] for arg in node.get("_args_") or [] if isinstance(arg, dict) and arg.get("_target_")]
    return f"{target}({', '.join(steps)})" if steps else str(target)


def first_comment(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            return stripped.lstrip("#").strip()
    return ""


def table(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    """Rows as lines with every column but the last padded to its widest cell."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        (indent + "  ".join([cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]])).rstrip()
        for row in rows
    ]


def lines() -> list[str]:
    estimators = available()
    configs = estimator_configs()
    rows = []
    for name, description in estimators.items():
        note = "" if configs is None or name in configs else f"  [no estimator/{name}.yaml on the config path]"
        rows.append((name, (description or "") + note))
    out = ["estimators (estimator=<name>):", *table(rows)]
    out += ["learners (learner=<name>):", *table(learners())]
    return out


def main() -> None:
    try:
        print("\n".join(lines()))
    except UserInputError as error:  # e.g. a plugin that fails to load
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except BrokenPipeError:  # e.g. piped into head
        sys.stdout = open(os.devnull, "w")


if __name__ == "__main__":
    main()
