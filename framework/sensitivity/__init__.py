"""How strong would a confounder left out of the data have to be to change a conclusion?

Omitted-variable-bias sensitivity in one parameterisation for every family (Cinelli & Hazlett
2020; Chernozhukov, Cinelli, Newey, Sharma & Syrgkanis 2022, "Long story short"): a confounder
Z explains a share ``r2_treatment`` of the treatment's variation left after the controls and
fixed effects, and a share ``r2_outcome`` of the outcome's left after the treatment as well.
Its bias is at most ``|rho| * sqrt(r2_outcome * r2_treatment / (1 - r2_treatment)) * scale``,
where ``scale`` is each family's own (``docs/SENSITIVITY.md``).
"""

from framework.sensitivity.ovb import Strength, benchmark_strength, bias_factor, ols_bounds, ols_robustness_value
from framework.sensitivity.settings import SensitivitySettings

__all__ = ["SensitivitySettings", "Strength", "benchmark_strength", "bias_factor", "ols_bounds", "ols_robustness_value"]
