"""Index construction: the night-light Gini and UIL of seed 000 (eq. 1-2) and the entropy
composite indices and coupling-coordination model of seed 002 (eq. 1-6, Table 2).

See ``docs/INDICES.md`` for the equations as implemented.
"""

from framework.indices.coupling import (
    BOUNDARY_TOL,
    LEVEL_LABELS,
    CoordinationLevel,
    comprehensive_index,
    coordination_degree,
    coordination_level,
    coordination_levels,
    coupling_coordination,
    coupling_degree,
)
from framework.indices.entropy import (
    EntropyIndex,
    composite_index,
    entropy_index,
    entropy_weights,
    minmax_normalise,
)
from framework.indices.gini import gini, gini_by_group
from framework.indices.uil import SECTOR_COLUMNS, shares_for_uil, uil

__all__ = [
    "BOUNDARY_TOL",
    "LEVEL_LABELS",
    "SECTOR_COLUMNS",
    "CoordinationLevel",
    "EntropyIndex",
    "composite_index",
    "comprehensive_index",
    "coordination_degree",
    "coordination_level",
    "coordination_levels",
    "coupling_coordination",
    "coupling_degree",
    "entropy_index",
    "entropy_weights",
    "gini",
    "gini_by_group",
    "minmax_normalise",
    "shares_for_uil",
    "uil",
]
