"""The designs a study draws from (``study.design``), each with a truth known by construction:

``world``       the synthetic world's own process (``data=synthetic``; the default there)
``calibrated``  the synthetic world fitted to a few moments of the user's panel
``structured``  the user's panel with a rebuilt outcome whose effect is set (plasmode)
``placebo``     the user's real outcome with treatment paths moved between units (truth 0)

With ``data=file`` the default is ``[structured, placebo]``. With ``data=synthetic`` the
three file designs are built from one panel drawn from the world (seed ``seed``) with its
truth removed, as if it were a user's file: how the designs are checked against the world.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from framework.data.panel import Panel
from framework.errors import UserInputError
from framework.settings import integer, positive
from framework.study.calibrate import calibrate
from framework.study.designs.base import Design, Draw, FixedDraw, resemblance, without_truth
from framework.study.designs.placebo import PlaceboDesign
from framework.study.designs.structured import StructuredDesign
from framework.study.designs.world import CalibratedDesign, WorldDesign, source_panel

DESIGNS = ("world", "calibrated", "structured", "placebo")
FILE_DESIGNS = ("calibrated", "structured", "placebo")


def design_names(value: Any, data_kind: str) -> list[str]:
    """``study.design`` as a list of names: ``auto`` is ``world`` on the synthetic world and
    ``[structured, placebo]`` on a file."""
    if value in (None, "auto"):
        return ["world"] if data_kind == "synthetic" else ["structured", "placebo"]
    names = [value] if isinstance(value, str) else list(value)
    if not names:
        raise UserInputError("study.design = []: name at least one design (" + ", ".join(DESIGNS) + ")")
    for name in names:
        if name not in DESIGNS:
            raise UserInputError(f"study.design = {name!r}: use one of {', '.join(DESIGNS)} (or a list of them)")
    if data_kind == "file" and "world" in names:
        raise UserInputError("study.design = world draws the paper's synthetic world, not your file; use calibrated, structured or placebo")
    if len(set(names)) < len(names):
        raise UserInputError(f"study.design = {names}: a design is named twice")
    return names


def build_designs(names: Sequence[str], study: Mapping[str, Any], source: Panel | None, world: Mapping[str, Any], seed: int) -> list[Design]:
    """The designs ``names``, those of a file built from ``source`` (the user's panel, without
    truth); ``world`` are the synthetic world's knobs; ``seed`` seeds what is fitted once."""
    designs = []
    for name in names:
        if name == "world":
            designs.append(WorldDesign(world))
        elif name == "calibrated":
            settings = study.get("calibration") or {}
            tolerance = positive(settings.get("tolerance", 0.15), "study.calibration.tolerance")
            # the calibration's own draws (seed + 1, ...) never include a source drawn from the world at ``seed``
            found = calibrate(source, grid=settings.get("grid"), draws=integer(settings.get("draws", 2), "study.calibration.draws", minimum=1), seed=seed + 1)
            designs.append(CalibratedDesign(found, tolerance))
        elif name == "structured":
            designs.append(StructuredDesign.build(source, study.get("structured") or {}, seed))
        else:
            designs.append(PlaceboDesign.build(source, study.get("placebo") or {}))
    draws = integer(study.get("resemblance_draws", 5), "study.resemblance_draws", minimum=1)
    for design in designs:
        if source is not None and design.name in FILE_DESIGNS:
            design.resemblance_ = resemblance(design, source, draws, seed)
    return designs


__all__ = [
    "DESIGNS", "FILE_DESIGNS", "Design", "Draw", "FixedDraw", "CalibratedDesign", "PlaceboDesign", "StructuredDesign", "WorldDesign",
    "build_designs", "design_names", "source_panel", "without_truth",
]
