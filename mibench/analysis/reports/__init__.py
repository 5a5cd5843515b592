"""Reports from trial rows: metrics tables (CSV, Markdown, LaTeX), paper tables (mean ± std,
true MI in bold), figures (PNG and PDF) and one self-contained HTML page.

``write_report(trials, out_dir)`` writes everything; the pieces are importable on their own:
``mibench.analysis.reports.tables`` and ``mibench.analysis.reports.figures`` (each figure has a ``*_data``
function returning the plotted numbers and a ``plot_*`` function taking ``data=`` and ``ax=``).
The report's figures are the records of :data:`RECORDS` (name, data, plot, caption); a new
figure is one record there.
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
from mibench.analysis.reports._records import (
    CEILINGS_NOTE,
    ESTIMATE_VS_TRUE,
    RECORDS,
    FigureRecord,
    ReportInput,
)
from mibench.contracts.files import atomic_write_text

log = logging.getLogger(__name__)

__all__ = ["write_report", "figures", "tables", "FIGURES", "RECORDS", "FigureRecord", "ReportInput",
           "CEILINGS_NOTE", "task_names_from_manifest"]

#: report figures: file stem -> caption (each figure is a record of :data:`RECORDS`)
FIGURES = {r.name: r.caption if isinstance(r.caption, str) else ESTIMATE_VS_TRUE for r in RECORDS}


def task_names_from_manifest(manifest: dict | None) -> dict[tuple[str, str], str]:
    """Display names of tasks from a run manifest: the suite's labels (e.g. bmi task ids, written
    by the runner as ``manifest["suite"]["labels"]``) and ``manifest["task_names"]`` entries
    ``[scenario, params JSON, display name]`` -> {(scenario, params JSON): name}."""
    manifest = manifest or {}
    out = {(d["scenario"], d["scenario_params"]): d["label"]
           for d in (manifest.get("suite") or {}).get("labels", [])}
    out.update({(s, p): name for s, p, name in manifest.get("task_names") or []})
    return out


def draw_figures(inp: ReportInput, out: Path, records=None) -> tuple[dict[str, Path], list]:
    """Draw each figure record (default :data:`RECORDS`) into ``out`` as NAME.png/.pdf with its
    numbers in NAME.csv. Each figure's data is computed once and inside its own guard: a figure
    that fails is logged and left out, never sinking the others. Returns ({file: path},
    [(name, caption)] of the figures drawn)."""
    paths: dict[str, Path] = {}
    drawn = []
    for record in RECORDS if records is None else records:
        for name, one in record.instances(inp):
            try:
                data = record.data(one)
                fig = None if data is None else record.plot(one, data)
                if fig is None:
                    continue
                table = data if record.table is None else record.table(data)
                caption = record.caption_for(one)
            except Exception:  # a figure must never sink the whole report
                log.warning("figure %s failed", name, exc_info=True)
                continue
            for p in figures.save(fig, out / name):
                paths[f"{name}.{p.suffix[1:]}"] = p
            index = isinstance(table.index, pd.Index) and table.index.name is not None
            paths[f"{name}.csv"] = out / f"{name}.csv"
            atomic_write_text(paths[f"{name}.csv"], table.to_csv(index=index))
            drawn.append((name, caption))
    return paths, drawn


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
        drawn, figs = draw_figures(ReportInput(summary, trials, ceilings), out)
        paths.update(drawn)
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
