"""Nuisance learners: any scikit-learn-compatible regressor, chosen by config."""

from framework.learners.build import build_learner, learner_error_key, learner_name

__all__ = ["build_learner", "learner_error_key", "learner_name"]
