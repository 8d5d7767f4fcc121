"""One causal question, many estimators: the Gini–UIL methods-comparison framework."""

__version__ = "0.1.0"
