"""Executors: timeouts, failure and crash recording, resources per trial, and identical numbers
whatever the executor (serial, local processes, Dask local cluster)."""

import time
from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest

import mibench
from mibench import InputError
from mibench.benchmark import run_suite
from mibench.execution.executors import make_executor
from mibench.execution.options import RunOptions
from mibench.planning.suites import parse_suite
from tests.engine import _toys


@pytest.fixture
def toys():
    _toys.register()
    yield
    mibench.unregister("estimator", "toy")


def _by_params(df):
    return {(p, s): row for p, s, row in zip(df["estimator_params"], df["seed"], df.to_dict("records"),
                                            strict=True)}


@pytest.mark.parametrize("jobs", [1, 2])
def test_timeout_failure_and_crash_are_recorded_and_run_goes_on(toys, results_dir, jobs):
    estimators = [("toy", {}), ("toy", {"sleep": 60.0}), ("toy", {"fail": True}), ("toy", {"crash": True})]
    t0 = time.monotonic()
    df = mibench.run("gaussian-correlated", {"rho": [0.5]}, estimators, n=[100], seeds=2,
                     jobs=jobs, timeout=3.0, store=results_dir / "s.sqlite")
    took = time.monotonic() - t0
    assert len(df) == 8
    rows = _by_params(df)
    for seed in (0, 1):
        assert rows[("{}", seed)]["status"] == "ok" and np.isfinite(rows[("{}", seed)]["mi"])
        slow = rows[('{"sleep":60.0}', seed)]
        assert slow["status"] == "timeout" and "3 s per-trial timeout" in slow["error"]
        assert 3.0 <= slow["wall_s"] < 12 and np.isnan(slow["mi"])
        assert slow["true_mi"] == pytest.approx(-0.5 * np.log(1 - 0.25))
        assert rows[('{"fail":true}', seed)]["status"] == "failed"
        assert "asked to fail" in rows[('{"fail":true}', seed)]["error"]
        crashed = rows[('{"crash":true}', seed)]
        assert crashed["status"] == "failed" and "exit code 3" in crashed["error"]
    # two 60 s sleepers were stopped at ~3 s each: the run did not wait for them (the timeout
    # leaves room for a worker's start-up on a loaded machine, which a 1 s limit did not)
    assert took < 40


def test_rerun_failed_recomputes_only_failed_and_timed_out(toys, results_dir):
    kw = dict(scenario="gaussian-correlated", params={"rho": [0.5]}, n=[100], seeds=2,
              store=results_dir / "s.sqlite", timeout=1.0, jobs=2)
    first = mibench.run(estimators=[("toy", {}), ("toy", {"sleep": 30.0}), ("toy", {"fail": True})], **kw)
    bad = set(first.loc[first["status"] != "ok", "key"])
    assert len(bad) == 4
    again = []
    mibench.run(estimators=[("toy", {}), ("toy", {"sleep": 30.0}), ("toy", {"fail": True})],
                on_result=again.append, **kw)
    assert again == []  # failures are stored results too: a plain re-run recomputes nothing
    mibench.run(estimators=[("toy", {}), ("toy", {"sleep": 30.0}), ("toy", {"fail": True})],
                rerun_failed=True, on_result=again.append, **kw)
    assert {r["key"] for r in again} == bad and len(again) == 4


def test_resources_per_trial(toys, results_dir):
    df = mibench.run("gaussian-correlated", {"rho": [0.5]},
                     [("toy", {}), ("toy", {"alloc_mb": 300})], n=[200], seeds=1, jobs=2,
                     timeout=60, store=results_dir / "s.sqlite")
    rows = _by_params(df)
    small, big = rows[("{}", 0)], rows[('{"alloc_mb":300}', 0)]
    assert (df["threads"] == 1).all()
    # BLAS inside the worker really runs on one thread
    assert all('"blas_threads":1' in i for i in df["info"])
    assert (df["cpu_s"] >= 0).all() and (df["wall_s"] > 0).all()
    # the peak is reset per trial: the 300 MiB trial peaks ~300 MiB above the small one
    # (same kind of worker, same baseline; allow 60 MiB for allocator and page-table noise)
    assert big["peak_mem_mb"] - small["peak_mem_mb"] == pytest.approx(300, abs=60)


def test_threads_option_pins_blas(toys, results_dir):
    df = mibench.run("gaussian-correlated", {"rho": [0.5]}, ["toy"], n=[100], seeds=1, jobs=1,
                     threads=2, store=results_dir / "s.sqlite")
    assert (df["threads"] == 2).all() and '"blas_threads":2' in df["info"].iloc[0]


def test_executor_argument_errors():
    with pytest.raises(InputError, match="timeout must be a positive number"):
        RunOptions(timeout=0)
    with pytest.raises(InputError, match="unknown executor 'gpu'"):
        RunOptions(executor="gpu")
    with pytest.raises(InputError, match="cannot be combined with executor 'processes'"):
        RunOptions(executor="processes", jobs=2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(InputError, match=r"jobs must be >= 1 \(an integer\), got 0"):
        mibench.run("gaussian-correlated", jobs=0)
    with pytest.raises(FrozenInstanceError):
        RunOptions().jobs = 2


SUITE = """
name = "same-numbers"
seeds = [0, 1, 2]
n = [150, 400]
[[scenario]]
name = "gaussian-correlated"
params = { rho = [0.3, 0.9] }
[[estimator]]
name = "toy"
[[estimator]]
name = "ksg"
params = { k = 3 }
"""


def test_same_numbers_serial_processes_dask(toys, results_dir):
    distributed = pytest.importorskip("distributed")
    suite = parse_suite(SUITE)
    cols = ["key", "mi", "std", "true_mi", "status"]

    def numbers(**kw):
        df = run_suite(suite, store=results_dir / f"{len(list(results_dir.glob('*.sqlite')))}.sqlite", **kw)
        return df.sort_values("key")[cols].reset_index(drop=True)

    results_dir.mkdir(parents=True, exist_ok=True)
    serial = numbers(jobs=1)
    assert len(serial) == 2 * 2 * 3 * 2 and (serial["status"] == "ok").all()
    pd.testing.assert_frame_equal(serial, numbers(jobs=2))
    # an existing cluster (what `dask scheduler` + `dask worker` give), reached by its address;
    # two single-threaded workers (in-process threads: spawning worker processes that import
    # every plugin, torch included, takes ~10 s each on a loaded machine)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        dask = numbers(jobs=2, scheduler=cluster.scheduler_address)
        # a timed trial on Dask runs in a killable child process of the worker; the deadline
        # counts from when the warmed-up child gets the trial (its start-up, which imports every
        # plugin, is not counted)
        slow = mibench.run("gaussian-correlated", {"rho": [0.5]},
                           [("toy", {"sleep": 60.0}), ("toy", {})], n=[100], seeds=1,
                           scheduler=cluster.scheduler_address, timeout=2,
                           store=results_dir / "slow.sqlite")
    assert sorted(slow["status"]) == ["ok", "timeout"]
    stopped = slow[slow["status"] == "timeout"].iloc[0]
    assert 2 <= stopped["wall_s"] < 20 and "2 s per-trial timeout" in stopped["error"]
    # byte for byte: the float64 estimates are identical, not just close
    assert serial["mi"].to_numpy().tobytes() == dask["mi"].to_numpy().tobytes()
    pd.testing.assert_frame_equal(serial, dask)


def test_dask_batches_short_trials_and_keeps_long_ones_single():
    from mibench.execution.dask_executor import MAX_BATCH, TASK_SECONDS, batch_size

    assert batch_size(1000, 2, None) == 1  # before any trial time is known
    assert batch_size(1000, 2, 10.0) == 1  # long trials: rows stream back one by one
    assert batch_size(1000, 2, TASK_SECONDS / 4) == 4  # about TASK_SECONDS of work per task
    assert batch_size(10**6, 2, 1e-6) == MAX_BATCH
    # the end of the run goes in shrinking batches, down to single trials
    sizes, left = [], 200
    while left:
        sizes.append(batch_size(left, 2, 1e-4))
        left -= sizes[-1]
    assert sizes == sorted(sizes, reverse=True) and sizes[-8:] == [1] * 8
    assert max(sizes) <= 200 // 8


def test_dask_missing_gives_install_hint(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)  # import raises ImportError
    with pytest.raises(mibench.UnavailableError, match=r"pip install 'mibench\[distributed\]'"):
        make_executor(RunOptions(executor="dask", jobs=2))


def test_process_workers_live_across_run_calls_until_close():
    """The runner calls run() once per claimed chunk: the same worker processes serve every chunk
    (no restart and re-import per chunk); close() stops them."""
    from mibench.execution.executors import ProcessExecutor
    from mibench.planning.plan import plan

    trials, _ = plan("gaussian-correlated", {"rho": [0.5]}, ["gaussian"], [200], list(range(4)))
    ex = ProcessExecutor(2)
    first = [row["mi"] for row in ex.run(trials[:2])]
    pids = [w.proc.pid for w in ex._workers]
    assert len(pids) == 2 and all(w.proc.is_alive() for w in ex._workers)
    second = [row["mi"] for row in ex.run(trials[2:])]
    assert [w.proc.pid for w in ex._workers] == pids
    assert np.all(np.isfinite(first + second))
    procs = [w.proc for w in ex._workers]
    ex.close()
    assert ex._workers == [] and not any(p.is_alive() for p in procs)
