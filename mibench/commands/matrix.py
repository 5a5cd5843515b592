"""`mibench matrix`: the pairwise MI matrix of columns of your own data file."""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
import threading
from pathlib import Path

from mibench.commands._args import run_options, run_options_parser, split_list
from mibench.commands.estimate import add_data_options, calibrate_for_cli, check_common, describe_table


def register(sub) -> None:
    p = sub.add_parser("matrix", parents=[run_options_parser()],
                       help="pairwise MI matrix of columns of your own data file",
                       description="Pairwise MI (nats) between row and column variables of a data "
                                   "file, or between the row variables only (upper triangle), with "
                                   "error bars; writes CSV files and an annotated heatmap.")
    p.add_argument("file", help="data file (.csv, .tsv, .parquet, .npy, .npz)")
    p.add_argument("--rows", required=True, action="append", metavar="COLS",
                   help="row variables (names, NPZ array names or glob patterns; comma-separated)")
    p.add_argument("--cols", action="append", metavar="COLS",
                   help="column variables; without it, the row variables against each other")
    p.add_argument("--estimator", action="append", metavar="NAME[:k=v]",
                   help="estimator(s) in order of preference (default gmm-mi); each pair gets the "
                        "first whose capabilities accept its kinds; otherwise the same family's "
                        "variant (ksg->ksg-mixed, gmm-mi->gmm-mi-categorical, binning->plugin-discrete), "
                        "then gmm-mi-categorical/ksg-mixed or plugin-discrete")
    p.add_argument("--out", type=Path, help="output folder (default results/runs/matrix-FILESTEM)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no matrix print-out")
    add_data_options(p)
    p.set_defaults(handler=handle, jobs=os.cpu_count() or 1)


def handle(args) -> int:
    from mibench.contracts.files import prepare_dir
    from mibench.execution.progress import Progress
    from mibench.execution.runner import default_out_dir, default_store_path
    from mibench.userdata.columns import prepare, select_columns
    from mibench.userdata.matrix import DEFAULT_ESTIMATOR, _pairs, failed_summary, matrix_from_table
    from mibench.userdata.read import read_data

    check_common(args)
    options = run_options(args, store=default_store_path())
    df = read_data(args.file)
    rows = select_columns(df, split_list(args.rows), "--rows")
    cols = select_columns(df, split_list(args.cols), "--cols") if args.cols else None
    selected = list(dict.fromkeys(rows + (cols or [])))
    table = prepare(df, selected, dropna=args.dropna, discrete=split_list(args.discrete) or None,
                    continuous=split_list(args.continuous) or None, max_levels=args.max_levels,
                    source=str(args.file))
    pairs, _ = _pairs(rows, cols)  # validates the selection before any work
    out_dir = args.out or default_out_dir(f"matrix-{Path(args.file).name.split('.')[0]}")
    prepare_dir(out_dir, "--out")  # before any work
    estimators = split_list(args.estimator) or [DEFAULT_ESTIMATOR]
    print(describe_table(table, args.file) + f"; {len(pairs)} pair(s)", file=sys.stderr)
    discrete = [c for c in selected if table.kinds[c] == "discrete"]
    if discrete:
        print(f"discrete columns: {', '.join(discrete)}", file=sys.stderr)
    progress = Progress(1, label="matrix ", enabled=None if not args.quiet else False)
    callbacks = progress.callbacks()
    if options.executor_name != "serial":  # this process waits while workers estimate
        callbacks = _import_plot_modules_meanwhile(callbacks)
    try:
        m = matrix_from_table(table, rows, cols, estimator=estimators, permutations=args.permutations,
                              resamples=args.resamples, options=options, seed=args.seed,
                              callbacks=callbacks)
    finally:
        progress.close()
    summary = None
    if args.recommend:
        # imported only here: it loads scipy.stats (~0.6 s), serial start-up time for every matrix
        from mibench.userdata.recommend import format_recommendation, representative_pairs

        picks = representative_pairs(table, pairs)
        if not picks:
            print("--recommend: no continuous pair to calibrate on", file=sys.stderr)
        else:
            datasets = [(table.column(r)[:, None], table.column(c)[:, None]) for r, c in picks]
            summary = calibrate_for_cli(args, datasets, estimators, options)
            m.meta["calibration"] = {
                "pairs": [list(p) for p in picks],
                "most_accurate": summary.attrs["most_accurate"], "fastest": summary.attrs["fastest"],
                "table": summary.reset_index().to_dict(orient="records"),
                "scenarios": summary.attrs["scenarios"]}
    paths = m.to_files(out_dir)
    if not args.quiet:
        print(m.format())
    if summary is not None:
        shown = ", ".join(f"({r}, {c})" for r, c in picks)
        print(f"\ncalibration on matched scenarios of {shown}, {args.calibration_seeds} seeds:")
        print(format_recommendation(summary))
    bad = failed_summary(m)
    if bad:
        print(bad, file=sys.stderr)
    print(f"\nwrote {out_dir}/" + ", ".join(sorted(p.name for p in paths.values())))
    return 0


def _import_plot_modules_meanwhile(callbacks):
    """``callbacks`` that also import the heatmap's modules (matplotlib, ~0.35 s of CPU) in a
    background thread once the first result is in: the workers have started by then, and this
    process only waits for them, so the import leaves the serial end of the command. A later
    fork (a worker replaced after a timeout) first waits for the import to finish, so no child
    starts with an import half done."""
    from mibench.userdata.matrix import PLOT_MODULES

    started = False

    def on_result(row: dict) -> None:
        nonlocal started
        if not started:
            started = True
            _import_in_background(PLOT_MODULES)
        if callbacks.on_result:
            callbacks.on_result(row)

    return dataclasses.replace(callbacks, on_result=on_result)


_importing: threading.Thread | None = None


def _import_in_background(modules) -> None:
    global _importing
    if _importing is None:  # the first time: forks wait for the import
        os.register_at_fork(before=_wait_for_import)
    _importing = threading.Thread(target=_import, args=(modules,), name="mibench-import", daemon=True)
    _importing.start()


def _import(modules) -> None:
    try:
        for name in modules:
            importlib.import_module(name)
    except Exception:  # a failed import is not kept: plot() imports again and reports it
        pass


def _wait_for_import() -> None:
    thread = _importing
    if thread is not None and thread is not threading.current_thread():
        thread.join()
