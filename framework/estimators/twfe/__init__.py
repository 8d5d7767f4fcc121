"""``estimator=twfe``: the reference regression, OLS with unit and period fixed effects (linearmodels).

The regression an economist runs first, on the same spec as every other family:

    y_it = beta' D_it + gamma' X_it + alpha_i + lambda_t + e_it

``D_it`` are the spec's terms (the treatment; with moderation also the transformed moderator
M~_it and the interaction (D_it - mean D) M~_it), ``X_it`` the spec's covariates, ``alpha_i``
unit and ``lambda_t`` period effects. One coefficient is reported per term and then one per
estimated covariate (``control:<column>``, in the order of the covariates); the constant,
dummies and unit means are not reported.

``effects`` (``two_way`` default, ``unit``, ``time``) says which of alpha_i and lambda_t the
model holds; ``fe`` how they enter:

``within``   (default) the within transformation: ``PanelOLS(entity_effects, time_effects)``.
``dummies``  the same model with a constant and one-hot columns (first level dropped): ``PooledOLS``.
``fd``       first differences, ``FirstDifferenceOLS``, with differenced period dummies
             (``two_way``) or without (``unit``); a difference across a gap is never formed.
             ``effects=time`` is refused (differencing always removes alpha_i).
``cre``      correlated random effects (Mundlak): ``PooledOLS`` on a constant, D, X, the period
             dummies (``two_way``) and the unit means of the time-varying D, X and period
             dummies; the within beta exactly, balanced or not. ``effects=time`` is refused.
``none``     pooled OLS with a constant; any ``effects`` but the default is refused.

Covariates the model's effects absorb are dropped and listed in
``diagnostics["dropped_covariates"]``; a term they absorb is an error. With a ``weights``
column every choice is weighted least squares (linearmodels' ``weights=``).

Standard errors: ``cov_type`` ``clustered`` (default; ``cluster`` = ``unit`` default, ``time``
or ``two_way``), ``robust`` or ``unadjusted``; ``debiased`` and ``group_debias`` as
linearmodels applies them. Modules: ``config`` (settings and their combinations), ``design``
(screening, weights, effects removed), ``models`` (the linearmodels fits), ``estimator`` (the
class). The maths: ``docs/estimators/twfe.md``.
"""

from framework.estimators.twfe.estimator import TwoWayFixedEffects

__all__ = ["TwoWayFixedEffects"]
