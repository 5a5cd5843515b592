"""`mibench run`: benchmark estimators on a scenario grid or a suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mibench.commands._args import parse_estimators, parse_ints, parse_params


def register(sub) -> None:
    p = sub.add_parser(
        "run", help="run estimators on a scenario (or a suite) and report bias, spread, runtime",
        description="Run estimators on a scenario grid or a suite; results are stored as they "
                    "finish, and re-running the same command recomputes only what is missing "
                    "(a killed run resumes).")
    what = p.add_argument_group("what to run (--scenario or --suite)")
    what.add_argument("--scenario", help="registered scenario name (see `mibench list scenarios`)")
    what.add_argument("--suite", metavar="NAME|FILE",
                      help="a built-in suite (see `mibench list suites`) or a suite TOML file")
    what.add_argument("--param", action="append", metavar="KEY=V1,V2",
                      help="scenario parameter values (repeatable); default: the scenario's grid")
    what.add_argument("--estimator", action="append", metavar="NAME[:k=v]",
                      help="estimator(s), repeatable and comma-separated; default: every available one")
    what.add_argument("--n", action="append", metavar="N1,N2", help="sample sizes (default 200,1000)")
    what.add_argument("--seeds", type=int, help="number of seeds per cell (default 5)")
    how = p.add_argument_group("how to run")
    how.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                     help="worker processes, or Dask workers of a local cluster (default: all cores); "
                          "1 runs serially")
    how.add_argument("--executor", choices=["serial", "processes", "dask"],
                     help="serial, local processes, or Dask (default: serial for --jobs 1, else processes)")
    how.add_argument("--scheduler", metavar="ADDRESS",
                     help="run on an existing Dask cluster (e.g. tcp://host:8786); implies --executor dask")
    how.add_argument("--timeout", type=float, metavar="SECONDS",
                     help="stop a trial after this many seconds and record it as timed out")
    how.add_argument("--threads", type=int, default=1,
                     help="BLAS/OpenMP threads per trial (default 1; pinned in every worker)")
    how.add_argument("--rerun-failed", action="store_true",
                     help="retry stored trials that failed or timed out (the rest stay cached)")
    how.add_argument("--fresh", action="store_true", help="recompute trials already in the store")
    how.add_argument("--out", type=Path, help="output folder (default results/runs/SCENARIO or SUITE)")
    how.add_argument("--store", type=Path, help="result store (default results/runs/store.sqlite)")
    how.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from mibench.analysis.metrics import summarize
    from mibench.analysis.reports.terminal import format_tables
    from mibench.benchmark import run_trials
    from mibench.contracts import InputError
    from mibench.execution.progress import Progress
    from mibench.execution.runner import default_out_dir
    from mibench.planning.plan import DEFAULT_SEEDS, plan

    if args.seeds is not None and args.seeds < 1:
        raise InputError("--seeds must be >= 1")
    if args.jobs < 1:
        raise InputError("--jobs must be >= 1")
    if args.threads < 1:
        raise InputError("--threads must be >= 1")
    if args.timeout is not None and not args.timeout > 0:
        raise InputError("--timeout must be a positive number of seconds")
    if args.scheduler and args.executor not in (None, "dask"):
        raise InputError("--scheduler runs on a Dask cluster; drop --executor or use --executor dask")
    if args.fresh and args.rerun_failed:
        raise InputError("--fresh already recomputes everything; use one of --fresh, --rerun-failed")
    if (args.executor == "dask" or args.scheduler) and getattr(args, "verbose", 0) < 1:
        _quiet_dask()
    if bool(args.scenario) == bool(args.suite):
        raise InputError("give either --scenario NAME or --suite NAME|FILE")
    how = dict(jobs=args.jobs, executor=args.executor, scheduler=args.scheduler, timeout=args.timeout,
               threads=args.threads, store=args.store, fresh=args.fresh, rerun_failed=args.rerun_failed)
    if args.suite:
        from mibench.planning.suites import load_suite

        given = [o for o, v in (("--param", args.param), ("--estimator", args.estimator),
                                ("--n", args.n), ("--seeds", args.seeds)) if v]
        if given:
            raise InputError("a suite names its own scenarios, estimators, n and seeds; "
                             f"drop {', '.join(given)}")
        suite = load_suite(args.suite)
        trials, skipped = suite.plan()
        label = suite.name
        if args.timeout is None:
            how["timeout"] = suite.timeout
    else:
        params = parse_params(args.param)
        estimators = parse_estimators(args.estimator)
        ns = parse_ints(args.n, "--n") if args.n else None
        seeds = args.seeds or DEFAULT_SEEDS
        trials, skipped = plan(args.scenario, params, estimators, ns, seeds)
        label, suite = args.scenario, None
    progress = Progress(len(trials), label=f"{label} ", enabled=None if not args.quiet else False)
    _report_skipped(skipped)
    out = args.out or default_out_dir(label)
    try:
        df = run_trials(trials, skipped, **how, out=out, suite=suite, on_cached=progress.skip,
                        on_result=progress.update)
    finally:
        progress.close()
    if not args.quiet:
        print(format_tables(summarize(df)))
        bad = df[df["status"] != "ok"]
        if len(bad):
            timeouts = int((bad["status"] == "timeout").sum())
            first = bad.iloc[0]
            print(f"\n{len(bad)} trial(s) did not succeed ({len(bad) - timeouts} failed, {timeouts} timed "
                  f"out); first: {first['estimator']} n={first['n']}: "
                  f"{str(first['error']).splitlines()[0] if first['error'] else first['status']}")
            print("retry them with the same command and --rerun-failed")
        print(f"\nwrote {out}/: report.html, trials.csv, summary.csv/.md/.tex, paper_table.md/.tex, figures")
    return 0


def _quiet_dask() -> None:
    """Dask logs its cluster's start-up and shutdown at INFO; keep the terminal for the progress
    bar (``-v`` shows them). Its logging is configured on import, so import it first."""
    import logging

    try:
        import distributed  # noqa: F401
    except ImportError:  # the executor reports the missing extra
        return
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logger = logging.getLogger(name)
            if logger.level and logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)
    logging.getLogger("distributed").setLevel(logging.WARNING)


def _report_skipped(skipped) -> None:
    """One line per skipped estimator/scenario pair, or a count per estimator when there are many."""
    if len(skipped) <= 10:
        for s in skipped:
            print(f"skipped {s.estimator} on {s.scenario}: {s.reason}", file=sys.stderr)
        return
    counts: dict[str, list] = {}
    for s in skipped:
        counts.setdefault(s.estimator, []).append(s)
    for est, items in counts.items():
        print(f"skipped {est} on {len(items)} scenario(s), e.g. {items[0].scenario}: {items[0].reason}",
              file=sys.stderr)
