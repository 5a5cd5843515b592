"""Paper figures: named figure sets that run their trials through the runner's store (so a
re-run recomputes nothing) and draw a paper's figures.

A figure set is a plugin like an estimator: a module registered under the entry-point group
``mibench.figures`` (``mibench figures NAME`` finds it through the registry), with
``make(out, *, quick=False, options=None, progress=False, ...) -> list[Path]`` (``options``: a
:class:`mibench.RunOptions`; ``jobs=`` and ``store=`` override its fields; ``progress``: report
each run's progress on stderr). The built-in sets are the modules of this package.
"""

from __future__ import annotations

from mibench.registry import figure_set, figure_sets

__all__ = ["figure_set", "figure_sets"]
