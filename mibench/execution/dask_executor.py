"""The Dask executor: trials on a Dask cluster (local or remote), each in a trial server, a
subprocess of the Dask worker that can be killed at its timeout without killing the worker."""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator

import numpy as np

from mibench import registry as _registry
from mibench.contracts import InputError, UnavailableError
from mibench.execution.trial import BLAS_ENV, pin_threads, run_trial, stopped_row, timeout_error
from mibench.planning.trials import Trial

log = logging.getLogger(__name__)

DASK_HINT = "pip install 'mibench[distributed]'  (or: pip install 'dask[distributed]')"


# --------------------------------------------------------------------------- dask
def runtime_plugins() -> list[tuple[str, str, type]]:
    """Plugins registered at run time (``mibench.register``), not through entry points: Dask
    workers do not inherit them, so they are sent to each worker once (pickled by reference, or
    by value with cloudpickle for a class built at run time, such as the user-data scenario:
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


def _dask_batch(trials: list[Trial], threads: int, timeout: float | None, plugins) -> list[dict]:
    """What a Dask worker runs for one task: a few consecutive trials (see ``batch_size``)."""
    return [_dask_task(trial, threads, timeout, plugins) for trial in trials]


def _dask_task(trial: Trial, threads: int, timeout: float | None, plugins) -> dict:
    """What a Dask worker runs for one trial."""
    _dask_setup(threads, plugins)
    if timeout is None:
        return run_trial(trial)
    server = getattr(_servers, "server", None)
    if server is None or server.threads != threads or server.plugins != list(plugins):
        if server is not None:  # another run's plugins (a new user-data scenario): a new server
            server.close()
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
            [sys.executable, "-c",
             "from mibench.execution.dask_executor import _server_main; _server_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        _send_frame(self.proc.stdin, (list(sys.path), self.threads, _dumps_plugins(self.plugins)))
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
            return stopped_row(trial, "timeout", timeout_error(timeout),
                               wall_s=time.monotonic() - started, threads=self.threads)
        except (EOFError, OSError):
            code = self.proc.poll() if self.proc else None
            self.close()
            return stopped_row(trial, "failed", f"WorkerDied: the process running the trial died "
                               f"(exit code {code})", threads=self.threads)
        return row


def _dumps_plugins(plugins) -> bytes:
    """Pickled plugin classes; classes built at run time (not importable by name) by value."""
    try:
        return pickle.dumps(plugins)
    except (pickle.PicklingError, AttributeError, TypeError):
        import cloudpickle  # installed with distributed

        return cloudpickle.dumps(plugins)


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
    # the parent's import path first, in its order: a site-packages entry must not shadow a
    # module the parent found in its own folders (infomeasure's wheel installs a top-level
    # `tests` package, which hid the parent's `tests.engine` plugins from the child)
    sys.path[:] = list(path) + [p for p in sys.path if p not in path]
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
        import dask
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
        # no statistical profiler in the workers of our own cluster: it samples the running
        # trial's stack every 10 ms (~5 % of the workers' CPU) for a dashboard nobody sees
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=self.processes,
                                   dashboard_address=None, silence_logs=logging.ERROR, env=env)
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()

    def close(self) -> None:
        """Nothing to stop: each run() call starts and ends its own cluster (or client)."""

    def run(self, trials: Iterable[Trial]) -> Iterator[dict]:
        from distributed import as_completed

        trials = list(trials)
        if not trials:
            return
        plugins = runtime_plugins()
        with self._client() as client:
            if plugins:  # once per worker, not with every task (they may hold the user's data)
                plugins = client.scatter([plugins], broadcast=True, hash=False)[0]
            n_workers = max(1, len(client.scheduler_info().get("workers", {})) or self.jobs)
            window = max(8, 4 * n_workers)  # tasks in flight
            queue = collections.deque(trials)
            futures = {}
            seconds: list[float] = []  # estimate times seen so far (to size the batches)

            def submit(batch: list[Trial]):
                fut = client.submit(_dask_batch, batch, self.threads, self.timeout, plugins,
                                    key=f"mibench-trials-{batch[0].key}-{len(batch)}", pure=False,
                                    retries=0)
                futures[fut.key] = batch
                return fut

            def next_batches(k: int) -> list:
                out = []
                typical = float(np.median(seconds)) if seconds else None
                while queue and len(out) < k:
                    size = batch_size(len(queue), n_workers, typical)
                    out.append(submit([queue.popleft() for _ in range(min(size, len(queue)))]))
                return out

            ac = as_completed(next_batches(window))
            for fut in ac:
                batch = futures.pop(fut.key)
                try:
                    rows = fut.result()
                except Exception as exc:  # the worker died (KilledWorker) or the task was lost
                    if len(batch) > 1:  # run them one per task, so only the culprit fails
                        fut.release()
                        for trial in batch:
                            ac.add(submit([trial]))
                        continue
                    rows = [stopped_row(batch[0], "failed", f"DaskError: {type(exc).__name__}: {exc}",
                                        threads=self.threads)]
                fut.release()
                seconds.extend(r["wall_s"] for r in rows if np.isfinite(r["wall_s"]))
                for f in next_batches(1):
                    ac.add(f)
                yield from rows


#: a Dask task costs a few milliseconds of scheduling and transfer: trials shorter than this
#: many seconds go several to a task
TASK_SECONDS = 0.5
#: at most this many trials in one Dask task
MAX_BATCH = 64


def batch_size(left: int, workers: int, trial_seconds: float | None) -> int:
    """Trials in the next Dask task, when ``left`` trials are not submitted yet and a trial took
    ``trial_seconds`` (median so far; None before the first results: one trial per task).

    Short trials go several to a task, about ``TASK_SECONDS`` of work, so Dask's per-task cost
    does not dominate; long trials go one per task, so rows still stream back (progress, resume)
    as they finish. Batches shrink as the run ends (guided self-scheduling: at most 1/(4 x
    workers) of what is left), so no worker waits long for another's last batch.
    """
    if not trial_seconds or trial_seconds <= 0:
        return 1
    return max(1, min(MAX_BATCH, left // (4 * workers), int(TASK_SECONDS / trial_seconds)))
