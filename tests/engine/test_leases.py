"""Concurrent runs on one store share the work through leases (issue 19, item 16)."""

import multiprocessing
import os
import time

import numpy as np

import mibench
from mibench.execution.store import Store


class SlowPearson(mibench.Estimator):
    """Sleeps, notes which process computed it, then returns the Gaussian MI of the correlation."""

    def __init__(self, log_path: str = ""):
        self.log_path = log_path

    def _estimate(self, x, y, *, seed):
        time.sleep(0.15)
        with open(self.log_path, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
        return mibench.Estimate(float(-0.5 * np.log1p(-r * r)))


def _one_run(store, log_path):
    mibench.run("gaussian-correlated", {"rho": [0.2, 0.5]}, [("toy-slow", {"log_path": log_path})],
                n=[50, 60], seeds=10, store=store)


def test_two_identical_runs_at_once_split_the_work(tmp_path):
    mibench.register("estimator", "toy-slow", SlowPearson)
    try:
        store, log_path = tmp_path / "s.sqlite", str(tmp_path / "calls.txt")
        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=_one_run, args=(store, log_path)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=300)
            assert p.exitcode == 0
        calls = open(log_path).read().split()
        with Store(store) as st:
            rows = st.load()
            leases = st._con.execute("SELECT COUNT(*) FROM leases").fetchone()[0]
        assert len(rows) == 40 and rows["key"].is_unique and (rows["status"] == "ok").all()
        assert len(calls) == 40  # every trial computed once, by one of the two runs
        assert len(set(calls)) == 2  # and both runs did part of the work
        assert leases == 0  # claims released at the end
    finally:
        mibench.unregister("estimator", "toy-slow")


def test_claims_exclude_others_until_they_lapse(tmp_path):
    with Store(tmp_path / "s.sqlite") as st:
        assert st.claim(["a", "b", "c"], "run-1", ttl=60) == ["a", "b", "c"]
        assert st.claim(["a", "b", "c", "d"], "run-2", ttl=60, limit=5) == ["d"]
        assert st.held_by_others(["a", "d"], "run-2") == {"a"}
        st.release(["a"], "run-1")
        assert st.claim(["a", "b"], "run-2", ttl=60) == ["a"]
        st._con.execute("UPDATE leases SET expires = 0 WHERE owner = 'run-1'")  # run-1 was killed
        assert st.claim(["b", "c"], "run-2", ttl=60) == ["b", "c"]
