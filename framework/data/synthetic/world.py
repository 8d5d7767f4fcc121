"""The calibrated synthetic world: a panel shaped like the seed paper's, with known truth.

Structural equations (city ``i``, year ``t``; ``z(.)`` standardises exactly over the panel):

    controls  X_kit = mean_k + sd_k * z(a_k c_ki + b_k trend_t + g_k e_i trend_t + n_kit)
    DIFI      M_it  = 185.8 + 73.2 * z(level_t * (1 + 0.22 zeta_i) + noise)
    UIL       U_it  = 2.309 + 0.142 * z(0.6 h_i + kappa * (0.35 trend_t + 0.2 e_i + m(X_it)) + nu_it)
    effect    tau_it = effect_mean + eta * (b (M_it - mean M) + s (early_t - mean early) + l h_i)
    Gini      G_it  = 0.407 + alpha_i + lambda_t + g(X_it) + delta (M_it - mean M)
                      + tau_it (U_it - 2.309) + eps_it
    shock     eps_it = outcome_noise * r_it,  r_it = phi r_i,t-1 + sqrt(1 - phi^2) n_it   (phi = noise_ar1)
    hidden    Z_it ~ Normal(0, 1), left out of the data: nu_it += a_d Z_it, eps_it += a_y Z_it, with
              a_d, a_y such that Z explains the shares (r_d, r_y) = hidden_confounder of nu's variance
              and of eps's left once U is known (0: no Z, and every other draw is unchanged)

``h_i`` is the city's industrial level before the sample period (so each city-year's effect is
fixed whatever its current UIL), ``e_i`` its development and ``c_ki`` its size-driven
endowments; ``kappa`` = ``confounding`` scales how much UIL shares the city effects
``alpha_i``, the year effects ``lambda_t`` and the controls that drive the Gini; ``g`` and
``m`` gain non-linear parts scaled by ``nonlinearity``; ``eta`` = ``heterogeneity``. The
Gini's shocks are an AR(1) within each city over its years: ``n_it`` are clipped standard
normals and ``r_i,first = n_i,first``, so each shock keeps the SD it has with ``noise_ar1 = 0``
(independent shocks, ``r_it = n_it``).

Because the Gini is linear in UIL with slope ``tau_it``, ``tau_it`` is each city-year's exact
marginal effect (and ``delta + eta b (U_it - 2.309)`` that of DIFI); the spec turns it into the truth of every reported coefficient. The Gini is
then realised as township lights (eq. 1) and UIL as sector shares (eq. 2), and both are
recomputed from them, so the panel's Gini and UIL *are* the index values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from framework.data.panel import Panel
from framework.data.synthetic.digital import digital_indicators
from framework.data.synthetic.knobs import WorldKnobs
from framework.data.synthetic.townships import township_lights
from framework.errors import UserInputError
from framework.indices.gini import gini_by_group
from framework.indices.uil import shares_for_uil, uil

# Table 1 of the seed paper: mean and standard deviation of each variable.
TABLE1 = {
    "Gini": (0.407, 0.147),
    "UIL": (2.309, 0.142),
    "EI": (13.032, 0.981),
    "SN": (10.723, 1.276),
    "ES": (10.569, 1.413),
    "DL": (17.543, 1.104),
    "GDP": (10.768, 0.566),
    "DIFI": (185.837, 73.191),
}
CONTROLS = ("GDP", "DL", "SN", "EI", "ES")

# How each control is made: loadings of its city endowment on (size, development), then the
# weights of the common trend, of development-specific growth and of yearly noise.
_CONTROL_RECIPES = {
    "GDP": ((0.3, 0.9), 0.35, 0.10, 0.15),
    "DL": ((0.8, 0.5), 0.30, 0.05, 0.12),
    "SN": ((0.9, 0.3), 0.12, 0.03, 0.20),
    "EI": ((0.85, 0.35), 0.30, 0.05, 0.15),
    "ES": ((0.7, 0.55), 0.30, 0.08, 0.25),
}


@dataclass(frozen=True)
class World:
    """One draw of the synthetic world: the panel and the raw material its indices came from."""

    panel: Panel
    townships: pd.DataFrame
    """unit, time, township, light: eq. (1) of seed 000 over these gives the panel's Gini."""
    sector_shares: pd.DataFrame
    """unit, time, primary, secondary, tertiary: eq. (2) of seed 000 gives the panel's UIL."""
    indicators: pd.DataFrame
    """unit, time and seed 002's digital-economy indicators."""
    subsystems: dict[str, list[str]]
    """Seed 002 subsystem -> its indicator columns in ``indicators``."""
    knobs: WorldKnobs
    seed: int


def _z(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    sd = values.std()
    return (values - values.mean()) / sd if sd > 0 else values - values.mean()


def _bounded_normal(rng: np.random.Generator, size, limit: float = 2.5) -> np.ndarray:
    draws = rng.standard_normal(size)
    return np.clip(draws, -limit, limit)


def _ar1_within_city(innovations: np.ndarray, city: np.ndarray, year: np.ndarray, phi: float) -> np.ndarray:
    """Filter each city's innovations, in year order, into an AR(1) with coefficient ``phi``.

    ``r_it = phi r_i,t-1 + sqrt(1 - phi^2) n_it`` from the stationary start ``r_i,first = n_i,first``,
    so every year's shock has the innovations' variance and consecutive shocks of a city correlate
    at ``phi``. Rows may come in any order; ``phi = 0`` returns ``innovations`` itself, untouched.
    """
    if phi == 0:
        return innovations
    scale = np.sqrt(1.0 - phi**2)
    shocks = np.empty_like(innovations)
    previous = np.full(int(city.max()) + 1, np.nan)  # each city's shock in its last year so far
    for t in np.unique(year):  # ascending
        rows = np.flatnonzero(year == t)
        lag = previous[city[rows]]
        shocks[rows] = np.where(np.isnan(lag), innovations[rows], phi * lag + scale * innovations[rows])
        previous[city[rows]] = shocks[rows]
    return shocks


def _hidden_confounder(knobs: WorldKnobs, seed: int, size: int) -> tuple[np.ndarray, float, float]:
    """The omitted confounder: independent standard normals per city-year, from a stream of
    its own so that the rest of the world is the same draw whatever its strength."""
    r2_outcome, r2_treatment = (float(v) for v in knobs.hidden_confounder)
    if r2_outcome == 0 and r2_treatment == 0:
        return np.zeros(size), 0.0, 0.0
    return np.random.default_rng([seed, 0x0C0F]).standard_normal(size), r2_outcome, r2_treatment


def generate_world(knobs: WorldKnobs | None = None, seed: int = 0) -> World:
    """Draw the world deterministically from ``seed``."""
    knobs = knobs or WorldKnobs()
    knobs.check()
    rng = np.random.default_rng(seed)
    n, years = knobs.n_cities, np.array(knobs.years)
    n_years = years.size
    units = np.array([f"C{i + 1:03d}" for i in range(n)])

    # --- city traits (fixed before the sample period) -------------------------------------
    size = _z(rng.standard_normal(n))
    develop = _z(0.5 * size + rng.standard_normal(n))
    level = _z(0.6 * develop + 0.8 * rng.standard_normal(n))  # pre-sample industrial level
    municipality = np.zeros(n, dtype=int)
    municipality[np.argsort(-(size + develop))[: knobs.n_municipalities]] = 1
    resource = _resource_flags(rng, level, municipality, knobs.resource_share)

    # --- long panel index ---------------------------------------------------------------------
    city = np.repeat(np.arange(n), n_years)
    year = np.tile(years, n)
    trend_by_year = _z(years)
    trend = np.tile(trend_by_year, n)
    early = (year <= knobs.early_window_end).astype(float)

    # --- controls -----------------------------------------------------------------------------
    controls = {}
    for name, ((w_size, w_dev), w_trend, w_growth, w_noise) in _CONTROL_RECIPES.items():
        endowment = _z(w_size * size + w_dev * develop + 0.3 * rng.standard_normal(n))
        w_city = np.sqrt(max(1.0 - w_trend**2 - w_growth**2 - w_noise**2, 0.0))
        raw = (
            w_city * endowment[city]
            + w_trend * trend
            + w_growth * develop[city] * trend
            + w_noise * _bounded_normal(rng, city.size)
        )
        mean, sd = TABLE1[name]
        controls[name] = mean + sd * _z(raw)
    xz = {name: _z(values) for name, values in controls.items()}

    # --- DIFI: rising strongly over the period, faster in developed cities --------------------
    progress = (years - years[0]) / max(years[-1] - years[0], 1)
    level_path = 75.0 + 225.0 * progress**0.8
    zeta = _z(0.6 * develop + 0.8 * rng.standard_normal(n))
    difi_raw = level_path[np.searchsorted(years, year)] * (1.0 + 0.22 * zeta[city]) + 4.0 * rng.standard_normal(city.size)
    difi = TABLE1["DIFI"][0] + TABLE1["DIFI"][1] * _z(difi_raw)

    # --- UIL (the treatment) ---------------------------------------------------------------------
    kappa, nl = knobs.confounding, knobs.nonlinearity
    m_of_x = 0.15 * xz["GDP"] + 0.10 * xz["ES"] + nl * (0.25 * np.tanh(1.5 * xz["GDP"]) - 0.10 * np.tanh(xz["DL"]) ** 2)
    treatment_shock = (knobs.treatment_noise / 0.142) * 0.6 * _bounded_normal(rng, city.size)
    confounder, r2_outcome, r2_treatment = _hidden_confounder(knobs, seed, city.size)
    if r2_treatment > 0:
        treatment_shock = treatment_shock + np.std(treatment_shock) * np.sqrt(r2_treatment / (1.0 - r2_treatment)) * confounder
    uil_raw = (
        0.6 * level[city]
        + kappa * (0.35 * trend + 0.2 * develop[city] + m_of_x)
        + treatment_shock
    )
    uil_target = TABLE1["UIL"][0] + TABLE1["UIL"][1] * _z(uil_raw)
    if uil_target.min() < 1.0 or uil_target.max() > 3.0:
        raise UserInputError("the synthetic-world knobs push UIL outside [1, 3]; lower data.world.treatment_noise")
    primary_position = np.clip(0.35 + 0.25 * resource[city] - 0.08 * level[city] + 0.05 * rng.standard_normal(city.size), 0.0, 1.0)
    shares = shares_for_uil(uil_target, primary_position)
    treatment = uil(shares)

    # --- the effect of UIL on the Gini ----------------------------------------------------------
    difi_mean = difi.mean()
    effect = knobs.effect_mean + knobs.heterogeneity * (
        knobs.effect_difi_slope * (difi - difi_mean)
        + knobs.effect_early_shift * (early - early.mean())
        + knobs.effect_level_slope * level[city]
    )

    # --- the Gini (the outcome) ------------------------------------------------------------------
    rho = min(0.8 * kappa, 0.95)
    # Uniform margins keep the city effects' tails, and so the Gini, inside (0, 1).
    city_effect = 0.10 * np.sqrt(3.0) * (2.0 * ndtr(rho * _z(0.5 * level - 0.5 * develop) + np.sqrt(1 - rho**2) * _z(rng.standard_normal(n))) - 1.0)
    year_effect = 0.03 * (kappa * -trend_by_year + 0.3 * _z(rng.standard_normal(n_years)))
    g_of_x = (
        -0.020 * xz["GDP"]
        + 0.010 * xz["SN"]
        + nl * (-0.040 * np.tanh(1.5 * xz["GDP"]) + 0.030 * np.tanh(xz["DL"]) ** 2 + 0.010 * np.sin(2.0 * xz["ES"]))
    )
    outcome_shock = knobs.outcome_noise * _ar1_within_city(_bounded_normal(rng, city.size), city, year, knobs.noise_ar1)
    if r2_outcome > 0:
        # given UIL, the confounder keeps the share 1 - r2_treatment of its variance
        outcome_shock = outcome_shock + np.std(outcome_shock) * np.sqrt(r2_outcome / ((1.0 - r2_outcome) * (1.0 - r2_treatment))) * confounder
    gini_parts = (
        city_effect[city]
        + year_effect[np.searchsorted(years, year)]
        + g_of_x
        + knobs.moderator_direct * (difi - difi_mean)
        + effect * (treatment - TABLE1["UIL"][0])
        + outcome_shock
    )
    gini_target = TABLE1["Gini"][0] + gini_parts - gini_parts.mean()
    gini_target = _keep_inside(gini_target, city, n)
    townships_per_city = rng.integers(knobs.townships_min, knobs.townships_max + 1, size=n)

    frame = pd.DataFrame({"unit": units[city], "time": year, "gini": gini_target})
    lights = township_lights(
        frame,
        pd.Series(townships_per_city, index=units),
        pd.Series(np.exp(0.5 * develop + 0.5 * size + 2.0), index=units),
        rng,
    )
    outcome = gini_by_group(lights["light"].to_numpy(), lights[["unit", "time"]])
    outcome = outcome.reindex(pd.MultiIndex.from_arrays([units[city], year])).to_numpy()

    panel_frame = pd.DataFrame(
        {
            "unit": units[city],
            "time": year.astype(int),
            "outcome": outcome,
            "treatment": treatment,
            **controls,
            "moderator": difi,
            "municipality": municipality[city],
            "resource_city": resource[city],
            "effect": effect,
            # dG/dM holding UIL, city and year fixed: G holds tau_it (U - 2.309) and tau_it
            # rises by heterogeneity * effect_difi_slope per DIFI unit.
            "moderator_effect": knobs.moderator_direct
            + knobs.heterogeneity * knobs.effect_difi_slope * (treatment - TABLE1["UIL"][0]),
        }
    )
    panel = Panel(
        frame=panel_frame,
        controls=CONTROLS,
        source=f"synthetic world (seed={seed})",
        names={"unit": "city", "time": "year", "outcome": "Gini", "treatment": "UIL", "moderator": "DIFI"},
        hidden_confounder=(r2_outcome, r2_treatment) if confounder.any() else None,
    )
    sectors = pd.DataFrame(
        {"unit": units[city], "time": year, "primary": shares[:, 0], "secondary": shares[:, 1], "tertiary": shares[:, 2]}
    )
    indicators, subsystems = digital_indicators(units[city], year, difi, develop[city], rng)
    return World(panel, lights, sectors, indicators, subsystems, knobs, seed)


GINI_FLOOR, GINI_CEILING = 0.01, 0.85


def _keep_inside(gini: np.ndarray, city: np.ndarray, n: int) -> np.ndarray:
    """Shift a city's effect where its Gini path would leave [GINI_FLOOR, GINI_CEILING].

    A city-specific constant is a city fixed effect: it changes neither any city-year's effect
    of UIL nor the within-city variation, so the truth stays exact.
    """
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    np.minimum.at(low, city, gini)
    np.maximum.at(high, city, gini)
    if ((high - low) > GINI_CEILING - GINI_FLOOR).any():
        raise UserInputError("the synthetic-world knobs spread a city's Gini wider than (0, 1) allows; lower the noise or effect knobs")
    shift = np.clip(GINI_FLOOR - low, 0.0, None) + np.clip(GINI_CEILING - high, None, 0.0)
    return gini + shift[city]


def _resource_flags(rng: np.random.Generator, level: np.ndarray, municipality: np.ndarray, share: float) -> np.ndarray:
    """Flag ``share`` of the cities as resource-based, more often those with low industrial level."""
    n = level.size
    eligible = np.flatnonzero(municipality == 0)
    count = min(int(round(share * n)), eligible.size)
    weights = np.exp(-0.8 * level[eligible])
    chosen = rng.choice(eligible, size=count, replace=False, p=weights / weights.sum())
    flags = np.zeros(n, dtype=int)
    flags[chosen] = 1
    return flags
