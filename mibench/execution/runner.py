"""The runner: skip the trials the store holds, run the rest through an executor, store each
row as it finishes, and return the trials as a DataFrame."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from mibench.contracts import InputError
from mibench.contracts.canonical import canonical_json
from mibench.execution.executors import make_executor
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


def execute(trials: list[Trial], *, store: Store, jobs: int = 1, executor: str | None = None,
            fresh: bool = False, rerun_failed: bool = False, timeout: float | None = None,
            threads: int = 1, scheduler: str | None = None,
            on_cached: Callable[[int], None] | None = None,
            on_result: Callable[[dict], None] | None = None) -> pd.DataFrame:
    """Run the trials the store does not hold yet and return all their rows from the store.

    ``fresh`` recomputes every trial; ``rerun_failed`` recomputes the stored trials whose status
    is "failed" or "timeout" (and those not stored). Each row is committed as it arrives, so a
    run killed at any moment resumes with the same call.
    """
    trials = unique_trials(trials)
    keys = [t.key for t in trials]
    runner = make_executor(executor, jobs, timeout=timeout, threads=threads, scheduler=scheduler)
    if fresh:
        store.delete(keys + [k for t in trials for k in t.legacy_keys])
    stored = store.statuses(keys)
    _adopt_legacy(trials, stored, store)
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


def _adopt_legacy(trials: list[Trial], stored: dict[str, str], store: Store) -> None:
    """Trials stored by an older mibench under their legacy key (parameters as given, defaults
    spelled out) are copied to their current key instead of being recomputed; ``stored`` is
    updated in place."""
    legacy = {old: t for t in trials if t.key not in stored for old in t.legacy_keys}
    if not legacy:
        return
    found: dict[str, tuple[str, str]] = {}  # new key -> (old key, status): the first spelling found
    for old, status in store.statuses(legacy).items():
        found.setdefault(legacy[old].key, (old, status))
    store.copy_rows((old, new, canonical_json(legacy[old].estimator_params))
                    for new, (old, _) in found.items())
    stored.update({new: status for new, (_, status) in found.items()})
    if found:
        log.info("%d trials stored under their pre-2026-11-27 keys reused", len(found))


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
