"""The runner: build the grid of trials, skip what the store holds, run the rest, store each
row as it finishes, and return the trials as a DataFrame."""

from __future__ import annotations

import hashlib
import json
import logging
import numbers
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from mibench import _registry
from mibench._contracts import InputError
from mibench._executors import make_executor
from mibench._io import prepare_dir
from mibench._store import Store
from mibench._trials import Skipped, Trial, build_trials, canonical_json, expand_grid, unique_trials

log = logging.getLogger(__name__)

DEFAULT_NS = (200, 1000)
DEFAULT_SEEDS = 5


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


def available_estimators() -> list[str]:
    return [name for name, p in _registry.estimators().items() if p.available]


def unavailable_estimators() -> dict[str, list[str]]:
    """Registered estimators that cannot load, grouped by the reason (with its install hint)."""
    out: dict[str, list[str]] = {}
    for name, p in _registry.estimators().items():
        if not p.available:
            out.setdefault(p.error or "unavailable", []).append(name)
    return out


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, dict, tuple, numbers.Number)):  # one value: n=1000, seeds as given
        return [value]
    return list(value)


def _normalise_estimators(estimators) -> list[tuple[str, dict]]:
    """Names, ``name:k=v`` strings, (name, params) pairs or {name: params}; None: every available."""
    if estimators is None:
        names = available_estimators()
        if not names:
            raise InputError("no estimator is available; check `mibench list estimators`")
        return [(n, {}) for n in names]
    return _registry.estimator_specs(estimators)


def plan(scenario: str | Sequence[tuple[str, dict]], params: dict[str, list] | None = None,
         estimators=None, n: Sequence[int] | int | None = None,
         seeds: int | Sequence[int] = DEFAULT_SEEDS) -> tuple[list[Trial], list[Skipped]]:
    """The trials of a run. ``scenario`` is a registered name (its grid is ``params``, default
    the scenario's ``default_grid``) or a list of (name, params) pairs already expanded."""
    if isinstance(scenario, str):
        cls = _registry.scenario_class(scenario)
        grid = dict(getattr(cls, "default_grid", {}) or {})
        for key, values in (params or {}).items():
            grid[key] = _as_list(values)
        _registry.coerce_params(cls, {k: v[0] for k, v in grid.items() if v}, f"scenario {scenario!r}")
        scenarios = [(scenario, p) for p in expand_grid(grid)]
    else:
        scenarios = [(name, dict(p)) for name, p in scenario]
    ns = _as_list(n) or list(DEFAULT_NS)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise InputError("no seeds given")
    return build_trials(scenarios, _normalise_estimators(estimators), [int(v) for v in ns], seed_list)


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


def run(scenario: str | Sequence[tuple[str, dict]], params: dict[str, list] | None = None,
        estimators=None, n: Sequence[int] | int | None = None,
        seeds: int | Sequence[int] = DEFAULT_SEEDS, *, jobs: int = 1, executor: str | None = None,
        store: str | Path | None = None, out: str | Path | None = None, fresh: bool = False,
        rerun_failed: bool = False, timeout: float | None = None, threads: int = 1,
        scheduler: str | None = None,
        on_cached: Callable[[int], None] | None = None,
        on_result: Callable[[dict], None] | None = None) -> pd.DataFrame:
    """Run a benchmark and return one row per trial as a DataFrame.

    Parameters
    ----------
    scenario : registered scenario name, a list of (name, params) pairs, or a suite (a
        :class:`mibench._suites.Suite`, or ``"suite:NAME"`` / ``"suite:path/to/file.toml"``),
        in which case ``params``, ``estimators``, ``n`` and ``seeds`` must be left out.
    params : grid of scenario parameters, ``{"rho": [0.3, 0.6]}``; defaults to the scenario's grid.
    estimators : names, (name, params) pairs or {name: params}; default every available one.
    n : sample size(s). seeds : number of seeds (0..seeds-1) or an explicit list.
    jobs : worker processes (or Dask workers of a local cluster).
    executor : "serial", "processes" or "dask" (default: serial for one job, else processes;
        dask when ``scheduler`` is given).
    store : SQLite file (default results/runs/store.sqlite).
    out : if given, write trials.csv, summary.csv, a figure and run.json there.
    fresh : recompute even what the store holds. rerun_failed : recompute stored trials that
        failed or timed out.
    timeout : seconds per trial; a trial past it is stopped and stored with status "timeout".
        For a suite, default the suite's ``timeout``.
    threads : BLAS/OpenMP threads per trial (default 1, whatever the executor).
    scheduler : address of a running Dask scheduler (``tcp://host:8786``).
    on_cached, on_result : progress callbacks (count of stored trials; each new row).
    """
    suite = _as_suite(scenario)
    if suite is not None:
        if params is not None or estimators is not None or n is not None or seeds != DEFAULT_SEEDS:
            raise InputError("a suite names its own scenarios, estimators, n and seeds; "
                             "do not pass params, estimators, n or seeds with it")
        trials, skipped = suite.plan()
        if timeout is None:
            timeout = suite.timeout
    else:
        trials, skipped = plan(scenario, params, estimators, n, seeds)
    return run_trials(trials, skipped, jobs=jobs, executor=executor, store=store, out=out,
                      fresh=fresh, rerun_failed=rerun_failed, timeout=timeout, threads=threads,
                      scheduler=scheduler, on_cached=on_cached, on_result=on_result, suite=suite)


def run_trials(trials: list[Trial], skipped: Sequence[Skipped] = (), *, jobs: int = 1,
               executor: str | None = None, store: str | Path | None = None,
               out: str | Path | None = None, fresh: bool = False, rerun_failed: bool = False,
               timeout: float | None = None, threads: int = 1, scheduler: str | None = None,
               on_cached: Callable[[int], None] | None = None,
               on_result: Callable[[dict], None] | None = None, suite=None) -> pd.DataFrame:
    """Run already planned trials (see :func:`run` for the arguments)."""
    for s in skipped:
        log.info("skipped %s on %s%s: %s", s.estimator, s.scenario, s.scenario_params, s.reason)
    if not trials:
        reasons = "; ".join(f"{s.estimator}: {s.reason}" for s in skipped) or "empty grid"
        raise InputError(f"nothing to run ({reasons})")
    if out is not None:  # before the first trial: a bad folder must not cost the run
        prepare_dir(out, "out")
    with Store(store or default_store_path()) as st:
        df = execute(trials, store=st, jobs=jobs, executor=executor, fresh=fresh,
                     rerun_failed=rerun_failed, timeout=timeout, threads=threads, scheduler=scheduler,
                     on_cached=on_cached, on_result=on_result)
        store_path = st.path
    df.attrs["skipped"] = [vars(s) for s in skipped]
    if out is not None:
        from mibench._reporting import write_run

        manifest = {
            "store": str(Path(store_path).resolve()),
            "keys": [t.key for t in trials],
            "skipped": [vars(s) for s in skipped],
        }
        if suite is not None:
            manifest["suite"] = {"name": suite.name, "source": suite.source,
                                 "description": suite.description,
                                 "labels": [{"scenario": k[0], "scenario_params": k[1], "label": v}
                                            for k, v in suite.labels.items()]}
        written = write_run(df, Path(out), manifest=manifest)
        df.attrs["report_up_to_date"] = bool(written.get("up_to_date"))
    return df


def run_suite(suite, **kwargs) -> pd.DataFrame:
    """Run a suite: a built-in name (``"quick"``), a TOML file path, or a parsed Suite.
    Keyword arguments as for :func:`run` (jobs, executor, store, out, timeout, ...)."""
    from mibench._suites import Suite, load_suite

    if not isinstance(suite, Suite):
        suite = load_suite(suite)
    return run(suite, **kwargs)


def _as_suite(scenario):
    from mibench._suites import Suite, load_suite

    if isinstance(scenario, Suite):
        return scenario
    if isinstance(scenario, str) and scenario.startswith("suite:"):
        return load_suite(scenario[len("suite:"):])
    return None


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
