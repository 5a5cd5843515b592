"""Paper figures: named figure sets that run their trials through the runner's store (so a
re-run recomputes nothing) and draw a paper's figures.

``FIGURE_SETS`` maps a name (``mibench figures NAME``) to the module that draws it; each module
has ``make(out, *, quick=False, options=None, progress=False, ...) -> list[Path]`` (``options``:
a :class:`mibench.RunOptions`; ``jobs=`` and ``store=`` override its fields)
(``progress``: report each run's progress on stderr).
"""

from __future__ import annotations

import importlib

FIGURE_SETS = {"gmm-mi-paper": "mibench.figures.gmm_mi_paper",
               "beyond-normal": "mibench.figures.beyond_normal",
               "high-dimension": "mibench.figures.high_dimension"}


def figure_set(name: str):
    """The module drawing figure set ``name`` (UnknownNameError for other names)."""
    from mibench.contracts import UnknownNameError

    if name not in FIGURE_SETS:
        raise UnknownNameError(f"unknown figure set {name!r}; known: {', '.join(FIGURE_SETS)}")
    return importlib.import_module(FIGURE_SETS[name])


__all__ = ["FIGURE_SETS", "figure_set"]
