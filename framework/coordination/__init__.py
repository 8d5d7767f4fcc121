"""Seed 002's coordination analysis, the ``experiments.coordination`` app: a panel of indicators
(or of ready indices) per region and year -> entropy indices -> coupling coordination within
and between regions -> tables, plots and the replication check against the paper.

* :mod:`~framework.coordination.inputs` reads and validates the panel;
* :mod:`~framework.coordination.sources` picks it (synthetic world, a file, the paper's Table 3);
* :mod:`~framework.coordination.analysis` runs it end to end and writes ``coordination/``;
* :mod:`~framework.coordination.tables`, :mod:`~framework.coordination.plots` and
  :mod:`~framework.coordination.replication` lay out its results.

The index maths (eq. 1-6, Table 2) live in :mod:`framework.indices`; the document model and
the PNG writer in :mod:`framework.rendering`. This app imports those, :mod:`framework.data`
and :mod:`framework.io`, never the comparison report (which imports it).
"""
