"""Bayesian hierarchical panel model of the Gini on UIL (PyMC, sampled with nutpie).

The model, its options and what it reports: ``docs/estimators/bayes_hier.md``. Modules:
:mod:`.config` (defaults and settings), :mod:`.design` (the standardised arrays of one fit),
:mod:`.model` (the PyMC model), :mod:`.sampling` (models kept by structure, nutpie / PyMC
sampling), :mod:`.diagnostics` (convergence checks and the diagnostics dict) and
:mod:`.estimator` (the registered class). Importing the package registers ``bayes_hier``;
PyMC, nutpie and ArviZ are imported only inside ``fit``.
"""

from framework.estimators.bayes_hier.estimator import BayesHierarchical
from framework.estimators.bayes_hier.sampling import _MODELS  # noqa: F401  (benchmarks clear it)

__all__ = ["BayesHierarchical"]
