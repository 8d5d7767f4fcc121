"""Seed 002's digital-economy indicators (its Table 1) for every city-year of the world.

Each subsystem has a latent level that rises with digitalisation (DIFI) and with the city's
development; its indicators are positive, skewed transforms of that level with their own noise,
so entropy weights and coupling coordination (seed 002, eq. 1-6) have real structure to find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUBSYSTEMS: dict[str, list[str]] = {
    "digital_infrastructure": [
        "dinf_fibre_km_per_km2",
        "dinf_exchange_capacity_per_km2",
        "dinf_mobile_penetration",
        "dinf_broadband_ports_per_100",
        "dinf_broadband_users_per_100",
    ],
    "digital_industrialisation": [
        "dind_software_income_pc",
        "dind_tech_market_turnover_pc",
        "dind_ict_employment",
    ],
    "industrial_digitalisation": [
        "idig_computers_per_100",
        "idig_websites_per_100_firms",
        "idig_ecommerce_firm_share",
        "idig_ecommerce_sales_to_gdp",
        "idig_ecommerce_purchases_to_gdp",
        "idig_rd_fte_per_100",
    ],
}
# (weight of digitalisation, weight of development) in each subsystem's latent level
_LATENT = {
    "digital_infrastructure": (0.8, 0.4),
    "digital_industrialisation": (0.5, 0.8),
    "industrial_digitalisation": (0.6, 0.6),
}


def digital_indicators(
    units: np.ndarray, years: np.ndarray, difi: np.ndarray, development: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    digital = (difi - difi.mean()) / difi.std()
    columns: dict[str, np.ndarray] = {"unit": units, "time": years}
    for subsystem, names in SUBSYSTEMS.items():
        w_digital, w_develop = _LATENT[subsystem]
        latent = w_digital * digital + w_develop * development + 0.3 * rng.standard_normal(units.size)
        for name in names:
            loading = rng.uniform(0.5, 1.0)
            columns[name] = np.exp(0.6 * loading * latent + 0.25 * rng.standard_normal(units.size))
    return pd.DataFrame(columns), {k: list(v) for k, v in SUBSYSTEMS.items()}
