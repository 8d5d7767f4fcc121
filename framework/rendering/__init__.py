"""Rendering, below the apps that lay out results: a small document model with its HTML,
Markdown and LaTeX writers (:mod:`~framework.rendering.document`, escaping in
:mod:`~framework.rendering.escape`) and the PNG writer of matplotlib figures
(:mod:`~framework.rendering.png`, the one place that selects matplotlib's Agg backend).

The comparison report (:mod:`framework.report`), the Monte Carlo study's section of it and
the coordination app (:mod:`framework.coordination`) all render through here; nothing here
imports them.
"""
