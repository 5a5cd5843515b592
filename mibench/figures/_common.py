"""Helpers shared by the figure sets."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)


def run_cached(scenarios, estimators, n, seeds, *, jobs, store, on_result=None) -> pd.DataFrame:
    """mibench.run on a list of (scenario, params) pairs through the store (cached)."""
    from mibench._runner import run

    return run(list(scenarios), estimators=estimators, n=n, seeds=seeds, jobs=jobs, store=store,
               on_result=on_result)


def param(params_json: str, name: str):
    return json.loads(params_json)[name]


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    from mibench._io import atomic_write_text

    atomic_write_text(path, df.to_csv(index=False))
    return path


def label_quick(title: str, quick: bool, reduced: str = "") -> str:
    """Mark a figure made with --quick, or with settings below the paper's (``reduced`` says how)."""
    if quick:
        return f"{title}\n[QUICK PREVIEW: reduced settings]"
    if reduced:
        return f"{title}\n[REDUCED vs the paper: {reduced}]"
    return title
