"""`mibench check`: accuracy regression check of a suite against a committed baseline."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mibench.commands._args import parse_estimators, run_options, run_options_parser


def register(sub) -> None:
    p = sub.add_parser(
        "check", parents=[run_options_parser()],
        help="accuracy regression check: run a suite and compare with a baseline",
        description="Run a suite (default: ci) with fresh trials, compare each cell's mean estimate "
                    "and failure count with the baseline CSV, and check each cell against the "
                    "ground truth. Prints the cells that differ and exits 1 when a check fails; "
                    "--update rewrites the baseline after an intended change.")
    p.add_argument("--suite", default="ci", metavar="NAME|FILE",
                   help="built-in suite or suite TOML file (default: ci)")
    p.add_argument("--baseline", type=Path, metavar="FILE",
                   help="baseline CSV (default: results/baselines/ci.csv)")
    p.add_argument("--estimator", action="append", metavar="NAME[:k=v]",
                   help="check only these estimators (repeatable, comma-separated); an estimator the "
                        "suite does not list (a plugin) runs on every suite scenario it accepts")
    p.add_argument("--update", action="store_true",
                   help="rewrite the baseline with this run (only the --estimator cells if given)")
    p.add_argument("--z", type=float, default=4.0,
                   help="tolerance in combined standard errors of the two means (default 4)")
    p.add_argument("--floor", type=float, default=0.02,
                   help="absolute tolerance floor in nats (default 0.02)")
    p.add_argument("--bound", metavar="ATOL,RTOL",
                   help="absolute bound |mean - truth| <= ATOL + RTOL*|truth| (+3 standard errors) "
                        "for estimators without a built-in bound (default 0.15,0.5)")
    p.add_argument("--all", action="store_true", help="print every cell, not only those that differ")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=handle, jobs=os.cpu_count() or 1)


def _parse_bound(text: str | None):
    from mibench.checking.baseline import Bound
    from mibench.contracts import InputError

    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"--bound {text!r}: expected ATOL,RTOL (two numbers)") from None
    if len(values) != 2 or min(values) < 0:
        raise InputError(f"--bound {text!r}: expected ATOL,RTOL (two non-negative numbers)")
    return Bound(*values)


def handle(args) -> int:
    from mibench.checking.baseline import DEFAULT_BASELINE, Tolerance, format_diff
    from mibench.checking.check import check
    from mibench.contracts import InputError
    from mibench.execution.progress import Progress

    options = run_options(args)  # the store: a temporary one unless --store is given
    if not args.z > 0 or not args.floor >= 0:
        raise InputError("--z must be > 0 and --floor >= 0")
    estimators = parse_estimators(args.estimator)
    baseline = args.baseline or DEFAULT_BASELINE
    if not args.update and not Path(baseline).exists():
        raise InputError(f"baseline {baseline} does not exist; create it with "
                         f"`mibench check --update --baseline {baseline}` and commit it")
    progress: list[Progress] = []

    def on_plan(total):
        progress.append(Progress(total, label=f"check {args.suite} ",
                                 enabled=False if args.quiet else None))

    result = check(args.suite, baseline, estimators=estimators, update=args.update, options=options,
                   tolerance=Tolerance(args.z, args.floor), default_bound=_parse_bound(args.bound),
                   on_plan=on_plan, on_cached=lambda k: progress[0].skip(k),
                   on_result=lambda row: progress[0].update(row))
    if progress:
        progress[0].close()
    for name in sorted({s.estimator for s in result.skipped if str(s.reason).startswith("unavailable")}):
        print(f"note: {name} is unavailable here; its baseline cells are not checked", file=sys.stderr)
    print(format_diff(result.diff, show_all=args.all))
    print(f"\n{result.summary()} (baseline {baseline})")
    if result.updated is not None:
        print(f"wrote {result.updated}; review its diff before committing")
        return 0
    failures = result.failures
    if args.update:
        print(f"NOT updated: {len(failures[failures['status'] == 'off truth'])} cell(s) are off the "
              "truth beyond the estimator's absolute bound; fix the estimator first")
        return 1
    if len(failures):
        print(f"FAILED: {len(failures)} cell(s) fail the accuracy check "
              "(after an intended change: mibench check --update, then review and commit the baseline)")
        return 1
    new = (result.diff["status"] == "new").sum()
    if new:
        print(f"ok; {new} new cell(s) are not in the baseline yet (mibench check --update adds them)")
    else:
        print("ok")
    return 0
