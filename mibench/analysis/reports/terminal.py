"""The plain-text tables the CLI prints after a run (one per estimator)."""

from __future__ import annotations

import pandas as pd

from mibench.analysis.reports._tables import MISSING_TEXT, column_formatter
from mibench.contracts.canonical import params_label


def _cell_label(params_json: str) -> str:
    return params_label(params_json) or "-"


def format_tables(summary: pd.DataFrame, digits: int = 3) -> str:
    """One plain-text table per estimator: bias, std over seeds, RMSE, coverage, runtime, failures
    (one number format per column; see mibench.analysis.reports._tables.column_formatter)."""
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
        for c in table.columns:
            if pd.api.types.is_float_dtype(table[c]):
                table[c] = table[c].map(column_formatter(table[c], digits, MISSING_TEXT.get(c, "NaN")))
        blocks.append(f"== {title}\n" + table.to_string(index=False))
    return "\n\n".join(blocks)
