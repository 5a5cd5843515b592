"""The `mibench` command line. Each subcommand lives in its own module under mibench/commands/
and provides ``register(subparsers)``; this module only discovers them and owns error handling.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import logging
import pkgutil
import sys

from mibench._version import __version__
from mibench.contracts import MibenchError

# At exit, the interpreter's last garbage collection walks every object the command created
# (numpy, pandas, matplotlib, the store: 0.25-0.3 s of CPU, serial in every command, measured by
# benchmarks/bench_matrix.py); frozen objects are left to the operating system instead.
atexit.register(gc.freeze)


def build_parser() -> argparse.ArgumentParser:
    import mibench.commands as commands

    parser = argparse.ArgumentParser(
        prog="mibench", description="Benchmark mutual-information estimators on scenarios with known MI.",
        epilog="environment: MIBENCH_RESULTS is the folder of run outputs, the result store and "
               "figures (default ./results: runs/, runs/store.sqlite, figures/); MIBENCH_CACHE_DIR "
               "holds Monte-Carlo ground truths (default ~/.cache/mibench/groundtruth).")
    parser.add_argument("--version", action="version", version=f"mibench {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        importlib.import_module(f"mibench.commands.{info.name}").register(sub)
    return parser


class _AboveProgressHandler(logging.StreamHandler):
    """Log records on stderr, written above a live progress bar: on a terminal the bar's line is
    cleared first (the bar is redrawn below on its next update), so a warning, even a multi-line
    one from a worker process (which inherits this handler), never lands inside the bar."""

    def emit(self, record: logging.LogRecord) -> None:
        stream = self.stream
        if getattr(stream, "isatty", lambda: False)():
            try:
                stream.write("\r\x1b[K")
            except (OSError, ValueError):
                pass
        super().emit(record)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # -v / -vv raise mibench's own loggers (and its plugins'); other libraries stay at WARNING
    # (fontTools alone logs hundreds of INFO lines per PDF)
    handler = _AboveProgressHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    logging.captureWarnings(True)  # Python warnings take the same route
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    for name in ("mibench", "estimators", "scenarios"):
        logging.getLogger(name).setLevel(level)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except MibenchError as exc:
        print(f"mibench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nmibench: interrupted; finished trials are stored, run the same command to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
