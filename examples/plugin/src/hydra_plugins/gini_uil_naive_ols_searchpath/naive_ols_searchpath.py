"""Hydra search-path plugin: puts this package's configs (``estimator/naive_ols.yaml``) on the path.

Hydra imports every module under the ``hydra_plugins`` namespace package at start-up and
calls each :class:`SearchPathPlugin` it finds; keep this module free of heavy imports.
"""

from hydra.core.config_search_path import ConfigSearchPath
from hydra.plugins.search_path_plugin import SearchPathPlugin


class NaiveOLSSearchPathPlugin(SearchPathPlugin):
    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        search_path.append(provider="gini-uil-naive-ols", path="pkg://gini_uil_naive_ols.conf")
