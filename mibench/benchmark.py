"""Run a benchmark: plan the trials (or take a suite's), execute them through the store,
and write the run folder (trials, report, figures) when asked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from mibench.analysis.reports.run_folder import write_run
from mibench.contracts import InputError
from mibench.contracts.files import prepare_dir
from mibench.execution.options import RunOptions, options_from
from mibench.execution.runner import default_store_path, execute, load_run, open_store
from mibench.planning.plan import DEFAULT_SEEDS, grid_suite, plan
from mibench.planning.suites import Suite, load_suite
from mibench.planning.trials import Skipped, Trial

log = logging.getLogger(__name__)

__all__ = ["run", "run_trials", "run_suite", "load_run", "plan"]


def run(scenario: str | Sequence[tuple[str, dict]], params: dict[str, list] | None = None,
        estimators=None, n: Sequence[int] | int | None = None,
        seeds: int | Sequence[int] = DEFAULT_SEEDS, *, options: RunOptions | None = None,
        jobs: int | None = None, executor: str | None = None, store: str | Path | None = None,
        out: str | Path | None = None, fresh: bool | None = None, rerun_failed: bool | None = None,
        timeout: float | None = None, threads: int | None = None, scheduler: str | None = None,
        on_cached: Callable[[int], None] | None = None,
        on_result: Callable[[dict], None] | None = None,
        on_plan: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Run a benchmark and return one row per trial as a DataFrame.

    Parameters
    ----------
    scenario : registered scenario name, a list of (name, params) pairs, or a suite (a
        :class:`mibench.Suite`, or ``"suite:NAME"`` / ``"suite:path/to/file.toml"``),
        in which case ``params``, ``estimators``, ``n`` and ``seeds`` must be left out.
    params : grid of scenario parameters, ``{"rho": [0.3, 0.6]}``; defaults to the scenario's grid.
    estimators : names, (name, params) pairs or {name: params}; default every available one
        except the ``costly`` ones (the neural bounds); the name ``"all"`` adds those.
    n : sample size(s). seeds : number of seeds (0..seeds-1) or an explicit list.
    options : a :class:`mibench.RunOptions` (how to run); the keyword arguments below override
        its fields:
    jobs : worker processes (or Dask workers of a local cluster); default 1.
    executor : "serial", "processes" or "dask" (default: serial for one job, else processes;
        dask when ``scheduler`` is given).
    store : SQLite file (default results/runs/store.sqlite).
    fresh : recompute even what the store holds. rerun_failed : recompute stored trials that
        failed or timed out.
    timeout : seconds per trial; a trial past it is stopped and stored with status "timeout".
        For a suite, default the suite's ``timeout``.
    threads : BLAS/OpenMP threads per trial (default 1, whatever the executor).
    scheduler : address of a running Dask scheduler (``tcp://host:8786``).
    out : if given, write trials.csv, summary.csv, a figure and run.json there.
    on_cached, on_result, on_plan : progress callbacks (count of stored trials; each new row;
        the number of planned trials, once, before the first).
    """
    options = options_from(options, jobs=jobs, executor=executor, store=store, fresh=fresh,
                           rerun_failed=rerun_failed, timeout=timeout, threads=threads,
                           scheduler=scheduler)
    suite = _as_suite(scenario)
    if suite is None:
        suite = grid_suite(scenario, params, estimators, n, seeds)
    elif params is not None or estimators is not None or n is not None or seeds != DEFAULT_SEEDS:
        raise InputError("a suite names its own scenarios, estimators, n and seeds; "
                         "do not pass params, estimators, n or seeds with it")
    trials, skipped = suite.plan()
    if on_plan is not None:
        on_plan(len(trials))
    return run_trials(trials, skipped, options, out=out, on_cached=on_cached, on_result=on_result,
                      suite=suite)


def run_trials(trials: list[Trial], skipped: Sequence[Skipped] = (),
               options: RunOptions = RunOptions(), *, out: str | Path | None = None,
               on_cached: Callable[[int], None] | None = None,
               on_result: Callable[[dict], None] | None = None, suite=None) -> pd.DataFrame:
    """Run already planned trials (see :func:`run` for the arguments). With a ``suite``, its
    ``timeout`` applies when ``options`` has none, and its labels go to the run folder."""
    for s in skipped:
        log.info("skipped %s on %s%s: %s", s.estimator, s.scenario, s.scenario_params, s.reason)
    if not trials:
        reasons = "; ".join(f"{s.estimator}: {s.reason}" for s in skipped) or "empty grid"
        raise InputError(f"nothing to run ({reasons})")
    if suite is not None and options.timeout is None and suite.timeout is not None:
        options = options.replace(timeout=suite.timeout)
    if out is not None:  # before the first trial: a bad folder must not cost the run
        prepare_dir(out, "out")
    with open_store(options, default_store_path()) as st:
        df = execute(trials, store=st, options=options, on_cached=on_cached, on_result=on_result)
        store_path = st.path
    df.attrs["skipped"] = [vars(s) for s in skipped]
    if out is not None:
        manifest = {
            "store": str(Path(store_path).resolve()),
            "keys": [t.key for t in trials],
            "skipped": [vars(s) for s in skipped],
        }
        if suite is not None and not suite.in_memory:
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
    if not isinstance(suite, Suite):
        suite = load_suite(suite)
    return run(suite, **kwargs)


def _as_suite(scenario):
    if isinstance(scenario, Suite):
        return scenario
    if isinstance(scenario, str) and scenario.startswith("suite:"):
        return load_suite(scenario[len("suite:"):])
    return None
