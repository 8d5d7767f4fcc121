"""The first-difference learners' inputs with the differences of the covariates appended.

With first differences (DoubleML's ``fd_exact``), each nuisance is a conditional expectation
given a row's covariates and its unit's previous row's, ``E[dY | X_t, X_t-1]``, and DoubleML
hands the learners ``[X_t, X_t-1]`` side by side. Where the covariates act through a function
``g``, that expectation holds ``g(X_t) - g(X_t-1)``: a difference of one function at two points,
which a tree learner, splitting one column at a time, can only build from many small steps.
``X_t - X_t-1`` is a function of the same inputs, so adding it changes nothing the learners
condition on, and with it a tree can split on the change itself. On the synthetic world's
five-year window this removed about 0.01 of DML's bias on every spec (docs/STUDY.md).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class AppendDifferences(TransformerMixin, BaseEstimator):
    """``[A, B] -> [A, B, A - B]`` for an input of ``2 * n_current`` columns: the first
    ``n_current`` the current period's covariates, the next ``n_current`` the same covariates one
    period earlier (DoubleML's ``fd_exact`` order: ``x_cols`` then ``x_cols_lag``)."""

    def __init__(self, n_current: int):
        self.n_current = n_current

    def fit(self, X, y=None):
        self._check(X)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        X = self._check(X)
        p = self.n_current
        return np.column_stack([X, X[:, :p] - X[:, p:2 * p]])

    def _check(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != 2 * self.n_current:
            raise ValueError(
                f"AppendDifferences(n_current={self.n_current}) expects {2 * self.n_current} columns "
                f"(the covariates, then their previous period's); got shape {X.shape}"
            )
        return X
