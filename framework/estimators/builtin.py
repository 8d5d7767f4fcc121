"""The built-in estimator families, by name, imported only when a run asks for one.

Importing a family pulls in its libraries (DoubleML, EconML, PyMC, linearmodels); a run needs
one of them, so each starts up paying for its own.
"""

BUILTIN = {
    "dml": "framework.estimators.dml",
    "causal_forest": "framework.estimators.causal_forest",
    "bayes_hier": "framework.estimators.bayes_hier",
    "bayes_dml": "framework.estimators.bayes_dml",
    "twfe": "framework.estimators.twfe",
}
