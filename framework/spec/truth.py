"""The true value of every reported coefficient, for synthetic panels.

The world knows each row's marginal effect ``effect`` (tau_it) of the treatment on the
outcome. For the rows a spec keeps:

* without moderation, ``treatment`` = the mean of tau_it over those rows;
* with moderation, write tau_it = a + b M~_it + r_it (least squares on 1 and the transformed
  moderator M~, which has mean zero). Then ``treatment`` = a, ``treatment_x_moderator`` = b,
  and ``moderator`` = b * mean(treatment) + s * delta, where s converts M~ back to moderator
  units and delta is the world's direct effect of the moderator on the outcome
  (``Panel.moderator_effect``): expanding tau_it * D_it with D centred in the interaction
  moves b * mean(D) onto M~.

See ``docs/SYNTHETIC_WORLD.md`` for the derivation.
"""

from __future__ import annotations

import numpy as np

from framework.data.panel import EFFECT


def true_values(data, moderator_effect: float | None) -> dict[str, float | None]:
    frame = data.frame
    effect = frame[EFFECT].to_numpy(dtype=float)
    if not data.spec.moderated:
        return {"treatment": float(effect.mean())}
    tilde = frame[data.terms["moderator"]].to_numpy(dtype=float)
    design = np.column_stack([np.ones_like(tilde), tilde])
    (intercept, slope), *_ = np.linalg.lstsq(design, effect, rcond=None)
    direct = 0.0 if moderator_effect is None else moderator_effect
    return {
        "treatment": float(intercept),
        "moderator": float(slope * frame["treatment"].mean() + data.moderator_scale * direct),
        "treatment_x_moderator": float(slope),
    }
