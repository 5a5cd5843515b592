"""Executors: how the runner runs a batch of trials (serially, in local worker processes, or on a
Dask cluster).

An executor takes trials and yields their result rows as they finish, in any order. Results do
not depend on the executor or the number of workers: each trial carries its own seeds, and every
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
import math
import multiprocessing as mp
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from multiprocessing.connection import wait as mp_wait

from mibench import _execute, _registry
from mibench._contracts import InputError, UnavailableError
from mibench._execute import pin_threads, run_trial, stopped_row
from mibench._trials import Trial

log = logging.getLogger(__name__)

BLAS_ENV = _execute.BLAS_ENV
DASK_HINT = "pip install 'mibench[distributed]'  (or: pip install 'dask[distributed]')"

__all__ = ["SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor", "pin_threads"]


def _timeout_error(seconds: float) -> str:
    return f"timed out: stopped after the {seconds:g} s per-trial timeout"


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

    def run(self, trials: Iterable[Trial]) -> Iterator[dict]:
        if self.timeout is not None:
            yield from ProcessExecutor(1, timeout=self.timeout, threads=self.threads).run(trials)
            return
        with _threads_limited(self.threads):
            for trial in trials:
                yield run_trial(trial)


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

    def run(self, trials: Iterable[Trial]) -> Iterator[dict]:
        pending = collections.deque(trials)
        if not pending:
            return
        ctx = _mp_context()
        workers = [_Worker(ctx, self.threads) for _ in range(min(self.jobs, len(pending)))]
        try:
            while True:
                for i, w in enumerate(workers):
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
                        row = stopped_row(w.trial, "timeout", _timeout_error(self.timeout),
                                          wall_s=now - w.started, threads=self.threads)
                        log.info("trial %s timed out after %.1f s", w.trial.key, now - w.started)
                        w.stop(kill=True)
                        workers[i] = _Worker(ctx, self.threads)
                    if row is not None:
                        yield row
        finally:
            for w in workers:
                w.stop(kill=w.trial is not None)


# --------------------------------------------------------------------------- dask
def runtime_plugins() -> list[tuple[str, str, type]]:
    """Plugins registered at run time (``mibench.register``), not through entry points: Dask
    workers do not inherit them, so they are sent along with the trials (pickled by reference:
    their module must be importable on the workers)."""
    from importlib.metadata import entry_points

    out = []
    for kind, group, table in (("estimator", _registry.ESTIMATORS, _registry.estimators()),
                               ("scenario", _registry.SCENARIOS, _registry.scenarios())):
        eps = {ep.name: ep.value for ep in entry_points(group=group)}
        for name, plugin in table.items():
            if plugin.cls is not None and eps.get(name) != plugin.target:
                out.append((kind, name, plugin.cls))
    return out


_setup_state = threading.local()


def _dask_setup(threads: int, plugins) -> None:
    """Register shipped plugins and pin threads, once per worker thread (OpenMP limits are
    per thread; a worker with several threads pins each)."""
    token = (threads, tuple((k, n, id(c)) for k, n, c in plugins))
    if getattr(_setup_state, "token", None) == token:
        return
    for kind, name, cls in plugins:
        current = (_registry.estimators() if kind == "estimator" else _registry.scenarios()).get(name)
        if current is None or current.cls is not cls:
            _registry.register(kind, name, cls)
    pin_threads(threads)
    _setup_state.token = token


def _dask_task(trial: Trial, threads: int, timeout: float | None, plugins) -> dict:
    """What a Dask worker runs for one trial."""
    _dask_setup(threads, plugins)
    if timeout is None:
        return run_trial(trial)
    server = getattr(_servers, "server", None)
    if server is None or server.threads != threads:
        server = _servers.server = TrialServer(threads, plugins)
    return server.run(trial, timeout)


_servers = threading.local()
STARTUP_LIMIT = 600.0  # seconds a trial server may take to import mibench and the plugins


class TrialServer:
    """A child Python process that runs trials sent over a pipe and can be killed at a deadline.

    Dask worker processes are daemonic and cannot use multiprocessing, so a timed trial on Dask
    runs here: one server per worker thread, started once (a fresh interpreter that imports
    mibench and the plugins) and replaced after a timeout or a crash. The deadline counts from
    the moment the trial is sent to the warmed-up server, not from its start-up.
    """

    def __init__(self, threads: int, plugins=()):
        self.threads = threads
        self.plugins = list(plugins)
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        env = dict(os.environ, **{v: str(self.threads) for v in BLAS_ENV})
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from mibench._executors import _server_main; _server_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        _send_frame(self.proc.stdin, (list(sys.path), self.threads, pickle.dumps(self.plugins)))
        if _recv_frame(self.proc.stdout, STARTUP_LIMIT) != "ready":
            self.close()
            raise RuntimeError("the trial server process did not start")

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
            self.proc.wait()
            for f in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError):
                    f.close()
            self.proc = None

    def run(self, trial: Trial, timeout: float) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self._start()
        started = time.monotonic()
        try:
            _send_frame(self.proc.stdin, trial)
            row = _recv_frame(self.proc.stdout, timeout)
        except TimeoutError:
            self.close()
            return stopped_row(trial, "timeout", _timeout_error(timeout),
                               wall_s=time.monotonic() - started, threads=self.threads)
        except (EOFError, OSError):
            code = self.proc.poll() if self.proc else None
            self.close()
            return stopped_row(trial, "failed", f"WorkerDied: the process running the trial died "
                               f"(exit code {code})", threads=self.threads)
        return row


def _send_frame(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    import select

    chunks, got = [], 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _recv_frame(stream, timeout: float | None):
    fd = stream.fileno()
    deadline = None if timeout is None else time.monotonic() + timeout
    size = int.from_bytes(_read_exact(fd, 8, deadline), "little")
    return pickle.loads(_read_exact(fd, size, deadline))


def _server_main() -> None:
    """Entry point of a TrialServer child: set up, say ready, then run trials until EOF."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # plugins that print must not corrupt the frames
    path, threads, plugins = pickle.loads(_read_exact(stdin.fileno(), int.from_bytes(
        _read_exact(stdin.fileno(), 8, None), "little"), None))
    for p in path:
        if p not in sys.path:
            sys.path.append(p)
    _dask_setup(threads, pickle.loads(plugins))
    _registry.estimators(), _registry.scenarios()  # import the plugins before saying ready
    _send_frame(stdout, "ready")
    while True:
        try:
            trial = _recv_frame(stdin, None)
        except (EOFError, OSError):
            return
        _send_frame(stdout, run_trial(trial))


class DaskExecutor:
    """Trials as Dask tasks: a local cluster of ``jobs`` single-threaded worker processes, or an
    existing cluster at ``scheduler`` (``dask scheduler`` / ``dask worker``; the workers need
    mibench and the plugins installed). Rows stream back as tasks finish."""

    name = "dask"

    def __init__(self, jobs: int = 2, *, timeout: float | None = None, threads: int = 1,
                 scheduler: str | None = None, processes: bool = True):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise UnavailableError(f"the dask executor needs the `distributed` package: {DASK_HINT}") \
                from None
        if jobs < 1:
            raise InputError(f"jobs must be >= 1, got {jobs}")
        self.jobs = jobs
        self.timeout = timeout
        self.threads = threads
        self.scheduler = scheduler
        self.processes = processes

    @contextlib.contextmanager
    def _client(self):
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                client = Client(self.scheduler, timeout="20s")
            except OSError as exc:
                raise InputError(f"cannot reach the Dask scheduler at {self.scheduler!r}: {exc}") from None
            try:
                yield client
            finally:
                client.close()
            return
        # the nanny sets these before the worker process starts, so BLAS loads already pinned
        env = {v: str(self.threads) for v in BLAS_ENV} if self.processes else None
        cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=self.processes,
                               dashboard_address=None, silence_logs=logging.ERROR, env=env)
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()

    def run(self, trials: Iterable[Trial]) -> Iterator[dict]:
        from distributed import as_completed

        trials = list(trials)
        if not trials:
            return
        plugins = runtime_plugins()
        with self._client() as client:
            n_workers = max(1, len(client.scheduler_info().get("workers", {})) or self.jobs)
            window = max(8, 4 * n_workers)
            it = iter(trials)
            futures = {}

            def submit(trial: Trial):
                fut = client.submit(_dask_task, trial, self.threads, self.timeout, plugins,
                                    key=f"mibench-trial-{trial.key}", pure=False, retries=0)
                futures[fut.key] = trial
                return fut

            ac = as_completed([submit(t) for t in _take(it, window)])
            for fut in ac:
                trial = futures.pop(fut.key)
                try:
                    row = fut.result()
                except Exception as exc:  # the worker died (KilledWorker) or the task was lost
                    row = stopped_row(trial, "failed", f"DaskError: {type(exc).__name__}: {exc}",
                                      threads=self.threads)
                fut.release()
                for t in _take(it, 1):
                    ac.add(submit(t))
                yield row


def _take(it: Iterator, k: int) -> list:
    out = []
    for _ in range(k):
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out


EXECUTORS = {"serial": SerialExecutor, "processes": ProcessExecutor, "dask": DaskExecutor}


def make_executor(name: str | None, jobs: int, *, timeout: float | None = None, threads: int = 1,
                  scheduler: str | None = None):
    """The executor called ``name`` (default: serial for one job, processes for more; dask when a
    ``scheduler`` address is given)."""
    if timeout is not None and (not isinstance(timeout, (int, float)) or not timeout > 0
                                or math.isinf(timeout)):
        raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if threads is None or int(threads) < 1:
        raise InputError(f"threads must be >= 1, got {threads!r}")
    if scheduler and name not in (None, "dask"):
        raise InputError(f"--scheduler runs on a Dask cluster; it cannot be combined with executor {name!r}")
    if name is None:
        name = "dask" if scheduler else ("serial" if jobs <= 1 else "processes")
    if name not in EXECUTORS:
        raise InputError(f"unknown executor {name!r}; choose from {', '.join(EXECUTORS)}")
    if name == "dask":
        return DaskExecutor(jobs, timeout=timeout, threads=int(threads), scheduler=scheduler)
    return EXECUTORS[name](jobs, timeout=timeout, threads=int(threads))
