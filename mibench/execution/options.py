"""How trials run (never what runs): one frozen object that every command and API function
passes down to the runner and the executor. A new run flag is one field here: its ``metadata``
(:func:`flag`) is the command-line option that ``mibench.commands._args.run_options_parser``
adds to every command that runs estimators."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mibench.contracts import InputError

EXECUTOR_NAMES = ("serial", "processes", "dask")


def flag(default, help: str, **argparse_kw):
    """A RunOptions field that is also a command-line option ``--name-with-dashes`` (``help`` and
    the keyword arguments of argparse's ``add_argument``; a bool field is a switch)."""
    return field(default=default, metadata={"help": help, **argparse_kw})


@dataclass(frozen=True)
class RunOptions:
    """Options of a run.

    jobs : worker processes (or Dask workers of a local cluster); 1 runs serially.
    executor : "serial", "processes" or "dask" (default: serial for one job, else processes;
        dask when ``scheduler`` is given).
    timeout : seconds per trial; a trial past it is stopped and stored with status "timeout".
    threads : BLAS/OpenMP threads per trial (default 1, whatever the executor).
    scheduler : address of a running Dask scheduler (``tcp://host:8786``).
    store : SQLite result store (None: the caller's default).
    fresh : recompute even what the store holds. rerun_failed : recompute stored trials that
        failed or timed out.
    """

    jobs: int = flag(1, "worker processes, or Dask workers of a local cluster; 1 runs serially",
                     type=int)
    executor: str | None = flag(None, "serial, local processes, or Dask (default: serial for --jobs 1, "
                                      "else processes)", choices=list(EXECUTOR_NAMES))
    timeout: float | None = flag(None, "stop an estimate after this many seconds and record it as "
                                       "timed out", type=float, metavar="SECONDS")
    threads: int = flag(1, "BLAS/OpenMP threads per estimate (default 1; pinned in every worker)",
                        type=int)
    scheduler: str | None = flag(None, "run on an existing Dask cluster (e.g. tcp://host:8786); "
                                       "implies --executor dask", metavar="ADDRESS")
    store: str | Path | None = flag(None, "result store ({store_default}); re-running the same "
                                          "command recomputes only what is missing",
                                    type=Path, metavar="FILE")
    fresh: bool = flag(False, "recompute what the store already holds")
    rerun_failed: bool = flag(False, "retry stored estimates that failed or timed out (the rest "
                                     "stay cached)")

    def __post_init__(self):
        for name in ("jobs", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{name} must be >= 1 (an integer), got {value!r}")
        t = self.timeout
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or not t > 0
                              or math.isinf(t)):
            raise InputError(f"timeout must be a positive number of seconds, got {t!r}")
        if self.executor is not None and self.executor not in EXECUTOR_NAMES:
            raise InputError(f"unknown executor {self.executor!r}; choose from {', '.join(EXECUTOR_NAMES)}")
        if self.scheduler and self.executor not in (None, "dask"):
            raise InputError(f"--scheduler runs on a Dask cluster; it cannot be combined with "
                             f"executor {self.executor!r}")
        if self.fresh and self.rerun_failed:
            raise InputError("fresh already recomputes everything; use one of fresh, rerun_failed")

    @property
    def executor_name(self) -> str:
        if self.executor is not None:
            return self.executor
        return "dask" if self.scheduler else ("serial" if self.jobs <= 1 else "processes")

    def replace(self, **changes) -> RunOptions:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Callbacks:
    """Progress hooks of a run (the CLI's progress bar): ``on_plan(total trials)``,
    ``on_cached(count already stored)``, ``on_result(row)`` for each new row."""

    on_plan: Callable[[int], None] | None = None
    on_cached: Callable[[int], None] | None = None
    on_result: Callable[[dict], None] | None = None


FIELDS = tuple(f.name for f in dataclasses.fields(RunOptions))


def options_from(options: RunOptions | None = None, **given) -> RunOptions:
    """``options`` with the keyword arguments that are not None applied (the API functions take
    both an options object and the loose keywords users know)."""
    base = options or RunOptions()
    changes = {k: v for k, v in given.items() if v is not None}
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown run option(s): {', '.join(sorted(unknown))}")
    return base.replace(**changes) if changes else base
