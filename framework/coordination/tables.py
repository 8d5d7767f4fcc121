"""The analogues of seed 002's Table 3 (indices by region and year) and Table 4 (D between
regions by year), the within-region D (its Figure 1), the entropy weights and the replication
check, as frames (written as CSV) and :class:`~framework.rendering.document.Table` blocks
(written as Markdown and LaTeX, and shown in the comparison report)."""

from __future__ import annotations

import pandas as pd

from framework.indices.composite import Indices
from framework.indices.coupling import LEVEL_LABELS
from framework.indices.system import COMPOSITE
from framework.rendering.document import Table

LEVEL_NOTE = "Table 2 levels: " + "; ".join(
    f"{k} {label} ({(k - 1) / 10:.1f} \u2264 D {'<' if k < 10 else 'LE'} {k / 10:.1f})".replace("LE", "\u2264")
    for k, label in enumerate(LEVEL_LABELS, 1)) + "."


def subsystem_name(name: str) -> str:
    return "composite" if name == COMPOSITE else name.replace("_", " ")


def _years(frame: pd.DataFrame) -> list[int]:
    return sorted(int(y) for y in frame["year"].unique())


def table3(indices: Indices) -> tuple[pd.DataFrame, Table]:
    """Indices by subsystem and region (rows) and year (columns)."""
    long = indices.frame.melt(id_vars=["region", "year"], value_vars=indices.columns, var_name="subsystem", value_name="index")
    wide = long.pivot_table(index=["subsystem", "region"], columns="year", values="index", sort=False)
    wide = wide.reindex(pd.MultiIndex.from_product([indices.columns, sorted(indices.frame["region"].unique())]))
    wide.columns = [str(c) for c in wide.columns]
    rows, kinds, last = [], [], None
    for (sub, region), values in wide.iterrows():
        rows.append([subsystem_name(sub) if sub != last else "", region, *[f"{v:.3f}" if pd.notna(v) else "" for v in values]])
        kinds.append({"rule"} if last is not None and sub != last else set())
        last = sub
    block = Table("coordination-table3", "Indices by region and year (seed 002 eq. 1-3; analogue of its Table 3)",
                  ["index", "region", *wide.columns], rows, align="ll" + "r" * len(wide.columns), kinds=kinds)
    return wide.rename_axis(["subsystem", "region"]).reset_index(), block


def table4(between: pd.DataFrame) -> tuple[pd.DataFrame, Table]:
    """D between regions by index and group (rows) and year (columns), level in brackets."""
    order = list(dict.fromkeys(between["subsystem"]))
    groups = list(dict.fromkeys(between["group"]))
    wide = between.pivot_table(index=["subsystem", "group"], columns="year", values="D", sort=False)
    levels = between.pivot_table(index=["subsystem", "group"], columns="year", values="level", sort=False)
    index = pd.MultiIndex.from_tuples([(s, g) for s in order for g in groups if (s, g) in wide.index])
    wide, levels = wide.reindex(index), levels.reindex(index)
    years = [str(c) for c in wide.columns]
    rows, kinds, last = [], [], None
    for (sub, group), values in wide.iterrows():
        lv = levels.loc[(sub, group)]
        rows.append([subsystem_name(sub) if sub != last else "", group,
                     *[f"{v:.3f} ({int(l)})" if pd.notna(v) else "" for v, l in zip(values, lv)]])
        kinds.append({"rule"} if last is not None and sub != last else set())
        last = sub
    block = Table("coordination-table4", "Coupling coordination D between regions by year, Table 2 level in brackets "
                  "(seed 002 eq. 4-6; n = regions in the group; analogue of its Table 4)",
                  ["index", "regions", *years], rows, align="ll" + "r" * len(years), kinds=kinds, notes=[LEVEL_NOTE])
    out = wide.copy()
    out.columns = years
    return out.rename_axis(["subsystem", "group"]).reset_index(), block


def within_table(within: pd.DataFrame, n: int) -> tuple[pd.DataFrame, Table]:
    """D within each region across its subsystems, by year, level in brackets."""
    wide = within.pivot_table(index="region", columns="year", values="D", sort=True)
    levels = within.pivot_table(index="region", columns="year", values="level", sort=True)
    years = [str(c) for c in wide.columns]
    rows = [[region, *[f"{v:.3f} ({int(l)})" if pd.notna(v) else "" for v, l in zip(values, levels.loc[region])]]
            for region, values in wide.iterrows()]
    block = Table("coordination-within", f"Coupling coordination D within each region across its {n} subsystems, Table 2 level "
                  "in brackets (seed 002 eq. 4-6, n = number of subsystems)", ["region", *years], rows, notes=[LEVEL_NOTE])
    out = wide.copy()
    out.columns = years
    return out.reset_index(), block


def weights_table(weights: pd.DataFrame) -> Table:
    rows = [[subsystem_name(r.subsystem), r.indicator, r.direction, f"{r.weight:.4f}", f"{r.composite_weight:.4f}"]
            for r in weights.itertuples()]
    return Table("coordination-weights", "Entropy weights per indicator: within its subsystem and in the composite index",
                 ["subsystem", "indicator", "direction", "weight", "composite weight"], rows, align="lllrr")


def replication_table(compare: pd.DataFrame, years: tuple[int, ...] = (2013, 2021)) -> Table:
    """Ours against the paper per cluster (within) and group (between) in ``years``."""
    keys = list(dict.fromkeys(zip(compare["subsystem"], compare["group"])))
    header = ["index", "cluster / pair"]
    for y in years:
        header += [f"{y} C", f"{y} D ours (level)", f"{y} paper (level)"]
    rows, kinds, last = [], [], None
    for sub, group in keys:
        sel = compare[(compare["subsystem"] == sub) & (compare["group"] == group)].set_index("year")
        row = [subsystem_name(sub) if sub != last else "", group]
        for y in years:
            if y in sel.index:
                r = sel.loc[y]
                row += [f"{r['C']:.3f}", f"{r['D']:.3f} ({int(r['level'])})", f"{r['paper_D']:.3f} ({int(r['paper_level'])})"]
            else:
                row += ["", "", ""]
        rows.append(row)
        kinds.append({"rule"} if last is not None and sub != last else set())
        last = sub
    return Table("coordination-replication", "Replication check: our C and D from seed 002's Table 3 against its Table 4 "
                 "(between clusters) and its text (within clusters)", header, rows,
                 align="ll" + "r" * (len(header) - 2), kinds=kinds,
                 notes=["BTH = Beijing-Tianjin-Hebei, CP = Central Plains, SD = Shandong Peninsula. Level: Table 2 of seed 002 "
                        "(for the paper's values, the level its printed D falls in)."])
