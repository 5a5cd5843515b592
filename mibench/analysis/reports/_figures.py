"""Report figures. Each figure has a ``*_data`` function that computes the plotted numbers
from a summary (mibench.analysis.metrics.summarize, with labels from add_labels) and a ``plot_*``
function that draws them and returns a matplotlib Figure (None when there is nothing to draw).

All MI values in nats, times in seconds. Colours come from seaborn's colour-blind palette,
with markers as a second cue.
"""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pandas as pd

from mibench.analysis.metrics import TASK, log_relative_error, sample_complexity
from mibench.analysis.reports._labels import ordered
from mibench.analysis.reports._style import (  # noqa: F401  (re-exported: figures.save, ...)
    MARKERS,
    NOMINAL_1STD,
    NOMINAL_2STD,
    PALETTE_SIZE,
    _heatmap_size,
    _legend_right,
    _plt,
    _wrap_xlabels,
    line_styles,
    markers,
    method_styles,
    n_axis,
    palette,
    panels,
    save,
    style,
)


def by_method(data: pd.DataFrame, methods):
    """(method, its rows) for each method (in the given order) that has rows in ``data``."""
    for m in methods:
        g = data[data["method"] == m]
        if not g.empty:
            yield m, g


# ------------------------------------------------------------------ estimate vs true MI
def estimate_vs_true_data(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (n, method, task): true MI, mean estimate and std over seeds (cells with ok trials)."""
    ok = summary[summary["ok"] > 0]
    return ok[["n", "method", "task", "scenario", "true_mi", "mean", "std"]].sort_values(
        ["n", "method", "scenario", "true_mi"]).reset_index(drop=True)


def ceilings_to_draw(ceilings: pd.DataFrame, n: int, top: float) -> list[tuple[str, str, float, str]]:
    """The (kind, method, value, legend label) ceilings worth drawing in a panel at sample size n
    whose MI axis reaches ``top``: those below 1.5 x top (higher ones cannot bind on this axis).
    One ln-sample-size line per distinct evaluation size (method "" when all bounds share it)."""
    out = []
    if ceilings is None or ceilings.empty:
        return out
    c = ceilings[ceilings["n"] == n]
    for n_eval, g in c.groupby(c["n_eval"].round(6), sort=True):
        value = float(np.log(n_eval))
        if value <= 1.5 * top:
            method = "" if len(g) == len(c) else ", ".join(g["method"])
            what = f"ln n = ln {n_eval:g}" if n_eval == n else f"ln n_test = ln {n_eval:g}"
            out.append(("log_n", method, value, f"{what} ({method or 'lower bounds'})"))
    for _, row in c.iterrows():
        if math.isfinite(row["ceiling"]) and row["ceiling"] <= 1.5 * top:
            out.append(("ceiling", row["method"], float(row["ceiling"]),
                        f"own ceiling ({row['method']})"))
    return out


def plot_estimate_vs_true(summary: pd.DataFrame, ceilings: pd.DataFrame | None = None,
                          band: float = 1.0, title: str | None = None, *, data=None, ax=None):
    """Mean estimate vs true MI, one panel per n: per method and scenario, a sweep (distinct true
    MIs) as a line with a +-band x std (over seeds) band, tasks sharing a true MI as points with
    +-band x std error bars; the identity line, and the ln n (or ln n_test) / ln(batch) ceilings
    of the lower bounds where they bind."""
    data = estimate_vs_true_data(summary) if data is None else data
    if data.empty:
        return None
    ns = sorted(data["n"].unique())
    methods = ordered(summary["method"])
    lo = min(0.0, float(np.nanmin(data[["true_mi", "mean"]].to_numpy())))
    top = float(np.nanmax(data["true_mi"]))
    # error bars at a shared true MI are dodged sideways per method (1.5 % of the axis apart)
    step = 0.015 * ((top - lo) or 1.0)
    dodge = {m: (i - (len(methods) - 1) / 2) * step for i, m in enumerate(methods)}
    with panels(methods, 1, len(ns), figsize=(4.0 * len(ns), 3.8), ax=ax,
                sharey=True) as (fig, axes, (pal, mk, ls)):
        for ax, n in zip(axes[0], ns, strict=False):
            d = data[data["n"] == n]
            ax.plot([lo, top], [lo, top], color="0.3", ls="--", lw=1, label="identity (true MI)")
            for m in methods:
                for _, g in d[d["method"] == m].groupby("scenario", sort=False):
                    g = g.sort_values("true_mi")
                    std = band * g["std"].fillna(0.0).to_numpy()
                    if len(g) > 1 and g["true_mi"].is_unique:  # a sweep: line and band
                        ax.plot(g["true_mi"], g["mean"], marker=mk[m], ms=4, lw=1.2, color=pal[m],
                                ls=ls[m], label=m)
                        ax.fill_between(g["true_mi"], g["mean"] - std, g["mean"] + std,
                                        color=pal[m], alpha=0.18, lw=0)
                    else:  # tasks sharing a true MI (bmi's suites): points with error bars
                        ax.errorbar(g["true_mi"] + dodge[m], g["mean"], yerr=std, marker=mk[m], ms=4,
                                    ls="none", elinewidth=1, capsize=2, color=pal[m], label=m)
            for kind, m, value, label in ceilings_to_draw(ceilings, n, top):
                if kind == "log_n":
                    ax.axhline(value, color="0.45", ls=":", lw=1.2, label=label)
                else:
                    ax.axhline(value, color=pal.get(m, "0.3"), ls="-.", lw=1.2, label=label)
            ax.set_title(f"n = {n}")
            ax.set_xlabel("true MI [nats]")
        axes[0][0].set_ylabel(f"estimated MI [nats] (mean ± {band:g} std)")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        _legend_right(fig)
    return fig


# ------------------------------------------------------------------ bias vs n
def bias_vs_n_data(summary: pd.DataFrame) -> pd.DataFrame:
    ok = summary[summary["ok"] > 0]
    return ok[["task", "method", "n", "true_mi", "bias", "sem", "rel_bias"]].sort_values(
        ["task", "method", "n"]).reset_index(drop=True)


def plot_bias_vs_n(summary: pd.DataFrame, max_panels: int = 48, *, data=None, ax=None):
    """Bias (mean - true MI) vs n on a log axis, one panel per task, error bars +-1 sem."""
    data = bias_vs_n_data(summary) if data is None else data
    if data.empty or data["n"].nunique() < 2:
        return None
    tasks = ordered(summary["task"])
    if len(tasks) > max_panels:
        logging.getLogger(__name__).warning(
            "bias vs n: drawing the first %d of %d tasks (all are in bias_vs_n.csv)",
            max_panels, len(tasks))
        tasks = tasks[:max_panels]
    ncol = min(len(tasks), 4)
    nrow = math.ceil(len(tasks) / ncol)
    with panels(ordered(summary["method"]), nrow, ncol, figsize=(3.4 * ncol, 2.7 * nrow),
                ax=ax) as (fig, axes, (pal, mk, ls)):
        for ax in axes.flat[len(tasks):]:
            ax.set_visible(False)
        for ax, t in zip(axes.flat, tasks, strict=False):
            d = data[data["task"] == t]
            ax.axhline(0, color="0.3", lw=1, ls="--")
            for m, g in by_method(d, pal):
                ax.errorbar(g["n"], g["bias"], yerr=g["sem"].fillna(0.0), color=pal[m], marker=mk[m],
                            ls=ls[m], ms=4, lw=1.2, capsize=2, label=m)
            n_axis(ax, data["n"])
            ax.set_title(t, fontsize=8)
        for i, ax in enumerate(axes.flat[:len(tasks)]):
            if i + ncol >= len(tasks):  # nothing below it: label the n axis here
                ax.set_xlabel("n (samples, log scale)")
        for ax in axes[:, 0]:
            ax.set_ylabel("bias [nats]")
        fig.tight_layout()
        _legend_right(fig)
    return fig


# ------------------------------------------------------------------ runtime vs n
def runtime_data(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (method, n): median, min and max over tasks of the mean wall time per estimate [s]."""
    ok = summary[summary["ok"] > 0]
    g = ok.groupby(["method", "n"], sort=False)["mean_wall_s"]
    out = pd.DataFrame({"median_s": g.median(), "min_s": g.min(), "max_s": g.max(),
                        "tasks": g.size()}).reset_index()
    return out.sort_values(["method", "n"]).reset_index(drop=True)


def plot_runtime_vs_n(summary: pd.DataFrame, *, data=None, ax=None):
    """Wall time per estimate vs n (log-log), median over tasks with a min-max band."""
    data = runtime_data(summary) if data is None else data
    if data.empty:
        return None
    with panels(ordered(summary["method"]), figsize=(5.5, 4), ax=ax) as (fig, axes, (pal, mk, ls)):
        ax = axes[0, 0]
        for m, g in by_method(data, pal):
            ax.plot(g["n"], g["median_s"], marker=mk[m], color=pal[m], ls=ls[m], label=m)
            ax.fill_between(g["n"], g["min_s"], g["max_s"], color=pal[m], alpha=0.15, lw=0)
        n_axis(ax, data["n"])
        ax.set_yscale("log")
        ax.set_xlabel("n (samples, log scale)")
        ax.set_ylabel("wall time per estimate [s]\n(median over tasks, band: min-max)")
        fig.tight_layout()
        _legend_right(fig)
    return fig


# ------------------------------------------------------------------ accuracy vs runtime
def accuracy_runtime_data(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (method, n): RMSE pooled over tasks, sqrt(mean over tasks of RMSE^2) [nats], and the
    median over tasks of the mean wall time [s]."""
    ok = summary[summary["ok"] > 0]
    rows = []
    for (m, n), g in ok.groupby(["method", "n"], sort=False):
        rows.append({"method": m, "n": int(n), "rmse": float(np.sqrt(np.mean(g["rmse"] ** 2))),
                     "seconds": float(g["mean_wall_s"].median()), "tasks": len(g)})
    return pd.DataFrame(rows, columns=["method", "n", "rmse", "seconds", "tasks"])


def plot_accuracy_vs_runtime(summary: pd.DataFrame, *, data=None, ax=None):
    """RMSE vs wall time, one point per method and n (labelled with n), log time axis."""
    data = accuracy_runtime_data(summary) if data is None else data
    if data.empty:
        return None
    with panels(ordered(summary["method"]), figsize=(5.8, 4.2), ax=ax) as (fig, axes, (pal, mk, ls)):
        ax = axes[0, 0]
        for m, g in by_method(data.sort_values("n", kind="stable"), pal):
            # dotted; methods past the palette's colours keep their own (non-solid) line style
            ax.plot(g["seconds"], g["rmse"], marker=mk[m], color=pal[m], lw=0.8,
                    ls=":" if ls[m] == "-" else ls[m], label=m)
            for _, r in g.iterrows():
                ax.annotate(f"{r['n']}", (r["seconds"], r["rmse"]), textcoords="offset points",
                            xytext=(4, 3), fontsize=6, color=pal[m])
        ax.set_xscale("log")
        ax.set_xlabel("wall time per estimate [s] (median over tasks)")
        ax.set_ylabel("RMSE [nats] (pooled over tasks)")
        ax.set_title("accuracy vs cost (labels: n)")
        fig.tight_layout()
        _legend_right(fig)
    return fig


# ------------------------------------------------------------------ heatmaps
def heatmap_data(summary: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """At sample size n: (mean estimate, clipped log relative error) as task x method tables,
    with a first ``true MI`` column in the mean table."""
    s = summary[summary["n"] == n].copy()
    s["log_rel_error"] = log_relative_error(s)
    s.loc[s["ok"] == 0, "mean"] = np.nan
    tasks, methods = ordered(s["task"]), ordered(s["method"])
    mean = s.pivot_table(index="task", columns="method", values="mean", aggfunc="first", dropna=False)
    err = s.pivot_table(index="task", columns="method", values="log_rel_error", aggfunc="first",
                        dropna=False)
    mean = mean.reindex(index=tasks, columns=methods)
    err = err.reindex(index=tasks, columns=methods)
    truth = s.groupby("task", sort=False)["true_mi"].first().reindex(tasks)
    mean.insert(0, "true MI", truth)
    return mean, err


def cell_text(v: float) -> str:
    """A heatmap annotation: two decimals, or 2 significant digits beyond +-1000 (a diverged
    estimator's mean, e.g. -1.3e+35, must not spill over its neighbours)."""
    return f"{v:.2f}" if abs(v) < 1000 else f"{v:.1e}"


def _task_heatmap(data: pd.DataFrame, annot: pd.DataFrame, grey_text: dict, *, xlabel: str,
                  title: str, cbar_label: str, text_color: str = "black", ax=None, **colour_kw):
    """The frame shared by the task x estimator heatmaps (call inside ``style("white")``): cells
    coloured by ``data`` (NaN: grey) and annotated by ``annot``, grey cells labelled with
    ``grey_text[(row, col)]``, wrapped estimator names, into ``ax`` or a new figure. Returns
    (fig, ax); the caller adds its own touches and calls ``fig.tight_layout()``."""
    import seaborn as sns

    if ax is None:
        fig, ax = _plt().subplots(figsize=_heatmap_size(data))
    fig = ax.figure
    ax.set_facecolor("0.85")
    with warnings.catch_warnings():  # seaborn's own use of a deprecated matplotlib call
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        sns.heatmap(data, ax=ax, annot=annot, fmt="", annot_kws={"fontsize": 6.5}, linewidths=0.4,
                    linecolor="white", cbar_kws={"label": cbar_label, "shrink": 0.8, "fraction": 0.08},
                    **colour_kw)
    for (i, j), text in grey_text.items():
        ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=6.5, color=text_color)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel("task")
    ax.tick_params(axis="y", labelsize=7, labelrotation=0)
    _wrap_xlabels(ax)
    ax.set_title(title)
    return fig, ax


def plot_heatmap(summary: pd.DataFrame, n: int, clip: float = 1.0, title: str | None = None, *,
                 data=None, ax=None):
    """bmi's main figure: tasks x methods, cells annotated with the mean estimate and coloured
    by ln(mean / true MI) clipped to +-clip (blue under-, red over-estimates); true MI first.
    ``data``: :func:`heatmap_data`'s (mean, error) pair."""
    mean, err = heatmap_data(summary, n) if data is None else data
    if mean.empty:
        return None
    colour = err.copy()
    colour.insert(0, "true MI", np.nan)  # grey, annotated below: not an estimate to colour
    annot = mean.map(lambda v: "" if not np.isfinite(v) else cell_text(v))
    # grey cells with a value (the truth column, and true MI = 0: no ratio) keep their number
    grey_text = {(i, j): cell_text(v) for (i, j), v in np.ndenumerate(mean.to_numpy())
                 if np.isfinite(v) and not np.isfinite(colour.iat[i, j])}
    with style("white"):
        fig, _ = _task_heatmap(
            colour, annot, grey_text, cmap="RdBu_r", vmin=-clip, vmax=clip, center=0,
            cbar_label=f"ln(mean / true MI)\nclipped to ±{clip:g}",
            xlabel="estimator (cells: mean estimate [nats]; first column: true MI;\n"
                   "grey with a value: no ratio (true MI = 0); grey, empty: not run or failed)",
            title=title or f"mean MI estimate, n = {n}", ax=ax)
        fig.tight_layout()
    return fig


def sample_complexity_data(summary: pd.DataFrame, factor: float = 1.5) -> pd.DataFrame:
    """Task x method table of the smallest n from which the mean estimate stays within a
    factor of the truth (NaN: never within the tried ns)."""
    sc = sample_complexity(summary, factor)
    names = summary.drop_duplicates(TASK + ["estimator", "estimator_params"])
    sc = sc.merge(names[TASK + ["estimator", "estimator_params", "task", "method"]],
                  on=TASK + ["estimator", "estimator_params"], how="left")
    table = sc.pivot_table(index="task", columns="method", values="n_min", aggfunc="first", dropna=False)
    return table.reindex(index=ordered(summary["task"]), columns=ordered(summary["method"]))


def plot_sample_complexity(summary: pd.DataFrame, factor: float = 1.5, title: str | None = None, *,
                           data=None, ax=None):
    """bmi's sample-complexity heatmap: smallest n from which the mean estimate stays within a
    factor of the true MI, coloured by log n. Grey cells say why there is no n: "never" (not
    within the factor at the largest tried n), "n/a" (true MI = 0), "failed" (every trial of the
    pair failed) or "not run" (the pair is not in ``summary``)."""
    if summary["n"].nunique() < 2:
        return None
    table = sample_complexity_data(summary, factor) if data is None else data
    if table.empty:
        return None
    from matplotlib.colors import LogNorm

    ns = sorted(summary["n"].unique())
    annot = table.map(lambda v: "" if not np.isfinite(v) else f"{int(v)}")
    truth = summary.groupby("task", sort=False)["true_mi"].first()
    ok = summary.groupby(["task", "method"])["ok"].sum()
    grey_text = {}
    for (i, j), v in np.ndenumerate(table.to_numpy()):
        if not np.isfinite(v):
            pair = (table.index[i], table.columns[j])
            grey_text[(i, j)] = ("not run" if pair not in ok.index else "failed" if ok[pair] == 0
                                 else "never" if truth.get(pair[0], 0.0) > 0 else "n/a")
    with style("white"):
        fig, ax = _task_heatmap(
            table, annot, grey_text, text_color="0.25", cmap="viridis",
            norm=LogNorm(vmin=ns[0], vmax=ns[-1]), cbar_label="n (samples, log scale)",
            xlabel=(f"estimator (cells: smallest n with mean within ×{factor:g} of the truth\n"
                    f"for all larger n; tried n = {', '.join(map(str, ns))}; n/a: true MI = 0)"),
            title=title or "sample complexity", ax=ax)
        cbar = ax.collections[0].colorbar
        if cbar is not None and len(ns) <= 10:
            cbar.set_ticks(ns, labels=[str(n) for n in ns])
            cbar.minorticks_off()
        fig.tight_layout()
    return fig


# ------------------------------------------------------------------ coverage vs n
def coverage_data(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (method, n), over the tasks where the method reports a std: mean coverage of its
    own +-1 and +-2 std intervals, and the number of tasks."""
    ok = summary[(summary["ok"] > 0) & summary["coverage_1std"].notna()]
    g = ok.groupby(["method", "n"], sort=False)
    out = pd.DataFrame({"coverage_1std": g["coverage_1std"].mean(),
                        "coverage_2std": g["coverage_2std"].mean(), "tasks": g.size()}).reset_index()
    return out.sort_values(["method", "n"]).reset_index(drop=True)


def plot_coverage_vs_n(summary: pd.DataFrame, *, data=None, ax=None):
    """Coverage of each method's own +-1 std and +-2 std intervals vs n (mean over tasks), with
    the nominal 68.3 % and 95.4 % of a normal error."""
    data = coverage_data(summary) if data is None else data
    if data.empty:
        return None
    with panels(ordered(summary["method"]), 1, 2, figsize=(8.5, 3.6), ax=ax,
                sharey=True) as (fig, axes, (pal, mk, ls)):
        for ax, col, nominal, k in ((axes[0, 0], "coverage_1std", NOMINAL_1STD, 1),
                                    (axes[0, 1], "coverage_2std", NOMINAL_2STD, 2)):
            ax.axhline(nominal, color="0.3", ls="--", lw=1, label="nominal (normal errors)")
            for m, g in by_method(data, pal):
                ax.plot(g["n"], g[col], marker=mk[m], color=pal[m], ls=ls[m], label=m)
            n_axis(ax, data["n"])
            ax.set_ylim(-0.03, 1.03)
            ax.set_xlabel("n (samples, log scale)")
            ax.set_title(f"true MI within ±{k} reported std")
        axes[0, 0].set_ylabel("coverage (fraction of seeds, mean over tasks)")
        fig.tight_layout()
        _legend_right(fig)
    return fig
