"""Redraw results/figures/calibration/ with some estimators' cells taken from a newer run.

The committed calibration figures come from one run of ``results/figures/calibration/cpu.toml``
(every classical estimator, 3960 trials, about an hour of CPU). When one estimator's error bar
changes, only its cells need re-running (e.g. ``cpu-binning.toml``), and an estimator run on
the same grid separately (GMM-MI, ``learned-gmm.toml``) can join the figure; this script
replaces (or adds) those estimators' rows in the committed ``calibration_summary.csv`` and
``calibration_coverage.csv`` with the new run's (its ``summary.csv`` and
``coverage_vs_nominal.csv``), rewrites
``calibration_std_ratio.csv`` and ``calibration_goal.csv`` from the merged summary and redraws
both figures (PNG and PDF) with the report's plotting functions. The other estimators' rows are
kept as they are. ``--goal-extra`` adds the summaries of other runs (e.g. GMM-MI's and the
learned estimators' reduced grids) to the goal table only, so ``calibration_goal.csv`` lists
every estimator measured (its ``seeds`` column tells the grids apart).

Usage::

    python benchmarks/redraw_calibration.py results/runs/calibration-cpu-binning \
        results/runs/calibration-gmm --goal-extra results/figures/calibration/others_summary.csv
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
from mibench.analysis.reports._style import save  # noqa: E402


def _replace(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``old`` without the methods ``new`` has, then ``new``'s rows (same columns)."""
    kept = old[~old["method"].isin(set(new["method"]))]
    return pd.concat([kept, new[old.columns]], ignore_index=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", help="folders of the newer runs (summary.csv, "
                                                          "coverage_vs_nominal.csv)")
    parser.add_argument("--figures", type=Path, default=Path("results/figures/calibration"))
    parser.add_argument("--goal-extra", type=Path, nargs="*", default=[], metavar="SUMMARY_CSV",
                        help="summaries of other runs added to calibration_goal.csv only")
    args = parser.parse_args(argv)
    fig_dir = args.figures
    summary = pd.read_csv(fig_dir / "calibration_summary.csv")
    coverage = pd.read_csv(fig_dir / "calibration_coverage.csv")
    for run in args.runs:
        summary = _replace(summary, pd.read_csv(run / "summary.csv"))
        coverage = _replace(coverage, pd.read_csv(run / "coverage_vs_nominal.csv"))
    summary.to_csv(fig_dir / "calibration_summary.csv", index=False)
    coverage.to_csv(fig_dir / "calibration_coverage.csv", index=False)
    data = calibration_data(summary)
    data.to_csv(fig_dir / "calibration_std_ratio.csv", index=False)
    every = pd.concat([summary, *(pd.read_csv(p) for p in args.goal_extra)], ignore_index=True)
    goal = calibration_goal_table(every).sort_values("method", kind="stable")
    goal.to_csv(fig_dir / "calibration_goal.csv", index=False)
    for name, fig in (("calibration_std_ratio", plot_calibration(summary, data=data)),
                      ("calibration_coverage", plot_coverage_nominal(None, data=coverage))):
        save(fig, fig_dir / name)
    print(goal.to_string(index=False))


if __name__ == "__main__":
    main()
