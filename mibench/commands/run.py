"""`mibench run`: benchmark estimators on a scenario grid."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mibench.commands._args import parse_estimators, parse_ints, parse_params, split_list


def register(sub) -> None:
    p = sub.add_parser("run", help="run estimators on a scenario and report bias, spread, runtime",
                       description="Run estimators on a scenario grid; results are stored as they "
                                   "finish and re-running the same command recomputes nothing.")
    p.add_argument("--scenario", required=True, help="registered scenario name (see `mibench list scenarios`)")
    p.add_argument("--param", action="append", metavar="KEY=V1,V2",
                   help="scenario parameter values (repeatable); default: the scenario's grid")
    p.add_argument("--estimator", action="append", metavar="NAME[:k=v]",
                   help="estimator(s), repeatable and comma-separated; default: every available one")
    p.add_argument("--n", action="append", metavar="N1,N2", help="sample sizes (default 200,1000)")
    p.add_argument("--seeds", type=int, default=5, help="number of seeds per cell (default 5)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="worker processes (default: all cores); 1 runs serially")
    p.add_argument("--out", type=Path, help="output folder (default results/runs/SCENARIO)")
    p.add_argument("--store", type=Path, help="result store (default results/runs/store.sqlite)")
    p.add_argument("--fresh", action="store_true", help="recompute trials already in the store")
    p.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from mibench._contracts import InputError
    from mibench._metrics import summarize
    from mibench._progress import Progress
    from mibench._reporting import format_tables
    from mibench._runner import default_out_dir, plan, run

    if args.seeds < 1:
        raise InputError("--seeds must be >= 1")
    if args.jobs < 1:
        raise InputError("--jobs must be >= 1")
    params = parse_params(args.param)
    estimators = parse_estimators(args.estimator)
    ns = parse_ints(args.n, "--n") if args.n else None
    trials, skipped = plan(args.scenario, params, estimators, ns, args.seeds)
    progress = Progress(len(trials), label=f"{args.scenario} ", enabled=None if not args.quiet else False)
    for s in skipped:
        print(f"skipped {s.estimator} on {s.scenario}: {s.reason}", file=sys.stderr)
    out = args.out or default_out_dir(args.scenario)
    df = run(args.scenario, params, estimators, ns, args.seeds, jobs=args.jobs, store=args.store,
             out=out, fresh=args.fresh, on_cached=progress.skip, on_result=progress.update)
    progress.close()
    if not args.quiet:
        print(format_tables(summarize(df)))
        failed = df[df["status"] != "ok"]
        if len(failed):
            first = failed.iloc[0]
            print(f"\n{len(failed)} trial(s) failed; first: {first['estimator']} n={first['n']}: "
                  f"{str(first['error']).splitlines()[0]}")
        print(f"\nwrote {out}/trials.csv, summary.csv, estimate_vs_true.png")
    return 0
