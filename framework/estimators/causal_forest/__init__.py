"""``estimator=causal_forest``: a causal forest on double-machine-learning residuals.

Importing the package registers :class:`CausalForestEstimator`. Modules: ``estimator`` (the
class and its orchestration), ``config`` (its settings), ``design`` (what the forest sees,
folds, cross-fitted predictions), ``scores`` (doubly robust scores and the averages on them),
``econml_compat`` (the within refit through EconML internals, behind a version check). The
maths: ``docs/estimators/causal_forest.md``.
"""

from framework.estimators.causal_forest.estimator import CausalForestEstimator

__all__ = ["CausalForestEstimator"]
