"""The Monte Carlo study: many draws of a design (the synthetic world, or designs built from
the user's panel), each run through a set of estimator configurations and specs, summarised
against the truth the design knows by construction."""

from framework.study.conduct import StudyResult, conduct
from framework.study.metrics import summarise
from framework.study.plan import Cell, StudyPlan
from framework.study.recommend import Thresholds, ranking, recommend, verdicts
from framework.study.replicate import run_replication
from framework.study.runner import run_study
from framework.study.stability import top_stability

__all__ = [
    "Cell", "StudyPlan", "StudyResult", "Thresholds", "conduct", "summarise", "ranking", "recommend", "verdicts",
    "run_replication", "run_study", "top_stability",
]
