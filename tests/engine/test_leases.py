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


class _RecordingExecutor:
    """An executor that notes, as it takes each trial, how many trials the run has claimed."""

    name = "recording"

    def __init__(self, store_path):
        self.store_path = store_path
        self.claimed_when_taken: list[int] = []
        self.calls = 0

    def run(self, trials):
        from mibench.execution.trial import run_trial

        self.calls += 1
        with Store(self.store_path) as st:
            for trial in trials:
                self.claimed_when_taken.append(
                    st._con.execute("SELECT COUNT(*) FROM leases").fetchone()[0])
                yield run_trial(trial)

    def close(self):
        pass


def test_chunks_are_claimed_as_the_executor_reads_them(tmp_path, monkeypatch):
    """The executor reads the trials lazily and the next chunk is claimed only when it asks for
    more: one run() call serves every chunk (no barrier where workers wait for the slowest trial
    of a chunk), and a run never holds more than about one chunk it has not started."""
    from mibench.execution import runner
    from mibench.execution.options import RunOptions
    from mibench.planning.plan import plan

    trials, _ = plan("gaussian-correlated", {"rho": [0.5]}, ["gaussian"], [100], list(range(40)))
    store_path = tmp_path / "s.sqlite"
    rec = _RecordingExecutor(store_path)
    monkeypatch.setattr(runner, "make_executor", lambda options: rec)
    with Store(store_path) as st:
        df = runner.execute(trials, store=st, options=RunOptions(jobs=1))
        leases = st._con.execute("SELECT COUNT(*) FROM leases").fetchone()[0]
    chunk = 5  # min(64, max(4 * jobs, ceil(40 / 8)))
    assert rec.calls == 1 and len(rec.claimed_when_taken) == 40
    # when the i-th trial is taken, its own chunk is claimed and the earlier rows are released
    assert max(rec.claimed_when_taken) <= chunk
    assert rec.claimed_when_taken[0] == chunk and rec.claimed_when_taken[chunk] == chunk
    assert len(df) == 40 and (df["status"] == "ok").all() and leases == 0
    # same numbers as a plain serial run in another store
    with Store(tmp_path / "plain.sqlite") as st:
        monkeypatch.undo()
        plain = runner.execute(trials, store=st, options=RunOptions(jobs=1))
    cols = ["key", "mi"]
    assert df.sort_values("key")[cols].reset_index(drop=True).equals(
        plain.sort_values("key")[cols].reset_index(drop=True))
