"""`mibench figures NAME`: run (through the store) and draw a paper's figures."""

from __future__ import annotations

import os
from pathlib import Path


def register(sub) -> None:
    from mibench.figures import FIGURE_SETS

    p = sub.add_parser("figures", help="reproduce a paper's figures (gmm-mi-paper, beyond-normal)",
                       description="Run the trials a paper's figures need (stored, so a re-run "
                                   "recomputes nothing) and draw them as PNG and PDF.")
    p.add_argument("name", choices=sorted(FIGURE_SETS), help="figure set")
    p.add_argument("--out", type=Path, help="output folder (default results/figures/NAME, "
                                            "results/figures/NAME-quick with --quick)")
    p.add_argument("--quick", action="store_true", help="reduced settings for a fast preview")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    p.add_argument("--store", type=Path, help="result store (default results/runs/store.sqlite)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--realisations", type=int,
                   help="gmm-mi-paper: realisations of the invariance study (paper: 500)")
    p.add_argument("--only", metavar="PART[,PART]",
                   help="gmm-mi-paper: draw only some of sweeps, invariance, bootstrap")
    p.add_argument("--seeds", type=int, help="beyond-normal: seeds per cell (paper: 10)")
    p.add_argument("--n", action="append", metavar="N1,N2", help="beyond-normal: sample sizes")
    p.add_argument("--estimator", action="append", metavar="NAME[:k=v]",
                   help="beyond-normal: estimators (default: the paper set)")
    p.add_argument("--complexity-estimator", action="append", metavar="NAME[:k=v]",
                   help="beyond-normal: estimators of the sample-complexity figure, which runs "
                        "every n (default: those of --estimator)")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from mibench.commands._args import parse_estimators, parse_ints, split_list
    from mibench.contracts import InputError
    from mibench.execution.runner import results_root
    from mibench.figures import figure_set

    if args.jobs < 1:
        raise InputError("--jobs must be >= 1")
    for opt, value in (("--realisations", args.realisations), ("--seeds", args.seeds)):
        if value is not None and value < 1:
            raise InputError(f"{opt} must be >= 1")
    module = figure_set(args.name)
    out = args.out or results_root() / "figures" / (args.name + ("-quick" if args.quick else ""))
    kw = {}
    if args.name == "gmm-mi-paper":
        if args.seeds or args.n or args.estimator or args.complexity_estimator:
            raise InputError("--seeds, --n, --estimator and --complexity-estimator apply to "
                             "beyond-normal only")
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
    paths = module.make(out, quick=args.quick, jobs=args.jobs, store=args.store,
                        progress=not args.quiet, **kw)
    print("\n".join(f"wrote {p}" for p in paths))
    return 0
