"""`mibench estimate` and `mibench matrix` on files, their error messages, and --recommend with
its matched Gaussian-copula scenario."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mibench
from mibench import InputError
from mibench.cli import main
from mibench.userdata.recommend import calibrate, gaussian_mi, matched_scenario, normal_scores, recommend


@pytest.fixture
def data_file(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    f = rng.normal(size=(n, 2))
    df = pd.DataFrame({"z0": f[:, 0] + 0.5 * rng.normal(size=n), "z1": f[:, 1] + 0.5 * rng.normal(size=n),
                       "mass": np.exp(f[:, 0] + 0.5 * rng.normal(size=n)),
                       "label": (f[:, 1] > 0).astype(int), "name": ["galaxy"] * n})
    path = tmp_path / "latents.csv"
    df.to_csv(path, index=False)
    return path


def _one_line_error(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_estimate_prints_each_estimator(toy_plugins, data_file, capsys):
    assert main(["estimate", str(data_file), "--x", "z0", "--y", "mass", "--estimator",
                 "toy-pearson,toy-pearson:noise=0.01", "--permutations", "9"]) == 0
    out = capsys.readouterr().out
    assert "n=400" in out and "z0 (cont)" in out
    lines = [ln for ln in out.splitlines() if ln.startswith("toy-pearson")]
    assert len(lines) == 2 and "noise=0.01" in lines[1]
    assert "p-value" in out and "0.1" in lines[0]  # strong dependence: p = 1/(1 + 9)
    assert "estimator" in lines[0]  # the toy's own std


def test_estimate_skips_estimators_that_do_not_fit(toy_plugins, data_file, capsys):
    assert main(["estimate", str(data_file), "--x", "z0", "--y", "label", "--estimator",
                 "toy-pearson,ksg-mixed", "--resamples", "5"]) == 0
    captured = capsys.readouterr()
    assert "skipped toy-pearson" in captured.err and "label (disc)" in captured.out
    assert "ksg-mixed" in captured.out and "subsample" in captured.out  # its own error bar


def test_matrix_command_writes_outputs(toy_plugins, data_file, results_dir, capsys):
    assert main(["matrix", str(data_file), "--rows", "z*", "--cols", "mass", "--estimator",
                 "toy-pearson", "--quiet"]) == 0
    out_dir = results_dir / "runs" / "matrix-latents"
    mi = pd.read_csv(out_dir / "mi.csv", index_col=0)
    assert list(mi.index) == ["z0", "z1"] and list(mi.columns) == ["mass"]
    assert (out_dir / "mi_matrix.png").exists() and "wrote" in capsys.readouterr().out
    assert main(["matrix", str(data_file), "--rows", "z0,z1,mass", "--estimator", "toy-pearson",
                 "--out", str(results_dir / "lat"), "--jobs", "2", "--permutations", "3"]) == 0
    out = capsys.readouterr().out
    assert "±" in out and "(p=" in out
    assert (results_dir / "lat" / "p_values.csv").exists()


def test_matrix_with_workers_writes_the_files_of_a_serial_run(toy_plugins, data_file, tmp_path):
    # with workers, the heatmap's imports run in a background thread while they estimate
    argv = ["matrix", str(data_file), "--rows", "z*", "--cols", "mass", "--estimator", "toy-pearson",
            "--permutations", "3", "--quiet"]
    for jobs in ("1", "2"):
        assert main(argv + ["--jobs", jobs, "--out", str(tmp_path / jobs)]) == 0
    for name in ("mi.csv", "mi_std.csv", "p_values.csv", "matrix.json", "mi_matrix.png"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_a_fork_waits_for_the_background_import(tmp_path, monkeypatch):
    import os
    import sys

    from mibench.commands import matrix as command

    (tmp_path / "slow_to_import.py").write_text("import time\ntime.sleep(0.5)\nDONE = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    command._import_in_background(["slow_to_import"])
    pid = os.fork()
    if pid == 0:  # the child: the import finished before the fork
        os._exit(0 if getattr(sys.modules.get("slow_to_import"), "DONE", False) else 1)
    assert os.waitpid(pid, 0)[1] == 0
    assert sys.modules.pop("slow_to_import").DONE


@pytest.mark.parametrize("argv, message", [
    (["--x", "z9", "--y", "mass"], "--x: no column 'z9'"),
    (["--x", "z0", "--y", "name"], "column 'name' is not numeric"),
    (["--x", "z0", "--y", "z0"], "in both --x and --y"),
    (["--x", "z0", "--y", "mass", "--discrete", "z0", "--continuous", "z0"],
     "both --discrete and --continuous"),
    (["--x", "z0", "--y", "mass", "--permutations", "-1"], "--permutations must be >= 0"),
    (["--x", "z0", "--y", "mass", "--estimator", "nope"], "unknown estimator 'nope'"),
    (["--x", "z0", "--y", "label", "--estimator", "toy-pearson"], "no estimator accepts"),
])
def test_estimate_bad_input(toy_plugins, data_file, capsys, argv, message):
    _one_line_error(capsys, ["estimate", str(data_file)] + argv, message)


def test_file_problems(toy_plugins, tmp_path, capsys):
    base = ["--x", "a", "--y", "b", "--estimator", "toy-pearson"]
    _one_line_error(capsys, ["estimate", str(tmp_path / "none.csv")] + base, "no such file")
    (tmp_path / "d.xlsx").write_bytes(b"\x00\x01")
    _one_line_error(capsys, ["estimate", str(tmp_path / "d.xlsx")] + base, "not a supported data file")
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _one_line_error(capsys, ["estimate", str(tmp_path / "o.npy"), "--x", "0", "--y", "0"], "pickled")
    df = pd.DataFrame({"a": np.arange(30.0) ** 1.5, "b": np.sin(np.arange(30.0))})
    df.loc[[2, 5], "b"] = np.nan
    df.to_csv(tmp_path / "nan.csv", index=False)
    _one_line_error(capsys, ["estimate", str(tmp_path / "nan.csv")] + base,
                    "2 row(s) have NaN or inf in the selected columns ['b' (2)]")
    assert main(["estimate", str(tmp_path / "nan.csv"), "--dropna"] + base) == 0
    assert "n=28, dropped 2 row(s) with NaN/inf" in capsys.readouterr().out
    df.head(8).to_csv(tmp_path / "short.csv", index=False)
    _one_line_error(capsys, ["estimate", str(tmp_path / "short.csv"), "--dropna"] + base,
                    "only 6 usable row(s) after dropping 2")


def test_matrix_bad_input_writes_nothing(toy_plugins, data_file, tmp_path, capsys):
    out = tmp_path / "never"
    for argv, message in [
        (["--rows", "z0"], "at least 2 row columns"),
        (["--rows", "z*", "--cols", "nope"], "--cols: no column 'nope'"),
        (["--rows", "z*,name"], "not numeric"),
        (["--rows", "z*", "--estimator", "toy-pearson", "--jobs", "0"], "--jobs must be >= 1"),
    ]:
        _one_line_error(capsys, ["matrix", str(data_file), "--out", str(out)] + argv, message)
        assert not out.exists()


# --------------------------------------------------------------------------- recommend
def test_matched_scenario_reproduces_margins_and_copula():
    rng = np.random.default_rng(5)
    n = 500
    x = rng.normal(size=n)
    y = np.exp(0.8 * x + 0.6 * rng.normal(size=n))  # skewed margin, rank correlation ~0.8
    cls = matched_scenario(x, y)
    s = cls()
    rho = np.corrcoef(normal_scores(np.c_[x, y]), rowvar=False)[0, 1]
    assert s.rho == pytest.approx(rho, rel=1e-12)
    assert s.true_mi.value == pytest.approx(-0.5 * np.log1p(-rho ** 2), rel=1e-12)
    assert s.true_mi.stderr == 0.0 and (s.dim_x, s.dim_y) == (1, 1)
    m = 40_000
    xs, ys = s.sample(m, np.random.default_rng(1))
    assert xs.shape == (m, 1) and xs.flags.c_contiguous
    # margins: two-sample KS statistic against the data; its 0.1% critical value is
    # 1.95 sqrt((n + m) / (n m)) = 0.088 here
    assert stats.ks_2samp(ys[:, 0], y).statistic < 0.088
    assert stats.ks_2samp(xs[:, 0], x).statistic < 0.088
    # copula: the normal-scores correlation of the sample is rho, sd (1 - rho^2)/sqrt(m)
    r_s = np.corrcoef(normal_scores(np.c_[xs, ys]), rowvar=False)[0, 1]
    assert abs(r_s - rho) < 4 * (1 - rho ** 2) / np.sqrt(m)
    # the sampler is strictly monotone per margin, so ranks carry all the dependence
    assert np.unique(ys).size == m
    assert matched_scenario(x, y).name == cls.name  # content-hashed name


def test_matched_scenario_multivariate_truth():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(300, 2))
    y = x[:, :1] - x[:, 1:] + rng.normal(size=(300, 1))
    s = matched_scenario(x, y)()
    corr = np.corrcoef(normal_scores(np.c_[x, y]), rowvar=False)
    assert (s.dim_x, s.dim_y) == (2, 1)
    assert s.true_mi.value == pytest.approx(gaussian_mi(corr, 2), rel=1e-12)
    with pytest.raises(InputError, match="singular"):
        matched_scenario(x, np.c_[x[:, 0] * 2])


def test_calibrate_ranks_by_rmse_and_unregisters(toy_plugins):
    _have = mibench.registry.estimators()
    if "gaussian" not in _have:
        pytest.skip("gaussian estimator not available")
    rng = np.random.default_rng(7)
    x = rng.normal(size=300)
    y = np.exp(0.6 * x + 0.8 * rng.normal(size=300))  # log-normal margin: Gaussian MI is biased
    summary = recommend(x, y, ["gaussian", ("toy-pearson", {"noise": 0.3})], seeds=3)
    assert set(summary.index) == {"gaussian", "toy-pearson:noise=0.3"}
    # the log-normal margin is far from Gaussian: the Gaussian estimator flags it on every
    # calibration run (non_gaussian) and is ranked only among flagged ones
    assert summary.at["gaussian", "flagged"] and "non_gaussian 3" in summary.at["gaussian", "flags"]
    usable = summary[~summary["flagged"]]
    assert summary.attrs["most_accurate"] == usable["rmse"].idxmin()
    assert summary.attrs["fastest"] == usable["mean_wall_s"].idxmin()
    trials = summary.attrs["trials"]
    assert len(trials) == 6 and (trials["status"] == "ok").all()
    g = trials[trials["estimator"] == "gaussian"]
    expected = np.sqrt(np.mean((g["mi"] - g["true_mi"]) ** 2))
    assert summary.at["gaussian", "rmse"] == pytest.approx(expected)
    assert not any(name.startswith("gaussian-copula-matched") for name in mibench.registry.scenarios())
    with pytest.raises(InputError, match="same n"):
        calibrate([(x[:, None], y[:, None]), (x[:50, None], y[:50, None])])


def test_recommend_cli(toy_plugins, data_file, capsys, monkeypatch):
    # calibration set: the defaults (cut to ksg and the costly doe here, which is left out unless
    # named) plus the named estimators
    monkeypatch.setattr("mibench.userdata.recommend.DEFAULT_CANDIDATES", ["ksg", "doe"])
    assert main(["estimate", str(data_file), "--x", "z0", "--y", "mass", "--estimator", "toy-pearson",
                 "--recommend", "--calibration-seeds", "2"]) == 0
    out, err = capsys.readouterr()
    assert "matched scenario: Gaussian copula, n=400" in out
    assert ("calibration leaves out the costly doe" in err) == mibench.registry.estimators()["doe"].available
    # the calibration (minutes with the 11 default candidates) has its own progress bar
    n_cal = 2 * (1 + ("ksg" in mibench.registry.estimators()))
    assert "calibrate [" in err and f"{n_cal}/{n_cal} done" in err
    table = out.split("calibration (2 seeds):")[1]
    assert "toy-pearson" in table and ("\nksg " in table) == ("ksg" in mibench.registry.estimators())
    assert "\ndoe " not in table
    assert "most accurate: " in out and "fastest:" in out
    assert main(["matrix", str(data_file), "--rows", "z0,z1,mass", "--estimator", "toy-pearson",
                 "--recommend", "--calibration-seeds", "2", "--quiet", "--out",
                 str(data_file.parent / "m")]) == 0
    out, err = capsys.readouterr()
    assert out.count("matched scenario:") == 3 and "most accurate: " in out
    assert "calibrate [" not in err  # --quiet
    _one_line_error(capsys, ["estimate", str(data_file), "--x", "z0", "--y", "label", "--estimator",
                             "ksg-mixed", "--recommend"], "continuous variables only")


def test_estimate_failed_estimator_is_reported_in_its_row(toy_plugins, data_file, capsys):
    assert main(["estimate", str(data_file), "--x", "z0", "--y", "mass", "--estimator",
                 "toy-pearson:fail_above=0.1,toy-pearson"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("fail_above=0.1" in ln and "failed: RuntimeError: toy failure" in ln for ln in lines)
    assert any(ln.startswith("toy-pearson ") and "failed" not in ln for ln in lines)


def test_costly_candidates_are_calibrated_only_when_named():
    from mibench.userdata.recommend import candidates_with, costly_candidates, default_candidates

    plugins = mibench.registry.estimators()
    if not plugins["doe"].available:
        pytest.skip("doe needs torch and zuko")
    assert ("doe", {}) not in default_candidates(1000, 2, 2)
    assert costly_candidates() == ["doe"] and costly_candidates(["doe:max_epochs=5"]) == []
    assert ("doe", {}) in candidates_with(["doe"], 1000, 2, 2)


def test_recommend_does_not_rank_an_estimator_that_flags_misfit():
    # issue 20: GMM-MI's misfit flag (its mixture misses the data's tails) keeps it from being
    # recommended while an unflagged estimator without failures exists, even at a lower RMSE
    import json

    from mibench.userdata.recommend import _rank, format_recommendation

    def trial(est, seed, mi, flags):
        return dict(estimator=est, estimator_params="{}", scenario="s", status="ok", mi=mi,
                    true_mi=0.5, wall_s=0.1, seed=seed, info=json.dumps({"flags": flags}))

    rows = ([trial("gmm-mi", s, 0.50 + 0.01 * s, ["misfit"] if s < 2 else []) for s in range(3)]
            + [trial("ksg", s, 0.45 + 0.01 * s, []) for s in range(3)])
    summary = _rank(pd.DataFrame(rows), None)
    assert summary.at["gmm-mi", "flagged"] and summary.at["gmm-mi", "flags"] == "misfit 2"
    assert not summary.at["ksg", "flagged"]
    assert summary.attrs["most_accurate"] == "ksg"
    text = format_recommendation(summary)
    assert "gmm-mi had a lower RMSE" in text and "misfit 2 of 3 runs" in text
    # one flagged run of three does not disqualify
    rows[1]["info"] = json.dumps({"flags": []})
    assert _rank(pd.DataFrame(rows), None).attrs["most_accurate"] == "gmm-mi"


@pytest.mark.parametrize("flag", ["below_ksg", "below_copula"])
def test_recommend_does_not_rank_an_estimator_that_reads_below_ksg(flag):
    # issue 20: below_ksg (a learned estimate far below plain KSG on the same rows, e.g. the
    # classifier on bmi's spiral) and below_copula (far below the Gaussian-copula MI, e.g. InfoNCE
    # on bmi's half_cube 5x5) disqualify like the other goal flags
    import json

    from mibench.userdata.recommend import _rank

    def trial(est, seed, mi, flags):
        return dict(estimator=est, estimator_params="{}", scenario="s", status="ok", mi=mi,
                    true_mi=0.5, wall_s=0.1, seed=seed, info=json.dumps({"flags": flags}))

    rows = ([trial("classifier", s, 0.49, [flag]) for s in range(2)]
            + [trial("ksg", s, 0.45, []) for s in range(2)])
    summary = _rank(pd.DataFrame(rows), None)
    assert summary.at["classifier", "flagged"] and summary.at["classifier", "flags"] == f"{flag} 2"
    assert summary.attrs["most_accurate"] == "ksg"
