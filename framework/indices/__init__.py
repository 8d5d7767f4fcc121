"""Index construction: the night-light Gini and UIL of seed 000 (eq. 1-2) and the entropy
composite indices and coupling-coordination model of seed 002 (eq. 1-6, Table 2), with its
indicator systems (:mod:`~framework.indices.system`) and the subsystem and composite indices
of a panel and their coordination within and between regions
(:mod:`~framework.indices.composite`).

Modules here import only :mod:`framework.errors`, :mod:`framework.io` and each other.

See ``docs/INDICES.md`` for the equations as implemented.
"""

from framework.indices.composite import (
    Indices,
    between_regions,
    build_indices,
    check_groups,
    default_groups,
    given_indices,
    group_label,
    within_regions,
)
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
from framework.indices.system import COMPOSITE, IndicatorSystem
from framework.indices.uil import SECTOR_COLUMNS, shares_for_uil, uil

__all__ = [
    "BOUNDARY_TOL",
    "COMPOSITE",
    "LEVEL_LABELS",
    "SECTOR_COLUMNS",
    "CoordinationLevel",
    "EntropyIndex",
    "IndicatorSystem",
    "Indices",
    "between_regions",
    "build_indices",
    "check_groups",
    "composite_index",
    "comprehensive_index",
    "coordination_degree",
    "coordination_level",
    "coordination_levels",
    "coupling_coordination",
    "coupling_degree",
    "default_groups",
    "entropy_index",
    "entropy_weights",
    "gini",
    "gini_by_group",
    "given_indices",
    "group_label",
    "minmax_normalise",
    "shares_for_uil",
    "uil",
    "within_regions",
]
