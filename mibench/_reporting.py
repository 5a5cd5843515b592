"""Run outputs: trials.csv, summary.csv, the estimate-vs-truth figure, and terminal tables."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from mibench._metrics import summarize

log = logging.getLogger(__name__)


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so that a crash never leaves it half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_run(trials: pd.DataFrame, out: Path, manifest: dict) -> dict[str, Path]:
    """Write a run's folder and return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(trials)
    paths = {"manifest": out / "run.json", "trials": out / "trials.csv", "summary": out / "summary.csv",
             "figure": out / "estimate_vs_true.png"}
    atomic_write_text(paths["manifest"], json.dumps(manifest, indent=1))
    atomic_write_text(paths["trials"], trials.sort_values(
        ["scenario", "scenario_params", "estimator", "n", "seed"]).to_csv(index=False))
    atomic_write_text(paths["summary"], summary.to_csv(index=False))
    plot_estimate_vs_true(summary, paths["figure"])
    return paths


def _cell_label(params_json: str) -> str:
    params = json.loads(params_json)
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "-"


def format_tables(summary: pd.DataFrame, digits: int = 3) -> str:
    """One plain-text table per estimator: bias, std over seeds, RMSE, runtime, failures."""
    if summary.empty:
        return "(no results)"
    blocks = []
    for (est, eparams), g in summary.groupby(["estimator", "estimator_params"], sort=True):
        title = est if eparams in ("{}", "") else f"{est} {_cell_label(eparams)}"
        table = pd.DataFrame({
            "scenario": g["scenario"] + " " + g["scenario_params"].map(_cell_label),
            "n": g["n"],
            "true MI": g["true_mi"],
            "mean": g["mean"],
            "bias": g["bias"],
            "std": g["std"],
            "RMSE": g["rmse"],
            "time [s]": g["mean_wall_s"],
            "failed": g["failed"] + g.get("timeout", 0),
        })
        blocks.append(f"== {title}\n" + table.to_string(index=False, float_format=lambda v: f"{v:.{digits}g}"
                                                          if abs(v) < 1e-3 and v != 0
                                                          else f"{v:.{digits}f}"))
    return "\n\n".join(blocks)


def plot_estimate_vs_true(summary: pd.DataFrame, path: Path) -> None:
    """Mean estimate vs true MI with a +-1 std (over seeds) band per estimator, one panel per n."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    ok = summary[summary["ok"] > 0]
    ns = sorted(ok["n"].unique()) or [0]
    ests = sorted(ok["estimator"].unique())
    palette = dict(zip(ests, sns.color_palette("colorblind", max(len(ests), 1))))
    fig, axes = plt.subplots(1, len(ns), figsize=(4.2 * len(ns) + 1.5, 4), squeeze=False,
                             sharey=True)
    lo = min(0.0, float(np.nanmin(ok[["true_mi", "mean"]].to_numpy()))) if len(ok) else 0.0
    hi = float(np.nanmax(ok[["true_mi", "mean"]].to_numpy())) if len(ok) else 1.0
    for ax, n in zip(axes[0], ns):
        ax.plot([lo, hi], [lo, hi], color="0.5", ls="--", lw=1, label="true MI")
        for est in ests:
            g = ok[(ok["n"] == n) & (ok["estimator"] == est)].sort_values("true_mi")
            if g.empty:
                continue
            std = g["std"].fillna(0.0).to_numpy()
            ax.plot(g["true_mi"], g["mean"], marker="o", ms=3, color=palette[est], label=est)
            ax.fill_between(g["true_mi"], g["mean"] - std, g["mean"] + std, color=palette[est],
                            alpha=0.2, lw=0)
        ax.set_title(f"n = {n}")
        ax.set_xlabel("true MI [nats]")
    axes[0][0].set_ylabel("estimated MI [nats] (mean ± 1 std over seeds)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", frameon=False)
    fig.tight_layout(rect=(0, 0, 1 - 1.3 / fig.get_figwidth(), 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
