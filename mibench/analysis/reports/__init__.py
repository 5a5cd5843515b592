"""Reports from trial rows: metrics tables (CSV, Markdown, LaTeX), paper tables (mean ± std,
true MI in bold), figures (PNG and PDF) and one self-contained HTML page.

``write_report(trials, out_dir)`` writes everything; the pieces are importable on their own:
``mibench.analysis.reports.tables`` and ``mibench.analysis.reports.figures`` (each figure has a ``*_data``
function returning the plotted numbers).
"""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path

import pandas as pd

from mibench.analysis.metrics import bound_ceilings, summarize
from mibench.analysis.reports import _calibration as calibration
from mibench.analysis.reports import _figures as figures
from mibench.analysis.reports import _tables as tables
from mibench.analysis.reports._html import figure as html_figure
from mibench.analysis.reports._html import page
from mibench.analysis.reports._labels import add_labels, method_label
from mibench.contracts.files import atomic_write_text

log = logging.getLogger(__name__)

__all__ = ["write_report", "figures", "tables", "FIGURES", "task_names_from_manifest"]

#: added to the estimate-vs-true caption when lower-bound estimators are in the run
CEILINGS_NOTE = (" Dotted: ln of the rows a lower bound is evaluated on (n, or its test split "
                 "n_test), above which no such bound can certify MI; dash-dotted: an estimator's own "
                 "ceiling (InfoNCE: ln of its batch size); each drawn only in panels where it can "
                 "bind.")

#: report figures: file stem -> caption
FIGURES = {
    "estimate_vs_true": "Mean estimate vs true MI (nats), one panel per n; bands (error bars for "
                        "tasks sharing a true MI): ±1 std over seeds; dashed: identity.",
    "bias_vs_n": "Bias (mean estimate − true MI, nats) vs n (log scale), one panel per task; "
                 "error bars: ±1 standard error of the mean over seeds.",
    "runtime_vs_n": "Wall time per estimate (s) vs n, log-log; median over tasks, band: min–max.",
    "accuracy_vs_runtime": "Accuracy vs cost: RMSE (nats, pooled over tasks) vs wall time per "
                           "estimate (s, median over tasks); one point per estimator and n.",
    "heatmap": "Task × estimator heatmap at n = {n}: cells show the mean estimate (nats), colour is "
               "ln(mean / true MI) clipped to ±1 (blue: underestimate, red: overestimate).",
    "sample_complexity": "Sample complexity: smallest n from which the mean estimate stays within a "
                         "factor 1.5 of the true MI for every larger n tried ('never': not reached).",
    "coverage_vs_n": "Coverage of each estimator's own ±1 std and ±2 std intervals vs n (mean over "
                     "tasks); dashed: nominal 68.3 % and 95.4 % for normal errors.",
    "calibration": "Calibration of the estimators' own error bars: mean reported std / std of the "
                   "estimates over seeds vs n (log-log), one panel per task; band: 95 % interval "
                   "from the sampling error of both stds; green: the goal [0.75, 1.33]; dashed: 1 "
                   "(honest). Above 1 the error bar is too wide, below too narrow.",
    "coverage_vs_nominal": "Observed coverage of est ± z·std (reported std) vs its nominal level "
                           "for normal errors, pooled over tasks and n: left around the true MI, "
                           "right around the cell's mean estimate (low on the left only: bias; "
                           "low on both: a too-small error bar); dashed: nominal.",
}


def task_names_from_manifest(manifest: dict | None) -> dict[tuple[str, str], str]:
    """Display names of tasks from a run manifest: the suite's labels (e.g. bmi task ids, written
    by the runner as ``manifest["suite"]["labels"]``) and ``manifest["task_names"]`` entries
    ``[scenario, params JSON, display name]`` -> {(scenario, params JSON): name}."""
    manifest = manifest or {}
    out = {(d["scenario"], d["scenario_params"]): d["label"]
           for d in (manifest.get("suite") or {}).get("labels", [])}
    out.update({(s, p): name for s, p, name in manifest.get("task_names") or []})
    return out


def _safe(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except Exception:  # a figure must never sink the whole report
        log.warning("figure %s failed", getattr(fn, "__name__", fn), exc_info=True)
        return None


def write_report(trials: pd.DataFrame, out: str | Path, manifest: dict | None = None, *,
                 title: str | None = None, task_names: dict[tuple[str, str], str] | None = None,
                 make_figures: bool = True, digits: int = 3,
                 include_flagged: bool = False) -> dict[str, Path]:
    """Write the full report of ``trials`` (one row per trial, as mibench.run returns) to ``out``.

    Files: summary.csv (every metric, one row per task x estimator x n), summary.md and
    summary.tex (the same, formatted), paper_table.md and paper_table.tex (per n: mean ± std,
    true MI in bold), figures as NAME.png and NAME.pdf with the plotted numbers in NAME.csv,
    calibration_goal.csv (per estimator, the share of cells at n >= 2000 whose std_ratio lies in
    [0.75, 1.33]; when some estimator reports a std) and report.html (self-contained).
    Returns {name: path}. Trials whose value diverged (a flag in
    :data:`mibench.analysis.metrics.EXCLUDING_FLAGS`, e.g. ``unstable``) are left out of every
    number and figure and counted beside them, unless ``include_flagged``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = task_names if task_names is not None else task_names_from_manifest(manifest)
    summary = add_labels(summarize(trials, include_flagged=include_flagged), names)
    paths: dict[str, Path] = {}

    def write(name: str, filename: str, text: str):
        paths[name] = out / filename
        atomic_write_text(paths[name], text)

    write("summary", "summary.csv", summary.to_csv(index=False))
    mt = tables.metrics_table(summary)
    write("summary_md", "summary.md", "# Metrics\n\n" + tables.UNITS_NOTE + "\n\n"
          + tables.markdown(mt, digits) + "\n")
    write("summary_tex", "summary.tex",
          "% " + tables.UNITS_NOTE + "\n" + tables.metrics_latex(mt, digits) + "\n")
    ns = sorted(summary["n"].unique()) if len(summary) else []
    paper = {int(n): tables.paper_table(summary, int(n)) for n in ns}
    write("paper_md", "paper_table.md", "\n\n".join(
        f"## n = {n}\n\nMean ± std over seeds (nats); true MI in bold.\n\n{tables.paper_markdown(t, digits)}"
        for n, t in paper.items()) + "\n")
    goal = calibration.calibration_goal_table(summary)
    if len(goal):
        write("calibration_goal", "calibration_goal.csv", goal.to_csv(index=False))
    write("paper_tex", "paper_table.tex", "\n\n".join(tables.paper_latex(t, n, digits)
                                                       for n, t in paper.items()) + "\n")

    figs: list[tuple[str, str]] = []
    if make_figures and len(summary):
        ceilings = bound_ceilings(trials)
        if len(ceilings):
            ceilings["method"] = [method_label(e, p) for e, p in
                                  zip(ceilings["estimator"], ceilings["estimator_params"], strict=False)]
        plan = [("estimate_vs_true", figures.plot_estimate_vs_true, (summary, ceilings),
                 figures.estimate_vs_true_data(summary),
                 FIGURES["estimate_vs_true"] + (CEILINGS_NOTE if len(ceilings) else "")),
                ("bias_vs_n", figures.plot_bias_vs_n, (summary,), figures.bias_vs_n_data(summary),
                 FIGURES["bias_vs_n"]),
                ("runtime_vs_n", figures.plot_runtime_vs_n, (summary,), figures.runtime_data(summary),
                 FIGURES["runtime_vs_n"]),
                ("accuracy_vs_runtime", figures.plot_accuracy_vs_runtime, (summary,),
                 figures.accuracy_runtime_data(summary), FIGURES["accuracy_vs_runtime"])]
        for n in ns:
            mean, err = figures.heatmap_data(summary, int(n))
            data = mean.join(err.add_prefix("log_rel_error: "))
            plan.append((f"heatmap_n{int(n)}", figures.plot_heatmap, (summary, int(n)), data,
                         FIGURES["heatmap"].format(n=int(n))))
        plan += [("sample_complexity", figures.plot_sample_complexity, (summary,),
                  figures.sample_complexity_data(summary) if len(ns) > 1 else None,
                  FIGURES["sample_complexity"]),
                 ("coverage_vs_n", figures.plot_coverage_vs_n, (summary,), figures.coverage_data(summary),
                  FIGURES["coverage_vs_n"]),
                 ("calibration", calibration.plot_calibration, (summary,),
                  calibration.calibration_data(summary), FIGURES["calibration"]),
                 ("coverage_vs_nominal", calibration.plot_coverage_nominal, (trials,),
                  calibration.coverage_nominal_data(trials), FIGURES["coverage_vs_nominal"])]
        for name, fn, args, data, caption in plan:
            fig = _safe(fn, *args)
            if fig is None:
                continue
            for p in figures.save(fig, out / name):
                paths[f"{name}.{p.suffix[1:]}"] = p
            if data is not None:
                index = isinstance(data.index, pd.Index) and data.index.name is not None
                write(f"{name}.csv", f"{name}.csv", data.to_csv(index=index))
            figs.append((name, caption))
    paths["html"] = out / "report.html"
    atomic_write_text(paths["html"], _html(summary, paper, mt, figs, out, manifest, title, digits,
                                           goal))
    return paths


def _html(summary, paper, mt, figs, out, manifest, title, digits, goal=None) -> str:
    title = title or (manifest or {}).get("title") or f"mibench report: {out.name}"
    n_trials = int(summary["trials"].sum()) if len(summary) else 0
    n_fail = int((summary["failed"] + summary["timeout"]).sum()) if len(summary) else 0
    intro = [f"<p class=\"note\">{n_trials} trials in {len(summary)} cells "
             f"(task × estimator × n), {n_fail} failed or timed out. MI in nats, time in seconds.</p>"]
    skipped = (manifest or {}).get("skipped") or []
    if skipped:  # one line per estimator, scenario and reason, not per scenario parameter set
        groups: dict[tuple[str, str, str], int] = {}
        for s in skipped:
            key = (str(s.get("estimator")), str(s.get("scenario")), str(s.get("reason")))
            groups[key] = groups.get(key, 0) + 1
        items = "".join(f"<li>{html.escape(est)} on {html.escape(scen)}"
                        f"{f' ({count} parameter sets)' if count > 1 else ''}: {html.escape(reason)}</li>"
                        for (est, scen, reason), count in list(groups.items())[:50])
        intro.append(f"<p class=\"note\">Skipped pairs:</p><ul class=\"note\">{items}</ul>")
    sections = []
    for n, t in paper.items():
        sections.append((f"Estimates at n = {n} (mean ± std over seeds; true MI in bold)",
                         tables.html_table(t, digits, bold_col="true MI")))
    for name, caption in figs:
        sections.append((name.replace("_", " "), html_figure(out / f"{name}.png", caption)))
    if goal is not None and len(goal):
        sections.append(("Error-bar calibration at n ≥ 2000",
                         f"<p class=\"note\">{html.escape(calibration.GOAL_NOTE)}</p>"
                         + tables.html_table(goal, digits)))
    sections.append(("All metrics", f"<p class=\"note\">{html.escape(tables.UNITS_NOTE)}</p>"
                     + tables.html_table(mt, digits)))
    if manifest:
        hidden = ("keys", "skipped", "task_names", "report_digest")
        info = {k: v for k, v in manifest.items() if k not in hidden}
        sections.append(("Run", "<pre>" + html.escape(json.dumps(info, indent=1, default=str)) + "</pre>"))
    return page(title, sections, "\n".join(intro))
