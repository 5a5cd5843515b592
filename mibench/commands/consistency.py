"""`mibench consistency`: self-consistency tests of an estimator on your own data (Song & Ermon)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from mibench.commands._args import split_list


def register(sub) -> None:
    from mibench.commands._args import run_options_parser

    p = sub.add_parser("consistency", parents=[run_options_parser()],
                       help="self-consistency tests of an estimator on your own data",
                       description="Check one estimator on your data without a known MI: shuffled "
                                   "pairs give about 0 (independence), a lossy map of one side does "
                                   "not raise the MI (data processing), two independent copies give "
                                   "twice the MI (additivity). Each test: pass/fail, margin, standard "
                                   "error. See docs/your-data.md.")
    p.add_argument("file", help="data file (.csv, .tsv, .parquet, .npy, .npz)")
    p.add_argument("--x", required=True, action="append", metavar="COLS",
                   help="columns of X (names, NPZ array names or glob patterns; comma-separated)")
    p.add_argument("--y", required=True, action="append", metavar="COLS", help="columns of Y")
    p.add_argument("--estimator", metavar="NAME[:k=v]",
                   help="the estimator to test (default: as `mibench estimate` would choose: "
                        "gmm-mi, else ksg, else gaussian)")
    p.add_argument("--tests", metavar="T1,T2", default="independence,data-processing,additivity",
                   help="which tests (default: all three)")
    p.add_argument("--lossy", default="auto", choices=["auto", "mask", "pool", "noise"],
                   help="lossy map of the data-processing test (default auto: mask half the "
                        "columns of the wider side, or add noise to a single column)")
    p.add_argument("--permutations", type=int, default=20, metavar="N",
                   help="shuffles of y for the independence test (default 20)")
    p.add_argument("--resamples", type=int, default=20, metavar="B",
                   help="half-samples for the std of estimators without their own (default 20)")
    p.add_argument("--atol", type=float, default=0.02, help="absolute tolerance, nats (default 0.02)")
    p.add_argument("--rtol", type=float, default=0.1,
                   help="tolerance relative to the test's reference MI (default 0.1)")
    p.add_argument("--discrete", action="append", metavar="COLS", help="columns to treat as discrete")
    p.add_argument("--continuous", action="append", metavar="COLS", help="columns to treat as continuous")
    p.add_argument("--max-levels", type=int, default=20, metavar="L",
                   help="most levels of an auto-detected discrete column (default 20)")
    p.add_argument("--dropna", action="store_true", help="drop rows with NaN/inf (default: refuse them)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument("--out", type=Path, help="folder for consistency.csv and consistency.png/.pdf")
    p.set_defaults(handler=handle, jobs=1)


def handle(args) -> int:
    from mibench.commands._args import run_options
    from mibench.commands.estimate import load_table
    from mibench.contracts import InputError
    from mibench.userdata.consistency import consistency_table, plot_consistency

    options = run_options(args)  # checks --jobs, --timeout, ...; temporary store unless --store
    if args.max_levels < 2:
        raise InputError("--max-levels must be >= 2")
    table, xcols, ycols = load_table(args)
    res = consistency_table(table, xcols, ycols, args.estimator, tests=split_list([args.tests]),
                            lossy=args.lossy, permutations=args.permutations,
                            resamples=args.resamples, atol=args.atol, rtol=args.rtol,
                            seed=args.seed, options=options)
    a = res.attrs
    out = sys.stdout
    std = f" ± {a['mi_std']:.4f}" if math.isfinite(a["mi_std"]) else ""
    out.write(f"{args.file}: n={a['n']}, X {a['dim_x']} col(s) ({a['x_kind']}), "
              f"Y {a['dim_y']} col(s) ({a['y_kind']})\n")
    out.write(f"estimator {a['estimator']} {a['params']}: I(x; y) = {a['mi']:.4f}{std} nats\n")
    out.write(f"{'test':<17}{'observed':>10}{'expected':>10}{'diff':>9}{'± se':>8}{'allowed':>9}"
              f"{'margin':>9}  result\n")
    for _, r in res.iterrows():
        se = f"{r['se']:.4f}" if math.isfinite(r["se"]) else "-"
        out.write(f"{r['test']:<17}{r['observed']:>10.4f}{r['expected']:>10.4f}{r['difference']:>9.4f}"
                  f"{se:>8}{r['allowed']:>9.4f}{r['margin']:>9.4f}  {'pass' if r['passed'] else 'FAIL'}"
                  f"  ({r['detail']})\n")
    if args.out:
        from mibench.analysis.reports import figures as rf
        from mibench.contracts.files import atomic_write_text

        args.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out / "consistency.csv", res.to_csv(index=False))
        ax = plot_consistency(res)
        for p in rf.save(ax.figure, args.out / "consistency"):
            out.write(f"wrote {p}\n")
        out.write(f"wrote {args.out / 'consistency.csv'}\n")
    return 0
