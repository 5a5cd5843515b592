"""Concurrent runs on one store share the work through leases (issue 19, item 16)."""

import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import textwrap
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
        assert st.held_by_others(["a", "d"], "run-2") == {"a": "run-1"}
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


def _gone_pid() -> int:
    """The pid of a process of this host that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _lease(st: Store, key: str, owner: str, expires: float) -> None:
    st._con.execute("INSERT OR REPLACE INTO leases (key, owner, expires) VALUES (?, ?, ?)",
                    (key, owner, expires))


def test_lease_of_a_gone_process_on_this_host_lapses_at_once(tmp_path):
    """A run killed with SIGKILL leaves leases that would hold for their whole TTL; its pid being
    gone from this host, they are claimable at once (and no longer count as held)."""
    dead = f"{socket.gethostname()}:{_gone_pid()}:deadbeef"
    with Store(tmp_path / "s.sqlite") as st:
        _lease(st, "a", dead, time.time() + 3600)
        _lease(st, "b", dead, time.time() + 3600)
        assert st.held_by_others(["a", "b"], "me") == {}
        assert st.claim(["a", "b", "c"], "me", ttl=60, limit=2) == ["a", "b"]
        owners = dict(st._con.execute("SELECT key, owner FROM leases").fetchall())
    assert owners == {"a": "me", "b": "me"}


def test_lease_of_a_live_process_on_this_host_holds(tmp_path, monkeypatch):
    """A lease of a process that still runs (another user's too: kill(pid, 0) is refused) holds
    until it expires."""
    host = socket.gethostname()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with Store(tmp_path / "s.sqlite") as st:
            _lease(st, "a", f"{host}:{sleeper.pid}:0000aaaa", time.time() + 3600)
            _lease(st, "b", f"{host}:{os.getpid()}:0000bbbb", time.time() + 3600)  # this process
            _lease(st, "c", f"{host}:{os.getppid()}:0000cccc", time.time() + 3600)  # its parent
            assert st.claim(["a", "b", "c", "d"], "me", ttl=60) == ["d"]
            assert set(st.held_by_others(["a", "b", "c", "d"], "me")) == {"a", "b", "c"}
    finally:
        sleeper.kill()
        sleeper.wait()

    def refused(pid, sig):  # what kill(pid, 0) says of another user's process
        raise PermissionError(1, "Operation not permitted")

    with Store(tmp_path / "s.sqlite") as st:
        _lease(st, "e", f"{host}:{_gone_pid()}:0000eeee", time.time() + 3600)
        monkeypatch.setattr(os, "kill", refused)
        assert st.claim(["e"], "me", ttl=60) == []


def test_lease_of_another_host_holds_until_it_expires(tmp_path):
    """Another host's process cannot be looked at (a shared store on a network file system, Dask
    workers): its lease holds until it expires, even when its pid is free on this host."""
    gone = _gone_pid()
    with Store(tmp_path / "s.sqlite") as st:
        _lease(st, "a", f"not-{socket.gethostname()}:{gone}:0000aaaa", time.time() + 3600)
        _lease(st, "b", f"not-{socket.gethostname()}:{gone}:0000bbbb", time.time() - 1)  # expired
        _lease(st, "c", "run-1", time.time() + 3600)  # a name of another form: expiry only
        assert st.claim(["a", "b", "c"], "me", ttl=60) == ["b"]


def test_waiting_for_a_live_run_is_said_once(tmp_path, caplog):
    """A run whose remaining trials another live run holds says so once (which trials, whose
    claim, that it waits), then computes them when the claim lapses."""
    from mibench.execution import runner
    from mibench.execution.options import RunOptions
    from mibench.planning.plan import plan

    trials, _ = plan("gaussian-correlated", {"rho": [0.5]}, ["gaussian"], [100], [0, 1, 2])
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    other = f"{socket.gethostname()}:{sleeper.pid}:0000aaaa"
    try:
        with Store(tmp_path / "s.sqlite") as st, caplog.at_level(logging.WARNING, "mibench"):
            for t in trials[:2]:
                _lease(st, t.key, other, time.time() + 1.5)  # lapses in 1.5 s, never renewed
            df = runner.execute(trials, store=st, options=RunOptions(jobs=1))
    finally:
        sleeper.kill()
        sleeper.wait()
    said = [r.getMessage() for r in caplog.records if "waiting for" in r.getMessage()]
    assert len(said) == 1, said
    assert "waiting for 2 trial(s)" in said[0] and other in said[0] and "60 s" in said[0]
    assert len(df) == 3 and (df["status"] == "ok").all()


_KILLED_RUN = textwrap.dedent("""
    import sys, time
    import numpy as np
    import mibench

    class Slow(mibench.Estimator):
        def _estimate(self, x, y, *, seed):
            time.sleep(0.25)
            r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
            return mibench.Estimate(float(-0.5 * np.log1p(-r * r)))

    mibench.register("estimator", "toy-slow-kill", Slow)
    mibench.run("gaussian-correlated", {"rho": [0.5]}, ["toy-slow-kill"], n=[50], seeds=24,
                store=sys.argv[1])
""")


def test_run_killed_with_sigkill_resumes_without_waiting_for_its_leases(tmp_path):
    """The bug: a run killed with SIGKILL, re-run at once on the same store, waited for the
    killed run's leases to expire (LEASE_TTL = 60 s) before computing the trials they held."""
    from mibench.execution.runner import LEASE_TTL

    script, store = tmp_path / "run.py", tmp_path / "s.sqlite"
    script.write_text(_KILLED_RUN)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    killed = subprocess.Popen([sys.executable, str(script), str(store)], env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and killed.poll() is None:
            if store.exists():
                with Store(store) as st:
                    if st.count() >= 2:
                        break
            time.sleep(0.1)
        assert killed.poll() is None, "the run to kill finished (or failed) first"
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.wait()
    with Store(store) as st:
        stored = st.count()
        left = st._con.execute("SELECT COUNT(*) FROM leases WHERE expires > ?", (time.time(),)).fetchone()[0]
    assert 2 <= stored < 24 and left > 0  # killed mid-way, holding unexpired claims
    t0 = time.monotonic()
    resumed = subprocess.run([sys.executable, str(script), str(store)], env=env, timeout=300)
    took = time.monotonic() - t0
    assert resumed.returncode == 0
    with Store(store) as st:
        rows = st.load()
    assert len(rows) == 24 and rows["key"].is_unique and (rows["status"] == "ok").all()
    # 24 - stored trials of 0.25 s plus a process start; the old code waited LEASE_TTL on top
    assert took < LEASE_TTL / 3, took
