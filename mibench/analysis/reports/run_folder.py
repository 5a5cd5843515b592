"""A run folder: run.json, trials.csv and the full report (see :func:`write_report`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from mibench.analysis.reports import write_report
from mibench.contracts.files import atomic_write_text

log = logging.getLogger(__name__)


def write_run(trials: pd.DataFrame, out: Path, manifest: dict) -> dict[str, Path]:
    """Write a run's folder (run.json, trials.csv and the full report; see
    mibench.analysis.reports.write_report) and return the paths written."""
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
