"""Calibration metrics (std_ratio, coverage around the truth and the mean) and their figures."""

import math

import numpy as np
import pandas as pd
import pytest

from mibench.analysis.metrics import calibration_goal, coverage_curve, summarize
from mibench.analysis.reports import _calibration as calib
from mibench.analysis.reports import write_report
from tests.engine.test_metrics import rows


def test_std_ratio_and_coverage_of_a_known_cell():
    # estimates 1..4 (mean 2.5, sd sqrt(5/3)) of a truth 2, reported std 0.5, 1, 1.5, 1
    trials = pd.DataFrame(rows([1.0, 2.0, 3.0, 4.0], std=[0.5, 1.0, 1.5, 1.0]))
    r = summarize(trials).iloc[0]
    sd = math.sqrt(5 / 3)
    assert r["std_ratio"] == pytest.approx(1.0 / sd)
    # log-scale 95 % interval: s.e. of a std over 4 seeds 1/sqrt(6), of the mean reported std
    # sd(0.5, 1, 1.5, 1) / 2 / 1
    se = math.hypot(1 / math.sqrt(6), np.std([0.5, 1, 1.5, 1], ddof=1) / 2)
    assert r["std_ratio_lo"] == pytest.approx(r["std_ratio"] * math.exp(-1.959964 * se), rel=1e-5)
    assert r["std_ratio_hi"] == pytest.approx(r["std_ratio"] * math.exp(1.959964 * se), rel=1e-5)
    # around the truth 2: |err| 1, 0, 1, 2 vs std 0.5, 1, 1.5, 1 -> within 1 std: seeds 2, 3
    assert r["coverage_1std"] == pytest.approx(0.5)
    # around the mean 2.5: |dev| 1.5, 0.5, 0.5, 1.5 -> within 1 std: seeds 2, 3; 2 std: not seed 1
    assert r["coverage_mean_1std"] == pytest.approx(0.5)
    assert r["coverage_mean_2std"] == pytest.approx(0.75)


def test_biased_estimator_covers_the_mean_not_the_truth():
    rng = np.random.default_rng(0)
    est = 5.0 + 0.1 * rng.standard_normal(200)  # truth 2: bias 3, honest std 0.1
    r = summarize(pd.DataFrame(rows(list(est), std=[0.1] * 200))).iloc[0]
    assert r["coverage_2std"] == 0.0
    assert r["coverage_mean_2std"] == pytest.approx(0.954, abs=0.05)  # binomial s.e. 0.015
    assert 0.85 < r["std_ratio"] < 1.15  # s.e. 5 %


def test_no_std_gives_nan_calibration():
    r = summarize(pd.DataFrame(rows([1.0, 2.0, 3.0]))).iloc[0]
    assert all(math.isnan(r[c]) for c in ("std_ratio", "std_ratio_lo", "coverage_mean_1std"))
    assert calibration_goal(summarize(pd.DataFrame(rows([1.0, 2.0])))).empty


def test_coverage_curve_follows_the_nominal_level_for_honest_normal_errors():
    rng = np.random.default_rng(1)
    est = 2.0 + rng.standard_normal(2000)  # truth 2, std 1: nominal coverage at every level
    curve = coverage_curve(pd.DataFrame(rows(list(est), std=[1.0] * 2000)))
    assert list(curve["nominal"]) == [0.5, 0.6, 0.683, 0.8, 0.9, 0.954, 0.99]
    # binomial s.e. <= 0.011 at 2000 trials; 4 s.e.
    assert np.allclose(curve["coverage"], curve["nominal"], atol=0.045)
    assert np.allclose(curve["coverage_mean"], curve["nominal"], atol=0.045)
    assert set(curve["trials"]) == {2000}


def test_calibration_goal_counts_cells_at_large_n():
    r = []
    rng = np.random.default_rng(2)
    for n, std in ((500, 5.0), (2000, 1.0), (10000, 0.2)):  # true spread 1
        est = list(2.0 + rng.standard_normal(400))
        r += rows(est, std=[std] * 400, n=n)
    goal = calibration_goal(summarize(pd.DataFrame(r)))
    row = goal.iloc[0]
    assert (row["cells"], row["in_range"], row["seeds"]) == (2, 1, 400)  # n=500 not counted
    assert row["fraction"] == 0.5
    # the n=10000 cell's std (0.2 for a spread of 1) is too narrow; half in range misses the goal
    assert (row["too_narrow"], row["too_wide"], row["goal"]) == (1, 0, "not met")


def test_report_has_calibration_figures_and_goal(tmp_path):
    rng = np.random.default_rng(3)
    r = []
    for est_name, scale in (("honest", 1.0), ("narrow", 0.4)):
        for n in (1000, 4000):
            r += rows(list(2 + rng.standard_normal(30) / math.sqrt(n / 1000)),
                      std=[scale / math.sqrt(n / 1000)] * 30, n=n, estimator=est_name)
    trials = pd.DataFrame(r)
    paths = write_report(trials, tmp_path)
    for name in ("calibration.png", "coverage_vs_nominal.png", "calibration.csv",
                 "coverage_vs_nominal.csv", "calibration_goal.csv"):
        assert (tmp_path / name).exists(), name
    goal = pd.read_csv(tmp_path / "calibration_goal.csv").set_index("method")
    assert goal.loc["honest", "fraction"] == 1.0 and goal.loc["narrow", "fraction"] == 0.0
    assert goal.loc["honest", "goal"] == "met" and goal.loc["narrow", "goal"] == "not met"
    assert goal.loc["narrow", "too_narrow"] == goal.loc["narrow", "cells"]
    html = paths["html"].read_text()
    assert "Error-bar calibration" in html and "calibration.png" not in html  # images inlined
    data = calib.coverage_nominal_data(trials).set_index(["method", "nominal"])
    assert data.loc[("narrow", 0.954), "coverage"] < 0.6 < data.loc[("honest", 0.954), "coverage"]
