"""Redraw results/figures/calibration/ with some estimators' cells taken from a newer run.

The committed calibration figures come from one run of ``results/figures/calibration/cpu.toml``
(every classical estimator, 3960 trials, about an hour of CPU). When one estimator's error bar
changes, only its cells need re-running (e.g. ``cpu-binning.toml``); this script replaces that
estimator's rows in the committed ``calibration_summary.csv`` and ``calibration_coverage.csv``
with the new run's (its ``summary.csv`` and ``coverage_vs_nominal.csv``), rewrites
``calibration_std_ratio.csv`` and ``calibration_goal.csv`` from the merged summary and redraws
both figures (PNG and PDF) with the report's plotting functions. The other estimators' rows are
kept as they are.

Usage::

    python benchmarks/redraw_calibration.py results/runs/calibration-cpu-binning
    python benchmarks/redraw_calibration.py RUN_DIR --figures results/figures/calibration
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from mibench.analysis.reports._calibration import (  # noqa: E402
    calibration_data,
    calibration_goal_table,
    plot_calibration,
    plot_coverage_nominal,
)


def _replace(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``old`` without the methods ``new`` has, then ``new``'s rows (same columns)."""
    kept = old[~old["method"].isin(set(new["method"]))]
    return pd.concat([kept, new[old.columns]], ignore_index=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="folder of the newer run (summary.csv, "
                                               "coverage_vs_nominal.csv)")
    parser.add_argument("--figures", type=Path, default=Path("results/figures/calibration"))
    args = parser.parse_args(argv)
    fig_dir = args.figures
    summary = _replace(pd.read_csv(fig_dir / "calibration_summary.csv"),
                       pd.read_csv(args.run / "summary.csv"))
    coverage = _replace(pd.read_csv(fig_dir / "calibration_coverage.csv"),
                        pd.read_csv(args.run / "coverage_vs_nominal.csv"))
    summary.to_csv(fig_dir / "calibration_summary.csv", index=False)
    coverage.to_csv(fig_dir / "calibration_coverage.csv", index=False)
    data = calibration_data(summary)
    data.to_csv(fig_dir / "calibration_std_ratio.csv", index=False)
    goal = calibration_goal_table(summary).sort_values("method", kind="stable")
    goal.to_csv(fig_dir / "calibration_goal.csv", index=False)
    for name, fig in (("calibration_std_ratio", plot_calibration(summary, data=data)),
                      ("calibration_coverage", plot_coverage_nominal(None, data=coverage))):
        for ext in ("png", "pdf"):
            fig.savefig(fig_dir / f"{name}.{ext}", dpi=150 if ext == "png" else None,
                        bbox_inches="tight")
    print(goal.to_string(index=False))


if __name__ == "__main__":
    main()
