"""The one use of EconML internals: the within-transform refit of ``CausalForestDML``.

EconML has no hook between its first stage and the forest. Under ``fe=within`` the forest
must be grown on residuals demeaned by city and year, so the cached residuals
(``_cached_values``, private) are replaced by their transform and only the final stage is
refitted (``refit_final``). This is tested on the EconML versions of
:data:`TESTED_ECONML_VERSIONS` (major.minor); any other fails in one line before fitting.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Callable

import numpy as np

from framework.errors import UserInputError

TESTED_ECONML_VERSIONS = ("0.17",)
"""EconML releases (major.minor) whose ``_cached_values`` the within refit is tested on."""


def check_econml_version() -> None:
    """Refuse an EconML release the within refit has not been tested on, in one line."""
    try:
        installed = version("econml")
    except PackageNotFoundError:
        raise UserInputError("causal_forest needs econml; it is not installed") from None
    if ".".join(installed.split(".")[:2]) not in TESTED_ECONML_VERSIONS:
        tested = ", ".join(f"{v}.x" for v in TESTED_ECONML_VERSIONS)
        raise UserInputError(
            f"causal_forest with fe=within relies on EconML internals tested on econml {tested}; this is econml {installed}"
        )


def refit_on_transformed(forest, transform: Callable[[np.ndarray], np.ndarray], n_estimators: int) -> None:
    """Replace ``forest``'s cached residuals by ``transform`` of them and refit its final stage
    with ``n_estimators`` trees (the first stage is not re-run)."""
    cached = getattr(forest, "_cached_values", None)
    if cached is None or len(cached.nuisances) != 2:
        raise RuntimeError("this EconML version does not cache CausalForestDML residuals as expected (econml 0.17)")
    y_res, d_res = cached.nuisances
    forest._cached_values = cached._replace(nuisances=(transform(y_res), transform(d_res)))
    forest.n_estimators = n_estimators
    forest.refit_final()
