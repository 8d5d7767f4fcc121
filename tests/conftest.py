"""Shared fixtures: learner configs straight from conf/ and seeded synthetic worlds."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from framework.data.synthetic import WorldKnobs, generate_world

ROOT = Path(__file__).resolve().parents[1]


def learner_config(name: str, seed: int = 0) -> dict:
    """A learner YAML from conf/learner/, resolved with the run's seed."""
    node = OmegaConf.load(ROOT / "conf" / "learner" / f"{name}.yaml")
    node = OmegaConf.merge({"seed": seed}, {"learner": node})
    return OmegaConf.to_container(node, resolve=True)["learner"]


@pytest.fixture(scope="session")
def world_panel():
    return generate_world(seed=0).panel


@pytest.fixture(scope="session")
def plain_world_panel():
    """No confounding, linear, constant effect: every approach's assumptions hold."""
    return generate_world(WorldKnobs(confounding=0.0, nonlinearity=0.0, heterogeneity=0.0), seed=0).panel
