"""The inputs of the collapsed model (``model: collapsed``): standardised, two-way demeaned
columns, the control functions, the slope's design and the averaging weights of one fit.

The model and its derivation: ``docs/estimators/bayes_collapsed.md``.
"""

from __future__ import annotations

import math

import numpy as np

from framework.bayes.rows import PanelRows
from framework.bayes.sampling import CollapsedData
from framework.errors import UserInputError
from framework.estimators.bayes_hier.basis import control_basis
from framework.estimators.bayes_hier.design import _codes, _label, _orthonormal, _standardise
from framework.estimators.bayes_hier.groups import SlopeGroups
from framework.numerics.transforms import demean


class CollapsedDesign:
    """Everything one collapsed fit needs besides the sampler's settings."""

    data: CollapsedData
    terms: list[str]
    cities: list
    slope_design: np.ndarray            # (rows, K): a row's slope (standardised) is slope_design @ theta + u_i
    to_units: float                     # data units of the outcome per standardised treatment unit
    term_scale: dict[str, float]        # moderation term -> data units per standardised unit
    term_columns: dict[str, int]        # moderation term -> its column of W
    control_columns: dict[str, int]     # control -> its column of W (controls_basis=linear)
    controls: dict[str, dict]           # control -> how it entered and its number of columns
    modelled: list[str]
    period_labels: list[str]
    period_weights: np.ndarray | None
    period_n_obs: dict[str, int]
    half_labels: list[str]
    half_weights: np.ndarray
    half_n_obs: dict[str, int]
    y_sd: float
    d_sd: float

    @classmethod
    def from_data(cls, data, year_effects: str, heterogeneity: tuple[str, ...], period_end: int, controls_basis: str,
                  spline_knots: int, priors: dict) -> "CollapsedDesign":
        self = cls()
        frame = data.frame
        if "treatment" not in data.terms:
            raise UserInputError("bayes_hier needs the treatment term")
        self.terms = list(data.terms)
        term_cols = [data.terms[t] for t in self.terms if t != "treatment"]
        controls = [c for c in data.covariates if c not in term_cols]
        for name in ["outcome", data.terms["treatment"], *term_cols, *controls]:
            if not np.all(np.isfinite(frame[name].to_numpy(dtype=float))):
                raise UserInputError(f"bayes_hier: column {name!r} has missing or infinite values")
        self.cities, unit = _codes(frame["unit"])
        _, period = _codes(frame["time"])
        rows = PanelRows.from_codes(unit, period)
        groupings = [unit] + ([period] if year_effects == "fixed" else [])

        y_raw = frame["outcome"].to_numpy(dtype=float)
        d_raw = frame[data.terms["treatment"]].to_numpy(dtype=float)
        self.y_sd, y = _standardise(y_raw)
        self.d_sd, d = _standardise(d_raw)
        self.to_units = self.y_sd / self.d_sd
        terms = [_standardise(frame[c].to_numpy(dtype=float)) for c in term_cols]
        self.term_scale = {t: self.y_sd / sd for t, (sd, _) in zip(self.terms[1:], terms)}

        # control functions: every control's basis, two-way demeaned, then orthonormalised
        # together (a thin QR: same span, unit-SD orthogonal columns; directions the fixed
        # effects absorb, e.g. a control constant within units, drop out)
        self.controls, pieces, self.control_columns = {}, [], {}
        control_sd = {}
        for name in controls:
            sd, values = _standardise(frame[name].to_numpy(dtype=float))
            control_sd[name] = sd
            basis, kind = (values[:, None], "linear") if controls_basis == "linear" else control_basis(values, spline_knots)
            self.controls[_label(name, data.terms)] = {"entered_as": kind, "columns": int(basis.shape[1])}
            pieces.append(basis)
        if controls_basis == "linear":
            basis = demean(np.column_stack(pieces), groupings) if pieces else np.zeros((len(frame), 0))
            self.control_sd = [control_sd[c] for c in controls]
        else:
            basis = _orthonormal(demean(np.column_stack(pieces), groupings)) if pieces else np.zeros((len(frame), 0))
        self.basis_columns = int(basis.shape[1])

        y, d = demean(y, groupings), demean(d, groupings)
        term_values = demean(np.column_stack([v for _, v in terms]), groupings) if terms else np.zeros((len(frame), 0))

        # heterogeneity of the slope: +-1 offsets by period window and by the unit's treatment level
        groups = SlopeGroups(data, frame["time"].to_numpy(dtype=int), d_raw, unit, heterogeneity, period_end)
        early, unit_high = groups.early, groups.unit_high
        self.period_labels, self.period_n_obs, self.modelled = groups.period_labels, groups.period_n_obs, groups.modelled
        modelled = groups.modelled

        n = len(frame)
        columns, names, prior_sd, slope = [d], ["slope_mean"], [priors["coef"]], [np.ones(n)]
        offset_sd = priors["group_sd"] / math.sqrt(2.0)  # a two-level ZeroSumNormal(group_sd)'s elements
        if "period" in modelled:
            sign = np.where(early, 1.0, -1.0)
            columns.append(d * sign), names.append("period_offset"), prior_sd.append(offset_sd), slope.append(sign)
        if "treatment_group" in modelled:
            sign = np.where(unit_high[unit], 1.0, -1.0)
            columns.append(d * sign), names.append("uil_group_offset"), prior_sd.append(offset_sd), slope.append(sign)
        self.term_columns = {}
        for k, term in enumerate(self.terms[1:]):
            self.term_columns[term] = len(columns)
            columns.append(term_values[:, k]), names.append(term), prior_sd.append(priors["coef"])
            if term == "treatment_x_moderator":
                # the row's effect of the treatment also moves with the interaction times M~
                moderator = frame[data.terms["moderator"]].to_numpy(dtype=float)
                slope.append(moderator * self.term_scale[term] / self.to_units)
            else:
                slope.append(np.zeros(n))
        for k in range(basis.shape[1]):
            if controls_basis == "linear":
                self.control_columns[_label(controls[k], data.terms)] = len(columns)
            columns.append(basis[:, k]), names.append(f"control_basis_{k}"), prior_sd.append(priors["coef"])
            slope.append(np.zeros(n))
        W = np.column_stack(columns)
        self.slope_design = rows.sort(np.column_stack(slope))
        self.data = CollapsedData(
            y=rows.sort(y), W=rows.sort(W), d=rows.sort(d), rows=rows, names=names, prior_sd=np.array(prior_sd, dtype=float),
        )
        self.period_weights = rows.sort(groups.period_weights.T).T if groups.period_weights is not None else None
        self.half_labels, self.half_n_obs = groups.half_labels, groups.half_n_obs
        self.half_weights = rows.sort(groups.half_weights.T).T
        return self

    @property
    def n_obs(self) -> int:
        return self.data.rows.n_rows
