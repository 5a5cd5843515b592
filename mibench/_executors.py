"""Executors: how the runner runs a batch of trials (serially or in local worker processes).

An executor takes trials and yields their result rows as they finish, in any order. Results do
not depend on the executor or the number of workers: each trial carries its own seeds.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from mibench._contracts import InputError
from mibench._execute import run_trial
from mibench._trials import Trial

BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def pin_threads(n: int = 1) -> None:
    """Limit BLAS/OpenMP (and torch) threads in this process, so parallel workers do not
    oversubscribe the cores."""
    for var in BLAS_ENV:
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except Exception:  # threadpoolctl is optional at this level
        pass


class SerialExecutor:
    name = "serial"

    def __init__(self, jobs: int = 1):
        self.jobs = 1

    def run(self, trials: Iterable[Trial]) -> Iterator[dict]:
        for trial in trials:
            yield run_trial(trial)


class ProcessExecutor:
    """Local worker processes (``--jobs N``); BLAS threads pinned to 1 in each worker."""

    name = "processes"

    def __init__(self, jobs: int = 2):
        if jobs < 1:
            raise InputError(f"jobs must be >= 1, got {jobs}")
        self.jobs = jobs

    def run(self, trials: Iterable[Trial]) -> Iterator[dict]:
        trials = list(trials)
        # Submit in a bounded window so a huge suite does not hold every future at once; trials
        # of one data cell stay adjacent, so a worker often reuses the cell's sample.
        window = self.jobs * 4
        with ProcessPoolExecutor(max_workers=self.jobs, initializer=pin_threads) as pool:
            pending = set()
            it = iter(trials)
            for trial in it:
                pending.add(pool.submit(run_trial, trial))
                if len(pending) >= window:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        yield fut.result()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()


EXECUTORS = {"serial": SerialExecutor, "processes": ProcessExecutor}


def make_executor(name: str | None, jobs: int):
    if name is None:
        name = "serial" if jobs <= 1 else "processes"
    if name not in EXECUTORS:
        raise InputError(f"unknown executor {name!r}; choose from {', '.join(EXECUTORS)}")
    return EXECUTORS[name](jobs)
