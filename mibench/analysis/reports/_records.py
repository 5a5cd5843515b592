"""The report's figures, one record each: its file name, the function computing the plotted
numbers (written beside the figure as NAME.csv), the function drawing them (into ``ax=`` or a
new figure) and the caption. ``write_report`` draws every record; a new report figure is one
record appended to :data:`RECORDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from mibench.analysis.reports import _calibration as calibration
from mibench.analysis.reports import _figures as figures


@dataclass(frozen=True)
class ReportInput:
    """What a figure is drawn from: the labelled summary, the trial rows, the lower bounds'
    ceilings (:func:`mibench.analysis.metrics.bound_ceilings`, with method labels) and, for a
    figure drawn once per sample size, its ``n``."""

    summary: pd.DataFrame
    trials: pd.DataFrame
    ceilings: pd.DataFrame
    n: int | None = None


@dataclass(frozen=True)
class FigureRecord:
    """One report figure. ``data(inp)`` returns the plotted numbers (None: nothing to draw);
    ``plot(inp, data, ax=None)`` draws them and returns the Figure (None: nothing to draw);
    ``caption`` is a text (``{n}`` is filled for a per-n figure) or ``caption(inp) -> text``;
    ``per_n`` draws the figure once per sample size, as NAME_nN; ``table(data)`` is the CSV
    written beside it (default: ``data`` itself)."""

    name: str
    data: Callable[[ReportInput], Any]
    plot: Callable[..., Any]
    caption: str | Callable[[ReportInput], str]
    per_n: bool = False
    table: Callable[[Any], pd.DataFrame] | None = None

    def instances(self, inp: ReportInput) -> list[tuple[str, ReportInput]]:
        """(file name, input) of each figure this record draws."""
        if not self.per_n:
            return [(self.name, inp)]
        ns = sorted(inp.summary["n"].unique())
        return [(f"{self.name}_n{int(n)}", replace(inp, n=int(n))) for n in ns]

    @classmethod
    def of(cls, name: str, data: Callable, plot: Callable, caption, *, source: str = "summary",
           data_args: tuple[str, ...] = (), plot_args: tuple[str, ...] = (), **kw) -> FigureRecord:
        """The record of a figure whose functions take one table of the input (``summary`` or
        ``trials``) and then the named fields of the input (``n``, ``ceilings``):
        ``data(table, *data_args)`` and ``plot(table, *plot_args, data=, ax=)``."""
        def fields(inp, names):
            return [getattr(inp, a) for a in names]

        return cls(name, lambda inp: data(getattr(inp, source), *fields(inp, data_args)),
                   lambda inp, d, ax=None: plot(getattr(inp, source), *fields(inp, plot_args),
                                                data=d, ax=ax), caption, **kw)

    def caption_for(self, inp: ReportInput) -> str:
        text = self.caption(inp) if callable(self.caption) else self.caption
        return text.format(n=inp.n) if self.per_n else text


#: added to the estimate-vs-true caption when lower-bound estimators are in the run
CEILINGS_NOTE = (" Dotted: ln of the rows a lower bound is evaluated on (n, or its test split "
                 "n_test), above which no such bound can certify MI; dash-dotted: an estimator's own "
                 "ceiling (InfoNCE: ln of its batch size); each drawn only in panels where it can "
                 "bind.")
ESTIMATE_VS_TRUE = ("Mean estimate vs true MI (nats), one panel per n; bands (error bars for tasks "
                    "sharing a true MI): ±1 std over seeds; dashed: identity.")


def _several_n(summary: pd.DataFrame):
    return figures.sample_complexity_data(summary) if summary["n"].nunique() > 1 else None


RECORDS: list[FigureRecord] = [
    FigureRecord.of(
        "estimate_vs_true", figures.estimate_vs_true_data, figures.plot_estimate_vs_true,
        lambda inp: ESTIMATE_VS_TRUE + (CEILINGS_NOTE if len(inp.ceilings) else ""),
        plot_args=("ceilings",)),
    FigureRecord.of(
        "bias_vs_n", figures.bias_vs_n_data, figures.plot_bias_vs_n,
        "Bias (mean estimate − true MI, nats) vs n (log scale), one panel per task; error bars: ±1 "
        "standard error of the mean over seeds."),
    FigureRecord.of(
        "runtime_vs_n", figures.runtime_data, figures.plot_runtime_vs_n,
        "Wall time per estimate (s) vs n, log-log; median over tasks, band: min–max."),
    FigureRecord.of(
        "accuracy_vs_runtime", figures.accuracy_runtime_data, figures.plot_accuracy_vs_runtime,
        "Accuracy vs cost: RMSE (nats, pooled over tasks) vs wall time per estimate (s, median over "
        "tasks); one point per estimator and n."),
    FigureRecord.of(
        "heatmap", figures.heatmap_data, figures.plot_heatmap,
        "Task × estimator heatmap at n = {n}: cells show the mean estimate (nats), colour is "
        "ln(mean / true MI) clipped to ±1 (blue: underestimate, red: overestimate).",
        data_args=("n",), plot_args=("n",), per_n=True,
        table=lambda data: data[0].join(data[1].add_prefix("log_rel_error: "))),
    FigureRecord.of(
        "sample_complexity", _several_n, figures.plot_sample_complexity,
        "Sample complexity: smallest n from which the mean estimate stays within a factor 1.5 of "
        "the true MI for every larger n tried ('never': not reached)."),
    FigureRecord.of(
        "coverage_vs_n", figures.coverage_data, figures.plot_coverage_vs_n,
        "Coverage of each estimator's own ±1 std and ±2 std intervals vs n (mean over tasks); "
        "dashed: nominal 68.3 % and 95.4 % for normal errors."),
    FigureRecord.of(
        "calibration", calibration.calibration_data, calibration.plot_calibration,
        "Calibration of the estimators' own error bars: mean reported std / std of the estimates "
        "over seeds vs n (log-log), one panel per task; band: 95 % interval from the sampling "
        "error of both stds; green: the goal [0.75, 1.33]; dashed: 1 (honest). Above 1 the error "
        "bar is too wide, below too narrow."),
    FigureRecord.of(
        "coverage_vs_nominal", calibration.coverage_nominal_data, calibration.plot_coverage_nominal,
        "Observed coverage of est ± z·std (reported std) vs its nominal level for normal errors, "
        "pooled over tasks and n: left around the true MI, right around the cell's mean estimate "
        "(low on the left only: bias; low on both: a too-small error bar); dashed: nominal.",
        source="trials"),
]
