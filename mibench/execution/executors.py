"""Executors: how the runner runs a batch of trials (serially, in local worker processes, or on a
Dask cluster).

An executor takes trials and yields their result rows as they finish, in any order. It reads the
trials as it needs them (the runner claims each chunk in the store when it is read, so workers
never wait at chunk boundaries); ``close()`` ends the run's workers. Results do not depend on
the executor or the number of workers: each trial carries its own seeds, and every
executor runs trials under the same BLAS/OpenMP thread limit (``threads``, default 1).

Timeouts: a trial that runs past ``timeout`` seconds is stopped and recorded with status
``"timeout"``; the run goes on. Python cannot stop a running function, so a timed trial runs in
a process that can be killed: the process executor kills the worker and starts a new one
(``jobs=1`` with a timeout is one such worker); the Dask executor runs each timed trial in a
child process of the Dask worker (a ``TrialServer``).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import multiprocessing as mp
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from multiprocessing.connection import wait as mp_wait

from mibench.contracts import InputError
from mibench.execution import trial as _execute
from mibench.execution.dask_executor import DaskExecutor
from mibench.execution.options import RunOptions
from mibench.execution.trial import pin_threads, run_trial, stopped_row, timeout_error
from mibench.planning.trials import Trial

log = logging.getLogger(__name__)

BLAS_ENV = _execute.BLAS_ENV

__all__ = ["SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor", "pin_threads"]


@contextlib.contextmanager
def _threads_limited(n: int):
    """Run this process's trials under a BLAS thread limit, restoring the previous limits after."""
    before_libs = _execute.set_blas_threads(n)
    torch = sys.modules.get("torch")
    torch_before = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(n)
    before = _execute._pinned
    _execute._pinned = n
    try:
        yield
    finally:
        _execute._pinned = before
        _execute.restore_blas_threads(before_libs)
        if torch is not None and torch_before is not None:
            torch.set_num_threads(torch_before)


# --------------------------------------------------------------------------- serial
class SerialExecutor:
    """Trials one after the other in this process (with a timeout: in one killable worker)."""

    name = "serial"

    def __init__(self, jobs: int = 1, *, timeout: float | None = None, threads: int = 1):
        self.jobs = 1
        self.timeout = timeout
        self.threads = threads
        self._killable = (ProcessExecutor(1, timeout=timeout, threads=threads)
                          if timeout is not None else None)

    def run(self, trials: Iterable[Trial]) -> Iterator[dict]:
        if self._killable is not None:
            yield from self._killable.run(trials)
            return
        with _threads_limited(self.threads):
            for trial in trials:
                yield run_trial(trial)

    def close(self) -> None:
        """Stop the killable worker of a run with a timeout."""
        if self._killable is not None:
            self._killable.close()


# --------------------------------------------------------------------------- local processes
def _die_with_parent() -> None:
    """Ask Linux to kill this worker when its parent dies (a kill -9 of the run leaves no orphan
    burning CPU)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _worker_main(conn, threads: int) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    pin_threads(threads)
    while True:
        try:
            trial = conn.recv()
        except (EOFError, OSError):
            return
        if trial is None:
            return
        row = run_trial(trial)
        try:
            conn.send(row)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, ctx, threads: int):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, threads), daemon=True)
        self.proc.start()
        child.close()
        self.trial: Trial | None = None
        self.cell: tuple | None = None  # the data cell this worker sampled last (kept in memory)
        self.started = 0.0

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.proc.join(timeout=0 if kill else 2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def _cell(trial: Trial) -> tuple:
    return (trial.scenario_id, trial.n, trial.seed)


def _next_trial(pending: collections.deque, cell: tuple | None, busy_cells: set, window: int = 256) -> Trial:
    """The next trial for a worker: one of the cell it holds in memory if any (no resampling),
    else the first of a cell no other worker is on, else the first pending. Results do not depend
    on this order; only the time spent sampling does."""
    fallback = None
    for idx, trial in enumerate(pending):
        if idx >= window:
            break
        c = _cell(trial)
        if c == cell:
            del pending[idx]
            return trial
        if fallback is None and c not in busy_cells:
            fallback = idx
    if fallback is None:
        return pending.popleft()
    trial = pending[fallback]
    del pending[fallback]
    return trial


def _mp_context():
    methods = mp.get_all_start_methods()
    # fork: cheap, and workers inherit plugins registered at run time (mibench.register)
    return mp.get_context("fork" if "fork" in methods else "spawn")


class ProcessExecutor:
    """Local worker processes (``--jobs N``) that this executor manages itself, so a trial past
    its timeout can be stopped: the worker is killed and replaced. BLAS threads pinned in each
    worker. A worker that dies (segfault, out of memory) fails its trial and is replaced."""

    name = "processes"

    def __init__(self, jobs: int = 2, *, timeout: float | None = None, threads: int = 1):
        if jobs < 1:
            raise InputError(f"jobs must be >= 1, got {jobs}")
        self.jobs = jobs
        self.timeout = timeout
        self.threads = threads
        self._workers: list[_Worker] = []  # kept across run() calls until close()

    def close(self) -> None:
        """Stop the worker processes (a later run() starts new ones)."""
        workers, self._workers = self._workers, []
        for w in workers:
            w.stop(kill=w.trial is not None)

    def run(self, trials: Iterable[Trial]) -> Iterator[dict]:
        """Yield the rows of ``trials`` as they finish. ``trials`` is read lazily, a few ahead of
        the free workers (the runner claims trials in the store as they are read)."""
        source = iter(trials)
        pending: collections.deque = collections.deque()
        lookahead = max(8, 4 * self.jobs)  # for _next_trial's choice of a cell held in memory

        def refill() -> None:
            while len(pending) < lookahead:
                trial = next(source, None)
                if trial is None:
                    return
                pending.append(trial)

        refill()
        if not pending:
            return
        ctx = _mp_context()
        # workers (and their imports) are kept across run() calls until close()
        workers = self._workers
        workers.extend(_Worker(ctx, self.threads)
                       for _ in range(min(self.jobs, len(pending)) - len(workers)))
        try:
            while True:
                for i, w in enumerate(workers):
                    if w.trial is None:
                        refill()
                    if w.trial is None and pending:
                        trial = _next_trial(pending, w.cell, {v.cell for v in workers if v.trial})
                        w.cell = _cell(trial)
                        try:
                            w.conn.send(trial)
                        except (BrokenPipeError, OSError):  # died while idle: replace, retry
                            w.stop(kill=True)
                            workers[i] = w = _Worker(ctx, self.threads)
                            w.conn.send(trial)
                        w.trial, w.started = trial, time.monotonic()
                busy = [w for w in workers if w.trial is not None]
                if not busy:
                    break
                wait_s = None
                if self.timeout is not None:
                    now = time.monotonic()
                    wait_s = max(0.0, min(w.started + self.timeout for w in busy) - now)
                ready = set(mp_wait([w.conn for w in busy] + [w.proc.sentinel for w in busy],
                                    timeout=wait_s))
                now = time.monotonic()
                for i, w in enumerate(workers):
                    if w.trial is None:
                        continue
                    row = None
                    if w.conn in ready or w.proc.sentinel in ready:
                        try:
                            if w.conn.poll():
                                row = w.conn.recv()
                        except (EOFError, OSError):
                            row = None
                        if row is None:  # the worker died without answering
                            w.proc.join(timeout=1)
                            code = w.proc.exitcode
                            row = stopped_row(w.trial, "failed",
                                              f"WorkerDied: the worker process running the trial died "
                                              f"(exit code {code})", threads=self.threads)
                            w.stop(kill=True)
                            workers[i] = _Worker(ctx, self.threads)
                        else:
                            w.trial = None
                    elif self.timeout is not None and now - w.started >= self.timeout:
                        row = stopped_row(w.trial, "timeout", timeout_error(self.timeout),
                                          wall_s=now - w.started, threads=self.threads)
                        log.info("trial %s timed out after %.1f s", w.trial.key, now - w.started)
                        w.stop(kill=True)
                        workers[i] = _Worker(ctx, self.threads)
                    if row is not None:
                        yield row
        finally:  # a worker still busy here was abandoned (error, generator closed): stop it
            for w in [w for w in workers if w.trial is not None]:
                w.stop(kill=True)
                workers.remove(w)


EXECUTORS = {"serial": SerialExecutor, "processes": ProcessExecutor, "dask": DaskExecutor}


def make_executor(options: RunOptions):
    """The executor of ``options`` (see :attr:`RunOptions.executor_name`)."""
    name = options.executor_name
    if name == "dask":
        return DaskExecutor(options.jobs, timeout=options.timeout, threads=options.threads,
                            scheduler=options.scheduler)
    return EXECUTORS[name](options.jobs, timeout=options.timeout, threads=options.threads)
