"""Nuisance learners: any scikit-learn-compatible regressor, chosen by config.

``build_learner`` is imported on first use, so a run whose family has no learner does not pay
for importing scikit-learn.
"""

from framework.learners.naming import learner_error_key, learner_name

__all__ = ["build_learner", "learner_error_key", "learner_name"]


def __getattr__(name: str):
    if name == "build_learner":
        from framework.learners.build import build_learner

        return build_learner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
