"""The runner: skip the trials the store holds, run the rest through an executor, store each
row as it finishes, and return the trials as a DataFrame."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from mibench.contracts import InputError
from mibench.execution.executors import make_executor
from mibench.execution.options import RunOptions
from mibench.execution.store import Store
from mibench.planning.trials import Trial, unique_trials

log = logging.getLogger(__name__)

def results_root() -> Path:
    return Path(os.environ.get("MIBENCH_RESULTS", "results"))


def default_store_path() -> Path:
    return results_root() / "runs" / "store.sqlite"


def default_out_dir(name: str) -> Path:
    return results_root() / "runs" / name


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
    for row in runner.run(todo):
        store.put(row)
        if on_result:
            on_result(row)
    return store.load(keys)


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
