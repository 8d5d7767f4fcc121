"""Our eq. 4-6 on seed 002's own Table 3, beside its Table 4 and the values of its text.

For every cluster (within: n = 3 subsystems) and every group of Table 4 (between: n = 2 for a
pair, 3 for all three) and year, :func:`compare` gives our C, D and Table 2 level next to the
published D and the level that D would have, and the difference. :func:`discrepancies` states
in plain sentences how far apart they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.indices.coupling import coordination_levels

WITHIN = "within (n = 3 subsystems)"


def compare(within: pd.DataFrame, between: pd.DataFrame, table4: pd.DataFrame, text: pd.DataFrame) -> pd.DataFrame:
    """One row per published value: ``kind, subsystem, group, n, year, C, D, level, label,
    paper_D, paper_level, diff`` (``diff`` = ours - published)."""
    published = table4.rename(columns={"D": "paper_D"})
    b = published.merge(between, on=["subsystem", "group", "year"], how="left")
    b.insert(0, "kind", "between")
    w = text.rename(columns={"region": "group", "label": "paper_words", "D": "paper_D"}).merge(
        within.rename(columns={"region": "group"}), on=["group", "year"], how="left")
    w.insert(0, "kind", "within")
    w.insert(1, "subsystem", WITHIN)
    rows = pd.concat([w, b], ignore_index=True)
    out = pd.DataFrame({
        "kind": rows["kind"], "subsystem": rows["subsystem"], "group": rows["group"], "n": rows["n"],
        "year": rows["year"].astype(int), "C": rows["C"], "D": rows["D"], "level": rows["level"], "label": rows["label"],
        "paper_D": rows["paper_D"],
        "paper_level": coordination_levels(rows["paper_D"].to_numpy(dtype=float))["level"].to_numpy(),
        "paper_words": rows.get("paper_words"),
    })
    out["diff"] = out["D"] - out["paper_D"]
    return out


def discrepancies(table: pd.DataFrame) -> list[str]:
    """Plain statements of how our values differ from the published ones."""
    lines = []
    for kind, what in (("between", "Table 4"), ("within", "the text's within-cluster values")):
        sel = table[table["kind"] == kind]
        if sel.empty:
            continue
        zero = sel[sel["D"] == 0]
        nonzero = sel[sel["D"] > 0]
        higher = int((nonzero["diff"] > 0).sum())
        same_level = int((sel["level"] == sel["paper_level"]).sum())
        text = (f"Against {what} ({len(sel)} values): ours is higher in {higher} of the {len(nonzero)} cells where it is non-zero"
                + (f" (by {nonzero['diff'].min():.3f} to {nonzero['diff'].max():.3f})" if len(nonzero) else "")
                + f"; the largest absolute difference is {np.abs(sel['diff']).max():.3f}; the Table 2 level agrees in {same_level} of {len(sel)}.")
        if len(zero):
            cells = ", ".join(f"{r.subsystem if kind == 'between' else ''} {r.group} {r.year} (published {r.paper_D:.3f})".strip()
                              for r in zero.itertuples())
            text += (f" Ours is exactly 0 in {len(zero)} cell(s), because a Table 3 index of 0.000 makes the coupling degree 0 "
                     f"(eq. 4), while the paper prints positive values: {cells}.")
        lines.append(text)
    lines.append("Eq. 4-6 are applied exactly as printed (equal weights beta = 1/n); rounding of Table 3 to three decimals "
                 "cannot explain gaps of this size, so the published Table 4 and text values do not follow from the published "
                 "Table 3 (docs/INDICES.md lists common variants of the formula, none of which reproduces them either).")
    return lines
