"""`mibench estimate`: MI between column groups of your own data file, with error bars."""

from __future__ import annotations

import math
import sys

from mibench.commands._args import run_options, run_options_parser, split_list
from mibench.userdata.defaults import defaults


def add_data_options(p) -> None:
    """Options shared by `estimate` and `matrix` (how they run: the shared run options)."""
    p.add_argument("--discrete", action="append", metavar="COLS",
                   help="columns to treat as discrete (default: integer-valued with few levels)")
    p.add_argument("--continuous", action="append", metavar="COLS",
                   help="columns to treat as continuous whatever their values")
    p.add_argument("--max-levels", type=int, default=20, metavar="L",
                   help="most levels of an auto-detected discrete column (default 20)")
    p.add_argument("--dropna", action="store_true",
                   help="drop rows with NaN/inf in the selected columns (default: refuse them)")
    p.add_argument("--permutations", type=int, default=0, metavar="N",
                   help="permutation test with N shuffles: p = (1 + #{perm >= obs}) / (1 + N)")
    p.add_argument("--resamples", type=int, default=20, metavar="B",
                   help="half-samples for the std of estimators without their own (default 20; 0: none)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    candidates = ", ".join(defaults()["recommend"]["candidates"])
    p.add_argument("--recommend", action="store_true",
                   help=f"also calibrate estimators (those of {candidates} that are available and "
                        "take the data, plus those named by --estimator) on a Gaussian-copula "
                        "scenario matched to the data, and report the most accurate (RMSE) and the "
                        "fastest")
    p.add_argument("--calibration-seeds", type=int, default=5, metavar="S",
                   help="data sets per matched scenario for --recommend (default 5)")


def register(sub) -> None:
    p = sub.add_parser("estimate", parents=[run_options_parser()],
                       help="MI between columns of your own data file",
                       description="Estimate I(X;Y) in nats between column groups of a CSV, TSV, "
                                   "Parquet, NPY or NPZ file, with each estimator's error bar.")
    p.add_argument("file", help="data file (.csv, .tsv, .parquet, .npy, .npz)")
    p.add_argument("--x", required=True, action="append", metavar="COLS",
                   help="columns of X (names, NPZ array names or glob patterns; comma-separated)")
    p.add_argument("--y", required=True, action="append", metavar="COLS", help="columns of Y")
    p.add_argument("--estimator", action="append", metavar="NAME[:k=v]",
                   help="estimator(s), repeatable and comma-separated; default: ksg and gmm-mi for "
                        "continuous data, gmm-mi-categorical and ksg-mixed with a discrete side, "
                        "plugin-discrete and ksg-mixed for two discrete sides")
    p.add_argument("--bits", action="store_true", help="print MI in bits instead of nats")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_data_options(p)
    p.set_defaults(handler=handle, jobs=1)


def check_common(args) -> None:
    from mibench.contracts import InputError

    if args.permutations < 0:
        raise InputError("--permutations must be >= 0")
    if args.resamples < 0:
        raise InputError("--resamples must be >= 0")
    if args.max_levels < 2:
        raise InputError("--max-levels must be >= 2")
    if args.calibration_seeds < 1:
        raise InputError("--calibration-seeds must be >= 1")


def describe_table(table, path) -> str:
    dropped = f", dropped {table.dropped} row(s) with NaN/inf" if table.dropped else ""
    return f"{path}: n={table.n}{dropped}"


def load_table(args):
    """Read ``args.file`` and prepare its ``--x`` and ``--y`` columns: (table, xcols, ycols)."""
    from mibench.contracts import InputError
    from mibench.userdata.columns import prepare, select_columns
    from mibench.userdata.read import read_data

    df = read_data(args.file)
    xcols = select_columns(df, split_list(args.x), "--x")
    ycols = select_columns(df, split_list(args.y), "--y")
    both = [c for c in xcols if c in ycols]
    if both:
        raise InputError(f"column(s) {', '.join(map(repr, both))} are in both --x and --y")
    table = prepare(df, xcols + ycols, dropna=args.dropna, discrete=split_list(args.discrete) or None,
                    continuous=split_list(args.continuous) or None, max_levels=args.max_levels,
                    source=str(args.file))
    return table, xcols, ycols


def handle(args) -> int:
    from mibench.contracts import CONTINUOUS, InputError
    from mibench.execution.progress import Progress
    from mibench.execution.runner import default_store_path
    from mibench.userdata.columns import variable
    from mibench.userdata.estimate import estimate_table
    from mibench.userdata.recommend import format_recommendation

    check_common(args)
    options = run_options(args, store=default_store_path())
    table, xcols, ycols = load_table(args)
    estimators = split_list(args.estimator) or None
    if args.recommend:  # refused before any work
        xv, xk = variable(table, xcols)
        yv, yk = variable(table, ycols)
        if xk != CONTINUOUS or yk != CONTINUOUS:
            raise InputError("--recommend calibrates on continuous variables only; "
                             "X or Y is discrete here")
    progress = Progress(1, label="estimate ", enabled=False if args.quiet else None)
    try:
        res = estimate_table(table, xcols, ycols, estimators, permutations=args.permutations,
                             resamples=args.resamples, seed=args.seed, options=options,
                             callbacks=progress.callbacks())
    finally:
        progress.close()
    out = sys.stdout
    scale, unit = (1 / math.log(2), "bits") if args.bits else (1.0, "nats")
    kinds = res.attrs["kinds"]
    out.write(describe_table(table, args.file) + "\n")
    out.write(f"X = {_cols(xcols, kinds)}   Y = {_cols(ycols, kinds)}\n")
    for s in res.attrs["skipped"]:
        print(f"skipped {s['estimator']}: {s['reason']}", file=sys.stderr)
    names = [r["estimator"] + ("" if r["params"] == "{}" else " " + _params(r["params"]))
             for _, r in res.iterrows()]
    w = max([22] + [len(n) + 2 for n in names])
    header = f"{'estimator':<{w}}{'MI [' + unit + ']':>12}{'± std':>10}  {'std from':<20}"
    if args.permutations:
        header += f"{'p-value':>9}"
    out.write(header + f"{'time [s]':>10}\n")
    for name, (_, r) in zip(names, res.iterrows(), strict=True):
        if r["status"] != "ok":
            out.write(f"{name:<{w}}  failed: {str(r['error']).splitlines()[0]}\n")
            continue
        std = f"{r['std'] * scale:.4f}" if math.isfinite(r["std"]) else "-"
        line = f"{name:<{w}}{r['mi'] * scale:>12.4f}{std:>10}  {r['std_source'] or '-':<20}"
        if args.permutations:
            line += f"{r['p_value']:>9.3g}"
        flags = (r["info"] or {}).get("flags") if isinstance(r.get("info"), dict) else None
        out.write(line + f"{r['wall_s']:>10.3g}" + (f"  flags: {', '.join(flags)}" if flags else "")
                  + "\n")
    if args.recommend:
        summary = calibrate_for_cli(args, [(xv, yv)], estimators, options)
        out.write(f"\ncalibration ({args.calibration_seeds} seeds):\n")
        out.write(format_recommendation(summary) + "\n")
    return 0


def calibrate_for_cli(args, datasets, estimators, options):
    """``--recommend`` of `estimate` and `matrix`: the default candidates that take the data
    plus the named estimators, calibrated with a progress bar; the costly candidates left out
    are named on stderr."""
    from mibench.execution.progress import Progress
    from mibench.userdata.recommend import calibrate, candidates_with, costly_candidates

    x, y = datasets[0]
    cands = candidates_with(estimators, x.shape[0], x.shape[1], y.shape[1])
    if costly := costly_candidates(estimators):
        print(f"calibration leaves out the costly {', '.join(costly)} (several trainings per "
              "estimate; name it with --estimator to calibrate it)", file=sys.stderr)
    progress = Progress(1, label="calibrate ", enabled=False if args.quiet else None)
    try:
        return calibrate(datasets, cands, seeds=args.calibration_seeds, options=options,
                         callbacks=progress.callbacks())
    finally:
        progress.close()


def _cols(cols, kinds) -> str:
    shown = ", ".join(f"{c} ({kinds[c][:4]})" for c in cols[:8])
    return f"[{shown}{', ...' if len(cols) > 8 else ''}]"


def _params(params_json: str) -> str:
    from mibench.contracts.canonical import params_label

    return params_label(params_json, ",")
