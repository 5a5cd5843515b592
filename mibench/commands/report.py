"""`mibench report RUN`: write the tables, figures and HTML page of a run folder from the store."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("report", help="write tables, figures and an HTML page for a run",
                       description="Read a run folder's trials from the store and write its report: "
                                   "summary.csv/.md/.tex, paper_table.md/.tex, figures (PNG and PDF) "
                                   "and a self-contained report.html.")
    p.add_argument("run", type=Path, help="run folder (written by `mibench run`; holds run.json)")
    p.add_argument("--out", type=Path, help="output folder (default: the run folder)")
    p.add_argument("--title", help="title of the HTML page")
    p.add_argument("--no-figures", action="store_true", help="tables and HTML only (faster)")
    p.add_argument("--include-flagged", action="store_true",
                   help="keep seeds whose value diverged (flag 'unstable') in the means, stds and "
                        "figures (default: left out and counted in the 'excluded' column)")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    import json

    from mibench.analysis.reports import write_report
    from mibench.contracts import InputError
    from mibench.contracts.files import prepare_dir
    from mibench.execution.runner import load_run

    trials = load_run(args.run)
    if trials.empty:
        raise InputError(f"{args.run}: the store holds none of this run's trials")
    manifest = json.loads((args.run / "run.json").read_text())
    out = prepare_dir(args.out or args.run, "--out")
    paths = write_report(trials, out, manifest, title=args.title, make_figures=not args.no_figures,
                         include_flagged=args.include_flagged)
    n_fig = sum(1 for k in paths if k.endswith(".png"))
    print(f"wrote {out}/report.html, summary.csv/.md/.tex, paper_table.md/.tex and {n_fig} figures "
          f"(PNG and PDF)")
    return 0
