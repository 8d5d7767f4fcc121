"""Design-matrix helpers shared by the estimator families."""

from __future__ import annotations

import pandas as pd

UNIT_CODE = "unit_code"


def with_dummies(frame: pd.DataFrame, covariates: list[str], by: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Add one-hot columns for each of ``by`` (first level dropped) to the covariates."""
    pieces = [frame]
    x_cols = list(covariates)
    for column in by:
        dummies = pd.get_dummies(frame[column].astype(str), prefix=f"fe_{column}", drop_first=True, dtype=float)
        pieces.append(dummies)
        x_cols += list(dummies.columns)
    return pd.concat(pieces, axis=1), x_cols


def unit_codes(frame: pd.DataFrame):
    """Integer city codes 0..n_units-1 (sorted by unit id), e.g. for clustering and grouping."""
    return pd.factorize(frame["unit"], sort=True)[0]
