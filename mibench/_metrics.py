"""Per-cell metrics from trial rows: bias, spread, RMSE, coverage, runtime, failures.

A cell is (scenario, scenario parameters, estimator, estimator parameters, n); the rows of a
cell differ only by seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CELL = ["scenario", "scenario_params", "estimator", "estimator_params", "n"]


def _cell_metrics(g: pd.DataFrame) -> pd.Series:
    ok = g[g["status"] == "ok"]
    est = ok["mi"].to_numpy(float)
    truth = float(g["true_mi"].iloc[0])
    n_ok = len(est)
    mean = est.mean() if n_ok else np.nan
    err = est - truth
    own = ok["std"].to_numpy(float)
    has_std = n_ok > 0 and np.isfinite(own).all()
    q25, q75 = (np.percentile(est, [25, 75]) if n_ok else (np.nan, np.nan))
    wall = ok["wall_s"].to_numpy(float)
    out = {
        "true_mi": truth,
        "true_mi_stderr": float(g["true_mi_stderr"].iloc[0]),
        "trials": len(g),
        "ok": n_ok,
        "failed": int((g["status"] == "failed").sum()),
        "timeout": int((g["status"] == "timeout").sum()),
        "mean": mean,
        "bias": mean - truth,
        "rel_bias": (mean - truth) / truth if truth != 0 else np.nan,
        "std": est.std(ddof=1) if n_ok > 1 else np.nan,
        "sem": est.std(ddof=1) / np.sqrt(n_ok) if n_ok > 1 else np.nan,
        "rmse": float(np.sqrt(np.mean(err ** 2))) if n_ok else np.nan,
        "median": float(np.median(est)) if n_ok else np.nan,
        "iqr": q75 - q25,
        "mean_reported_std": own.mean() if has_std else np.nan,
        "coverage_1std": float(np.mean(np.abs(err) <= own)) if has_std else np.nan,
        "coverage_2std": float(np.mean(np.abs(err) <= 2 * own)) if has_std else np.nan,
        "mean_wall_s": wall.mean() if n_ok else np.nan,
        "median_wall_s": float(np.median(wall)) if n_ok else np.nan,
        "mean_cpu_s": ok["cpu_s"].to_numpy(float).mean() if n_ok else np.nan,
    }
    if "peak_mem_mb" in ok:
        mem = ok["peak_mem_mb"].to_numpy(float)
        out["peak_mem_mb"] = np.nanmax(mem) if n_ok and np.isfinite(mem).any() else np.nan
    return pd.Series(out)


def summarize(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per cell with the metrics above, sorted by scenario, parameters, estimator, n."""
    if trials.empty:
        return pd.DataFrame(columns=CELL)
    summary = (trials.groupby(CELL, sort=True, dropna=False)[list(trials.columns)]
               .apply(_cell_metrics).reset_index())
    for col in ("trials", "ok", "failed", "timeout"):
        summary[col] = summary[col].astype(int)
    return summary
