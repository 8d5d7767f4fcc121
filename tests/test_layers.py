"""The layers contract: every import in framework/ and experiments/ points down (or sideways
within a package), never up, whether at module level or inside a function.

Layers, bottom to top (docs/ARCHITECTURE.md). A module may import modules of its own package
and of any lower layer; packages that share a layer may not import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS: list[tuple[str, ...]] = [
    ("framework.errors",),
    ("framework.io", "framework.settings"),
    ("framework.numerics",),
    ("framework.indices",),
    ("framework.data",),
    ("framework.spec",),
    ("framework.learners", "framework.cache"),
    ("framework.bayes", "framework.sensitivity"),  # machinery the families share: the collapsed Bayesian model; omitted-variable bias
    ("framework.estimators",),
    ("framework.records",),
    ("framework.pipeline", "framework.testing"),
    ("framework.rendering",),
    ("framework.study", "framework.coordination"),
    ("framework.report",),
    ("experiments",),
]
MAX_ESTIMATOR_MODULE_LINES = 350


def package_of(module: str) -> tuple[int, str] | None:
    """(layer index, package) of a module name, or None for modules outside the layers."""
    for index, packages in enumerate(LAYERS):
        for package in packages:
            if module == package or module.startswith(package + "."):
                return index, package
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, function-level ones included."""
    module = module_name(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")
                is_package = path.name == "__init__.py"
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def sources() -> list[Path]:
    return sorted(p for folder in ("framework", "experiments") for p in (ROOT / folder).rglob("*.py"))


def violations() -> list[str]:
    found = []
    for path in sources():
        if module_name(path) == "framework":  # the package root holds only its version
            continue
        here = package_of(module_name(path))
        if here is None:
            found.append(f"{path.relative_to(ROOT)}: in no layer (add its package to LAYERS)")
            continue
        for line, name in imports(path):
            there = package_of(name)
            if there is None or there[1] == here[1]:
                continue
            if there[0] > here[0]:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}, a higher layer ({there[1]} above {here[1]})")
            elif there[0] == here[0]:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}, a package of its own layer ({there[1]} beside {here[1]})")
    return found


def test_imports_only_point_down():
    assert violations() == []


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    bad = ROOT / "framework" / "numerics" / "_layer_probe.py"
    bad.write_text("def f():\n    from framework.pipeline import run\n    return run\n")
    try:
        assert any("_layer_probe.py:2 imports framework.pipeline" in v for v in violations())
    finally:
        bad.unlink()


@pytest.mark.parametrize("path", sorted((ROOT / "framework" / "estimators").rglob("*.py")), ids=lambda p: p.name)
def test_estimator_modules_are_small_enough_to_read(path):
    assert len(path.read_text().splitlines()) <= MAX_ESTIMATOR_MODULE_LINES
