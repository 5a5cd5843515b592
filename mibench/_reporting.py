"""Run outputs: run.json, trials.csv and the full report (mibench.reports), plus the terminal
tables the CLI prints."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from mibench._io import atomic_write_text

log = logging.getLogger(__name__)


def write_run(trials: pd.DataFrame, out: Path, manifest: dict) -> dict[str, Path]:
    """Write a run's folder (run.json, trials.csv and the full report; see
    mibench.reports.write_report) and return the paths written."""
    from mibench.reports import write_report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"manifest": out / "run.json", "trials": out / "trials.csv"}
    atomic_write_text(paths["manifest"], json.dumps(manifest, indent=1))
    atomic_write_text(paths["trials"], trials.sort_values(
        ["scenario", "scenario_params", "estimator", "n", "seed"]).to_csv(index=False))
    paths.update(write_report(trials, out, manifest))
    if (out / "estimate_vs_true.png").exists():
        paths["figure"] = out / "estimate_vs_true.png"
    return paths


def _cell_label(params_json: str) -> str:
    params = json.loads(params_json)
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "-"


def format_tables(summary: pd.DataFrame, digits: int = 3) -> str:
    """One plain-text table per estimator: bias, std over seeds, RMSE, coverage, runtime, failures."""
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
        if "std_ratio" in g and g["std_ratio"].notna().any():
            cols["std ratio"] = g["std_ratio"]
        cols["time [s]"] = g["mean_wall_s"]
        cols["failed"] = g["failed"] + g.get("timeout", 0)
        table = pd.DataFrame(cols)
        blocks.append(f"== {title}\n" + table.to_string(index=False, float_format=lambda v: f"{v:.{digits}g}"
                                                          if abs(v) < 1e-3 and v != 0
                                                          else f"{v:.{digits}f}"))
    return "\n\n".join(blocks)
