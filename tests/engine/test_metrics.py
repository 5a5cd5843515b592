"""Metrics on hand-made trial rows with known answers."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from mibench.analysis.metrics import bound_ceilings, log_relative_error, sample_complexity, summarize


def rows(estimates, truth=2.0, std=None, n=100, estimator="e", scenario="s", params='{"a":1}',
         statuses=None, info=None, wall=None, mem_base=None):
    out = []
    for i, mi in enumerate(estimates):
        out.append(dict(key=f"{scenario}{params}{estimator}{n}{i}", scenario=scenario, scenario_params=params,
                        estimator=estimator, estimator_params="{}", n=n, seed=i, true_mi=truth,
                        true_mi_stderr=0.0, mi=mi, std=np.nan if std is None else std[i],
                        status=(statuses or ["ok"] * len(estimates))[i], error=None,
                        wall_s=0.1 * (i + 1) if wall is None else wall[i],
                        cpu_s=0.05, peak_mem_mb=10.0 + i,
                        mem_base_mb=np.nan if mem_base is None else mem_base[i],
                        threads=1, info=json.dumps(info or {})))
    return out


def test_summary_of_a_known_cell():
    # estimates 1, 2, 3, 4 of a truth 2 with reported std 1; a fifth trial failed
    # skewed wall times (mean 4 != median 2.5); the failed trial's 100 s must not count
    # peak_mem_mb is 10 + seed; peak - base is 5, 10, 1, 0.5 on the ok seeds and 14 on the failed one
    trials = pd.DataFrame(rows([1.0, 2.0, 3.0, 4.0, np.nan], std=[1, 1, 1, 1, np.nan],
                               statuses=["ok"] * 4 + ["failed"], wall=[1.0, 2.0, 3.0, 10.0, 100.0],
                               mem_base=[5.0, 1.0, 11.0, 12.5, 0.0]))
    s = summarize(trials)
    assert len(s) == 1
    r = s.iloc[0]
    assert (r["trials"], r["ok"], r["failed"], r["timeout"]) == (5, 4, 1, 0)
    assert r["mean"] == pytest.approx(2.5)
    assert r["bias"] == pytest.approx(0.5)
    assert r["rel_bias"] == pytest.approx(0.25)
    assert r["std"] == pytest.approx(math.sqrt(5 / 3))  # sample variance of 1..4 is 5/3
    assert r["sem"] == pytest.approx(math.sqrt(5 / 3) / 2)
    assert r["rmse"] == pytest.approx(math.sqrt((1 + 0 + 1 + 4) / 4))
    assert r["median"] == pytest.approx(2.5)
    assert r["iqr"] == pytest.approx(3.25 - 1.75)  # linear-interpolated quartiles of 1..4
    assert r["mean_reported_std"] == pytest.approx(1.0)
    assert r["coverage_1std"] == pytest.approx(3 / 4)  # |errors| 1, 0, 1, 2 within 1
    assert r["coverage_2std"] == pytest.approx(1.0)
    assert r["mean_wall_s"] == pytest.approx(4.0)  # (1 + 2 + 3 + 10) / 4, failed row excluded
    assert r["median_wall_s"] == pytest.approx(2.5)
    assert r["peak_mem_mb"] == pytest.approx(13.0)
    assert r["mem_increase_mb"] == pytest.approx(3.0)  # median(5, 10, 1, 0.5); not the failed 14


def test_mem_increase_skips_missing_bases_and_is_nan_without_them():
    # seeds with a NaN base are ignored: median over the others (peak 10 + seed minus base)
    part = summarize(pd.DataFrame(rows([1.0, 2.0, 3.0], mem_base=[np.nan, 9.0, np.nan])))
    assert part["mem_increase_mb"].iloc[0] == pytest.approx(2.0)
    # no seed has a base (a store written before mem_base_mb existed): NaN, peak still there
    none = summarize(pd.DataFrame(rows([1.0, 2.0])))
    assert math.isnan(none["mem_increase_mb"].iloc[0]) and none["peak_mem_mb"].iloc[0] == 11.0
    old_frame = pd.DataFrame(rows([1.0, 2.0])).drop(columns=["mem_base_mb"])
    assert math.isnan(summarize(old_frame)["mem_increase_mb"].iloc[0])


def test_no_reported_std_gives_nan_coverage_and_zero_truth_nan_rel_bias():
    s = summarize(pd.DataFrame(rows([0.1, -0.1], truth=0.0)))
    r = s.iloc[0]
    assert math.isnan(r["coverage_1std"]) and math.isnan(r["mean_reported_std"])
    assert math.isnan(r["rel_bias"]) and r["bias"] == pytest.approx(0.0)


def test_log_relative_error_clips_and_handles_edge_cases():
    summary = pd.DataFrame({"mean": [2.0, 2 * math.e ** 0.5, 2 * math.e ** 3, -0.1, 0.3, np.nan],
                            "true_mi": [2.0, 2.0, 2.0, 2.0, 0.0, 1.0]})
    got = log_relative_error(summary).to_numpy()
    assert got[:4] == pytest.approx([0.0, 0.5, 1.0, -1.0])
    assert math.isnan(got[4]) and math.isnan(got[5])
    assert log_relative_error(summary, clip=5)[2] == pytest.approx(3.0)


def summary_from_means(means_by_estimator, truth=1.0, ns=(100, 1000, 10000)):
    trials = []
    for est, means in means_by_estimator.items():
        for n, m in zip(ns, means, strict=True):
            trials += rows([m], truth=truth, n=n, estimator=est)
    return summarize(pd.DataFrame(trials))


def test_sample_complexity_needs_every_larger_n_within_the_factor():
    s = summary_from_means({"a": [3.0, 1.2, 1.1],       # within x1.5 from n=1000 on
                            "b": [1.0, 2.0, 1.0],       # leaves the band at 1000: only 10000 counts
                            "c": [0.1, 0.5, 0.6],       # never within (0.6 < 1/1.5)
                            "d": [1.0, 1.4, 0.7]})      # within everywhere (0.7 >= 0.667)
    sc = sample_complexity(s).set_index("estimator")["n_min"]
    assert sc["a"] == 1000 and sc["b"] == 10000 and math.isnan(sc["c"]) and sc["d"] == 100
    sc2 = sample_complexity(s, factor=2.0).set_index("estimator")["n_min"]
    assert sc2["b"] == 100  # 2.0 is within a factor 2


def test_sample_complexity_is_undefined_for_zero_truth():
    s = summary_from_means({"a": [0.0, 0.0, 0.0]}, truth=0.0)
    assert math.isnan(sample_complexity(s)["n_min"].iloc[0])


def test_bound_ceilings_from_info():
    trials = pd.DataFrame(
        rows([0.5, 0.6], n=200, estimator="infonce", info={"bound": "infonce", "infonce_ceiling": 3.0})
        + rows([0.5], n=200, estimator="mine", info={"bound": "mine", "n_test": 40})
        + rows([0.5], n=200, estimator="ksg"))
    c = bound_ceilings(trials).set_index("estimator")
    assert set(c.index) == {"infonce", "mine"}
    assert c.loc["infonce", "log_n"] == pytest.approx(math.log(200))  # no n_test: all n rows
    assert c.loc["mine", "log_n"] == pytest.approx(math.log(40))  # evaluated on the test split
    assert c.loc["infonce", "ceiling"] == pytest.approx(3.0)  # a row stored with the old key
    assert math.isnan(c.loc["mine", "ceiling"])


def test_summary_orders_parameters_numerically():
    trials = pd.DataFrame(rows([1.0], params='{"rho":0.99}') + rows([1.0], params='{"rho":0.9}')
                          + rows([1.0], params='{"rho":0.1}') + rows([1.0], params='{"rho":-0.5}'))
    assert summarize(trials)["scenario_params"].tolist() == [
        '{"rho":-0.5}', '{"rho":0.1}', '{"rho":0.9}', '{"rho":0.99}']


def test_flags_are_counted_over_successful_seeds():
    trials = pd.DataFrame(
        rows([1.0], info={"flags": ["saturated", "negative"]})
        + rows([1.0], info={"flags": ["saturated"]})
        + rows([1.0], info={"flags": []})
        + rows([np.nan], statuses=["failed"], info={"flags": ["saturated"]}))
    trials["seed"] = range(4)
    trials["key"] = [f"k{i}" for i in range(4)]
    assert summarize(trials)["flags"].iloc[0] == "negative 1; saturated 2"  # the failed seed not
    assert summarize(pd.DataFrame(rows([1.0, 2.0])))["flags"].iloc[0] == ""


def test_diverged_trials_are_left_out_of_the_numbers_and_counted():
    # issue 20: NWJ on Student-t returned -47.9 +- 47.9 (flag "unstable") and one such seed moved
    # the cell's mean to -16. By default it is left out of every number and counted in
    # "excluded"; include_flagged=True keeps it. Caveat flags ("saturated") stay in.
    trials = pd.DataFrame(
        rows([0.40, 0.50], info={"flags": ["saturated"]})
        + [dict(r, key="x", seed=9) for r in rows([-47.9], std=[47.9], info={"flags": ["unstable"]})])
    s = summarize(trials).iloc[0]
    assert (s["ok"], s["excluded"]) == (2, 1)
    assert s["mean"] == pytest.approx(0.45) and s["std"] == pytest.approx(math.sqrt(0.005))
    assert s["flags"] == "saturated 2; unstable 1"  # counted over every successful seed
    assert math.isnan(s["mean_reported_std"])  # the only reported std was the excluded seed's
    kept = summarize(trials, include_flagged=True).iloc[0]
    assert (kept["ok"], kept["excluded"]) == (3, 0)
    assert kept["mean"] == pytest.approx((0.4 + 0.5 - 47.9) / 3)
