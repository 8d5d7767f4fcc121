"""Township-level night lights whose eq.-1 Gini is exactly a target value.

Shrinking a set of lights toward its mean, ``L' = mean + s * (L - mean)`` with ``0 < s <= 1``,
keeps every light non-negative, keeps the mean, and multiplies every pairwise difference by
``s``; so the Gini of eq. (1) of the seed paper scales exactly by ``s``. Starting from a skewed
draw whose Gini ``G0`` is at least the target ``G``, ``s = G / G0`` gives a city-year whose
lights have Gini ``G``. A draw that is not skewed enough is made more skewed by raising it to a
power (which raises its Gini) until it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.indices.gini import gini

_MAX_POWER_STEPS = 60


def lights_with_gini(base: np.ndarray, target: float) -> np.ndarray:
    """Return non-negative lights with the same mean as ``base`` and eq.-1 Gini ``target``."""
    n = base.size
    if not 0.0 < target < (n - 1) / n:
        raise ValueError(f"a Gini of {target:.4f} cannot be reached with {n} townships")
    draw = np.asarray(base, dtype=float)
    for _ in range(_MAX_POWER_STEPS):
        current = gini(draw)
        if current >= target:
            break
        draw = draw**1.5
        draw = draw / draw.mean()
    else:  # pragma: no cover - a unique maximum always gets there
        raise ValueError(f"could not skew the draw to a Gini of {target:.4f}")
    mean = draw.mean()
    return mean + (target / current) * (draw - mean)


def township_lights(
    gini_targets: pd.DataFrame,
    townships_per_unit: pd.Series,
    brightness: pd.Series,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Lights for every township of every city-year.

    ``gini_targets`` has columns ``unit``, ``time``, ``gini``; each city keeps a persistent
    spatial pattern (its core is always brightest) that drifts a little from year to year.
    Returns a long frame with ``unit``, ``time``, ``township``, ``light``.
    """
    patterns = {
        unit: np.sort(rng.lognormal(mean=0.0, sigma=1.0, size=int(n)))[::-1]
        for unit, n in townships_per_unit.items()
    }
    first_year = int(gini_targets["time"].min())
    units, times, townships, lights = [], [], [], []
    for unit, time, target in gini_targets[["unit", "time", "gini"]].itertuples(index=False):
        pattern = patterns[unit]
        base = pattern * np.exp(0.1 * rng.standard_normal(pattern.size))
        lights.append(lights_with_gini(base, float(target)) * float(brightness[unit]) * (1.03 ** (time - first_year)))
        units.append(np.full(pattern.size, unit, dtype=object))
        times.append(np.full(pattern.size, time))
        townships.append(np.arange(1, pattern.size + 1))
    return pd.DataFrame(
        {
            "unit": np.concatenate(units),
            "time": np.concatenate(times),
            "township": np.concatenate(townships),
            "light": np.concatenate(lights),
        }
    )
