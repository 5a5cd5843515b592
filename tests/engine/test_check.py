"""`mibench check`: baseline round trip, perturbed estimators fail, tolerance and bounds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mibench import Estimate, InputError
from mibench.checking.baseline import (
    BASELINE_COLUMNS,
    DEFAULT_BOUND,
    Bound,
    Tolerance,
    bound_for,
    cells,
    compare,
    read_baseline,
)
from mibench.checking.check import check
from mibench.cli import main
from mibench.planning.suites import load_suite, parse_suite
from tests.conftest import PearsonMI

TOY_SUITE = """
name = "toy"
seeds = 3
n = 300

[[scenario]]
name = "gaussian-correlated"
params = { rho = [0.3, 0.9] }

[[estimator]]
name = "toy-pearson"
params = { noise = 0.01 }
"""


@pytest.fixture
def toy_suite(tmp_path, toy_plugins):
    path = tmp_path / "toy.toml"
    path.write_text(TOY_SUITE)
    return path


@pytest.fixture
def perturb(monkeypatch):
    """Make PearsonMI's estimates ``fn(mi, seed)`` (a deliberately broken estimator)."""

    def apply(fn):
        original = PearsonMI._estimate

        def broken(self, x, y, *, seed):
            est = original(self, x, y, seed=seed)
            return Estimate(fn(est.mi, seed), est.std, est.info)

        monkeypatch.setattr(PearsonMI, "_estimate", broken)

    return apply


def test_unchanged_rerun_passes_with_identical_numbers(toy_suite, tmp_path):
    base = tmp_path / "base.csv"
    first = check(toy_suite, base, update=True)
    assert first.updated == base and set(first.diff["status"]) == {"new"}
    table = read_baseline(base)
    assert list(table.columns) == BASELINE_COLUMNS and len(table) == 2
    assert (table["trials"] == 3).all() and (table["failed"] == 0).all()
    again = check(toy_suite, base)
    assert again.passed and set(again.diff["status"]) == {"ok"}
    assert (again.diff["delta"] == 0.0).all()  # same seeds: bit-identical means after the CSV round trip
    before = base.read_text()
    assert check(toy_suite, base, update=True).updated == base  # a second update rewrites, no duplicates
    assert base.read_text() == before


def test_perturbed_estimator_fails_and_cli_exits_1(toy_suite, tmp_path, perturb, capsys):
    base = tmp_path / "base.csv"
    assert main(["check", "--suite", str(toy_suite), "--baseline", str(base), "--update", "--quiet",
                 "--jobs", "1"]) == 0
    capsys.readouterr()
    # a bias of 0.1 nats; at n = 300 the toy's sem over 3 seeds is about 0.02-0.03, so the
    # tolerance 4 * sqrt(2) * sem + 0.02 is 0.13-0.19 nats: use a shift well above it
    perturb(lambda mi, seed: mi + 0.3)
    assert main(["check", "--suite", str(toy_suite), "--baseline", str(base), "--quiet", "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert "moved" in out and "FAILED: 2 cell(s)" in out and "+0.3000" in out
    result = check(toy_suite, base)
    moved = result.diff[result.diff["status"] == "moved"]
    assert len(moved) == 2 and np.allclose(moved["delta"], 0.3)


def test_small_perturbation_within_tolerance_passes(toy_suite, tmp_path, perturb):
    base = tmp_path / "base.csv"
    check(toy_suite, base, update=True)
    perturb(lambda mi, seed: mi + 0.005)  # below the 0.02 floor: a float-level difference
    result = check(toy_suite, base)
    assert result.passed and (result.diff["delta"].abs() < 0.006).all()


def test_more_failures_fail(toy_suite, tmp_path, perturb):
    base = tmp_path / "base.csv"
    check(toy_suite, base, update=True)

    def fail_some(mi, seed):
        if seed % 2:
            raise RuntimeError("broken on odd estimator seeds")
        return mi

    perturb(fail_some)
    result = check(toy_suite, base)
    assert not result.passed
    assert "more failures" in set(result.failures["status"])
    assert result.diff["reason"].str.contains(r"failed trials 0 -> \d").any()


def test_off_truth_fails_and_update_is_refused(toy_suite, tmp_path, perturb, capsys):
    base = tmp_path / "base.csv"
    perturb(lambda mi, seed: mi / math.log(2))  # bits instead of nats: 1.44x
    bounds = {"toy-pearson": Bound(0.05, 0.1)}
    result = check(toy_suite, base, update=True, bounds=bounds)
    assert result.updated is None and not base.exists()
    off = result.diff[result.diff["status"] == "off truth"]
    assert list(off["scenario_params"]) == ['{"rho":0.9}']  # 0.83 nats -> 1.20: off; 0.047 -> 0.068: within
    assert main(["check", "--suite", str(toy_suite), "--baseline", str(base), "--update",
                 "--quiet", "--bound", "0.05,0.1", "--jobs", "1"]) == 1
    assert "NOT updated" in capsys.readouterr().out


def test_missing_and_new_cells(toy_suite, tmp_path):
    base = tmp_path / "base.csv"
    check(toy_suite, base, update=True)
    table = pd.read_csv(base)
    extra = table.iloc[[0]].assign(n=999)
    pd.concat([table.iloc[[1]], extra]).to_csv(base, index=False)
    result = check(toy_suite, base)
    status = dict(zip(result.diff["n"].astype(str) + result.diff["scenario_params"],
                      result.diff["status"], strict=True))
    assert status == {'300{"rho":0.3}': "new", '300{"rho":0.9}': "ok", '999{"rho":0.3}': "missing"}
    assert list(result.failures["status"]) == ["missing"]


def test_plugin_author_flow(toy_suite, tmp_path, capsys):
    base = tmp_path / "mine.csv"
    argv = ["check", "--suite", str(toy_suite), "--estimator", "toy-pearson:noise=0.02",
            "--baseline", str(base), "--quiet", "--jobs", "1"]
    assert main(argv) == 2
    assert "does not exist; create it with `mibench check --update" in capsys.readouterr().err
    assert main(argv + ["--update"]) == 0
    assert set(read_baseline(base)["estimator_params"]) == {'{"noise":0.02}'}
    assert main(argv) == 0
    assert capsys.readouterr().out.rstrip().endswith("ok")


def test_estimator_filter_updates_only_its_cells(toy_suite, tmp_path):
    base = tmp_path / "base.csv"
    check(toy_suite, base, update=True)
    other = read_baseline(base).assign(estimator="someone-else")
    pd.concat([read_baseline(base), other]).to_csv(base, index=False)
    result = check(toy_suite, base, estimators=[("toy-pearson", {})], update=True)
    assert set(result.diff["status"]) == {"ok"}  # the other estimator's cells are not compared
    assert sorted(set(read_baseline(base)["estimator"])) == ["someone-else", "toy-pearson"]


def test_broken_builtin_estimator_fails(tmp_path, monkeypatch):
    from estimators.ksg import KSG

    suite = tmp_path / "ksg.toml"
    suite.write_text('name = "k"\nseeds = 3\nn = 300\n[[scenario]]\nname = "gaussian-correlated"\n'
                     'params = { rho = 0.9 }\n[[estimator]]\nname = "ksg"\n')
    base = tmp_path / "ksg.csv"
    check(suite, base, update=True)
    original = KSG._estimate

    def biased(self, x, y, *, seed):  # a 30% bias: about 0.25 nats on the truth 0.83
        est = original(self, x, y, seed=seed)
        return Estimate(est.mi * 1.3, est.std, est.info)

    monkeypatch.setattr(KSG, "_estimate", biased)
    result = check(suite, base)
    # KSG's sem over 3 seeds at n = 300, rho = 0.9 is about 0.02: tolerance 4 * sqrt(2) * 0.02
    # + 0.02, about 0.14 < 0.25
    assert list(result.diff["status"]) == ["moved"], result.diff
    assert result.diff.loc[0, "tolerance"] < result.diff.loc[0, "delta"]


def test_tolerance_and_bound_formulas():
    tol = Tolerance(z=4, floor=0.02)
    assert tol.of(0.03, 0.04) == pytest.approx(4 * 0.05 + 0.02)
    assert tol.of(math.nan, math.nan) == pytest.approx(0.02)  # a single seed: the floor only
    b = Bound(0.1, 0.5)
    assert b.of(1.0, 0.0, 0.0) == pytest.approx(0.6)
    assert b.of(-1.0, 0.03, 0.04) == pytest.approx(0.6 + 3 * 0.05)
    ci = {k: Bound(*v) for k, v in load_suite("ci").bounds.items()}  # the bounds are data
    assert bound_for("binning", "multinormal-dense", ci) == Bound(1.0, 1.0)
    assert bound_for("binning", "gaussian-correlated", ci) == Bound(0.10, 0.35)
    assert bound_for("no-such-plugin", default=Bound(1, 2)) == Bound(1, 2)
    assert bound_for("no-such-plugin", bounds=ci) == DEFAULT_BOUND
    with pytest.raises(InputError, match=r"estimator\[1\]\.bound: must be \[atol, rtol\]"):
        parse_suite('name = "b"\n[[scenario]]\nname = "gaussian-correlated"\n'
                    '[[estimator]]\nname = "ksg"\nbound = [0.1]\n')

    def frame(mean, sem, failed=0):
        return pd.DataFrame([{"scenario": "s", "scenario_params": "{}", "estimator": "toy-x",
                              "estimator_params": "{}", "n": 100, "trials": 5, "failed": failed,
                              "true_mi": 0.5, "true_mi_stderr": 0.0, "mean": mean, "sem": sem,
                              "std": sem * math.sqrt(5)}])

    base = frame(0.5, 0.03)
    assert compare(frame(0.5 + 0.21, 0.04), base).loc[0, "status"] == "ok"      # tol 0.22
    assert compare(frame(0.5 + 0.23, 0.04), base).loc[0, "status"] == "moved"
    assert compare(frame(0.5 - 0.23, 0.04), base).loc[0, "status"] == "moved"
    assert compare(frame(math.nan, math.nan, failed=5), base).loc[0, "status"] == "moved"
    assert compare(frame(0.5, 0.03, failed=1), base).loc[0, "status"] == "more failures"
    assert compare(frame(0.5, 0.03), frame(0.5, 0.03, failed=2)).loc[0, "status"] == "ok"
    far = compare(frame(5.0, 0.03), frame(5.0, 0.03))  # agrees with the baseline, not the truth
    assert far.loc[0, "status"] == "off truth"


def test_cells_and_baseline_errors(tmp_path):
    trials = pd.DataFrame({
        "scenario": "s", "scenario_params": "{}", "estimator": "e", "estimator_params": "{}",
        "n": 10, "seed": [0, 1, 2, 3], "mi": [0.1, 0.2, 0.3, np.nan],
        "status": ["ok", "ok", "ok", "failed"], "true_mi": 0.2, "true_mi_stderr": 0.0})
    c = cells(trials)
    assert c.loc[0, "failed"] == 1 and c.loc[0, "trials"] == 4
    assert c.loc[0, "mean"] == pytest.approx(0.2) and c.loc[0, "sem"] == pytest.approx(0.1 / math.sqrt(3))
    bad = tmp_path / "bad.csv"
    bad.write_text("scenario,n\nx,1\n")
    with pytest.raises(InputError, match="lacks column"):
        read_baseline(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_baseline(tmp_path / "nope.csv")


def test_baseline_spelling_out_defaults_names_the_run_cells(tmp_path):
    """A baseline written with default parameters spelled out (as an older mibench stored them)
    still matches the cells a run produces, which drop them; unknown estimators are kept as written."""
    cols = ",".join(BASELINE_COLUMNS)
    path = tmp_path / "old.csv"
    path.write_text(
        f"{cols}\n"
        's,{},ksg,"{""k"":3,""variant"":2}",100,4,0,0.1,0.0,0.1,0.01,0.02\n'
        's,{},not-installed,"{""a"":1}",100,4,0,0.1,0.0,0.1,0.01,0.02\n')
    base = read_baseline(path)
    assert list(base["estimator_params"]) == ['{"variant":2}', '{"a":1}']
    path.write_text(path.read_text() + 's,{},ksg,"{""variant"":2}",100,4,0,0.1,0.0,0.1,0.01,0.02\n')
    with pytest.raises(InputError, match="twice"):
        read_baseline(path)


def test_ci_suite_and_baseline_cover_every_builtin_estimator():
    """Every available built-in estimator is in the ci suite, and the committed baseline holds
    exactly the cells the ci suite plans (a suite edit without `mibench check --update` fails)."""
    from pathlib import Path

    from mibench import registry as _registry
    from mibench.checking.baseline import DEFAULT_BASELINE
    from mibench.checking.check import unavailable_estimators
    from mibench.contracts.canonical import canonical_json
    from mibench.planning.suites import load_suite

    root = Path(__file__).resolve().parents[2]
    suite = load_suite("ci")
    # the *-reference plugins (gmm-mi, latentmi, ennemi, infomeasure, torch-mist) wrap other
    # packages: references for benchmarks, not estimators to guard
    builtin = {name for name, p in _registry.estimators().items()
               if p.target.startswith("estimators.") and p.available
               and not name.endswith("-reference")}
    missing = builtin - {e.name for e in suite.estimators}
    assert not missing, f"add {sorted(missing)} to mibench/suites/ci.toml, then mibench check --update"
    trials, skipped = suite.plan()
    planned = {(t.scenario, canonical_json(t.scenario_params), t.estimator,
                canonical_json(t.estimator_params), t.n) for t in trials}
    base = read_baseline(root / DEFAULT_BASELINE)
    unavailable = set(unavailable_estimators(skipped))
    base = base[~base["estimator"].isin(unavailable)]
    stored = set(base[["scenario", "scenario_params", "estimator", "estimator_params", "n"]]
                 .itertuples(index=False, name=None))
    assert planned == stored, (f"planned, not in the baseline: {sorted(planned - stored)[:3]}; "
                               f"in the baseline, not planned: {sorted(stored - planned)[:3]}; "
                               "run mibench check --update and commit results/baselines/ci.csv")
    assert builtin <= set(base["estimator"])


@pytest.mark.parametrize("argv, message", [
    (["--estimator", "nope"], "--estimator nope: unknown estimator 'nope'"),
    (["--estimator", "ksg:k=0"], "--estimator ksg: k must be an integer >= 1"),
    (["--bound", "1"], "expected ATOL,RTOL"),
    (["--suite", "no-such-suite"], "no suite 'no-such-suite'"),
    (["--jobs", "0"], "--jobs must be >= 1"),
])
def test_check_bad_input_one_line_exit_2(argv, message, tmp_path, capsys):
    base = tmp_path / "b.csv"
    base.write_text(",".join(BASELINE_COLUMNS) + "\n")
    assert main(["check", "--baseline", str(base), "--quiet", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
