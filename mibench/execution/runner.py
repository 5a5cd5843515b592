"""The runner: skip the trials the store holds, run the rest through an executor, store each
row as it finishes, and return the trials as a DataFrame."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pandas as pd

from mibench.contracts import InputError
from mibench.execution.executors import make_executor
from mibench.execution.options import RunOptions
from mibench.execution.store import Store, lease_owner
from mibench.planning.trials import Trial, unique_trials

log = logging.getLogger(__name__)

def results_root() -> Path:
    return Path(os.environ.get("MIBENCH_RESULTS", "results"))


def default_store_path() -> Path:
    return results_root() / "runs" / "store.sqlite"


def default_out_dir(name: str) -> Path:
    return results_root() / "runs" / name


def run_dir_for(name: str, trials: Sequence[Trial]) -> Path:
    """The default folder of one run: ``results/runs/NAME-HASH``, HASH (8 hex digits) naming the
    set of trials, so the same command always writes (and re-runs into) the same folder and a run
    with other settings never overwrites it. :func:`link_latest` points ``results/runs/NAME`` at
    the newest one."""
    digest = hashlib.sha256("\n".join(sorted(t.key for t in trials)).encode()).hexdigest()[:8]
    return default_out_dir(f"{name}-{digest}")


def link_latest(run_dir: Path, name: str) -> Path | None:
    """Point the symbolic link ``results/runs/NAME`` at ``run_dir`` (replaced atomically). A real
    folder of that name (written by an older mibench) is left alone; returns the link, or None
    when it was not made."""
    link = run_dir.parent / name
    if link.exists() and not link.is_symlink():
        log.warning("%s is a folder (from an older mibench?); not replaced by a link to %s",
                    link, run_dir.name)
        return None
    tmp = link.with_name(f".{name}.link-{os.getpid()}")
    try:
        if tmp.is_symlink():
            tmp.unlink()
        tmp.symlink_to(run_dir.name, target_is_directory=True)
        os.replace(tmp, link)
    except OSError as exc:  # e.g. a file system without symbolic links
        log.warning("could not link %s to %s: %s", link, run_dir.name, exc)
        return None
    return link


RERUN_STATUSES = ("failed", "timeout")


def execute(trials: list[Trial], *, store: Store, options: RunOptions = RunOptions(),
            on_cached: Callable[[int], None] | None = None,
            on_result: Callable[[dict], None] | None = None) -> pd.DataFrame:
    """Run the trials the store does not hold yet and return all their rows from the store.

    ``options.fresh`` recomputes every trial; ``options.rerun_failed`` recomputes the stored
    trials whose status is "failed" or "timeout" (and those not stored). Each row is committed as
    it arrives, so a run killed at any moment resumes with the same call. ``options.store`` is
    not used here (the caller opens ``store``: see :func:`open_store`).
    """
    trials = unique_trials(trials)
    keys = [t.key for t in trials]
    runner = make_executor(options)
    fresh, rerun_failed = options.fresh, options.rerun_failed
    if fresh:
        store.delete(keys)
    stored = store.statuses(keys)
    if rerun_failed:
        stored = {k: s for k, s in stored.items() if s not in RERUN_STATUSES}
    todo = [t for t in trials if t.key not in stored]
    if on_cached:
        on_cached(len(trials) - len(todo))
    todo.sort(key=lambda t: (t.scenario_id, t.n, t.seed, t.estimator_id))
    log.info("%d trials, %d stored, %d to run (%s executor)", len(trials), len(trials) - len(todo),
             len(todo), runner.name)
    _run_claimed(todo, store, runner, options.jobs, rerun_failed, on_cached, on_result)
    return store.load(keys)


#: seconds a claim on a trial lasts without renewal (a killed run's claims lapse after it)
LEASE_TTL = 60.0
#: seconds between two looks at trials another run is computing
LEASE_POLL = 0.5


def _run_claimed(todo: list[Trial], store: Store, runner, jobs: int, rerun_failed: bool,
                 on_cached, on_result) -> None:
    """Run ``todo`` in chunks, each claimed in the store first (see ``Store.claim``): trials that
    another run holds are left to it and picked up from the store when it has stored them (or
    computed here if its claim lapses). Concurrent identical runs thus split the work and store
    each trial once.

    The executor pulls the trials lazily and the next chunk is claimed when the executor asks
    for more, so the workers never wait for the slowest trial of a chunk (no barrier between
    chunks): one ``runner.run`` call serves every chunk until the rest is held by other runs.
    """
    owner = lease_owner(uuid.uuid4().hex[:8])
    # local executors take trials as they go, so claim in chunks that concurrent runs can split;
    # a Dask cluster starts once per call, so a dask run claims everything at once
    chunk = len(todo) if runner.name == "dask" else min(64, max(4 * jobs, math.ceil(len(todo) / 8)))
    done_elsewhere = 0
    pending = list(todo)

    def claimed() -> Iterator[Trial]:
        """The trials of successive claims; ends when none is left, or none can be claimed now
        (all held by other runs)."""
        nonlocal pending, done_elsewhere
        while pending:
            settled = _settled(store, [t.key for t in pending], rerun_failed)
            if settled:
                done_elsewhere += len(settled)
                if on_cached:
                    on_cached(len(settled))
                pending = [t for t in pending if t.key not in settled]
            got = set(store.claim([t.key for t in pending], owner, LEASE_TTL, limit=chunk))
            if not got:
                return
            batch = [t for t in pending if t.key in got]
            pending = [t for t in pending if t.key not in got]
            # another run may have stored a trial between our look and our claim
            again = _settled(store, [t.key for t in batch], rerun_failed)
            if again:
                done_elsewhere += len(again)
                if on_cached:
                    on_cached(len(again))
                store.release(again, owner)
                batch = [t for t in batch if t.key not in again]
            yield from batch

    stop = threading.Event()
    heartbeat = threading.Thread(target=_renew_leases, args=(store.path, owner, stop), daemon=True)
    heartbeat.start()
    said_waiting = False
    try:
        while pending:
            for row in runner.run(claimed()):
                store.put(row)
                store.release([row["key"]], owner)
                if on_result:
                    on_result(row)
            if pending:  # everything left is being computed by another run: wait for it
                if not said_waiting:
                    said_waiting = _say_waiting(store, [t.key for t in pending], owner)
                time.sleep(LEASE_POLL)
    finally:
        runner.close()  # local workers live across the runner's run() calls
        stop.set()
        heartbeat.join(timeout=5)
        with contextlib.suppress(Exception):
            store.release([t.key for t in todo], owner)
    if done_elsewhere:
        log.info("%d trial(s) were computed by another run on the same store", done_elsewhere)


def _say_waiting(store: Store, keys: list[str], owner: str) -> bool:
    """Tell the user, once, that the run waits for trials other runs hold (shown above the
    progress bar); False when none is held any more (nothing said)."""
    holders = store.held_by_others(keys, owner)
    if not holders:
        return False
    owners = sorted(set(holders.values()))
    named = ", ".join(owners[:3]) + (f" and {len(owners) - 3} more" if len(owners) > 3 else "")
    log.warning("waiting for %d trial(s) that %s (%s) claimed in this store: each is read from the "
                "store once stored there, or computed here if its claim lapses (within %.0f s of "
                "its last renewal)", len(holders),
                "another run" if len(owners) == 1 else f"{len(owners)} other runs", named, LEASE_TTL)
    return True


def _settled(store: Store, keys: list[str], rerun_failed: bool) -> set[str]:
    """Those of ``keys`` stored meanwhile (by another run) with a status that needs no rerun."""
    return {k for k, s in store.statuses(keys).items() if not (rerun_failed and s in RERUN_STATUSES)}


def _renew_leases(path, owner: str, stop: threading.Event) -> None:
    """Heartbeat (own thread, own connection): keep this run's claims alive while it works."""
    try:
        with Store(path) as st:
            while not stop.wait(LEASE_TTL / 4):
                st.renew(owner, LEASE_TTL)
    except Exception:  # the run goes on; at worst another run recomputes a trial (same result)
        log.debug("lease heartbeat stopped", exc_info=True)


@contextlib.contextmanager
def open_store(options: RunOptions, default: str | Path | None) -> Iterator[Store]:
    """The store of ``options``, else ``default``, else a temporary one (deleted afterwards)."""
    path = options.store or default
    if path is not None:
        with Store(path) as st:
            yield st
        return
    with tempfile.TemporaryDirectory(prefix="mibench-store-") as tmp, Store(Path(tmp) / "store.sqlite") as st:
        yield st


def load_run(run_dir: str | Path) -> pd.DataFrame:
    """The trials of a run folder written by ``run(..., out=...)``, read back from its store."""
    run_dir = Path(run_dir)
    manifest_path = run_dir / "run.json"
    if not manifest_path.exists():
        raise InputError(f"{run_dir} is not a mibench run folder (no run.json)")
    manifest = json.loads(manifest_path.read_text())
    if not Path(manifest["store"]).exists():
        raise InputError(f"the store of run {run_dir} is missing: {manifest['store']} "
                         "(trials.csv in the run folder holds the rows written at the end of the run)")
    with Store(manifest["store"]) as st:
        return st.load(manifest["keys"])
