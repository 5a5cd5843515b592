"""`mibench figures NAME`: run (through the store) and draw a paper's figures."""

from __future__ import annotations

import os
from pathlib import Path


def register(sub) -> None:
    from mibench.commands._args import run_options_parser
    from mibench.registry import figure_sets

    p = sub.add_parser("figures", parents=[run_options_parser()],
                       help="reproduce a paper's figures (gmm-mi-paper, beyond-normal, high-dimension)",
                       description="Run the trials a paper's figures need (stored, so a re-run "
                                   "recomputes nothing) and draw them as PNG and PDF.")
    p.add_argument("name", choices=sorted(figure_sets()), help="figure set")
    p.add_argument("--out", type=Path, help="output folder (default $MIBENCH_RESULTS/figures/NAME; "
                                            "with --quick $MIBENCH_RESULTS/runs/figures/NAME-quick, "
                                            "outside the tracked tree)")
    p.add_argument("--quick", action="store_true", help="reduced settings for a fast preview")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--realisations", type=int,
                   help="gmm-mi-paper: realisations of the invariance study (paper: 500)")
    p.add_argument("--only", metavar="PART[,PART]",
                   help="gmm-mi-paper: draw only some of sweeps, invariance, bootstrap")
    p.add_argument("--seeds", type=int, help="beyond-normal, high-dimension: seeds per cell "
                                             "(beyond-normal paper: 10; high-dimension: 3)")
    p.add_argument("--n", action="append", metavar="N1,N2",
                   help="beyond-normal: sample sizes; high-dimension: one sample size (default 1000)")
    p.add_argument("--estimator", action="append", metavar="NAME[:k=v]",
                   help="beyond-normal, high-dimension: estimators (default: the paper set / the "
                        "hd suite's)")
    p.add_argument("--reuse-summary", type=Path, metavar="CSV",
                   help="beyond-normal: run only --estimator / --complexity-estimator and draw the "
                        "other default estimators from this earlier beyond_normal_summary.csv "
                        "(same tasks, n and seeds; the titles say so)")
    p.add_argument("--stored-only", action="store_true",
                   help="beyond-normal: the sample-complexity figure runs nothing and draws the "
                        "trials the store holds (a task x estimator missing some n: 'not run')")
    p.add_argument("--complexity-estimator", action="append", metavar="NAME[:k=v]",
                   help="beyond-normal: estimators of the sample-complexity figure ('none': "
                        "only those of --reuse-summary), which runs "
                        "every n (default: those of --estimator)")
    p.set_defaults(handler=handle, jobs=os.cpu_count() or 1)


def handle(args) -> int:
    from mibench.commands._args import parse_estimators, parse_ints, run_options, split_list
    from mibench.contracts import InputError
    from mibench.contracts.files import prepare_dir
    from mibench.execution.runner import results_root
    from mibench.registry import figure_set

    options = run_options(args)
    for opt, value in (("--realisations", args.realisations), ("--seeds", args.seeds)):
        if value is not None and value < 1:
            raise InputError(f"{opt} must be >= 1")
    module = figure_set(args.name)
    # a quick preview is scratch output: it goes under runs/ (git-ignored), never over the
    # committed figures in results/figures/
    out = args.out or (results_root() / "runs" / "figures" / f"{args.name}-quick" if args.quick
                       else results_root() / "figures" / args.name)
    kw = {}
    if args.name == "gmm-mi-paper":
        if (args.seeds or args.n or args.estimator or args.complexity_estimator
                or args.reuse_summary or args.stored_only):
            raise InputError("--seeds, --n, --estimator, --complexity-estimator, --reuse-summary "
                             "and --stored-only apply to beyond-normal only")
        kw["realisations"] = args.realisations
        if args.only:
            parts = split_list([args.only])
            bad = sorted(set(parts) - set(module.PARTS))
            if bad:
                raise InputError(f"--only: unknown part(s) {', '.join(bad)}; choose from "
                                 f"{', '.join(module.PARTS)}")
            kw["parts"] = parts
    else:
        if args.realisations or args.only:
            raise InputError("--realisations and --only apply to gmm-mi-paper only")
        kw.update(seeds=args.seeds, ns=parse_ints(args.n, "--n") or None,
                  estimators=parse_estimators(args.estimator),
                  complexity_estimators=parse_estimators(args.complexity_estimator))
        if kw["complexity_estimators"] == [("none", {})]:  # with --reuse-summary: run none
            kw["complexity_estimators"] = []
        if args.reuse_summary is not None:
            if args.name != "beyond-normal":
                raise InputError("--reuse-summary applies to beyond-normal only")
            if not args.reuse_summary.is_file():
                raise InputError(f"--reuse-summary: no such file {args.reuse_summary}")
            if not (args.estimator or args.complexity_estimator):
                raise InputError("--reuse-summary needs --estimator (the estimators to run now)")
            kw["reuse"] = args.reuse_summary
        kw["stored_only"] = args.stored_only
    prepare_dir(out, "--out")  # before any work
    paths = module.make(out, quick=args.quick, options=options,
                        progress=not args.quiet, **kw)
    print("\n".join(f"wrote {p}" for p in paths))
    return 0
