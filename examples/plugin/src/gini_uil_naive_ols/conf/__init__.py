"""Hydra configs of this plugin (``pkg://gini_uil_naive_ols.conf``); Hydra needs this file to see the package."""
