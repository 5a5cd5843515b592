"""`mibench export RUN --format csv|parquet`: a run's trials (read back from its store) as one file."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("export", help="export a run's trials as CSV or Parquet",
                       description="Write every trial of a run folder (one with run.json) as a CSV or "
                                   "Parquet file, one row per trial with all store columns.")
    p.add_argument("run", type=Path, metavar="RUN", help="run folder (written by `mibench run --out`)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv", help="file format (default csv)")
    p.add_argument("--output", "-o", type=Path,
                   help="file to write (default RUN/trials_export.csv or .parquet); '-' for stdout (csv)")
    p.set_defaults(handler=handle)


def export_run(run_dir: Path, fmt: str = "csv", output: Path | None = None) -> Path | None:
    """Export a run folder's trials; returns the path written (None for stdout)."""
    from mibench.contracts import InputError, UnavailableError
    from mibench.execution.runner import load_run

    if fmt not in ("csv", "parquet"):
        raise InputError(f"--format must be csv or parquet, got {fmt!r}")
    if not Path(run_dir).is_dir():
        raise InputError(f"run folder {run_dir} does not exist")
    df = load_run(run_dir)
    df = df.sort_values(["scenario", "scenario_params", "estimator", "estimator_params", "n", "seed"],
                        kind="stable").reset_index(drop=True)
    if output is not None and str(output) == "-":
        if fmt != "csv":
            raise InputError("only --format csv can be written to stdout")
        df.to_csv(sys.stdout, index=False)
        return None
    path = Path(output) if output is not None else Path(run_dir) / f"trials_export.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if fmt == "csv":
        df.to_csv(tmp, index=False)
    else:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UnavailableError("Parquet export needs pyarrow: pip install 'mibench[parquet]'") from None
        df.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def handle(args) -> int:
    path = export_run(args.run, args.format, args.output)
    if path is not None:
        print(f"wrote {path}", file=sys.stderr)
    return 0
