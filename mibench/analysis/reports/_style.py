"""The look shared by every report figure: colours (seaborn's colour-blind palette), markers as a
second cue, axes for n, legends, and saving as PNG and PDF."""

from __future__ import annotations

import math
from contextlib import contextmanager
from pathlib import Path

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p"]
PALETTE_SIZE = 10  # seaborn's colour-blind palette
NOMINAL_1STD = math.erf(1 / math.sqrt(2))  # 0.6827: coverage of +-1 sd of a normal
NOMINAL_2STD = math.erf(2 / math.sqrt(2))  # 0.9545


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def style(name: str = "whitegrid"):
    """A seaborn style context for every figure (does not change global state)."""
    import seaborn as sns

    return sns.axes_style(name)


def palette(methods: list[str]) -> dict[str, tuple]:
    import seaborn as sns

    colours = sns.color_palette("colorblind", PALETTE_SIZE)
    return {m: colours[i % len(colours)] for i, m in enumerate(methods)}


def markers(methods: list[str]) -> dict[str, str]:
    return {m: MARKERS[i % len(MARKERS)] for i, m in enumerate(methods)}


def method_styles(methods: list[str]) -> tuple[dict, dict, dict]:
    """(colour, marker, line style) of each method, in a fixed order."""
    return palette(methods), markers(methods), line_styles(methods)


def line_styles(methods: list[str]) -> dict[str, object]:
    """Solid lines for the first 10 methods (the palette's colours), then dashed, dotted and
    dash-dotted for each further 10, so methods that share a colour still differ in their line."""
    cycle = ["-", (0, (5, 2)), (0, (1, 1.5)), (0, (5, 2, 1, 2))]
    return {m: cycle[(i // PALETTE_SIZE) % len(cycle)] for i, m in enumerate(methods)}


def save(fig, base: Path, formats=("png", "pdf"), dpi: int = 150) -> list[Path]:
    """Save ``fig`` as base.png and base.pdf and close it; returns the paths."""
    plt = _plt()
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    import matplotlib

    # TrueType (Type 42) fonts in PDF/PS: publishers' checks (IEEE PDF eXpress, ACM) reject Type 3
    with matplotlib.rc_context({"pdf.fonttype": 42, "ps.fonttype": 42}):
        for ext in formats:
            p = base.with_suffix(f".{ext}")
            fig.savefig(p, dpi=dpi, bbox_inches="tight")
            paths.append(p)
    plt.close(fig)
    return paths


def _wrap_xlabels(ax, width: int = 18) -> None:
    import textwrap

    labels = [textwrap.fill(t.get_text(), width, break_long_words=False, break_on_hyphens=False)
              for t in ax.get_xticklabels()]
    ax.set_xticks(ax.get_xticks(), labels, rotation=45, ha="right", rotation_mode="anchor", fontsize=7)


def _heatmap_size(table) -> tuple[float, float]:
    """Inches: cells of 0.62 x 0.21 in hold a 6.5 pt value such as -1.3e+35, so that bmi's 40-task
    heatmap (about 10.5 x 10.6 in) still prints its values at ~4.5 pt on a 7 in text width."""
    longest_task = max(len(str(t)) for t in table.index)
    w = 0.62 * table.shape[1] + 0.06 * longest_task + 2.2
    h = max(3.6, 0.21 * len(table) + 2.4)
    return w, h


def n_axis(ax, ns) -> None:
    """A log x axis ticked at the sample sizes themselves (no cluttered minor labels)."""
    from matplotlib.ticker import NullFormatter

    ns = sorted({int(n) for n in ns})
    ax.set_xscale("log")
    if len(ns) <= 8:
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.xaxis.set_minor_formatter(NullFormatter())


def _legend_right(fig, ax=None, **kw):
    axes = fig.axes if ax is None else [ax]
    handles, labels = {}, {}
    for a in axes:
        for h, lab in zip(*a.get_legend_handles_labels(), strict=False):
            if lab not in labels:
                labels[lab] = lab
                handles[lab] = h
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="upper left", bbox_to_anchor=(1.0, 0.95),
                   frameon=False, **kw)


@contextmanager
def panels(methods: list[str], nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float],
           ax=None, look: str = "whitegrid", **subplots):
    """The frame every report figure is drawn in: the style, the figure and its axes, and each
    method's (colour, marker, line style). ``ax`` draws into existing axes instead of a new
    figure: one Axes, or an array of ``nrows * ncols`` of them (one per panel). Yields
    ``(fig, axes as an (nrows, ncols) array, (palette, markers, line styles))``."""
    import numpy as np

    plt = _plt()
    with style(look):
        if ax is None:
            fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **subplots)
        else:
            axes = np.asarray(ax, dtype=object)
            if axes.size != nrows * ncols:
                raise ValueError(f"ax: this figure draws {nrows * ncols} panel(s); got {axes.size} Axes")
            axes = axes.reshape(nrows, ncols)
            fig = axes.flat[0].figure
        yield fig, axes, method_styles(methods)
