"""The Monte Carlo study: many draws of the synthetic world, each run through a set of
estimator configurations and specs, summarised against the truth known by construction."""

from framework.study.design import Cell, StudyDesign
from framework.study.metrics import summarise
from framework.study.recommend import Thresholds, ranking, recommend, verdicts
from framework.study.runner import run_study
from framework.study.replicate import run_replication

__all__ = ["Cell", "StudyDesign", "Thresholds", "summarise", "ranking", "recommend", "verdicts", "run_replication", "run_study"]
