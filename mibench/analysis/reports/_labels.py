"""Human-readable labels for tasks (scenario + parameters) and methods (estimator + parameters)."""

from __future__ import annotations

import pandas as pd

from mibench.contracts.canonical import params_label


def task_label(scenario: str, params_json: str) -> str:
    p = params_label(params_json)
    return f"{scenario} ({p})" if p else scenario


def method_label(estimator: str, params_json: str) -> str:
    p = params_label(params_json)
    return f"{estimator} ({p})" if p else estimator


def add_labels(summary: pd.DataFrame, task_names: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """Copy of ``summary`` with ``task`` and ``method`` label columns (kept if present).

    ``task_names`` maps (scenario, canonical params JSON) to a display name (bmi task ids).
    """
    out = summary.copy()
    if out.empty:
        out["task"] = pd.Series(dtype=str)
        out["method"] = pd.Series(dtype=str)
        return out
    if "task" not in out:
        names = task_names or {}
        out["task"] = [names.get((s, p)) or task_label(s, p)
                       for s, p in zip(out["scenario"], out["scenario_params"], strict=False)]
    if "method" not in out:
        out["method"] = [method_label(e, p)
                         for e, p in zip(out["estimator"], out["estimator_params"], strict=False)]
    return out


def ordered(values) -> list:
    """Unique values in order of first appearance."""
    return list(dict.fromkeys(values))
