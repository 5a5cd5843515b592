import json

import numpy as np
import pandas as pd
import pytest

import mibench
from mibench import InputError, UnknownNameError
from mibench.execution.store import Store
from mibench.execution.trial import sample_cell
from mibench.planning.plan import plan
from mibench.planning.trials import Trial, code_version


def test_run_returns_trials_and_writes_outputs(toy_plugins, results_dir):
    df = mibench.run("gaussian-correlated", {"rho": [0.0, 0.6]}, ["toy-pearson"], n=[300], seeds=3,
                     out=results_dir / "r1")
    assert len(df) == 6 and set(df["status"]) == {"ok"}
    assert set(df.columns) >= {"key", "mi", "std", "true_mi", "wall_s", "cpu_s", "status", "error"}
    for name in ("trials.csv", "summary.csv", "estimate_vs_true.png", "run.json"):
        assert (results_dir / "r1" / name).exists()
    summary = pd.read_csv(results_dir / "r1" / "summary.csv")
    assert len(summary) == 2 and (summary["trials"] == 3).all()
    back = mibench.load_run(results_dir / "r1")
    assert sorted(back["key"]) == sorted(df["key"])


def test_rerun_recomputes_nothing_and_fresh_recomputes(toy_plugins, results_dir):
    args = ("gaussian-correlated", {"rho": [0.3]}, ["toy-pearson"], [200], 2)
    calls = []
    first = mibench.run(*args, on_result=calls.append)
    assert len(calls) == 2
    cached = []
    second = mibench.run(*args, on_result=calls.append, on_cached=cached.append)
    assert len(calls) == 2 and cached == [2]
    pd.testing.assert_frame_equal(first.sort_values("key").reset_index(drop=True),
                                  second.sort_values("key").reset_index(drop=True))
    mibench.run(*args, fresh=True, on_result=calls.append)
    assert len(calls) == 4
    with Store(results_dir / "runs" / "store.sqlite") as st:
        assert len(st.load()) == 2  # no duplicates


def test_cell_shares_data_and_seed_streams_are_separate(toy_plugins):
    a = Trial("gaussian-correlated", {"rho": 0.5}, "toy-pearson", {}, 100, 7)
    b = Trial("gaussian-correlated", {"rho": 0.5}, "other", {"k": 3}, 100, 7)
    xa = a.data_rng().standard_normal(5)
    xb = b.data_rng().standard_normal(5)
    assert np.array_equal(xa, xb)  # identical data for every estimator of a cell
    assert a.estimator_seed == b.estimator_seed
    c = Trial("gaussian-correlated", {"rho": 0.5}, "toy-pearson", {}, 100, 8)
    assert not np.array_equal(xa, c.data_rng().standard_normal(5))
    assert a.key != b.key != c.key
    # data and estimator streams differ
    assert a.estimator_seed != int(np.random.default_rng(a.data_rng().bit_generator.seed_seq)
                                   .integers(2**31))
    x1, _ = sample_cell(a)
    x2, _ = sample_cell(b)
    assert x1.tobytes() == x2.tobytes()


def test_spelled_out_defaults_name_the_same_trial(toy_plugins, results_dir):
    """An estimator parameter equal to its default is dropped from the trial: the key and the
    stored label are those of the bare name, so the cache is shared."""
    bare, _ = plan("gaussian-correlated", {"rho": [0.5]}, ["toy-pearson"], 100, 2)
    explicit, _ = plan("gaussian-correlated", {"rho": [0.5]},
                       [("toy-pearson", {"noise": 0, "fail_above": "none"})], 100, 2)  # CLI text
    assert [t.key for t in bare] == [t.key for t in explicit]
    assert all(t.estimator_params == {} for t in explicit)
    other, _ = plan("gaussian-correlated", {"rho": [0.5]},
                    [("toy-pearson", {"noise": 0.2, "fail_above": None})], 100, 2)
    assert [t.estimator_params for t in other] == [{"noise": 0.2}] * 2
    assert not {t.key for t in other} & {t.key for t in bare}
    calls = []
    mibench.run("gaussian-correlated", {"rho": [0.5]}, ["toy-pearson"], [100], 2, on_result=calls.append)
    df = mibench.run("gaussian-correlated", {"rho": [0.5]}, [("toy-pearson", {"noise": 0.0})], [100], 2,
                     on_result=calls.append)
    assert len(calls) == 2 and set(df["estimator_params"]) == {"{}"}


def test_two_spellings_of_one_configuration_are_one_trial(toy_plugins, results_dir):
    """`toy-pearson` and `toy-pearson:noise=0` (the default) plan, run, count and load as one
    trial per seed, whichever comes first."""
    args = ("gaussian-correlated", {"rho": [0.5]})
    trials, _ = plan(*args, ["toy-pearson", ("toy-pearson", {"noise": 0})], [100], 3)
    assert len(trials) == 3 and all(t.estimator_params == {} for t in trials)
    path = results_dir / "dup.sqlite"
    mibench.run(*args, [("toy-pearson", {"noise": 0})], [100], 3, store=path)
    calls = []
    df = mibench.run(*args, ["toy-pearson", ("toy-pearson", {"noise": 0})], [100], 3, store=path,
                     on_result=calls.append, out=results_dir / "dup")
    assert calls == [] and len(df) == 3
    assert len(mibench.load_run(results_dir / "dup")) == 3


def test_estimator_version_keys_trials(toy_plugins, results_dir, monkeypatch):
    """Unversioned estimators keep their keys; raising ``version`` recomputes instead of reusing."""
    from tests.conftest import PearsonMI

    args = ("gaussian-correlated", {"rho": [0.5]}, ["toy-pearson"], [100], 2)
    unversioned = [t.key for t in plan(*args)[0]]
    assert unversioned == [Trial("gaussian-correlated", {"rho": 0.5}, "toy-pearson", {}, 100, s).key
                           for s in (0, 1)]
    calls = []
    mibench.run(*args, on_result=calls.append)
    monkeypatch.setattr(PearsonMI, "version", 2, raising=False)
    trials = plan(*args)[0]
    assert not set(t.key for t in trials) & set(unversioned)
    df = mibench.run(*args, on_result=calls.append)
    assert len(calls) == 4 and set(df["version"]) == {f"{code_version()} toy-pearson@2"}
    mibench.run(*args, on_result=calls.append)
    assert len(calls) == 4


def test_failures_are_recorded_and_run_continues(toy_plugins, results_dir):
    df = mibench.run("gaussian-correlated", {"rho": [0.0, 0.9]},
                     [("toy-pearson", {"fail_above": 0.5})], n=[200], seeds=2)
    bad = df[df["status"] == "failed"]
    assert len(bad) == 2 and bad["error"].str.contains("toy failure").all()
    assert (df[df["status"] == "ok"]["mi"].notna()).all()


def test_serial_and_processes_agree(toy_plugins, results_dir):
    kw = dict(scenario="gaussian-correlated", params={"rho": [0.3, 0.9]},
              estimators=[("toy-pearson", {"noise": 0.1})], n=[100, 300], seeds=3)
    serial = mibench.run(**kw, jobs=1, store=results_dir / "a.sqlite")
    par = mibench.run(**kw, jobs=2, store=results_dir / "b.sqlite")
    cols = ["key", "mi", "std", "true_mi", "status"]
    pd.testing.assert_frame_equal(serial.sort_values("key")[cols].reset_index(drop=True),
                                  par.sort_values("key")[cols].reset_index(drop=True))


def test_capability_pairing_skips_with_reason(toy_plugins, results_dir):
    df = mibench.run("gaussian-correlated", {"rho": [0.3]}, ["toy-pearson", "toy-discrete"],
                     n=[100], seeds=1)
    assert set(df["estimator"]) == {"toy-pearson"}
    skipped = df.attrs["skipped"]
    assert skipped[0]["estimator"] == "toy-discrete" and "discrete" in skipped[0]["reason"]
    with pytest.raises(InputError, match="nothing to run"):
        mibench.run("gaussian-correlated", {"rho": [0.3]}, ["toy-discrete"], n=[100], seeds=1)


def test_unknown_names(toy_plugins, results_dir):
    with pytest.raises(UnknownNameError, match="did you mean gaussian-correlated"):
        mibench.run("gaussian-corelated", estimators=["toy-pearson"])
    with pytest.raises(UnknownNameError, match="unknown estimator 'nope'"):
        mibench.run("gaussian-correlated", estimators=["nope"])
    with pytest.raises(UnknownNameError, match="no parameter 'rh'"):
        mibench.run("gaussian-correlated", {"rh": [0.3]}, ["toy-pearson"])


def test_manifest_lists_trials(toy_plugins, results_dir):
    df = mibench.run("gaussian-correlated", {"rho": [0.3]}, ["toy-pearson"], n=[100], seeds=2,
                     out=results_dir / "m")
    manifest = json.loads((results_dir / "m" / "run.json").read_text())
    assert sorted(manifest["keys"]) == sorted(df["key"])


class _Tty:
    def __init__(self, tty):
        self.text, self.tty = "", tty

    def isatty(self):
        return self.tty

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_progress_counts_and_writes_plain_lines_off_terminal(monkeypatch):
    from mibench.execution.progress import Progress

    term = _Tty(True)
    p = Progress(6, stream=term)
    p.skip(2)
    for status in ("ok", "failed", "timeout", "ok"):
        p.update({"status": status})
    p.close()
    last = term.text.rstrip("\n").split("\r")[-1]
    assert "6/6 done (2 cached)" in last and "2 failed (1 timeout)" in last and "0 left" in last
    mid = Progress(10, stream=_Tty(True))
    mid.update({"status": "ok"})
    mid._draw(force=True)
    assert "9 left" in mid.stream.text and "ETA" in mid.stream.text
    # off a terminal: no bar redrawn in place; a plain line per `every` seconds, and a last one
    import mibench.execution.progress as prog

    clock = [1000.0]
    monkeypatch.setattr(prog.time, "monotonic", lambda: clock[0])
    pipe = _Tty(False)
    q = Progress(3, stream=pipe, every=60)
    q.skip(1)
    q.update({"status": "ok"})
    assert pipe.text == ""  # less than a minute in
    clock[0] += 61
    q.update({"status": "failed"})
    clock[0] += 10
    q.close()
    lines = pipe.text.splitlines()
    assert "\r" not in pipe.text and len(lines) == 2
    assert "3/3 done (1 cached) | 1 failed | 0 left | took 01:11" in lines[-1]
    assert "ETA" not in lines[-1] and "3/3" in lines[0]
    quiet, idle = _Tty(False), Progress(3, stream=_Tty(False))
    Progress(3, stream=quiet, enabled=False).close()
    idle.skip(3)
    idle.close()  # nothing computed: no line
    assert quiet.text == "" and idle.stream.text == ""
