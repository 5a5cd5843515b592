"""Helpers shared by the figure sets."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)


def run_cached(scenarios, estimators, n, seeds, *, options, on_result=None,
               progress: str | None = None, stored_only: bool = False) -> pd.DataFrame:
    """mibench.run on a list of (scenario, params) pairs through the store (cached). With a
    ``progress`` label, progress goes to stderr (a live bar on a terminal, plain lines in a log).
    ``stored_only``: run nothing, return the trials the store already holds (maybe none)."""
    from mibench.benchmark import run_trials
    from mibench.execution.progress import Progress
    from mibench.execution.runner import default_store_path
    from mibench.execution.store import Store
    from mibench.planning.plan import plan

    trials, skipped = plan(list(scenarios), None, estimators, n, seeds)
    if stored_only:
        with Store(options.store or default_store_path()) as st:
            held = st.statuses(t.key for t in trials)
        log.info("stored only: %d of %d trials are in the store", len(held), len(trials))
        trials = [t for t in trials if t.key in held]
        if not trials:
            return pd.DataFrame()
    if progress is None:
        return run_trials(trials, skipped, options, on_result=on_result)
    bar = Progress(len(trials), label=f"{progress} ")

    def update(row):
        bar.update(row)
        if on_result is not None:
            on_result(row)

    try:
        return run_trials(trials, skipped, options, on_cached=bar.skip, on_result=update)
    finally:
        bar.close()


def param(params_json: str, name: str):
    return json.loads(params_json)[name]


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    from mibench.contracts.files import atomic_write_text

    atomic_write_text(path, df.to_csv(index=False))
    return path


def label_quick(title: str, quick: bool, reduced: str = "") -> str:
    """Mark a figure made with --quick, or with settings below the paper's (``reduced`` says how)."""
    if quick:
        return f"{title}\n[QUICK PREVIEW: reduced settings]"
    if reduced:
        return f"{title}\n[REDUCED vs the paper: {reduced}]"
    return title
