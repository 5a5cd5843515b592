"""Self-consistency tests (Song & Ermon): consistent estimators pass on data with a known MI,
a biased one fails where it should, and bad input is one line (exit 2 from the CLI)."""

import numpy as np
import pandas as pd
import pytest

from mibench import InputError
from mibench.cli import main
from mibench.userdata.consistency import consistency, consistency_scenario, plot_consistency
from scenarios.target_mi import TargetMI


def _data(mi=1.0, dim=4, n=600, seed=0):
    return TargetMI(mi, dim).sample(n, np.random.default_rng(seed))


def test_gaussian_estimator_on_gaussian_data_passes_all_three():
    x, y = _data()
    res = consistency(x, y, "gaussian", permutations=10, resamples=10)
    assert list(res["test"]) == ["independence", "data-processing", "additivity"]
    assert res["passed"].all(), res
    assert (res["margin"] >= 0).all() and np.isfinite(res["se"]).all()
    assert res.attrs["estimator"] == "gaussian" and res.attrs["mi"] == pytest.approx(1.0, abs=0.2)
    # masking half of x's 4 columns keeps 2 of the 4 independent pairs: about half the MI
    dpi = res.set_index("test").loc["data-processing"]
    assert dpi["observed"] == pytest.approx(0.5, abs=0.15) and "first 2 of 4 columns" in dpi["detail"]
    add = res.set_index("test").loc["additivity"]
    assert add["observed"] == pytest.approx(add["expected"], abs=add["allowed"])


def test_biased_estimator_fails_independence():
    # a 5-bin histogram in 4 + 4 dimensions sees structure in shuffled pairs (its positive bias)
    x, y = _data()
    res = consistency(x, y, "binning:bins=5", tests=["independence", "additivity"], permutations=5,
                      resamples=5).set_index("test")
    assert not res.loc["independence", "passed"] and res.loc["independence", "observed"] > 1.0
    assert res.loc["independence", "margin"] < 0
    assert not res.loc["additivity", "passed"]


def test_one_column_uses_noise_and_results_do_not_depend_on_jobs():
    x, y = _data(0.5, 1, n=400, seed=3)
    one = consistency(x, y, "ksg", tests=["data-processing"], resamples=6, seed=4)
    two = consistency(x, y, "ksg", tests=["data-processing"], resamples=6, seed=4, jobs=2)
    pd.testing.assert_frame_equal(one, two)
    r = one.iloc[0]
    assert "noise" in r["detail"] and r["passed"] and r["difference"] < 0


def test_scenario_and_figure(tmp_path):
    res = consistency_scenario("target-mi", {"mi": 0.5, "dim": 2}, n=300, estimator="gaussian",
                               permutations=4, resamples=4)
    assert res.attrs["true_mi"] == 0.5 and len(res) == 3
    ax = plot_consistency(res)
    ax.figure.savefig(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 5000


@pytest.mark.parametrize("kwargs, message", [
    ({"tests": ["symmetry"]}, "tests must be among independence, data-processing, additivity"),
    ({"permutations": 1}, "needs permutations >= 2"),
    ({"estimator": ["ksg", "gaussian"]}, "one estimator at a time"),
    ({"lossy": "pool", "tests": ["data-processing"], "x1d": True}, "needs a side with >= 2 columns"),
])
def test_bad_arguments(kwargs, message):
    x, y = _data(n=100)
    if kwargs.pop("x1d", False):
        x, y = x[:, :1], y[:, :1]
    with pytest.raises(InputError, match=message):
        consistency(x, y, **{"estimator": "gaussian", **kwargs})


def _csv(tmp_path, df):
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    return str(path)


def test_cli_table_and_files(tmp_path, capsys):
    x, y = _data(n=300)
    df = pd.DataFrame(np.hstack([x, y]), columns=[f"x{i}" for i in range(4)] + [f"y{i}" for i in range(4)])
    out = tmp_path / "out"
    assert main(["consistency", _csv(tmp_path, df), "--x", "x*", "--y", "y*", "--estimator", "gaussian",
                 "--permutations", "5", "--resamples", "5", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for test in ("independence", "data-processing", "additivity"):
        assert test in text
    assert (out / "consistency.png").exists() and len(pd.read_csv(out / "consistency.csv")) == 3


@pytest.mark.parametrize("rows, message", [
    ("constant", "column 'x1' is constant"),
    ("few", "only 12 rows; the consistency tests need at least 20"),
])
def test_cli_bad_data_one_line_exit_2(tmp_path, capsys, rows, message):
    x, y = _data(n=12 if rows == "few" else 100)
    df = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "y0": y[:, 0]})
    if rows == "constant":
        df["x1"] = 3.0
    assert main(["consistency", _csv(tmp_path, df), "--x", "x0,x1", "--y", "y0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err
