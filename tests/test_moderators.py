"""Digitalisation three ways: the moderator column, its truth and the spec record."""

from __future__ import annotations

import numpy as np
import pytest

from framework.data.synthetic import WorldKnobs, generate_world
from framework.data.synthetic.moderators import with_moderator
from framework.errors import UserInputError
from framework.pipeline import load_panel
from framework.spec import Spec, apply_spec, true_values


@pytest.fixture(scope="module")
def world():
    return generate_world(WorldKnobs(n_cities=20), seed=3)


def _subsystem_indices(world) -> dict[str, np.ndarray]:
    """eq. 1-3 by hand, pooled over every city-year, shift 0.0001."""
    ind = world.indicators
    m = len(ind)

    def index(names):
        y = np.column_stack([(ind[n] - ind[n].min()) / (ind[n].max() - ind[n].min()) for n in names]) + 1e-4
        p = y / y.sum(axis=0)
        d = 1 + (p * np.log(p)).sum(axis=0) / np.log(m)
        return y @ (d / d.sum())

    out = {s: index(names) for s, names in world.subsystems.items()}
    out["composite"] = index([n for names in world.subsystems.values() for n in names])
    return out


def test_difi_is_the_worlds_own_panel(world):
    assert with_moderator(world, {"name": "difi"}) is world.panel


def test_digital_index_is_the_entropy_composite_by_hand(world):
    panel = with_moderator(world, {"name": "digital_index", "pooling": "all", "shift": 1e-4})
    assert panel.frame["moderator"].to_numpy() == pytest.approx(_subsystem_indices(world)["composite"], abs=1e-12)
    assert panel.label("moderator") == "digital index"
    assert panel.frame.drop(columns="moderator").equals(world.panel.frame.drop(columns="moderator"))


def test_digital_coordination_is_d_across_the_three_subsystems_by_hand(world):
    s = _subsystem_indices(world)
    # equal weights: D = sqrt(C T) = sqrt(geometric mean) = (S1 S2 S3)^(1/6)
    expected = (np.minimum(s["digital_infrastructure"], 1) * np.minimum(s["digital_industrialisation"], 1)
                * np.minimum(s["industrial_digitalisation"], 1)) ** (1 / 6)
    panel = with_moderator(world, {"name": "digital_coordination"})
    assert panel.frame["moderator"].to_numpy() == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("measure", ["difi", "digital_index", "digital_coordination"])
@pytest.mark.parametrize("moderation", ["centered", "normalized"])
def test_each_measure_in_the_moderation_spec_with_its_truth(world, measure, moderation):
    spec = Spec.from_config({"moderation": {"name": moderation}, "moderator": {"name": measure}})
    panel = with_moderator(world, {"name": measure})
    data = apply_spec(panel, spec)
    truth = true_values(data, panel)
    m = panel.frame["moderator"].to_numpy()
    tilde = m - m.mean() if moderation == "centered" else (m - m.min()) / (m.max() - m.min()) - ((m - m.min()) / (m.max() - m.min())).mean()
    assert data.frame["moderator_tilde"].to_numpy() == pytest.approx(tilde)
    tau = panel.frame["effect"].to_numpy()
    slope = ((tau - tau.mean()) * tilde).sum() / (tilde**2).sum()   # least squares of tau on (1, M~)
    assert truth["treatment_x_moderator"] == pytest.approx(slope, rel=1e-10)
    assert truth["treatment"] == pytest.approx(tau.mean())
    described = data.describe()
    assert described["moderator"] == measure
    if measure == "difi":
        scale = 1.0 if moderation == "centered" else m.max() - m.min()
        assert truth["moderator"] == pytest.approx(scale * panel.frame["moderator_effect"].mean())
        assert "moderator_note" not in described
    else:
        assert truth["moderator"] is None
        assert "proxy of DIFI" in described["moderator_note"]


def test_the_default_moderator_leaves_table6_unchanged():
    spec = Spec.from_config({"moderation": {"name": "centered"}})
    assert spec.moderator == "difi"
    panel, sha = load_panel({"kind": "synthetic", "world": {"n_cities": 20}}, spec, 3)
    assert sha == generate_world(WorldKnobs(n_cities=20), seed=3).panel.sha256()


def test_an_unknown_measure_and_a_proxy_on_a_file_are_one_line_errors(tmp_path):
    with pytest.raises(UserInputError, match=r"moderator = 'dei': use one of difi, digital_index, digital_coordination"):
        Spec.from_config({"moderator": {"name": "dei"}})
    spec = Spec.from_config({"moderation": {"name": "centered"}, "moderator": {"name": "digital_index"}})
    with pytest.raises(UserInputError, match=r"moderator=digital_index is built from the synthetic world.*data\.columns\.moderator"):
        load_panel({"kind": "file", "path": str(tmp_path / "x.csv")}, spec, 0)
