"""`mibench run`: benchmark estimators on a scenario grid or a suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mibench.commands._args import (
    parse_estimators,
    parse_ints,
    parse_params,
    run_options,
    run_options_parser,
    split_list,
)


def register(sub) -> None:
    p = sub.add_parser(
        "run", parents=[run_options_parser()],
        help="run estimators on a scenario (or a suite) and report bias, spread, runtime",
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
                      help="estimator(s), repeatable and comma-separated; 'all' for every available one; "
                           "default: every available one except the costly neural bounds")
    what.add_argument("--task", action="append", metavar="LABEL[,LABEL]",
                      help="with --suite: run only the entries with these labels (e.g. bmi task ids "
                           "such as 1v1-AI)")
    what.add_argument("--n", action="append", metavar="N1,N2", help="sample sizes (default 200,1000)")
    what.add_argument("--seeds", type=int, help="number of seeds per cell (default 5)")
    how = p.add_argument_group("output")
    how.add_argument("--out", type=Path,
                     help="output folder, overwritten if it holds an earlier run (default: "
                          "$MIBENCH_RESULTS/runs/NAME-HASH, one folder per set of trials, NAME the "
                          "scenario or suite, with the link runs/NAME pointing at the latest)")
    how.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    p.set_defaults(handler=handle, jobs=os.cpu_count() or 1)


def handle(args) -> int:
    from mibench.analysis.metrics import summarize
    from mibench.analysis.reports.terminal import format_tables
    from mibench.benchmark import run_trials
    from mibench.contracts import InputError
    from mibench.execution.progress import Progress
    from mibench.execution.runner import link_latest, run_dir_for
    from mibench.planning.plan import (
        DEFAULT_SEEDS,
        costly_estimators,
        grid_suite,
        unavailable_estimators,
    )

    if args.seeds is not None and args.seeds < 1:
        raise InputError("--seeds must be >= 1")
    options = run_options(args)
    if bool(args.scenario) == bool(args.suite):
        raise InputError("give either --scenario NAME or --suite NAME|FILE")
    if args.task and not args.suite:
        raise InputError("--task selects entries of a suite; use it with --suite")
    if args.suite:
        from mibench.planning.suites import load_suite

        given = [o for o, v in (("--param", args.param), ("--estimator", args.estimator),
                                ("--n", args.n), ("--seeds", args.seeds)) if v]
        if given:
            raise InputError("a suite names its own scenarios, estimators, n and seeds; "
                             f"drop {', '.join(given)}")
        suite = load_suite(args.suite)
        if args.task:
            suite = suite.select(split_list(args.task))
    else:
        estimators = parse_estimators(args.estimator)
        suite = grid_suite(args.scenario, parse_params(args.param), estimators,
                           parse_ints(args.n, "--n") if args.n else None, args.seeds or DEFAULT_SEEDS)
        if estimators is None:  # "every available one": say which are not, and how to get them
            for reason, names in unavailable_estimators().items():
                print(f"left out (unavailable): {', '.join(names)}: {reason}", file=sys.stderr)
            if costly := costly_estimators():
                print(f"left out (costly: seconds to minutes of training per estimate; --estimator "
                      f"all runs them): {', '.join(costly)}", file=sys.stderr)
    trials, skipped = suite.plan()
    label = suite.name
    progress = Progress(len(trials), label=f"{label} ", enabled=None if not args.quiet else False)
    _report_skipped(skipped)
    out = args.out or run_dir_for(label, trials)
    try:
        df = run_trials(trials, skipped, options, out=out, suite=suite, on_cached=progress.skip,
                        on_result=progress.update)
    finally:
        progress.close()
    if not args.quiet:
        if progress.cached:
            print(f"{progress.cached}/{len(trials)} trials cached in the store, {progress.done} computed "
                  "(--fresh recomputes them)", file=sys.stderr)
        print(format_tables(summarize(df)))
        bad = df[df["status"] != "ok"]
        if len(bad):
            timeouts = int((bad["status"] == "timeout").sum())
            first = bad.iloc[0]
            print(f"\n{len(bad)} trial(s) did not succeed ({len(bad) - timeouts} failed, {timeouts} timed "
                  f"out); first: {first['estimator']} n={first['n']}: "
                  f"{str(first['error']).splitlines()[0] if first['error'] else first['status']}")
            print("retry them with the same command and --rerun-failed")
        if df.attrs.get("report_up_to_date"):
            print(f"\n{out}/: report already up to date (same trials); `mibench report {out}` redraws it")
        else:
            print(f"\nwrote {out}/: report.html, trials.csv, summary.csv/.md/.tex, paper_table.md/.tex, "
                  "figures")
    if args.out is None:
        link = link_latest(out, label)
        if link is not None and not args.quiet:
            print(f"{link} -> {out.name} (the latest run of {label})")
    if len(df) and (df["status"] != "ok").all():  # a run with no result at all must not look fine
        counts = df["status"].value_counts()
        first = df.iloc[0]
        why = str(first["error"]).splitlines()[0] if first["error"] else first["status"]
        print(f"mibench: no trial succeeded ({', '.join(f'{v} {k}' for k, v in counts.items())}); "
              f"first: {first['estimator']} n={first['n']}: {why}", file=sys.stderr)
        return 1
    return 0


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
