"""Run outputs: run.json, trials.csv and the full report (mibench.reports), plus the terminal
tables the CLI prints."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pandas as pd

from mibench._io import atomic_write_text

log = logging.getLogger(__name__)


def write_run(trials: pd.DataFrame, out: Path, manifest: dict) -> dict[str, Path]:
    """Write a run's folder (run.json, trials.csv and the full report; see
    mibench.reports.write_report) and return the paths written.

    A folder whose report was made from the same trial rows and manifest by the same mibench
    version (``report_digest`` in run.json) is left as it is (a fully cached re-run costs no
    figure drawing); the returned dict then has ``"up_to_date": True``. ``mibench report``
    always rewrites.
    """
    from mibench import __version__
    from mibench.reports import write_report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"manifest": out / "run.json", "trials": out / "trials.csv"}
    trials_csv = trials.sort_values(["scenario", "scenario_params", "estimator", "n", "seed"]).to_csv(
        index=False)
    digest = hashlib.sha256("\n".join([__version__, json.dumps(manifest, sort_keys=True, default=str),
                                       trials_csv]).encode()).hexdigest()[:16]
    if _stored_digest(paths["manifest"]) == digest and (out / "report.html").exists() \
            and paths["trials"].exists():
        log.info("%s: report up to date (same trials, same mibench); not rewritten", out)
        return {**paths, "html": out / "report.html", "up_to_date": True}
    atomic_write_text(paths["manifest"], json.dumps(manifest, indent=1))
    atomic_write_text(paths["trials"], trials_csv)
    paths.update(write_report(trials, out, manifest))
    if (out / "estimate_vs_true.png").exists():
        paths["figure"] = out / "estimate_vs_true.png"
    # the digest goes in last: a report cut short is redrawn by the next run
    atomic_write_text(paths["manifest"], json.dumps({**manifest, "report_digest": digest}, indent=1))
    return paths


def _stored_digest(manifest_path: Path) -> str | None:
    try:
        return json.loads(manifest_path.read_text()).get("report_digest")
    except (OSError, ValueError, AttributeError):
        return None


def _cell_label(params_json: str) -> str:
    params = json.loads(params_json)
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "-"


def format_tables(summary: pd.DataFrame, digits: int = 3) -> str:
    """One plain-text table per estimator: bias, std over seeds, RMSE, coverage, runtime, failures
    (one number format per column; see mibench.reports._tables.column_formatter)."""
    from mibench.reports._tables import MISSING_TEXT, column_formatter
    if summary.empty:
        return "(no results)"
    blocks = []
    for (est, eparams), g in summary.groupby(["estimator", "estimator_params"], sort=True):
        title = est if eparams in ("{}", "") else f"{est} {_cell_label(eparams)}"
        cols = {
            "scenario": g["scenario"] + " " + g["scenario_params"].map(_cell_label),
            "n": g["n"],
            "true MI": g["true_mi"],
            "mean": g["mean"],
            "bias": g["bias"],
            "std": g["std"],
            "RMSE": g["rmse"],
        }
        if "coverage_2std" in g and g["coverage_2std"].notna().any():
            cols["cov±2std"] = g["coverage_2std"]
        cols["time [s]"] = g["mean_wall_s"]
        cols["failed"] = g["failed"] + g.get("timeout", 0)
        table = pd.DataFrame(cols)
        for c in table.columns:
            if pd.api.types.is_float_dtype(table[c]):
                table[c] = table[c].map(column_formatter(table[c], digits, MISSING_TEXT.get(c, "NaN")))
        blocks.append(f"== {title}\n" + table.to_string(index=False))
    return "\n\n".join(blocks)
