"""Hydra entry points: ``python -m experiments.run`` (one run or a multirun sweep)."""
