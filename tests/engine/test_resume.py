"""A run killed with SIGKILL part-way resumes: every finished trial is kept exactly once, the rest
are computed, and the store stays a valid SQLite database."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mibench
from tests.engine import _toys

ROOT = Path(__file__).resolve().parents[2]
N_SEEDS = 12
RUN = dict(params={"rho": [0.3, 0.7]}, estimators=[["toy", {"sleep": 0.15}]], n=[100], seeds=N_SEEDS)


def _rows(store: Path) -> list[tuple]:
    con = sqlite3.connect(store)
    try:
        return con.execute("SELECT key, status, mi, finished_at FROM trials").fetchall()
    finally:
        con.close()


def _count(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        con = sqlite3.connect(store, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


# jobs=1 (the store written by the process that is killed) is slow only because the subprocess
# imports every plugin (torch) at start-up; jobs=2 runs by default
@pytest.mark.parametrize("jobs", [pytest.param(1, marks=pytest.mark.slow), 2])
def test_sigkill_then_resume_keeps_finished_trials_once(results_dir, jobs):
    store = results_dir / "store.sqlite"
    store.parent.mkdir(parents=True, exist_ok=True)
    kwargs = dict(RUN, jobs=jobs)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tests.engine._toys", str(store), json.dumps(kwargs)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    total = 2 * N_SEEDS
    deadline = time.monotonic() + 120
    try:
        while _count(store) < 5:  # part-way: some trials stored, most not
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the run stored nothing in time"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    time.sleep(0.3)  # workers die with their parent (PR_SET_PDEATHSIG); let them go
    before = _rows(store)
    assert 5 <= len(before) < total
    assert len({k for k, *_ in before}) == len(before)
    con = sqlite3.connect(store)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()

    _toys.register()
    try:
        computed = []
        df = mibench.run("gaussian-correlated", RUN["params"], [tuple(e) for e in RUN["estimators"]],
                         RUN["n"], RUN["seeds"], jobs=jobs, store=store, on_result=computed.append)
    finally:
        mibench.unregister("estimator", "toy")
    after = _rows(store)
    done_before = {k: r for k, *r in before}
    # exactly the missing trials were computed, each once
    assert sorted(r["key"] for r in computed) == sorted(set(df["key"]) - set(done_before))
    assert len(after) == total == len({k for k, *_ in after}) == len(df)
    # the trials finished before the kill are kept untouched (same numbers, same finish time)
    for k, *r in after:
        if k in done_before:
            assert tuple(r) == tuple(done_before[k])
    assert set(df["status"]) == {"ok"}
