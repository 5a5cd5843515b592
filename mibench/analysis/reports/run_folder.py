"""A run folder: run.json, trials.csv and the full report (see :func:`write_report`)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pandas as pd

from mibench._version import __version__
from mibench.analysis.reports import write_report
from mibench.contracts.files import atomic_write_text

log = logging.getLogger(__name__)


def write_run(trials: pd.DataFrame, out: Path, manifest: dict) -> dict[str, Path]:
    """Write a run's folder (run.json, trials.csv and the full report; see
    mibench.analysis.reports.write_report) and return the paths written.

    A folder whose report was made from the same trial rows and manifest by the same mibench
    version (``report_digest`` in run.json) is left as it is (a fully cached re-run costs no
    figure drawing); the returned dict then has ``"up_to_date": True``. ``mibench report``
    always rewrites.
    """
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
