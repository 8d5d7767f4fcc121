"""Digitalisation measured three ways: the moderator column of a synthetic panel (``moderator=``).

* ``difi`` (default): the digital-inclusive-finance index of seed 000, the moderator the
  world's effect of UIL is built on (``effect_difi_slope``): the true moderator.
* ``digital_index``: seed 002's entropy composite (eq. 1-3) over the world's 14 digital
  indicators, one value per city-year.
* ``digital_coordination``: seed 002's coupling coordination D (eq. 4-6, n = 3) across the
  three digital subsystem indices (eq. 1-3) of each city-year.

Both seed 002 measures are computed over all city-years of the world (``pooling: all``, the
eq. 1 min and max over every city-year; ``pooling: year`` within each year) by
:mod:`framework.indices.composite`, before the spec picks its rows. They are noisy proxies
of DIFI: the indicators load on DIFI *and* on city development plus noise, and the Gini
depends on DIFI only. The truth of the interaction under a proxy is therefore the slope of
the true effects on the proxy (the same least-squares projection that defines it for DIFI,
``framework/spec/truth.py``), and the moderator's own coefficient has no structural truth
(``null``); the run's spec record says so (``moderator_note``). The measures' names, labels
and notes are in :mod:`framework.data.moderator_measures`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

import pandas as pd

from framework.data.moderator_measures import LABELS, TRUE_MODERATOR, measure_name
from framework.indices import COMPOSITE, IndicatorSystem, build_indices, within_regions


def moderator_values(world, config: Mapping[str, Any] | None) -> pd.Series | None:
    """The chosen measure for every row of ``world.panel.frame`` (``None`` for DIFI, which is
    already the panel's moderator)."""
    name = measure_name(config)
    if name == TRUE_MODERATOR:
        return None
    config = config if isinstance(config, Mapping) else {}
    system = IndicatorSystem({s: {n: "positive" for n in names} for s, names in world.subsystems.items()})
    panel = world.indicators.rename(columns={"unit": "region", "time": "year"})
    indices = build_indices(panel, system, pooling=str(config.get("pooling", "all")), shift=float(config.get("shift", 1e-4)),
                            source="synthetic world")
    values = indices.frame[COMPOSITE] if name == "digital_index" else within_regions(indices)["D"]
    keyed = pd.Series(values.to_numpy(), index=pd.MultiIndex.from_frame(indices.frame[["region", "year"]]))
    frame = world.panel.frame
    return pd.Series(keyed.reindex(pd.MultiIndex.from_arrays([frame["unit"], frame["time"]])).to_numpy(), index=frame.index)


def with_moderator(world, config: Mapping[str, Any] | None):
    """``world.panel`` with its moderator column replaced by the chosen measure."""
    values = moderator_values(world, config)
    if values is None:
        return world.panel
    frame = world.panel.frame.copy()
    frame["moderator"] = values.to_numpy()
    name = measure_name(config)
    return replace(world.panel, frame=frame, names={**world.panel.names, "moderator": LABELS[name]})
