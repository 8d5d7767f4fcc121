"""The numerics every family and app shares, each written once.

* :mod:`framework.numerics.transforms` -- panel transforms: unit and period codes, exact
  demeaning by unit and period, one-hot dummies, adjacent periods for first differences;
* :mod:`framework.numerics.inference` -- the :class:`Coefficient` record, the clustered
  (CR0/CR1) sandwich of a least-squares fit or of a score, group effects as coefficients;
* :mod:`framework.numerics.evaluation` -- error against a known truth (bias, RMSE, coverage
  and their Monte Carlo standard errors), used by the report and the Monte Carlo study.
"""
