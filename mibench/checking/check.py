"""Accuracy regression check (``mibench check``): run a suite in a private store and compare
each cell with a committed baseline and with the ground truth (the rules are in
:mod:`mibench.checking.baseline`)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mibench.checking.baseline import (
    BASELINE_COLUMNS,
    DEFAULT_BASELINE,
    Bound,
    Tolerance,
    cells,
    compare,
    failing,
    read_baseline,
    write_baseline,
)
from mibench.contracts import InputError
from mibench.execution.options import RunOptions, options_from
from mibench.execution.runner import execute, open_store

log = logging.getLogger(__name__)

DEFAULT_SUITE = "ci"


# --------------------------------------------------------------------------- running
@dataclass
class CheckResult:
    """Outcome of :func:`check`: the comparison, the current cells, and what was written."""

    diff: pd.DataFrame
    current: pd.DataFrame
    trials: pd.DataFrame
    skipped: list = field(default_factory=list)
    updated: Path | None = None

    @property
    def failures(self) -> pd.DataFrame:
        return failing(self.diff)

    @property
    def passed(self) -> bool:
        return self.failures.empty

    def summary(self) -> str:
        counts = self.diff["status"].value_counts()
        parts = [f"{int(v)} {k}" for k, v in counts.items()]
        return f"{len(self.diff)} cells: " + ", ".join(parts)


def load_check_suite(suite, estimators: Sequence[tuple[str, dict]] | None = None):
    """The suite to check, with its estimators replaced by ``estimators`` when given.

    An estimator named without parameters that the suite already lists keeps the suite's
    hyperparameters (``--estimator ksg`` checks the suite's ksg cells); any other is added with
    the given parameters (a third-party plugin).
    """
    from mibench.planning.suites import EstimatorSpec, Suite, load_suite

    s = suite if isinstance(suite, Suite) else load_suite(suite)
    if not estimators:
        return s
    specs = []
    for i, (name, params) in enumerate(estimators):
        same = [e for e in s.estimators if e.name == name]
        if same and not params:
            specs.extend(dataclasses.replace(e, optional=False) for e in same)
        else:
            _check_estimator_spec(name, params)
            specs.append(EstimatorSpec(name, {k: [v] for k, v in params.items()}, False, i))
    return dataclasses.replace(s, estimators=specs)


def _check_estimator_spec(name: str, params: dict) -> None:
    """Unknown names, unavailable plugins and bad hyperparameters of an estimator given on the
    command line, reported as such (not as an error at a line of the suite file)."""
    from mibench import registry as _registry
    from mibench.contracts import MibenchError

    try:
        _registry.make_estimator(name, **params).validate_params()
    except MibenchError as exc:
        raise type(exc)(f"--estimator {name}: {exc}") from None


def run_suite_trials(suite, options: RunOptions = RunOptions(), *, on_cached: Callable | None = None,
                     on_result: Callable | None = None, on_plan: Callable | None = None):
    """Plan and run every trial of ``suite`` in a private store (recomputing everything unless
    ``options.store`` is given; the suite's ``timeout`` unless ``options`` has one). Returns
    ``(trials DataFrame, skipped pairs)``."""
    trials, skipped = suite.plan()
    if not trials:
        raise InputError(f"suite {suite.name!r} has nothing to run for these estimators: "
                         + ("; ".join(f"{s.estimator}: {s.reason}" for s in skipped) or "empty"))
    if on_plan:
        on_plan(len(trials))
    if options.timeout is None and suite.timeout is not None:
        options = options.replace(timeout=suite.timeout)
    with open_store(options, None) as st:
        df = execute(trials, store=st, options=options, on_cached=on_cached, on_result=on_result)
    return df, skipped


def unavailable_estimators(skipped) -> list[str]:
    return sorted({s.estimator for s in skipped if str(s.reason).startswith("unavailable")})


def check(suite=DEFAULT_SUITE, baseline: str | Path = DEFAULT_BASELINE, *,
          estimators: Sequence[tuple[str, dict]] | None = None, update: bool = False,
          options: RunOptions | None = None, jobs: int | None = None,
          tolerance: Tolerance = Tolerance(), bounds: dict[str, Bound] | None = None,
          default_bound: Bound | None = None, store: str | Path | None = None,
          timeout: float | None = None, on_cached: Callable | None = None, on_result: Callable | None = None,
          on_plan: Callable | None = None) -> CheckResult:
    """Run ``suite`` and compare its cells with the ``baseline`` CSV (see the module docstring).

    Parameters
    ----------
    suite : built-in suite name or suite file (default ``"ci"``), or a parsed Suite.
    baseline : baseline CSV (default ``results/baselines/ci.csv``).
    estimators : (name, params) pairs replacing the suite's estimators; only their baseline
        cells are compared (and, with ``update``, rewritten).
    update : rewrite the baseline with this run's cells (refused when a cell is off the truth;
        with ``estimators``, only their cells are replaced, the others are kept).
    options : how to run (a :class:`mibench.RunOptions`); ``jobs``, ``store`` and ``timeout``
        override its fields. The store defaults to a temporary one, so everything is recomputed;
        the timeout to the suite's.
    """
    options = options_from(options, jobs=jobs, store=store, timeout=timeout)
    s = load_check_suite(suite, estimators)
    trials, skipped = run_suite_trials(s, options, on_cached=on_cached, on_result=on_result,
                                       on_plan=on_plan)
    current = cells(trials)
    path = Path(baseline)
    names = {name for name, _ in estimators} if estimators else None
    if path.exists():
        base = read_baseline(path)
    elif update:
        base = pd.DataFrame(columns=BASELINE_COLUMNS)
    else:
        read_baseline(path)  # raises the "does not exist" error
    kept = base.iloc[0:0]  # baseline rows outside this check, written back unchanged by update
    if names is not None:
        kept = base[~base["estimator"].isin(names)]
        base = base[base["estimator"].isin(names)]
    if bounds is None:  # the suite's (data: `bound` entries of its estimators)
        bounds = {k: Bound(*v) for k, v in s.bounds.items()}
    diff = compare(current, base, tolerance=tolerance, bounds=bounds, default_bound=default_bound,
                   skipped_estimators=unavailable_estimators(skipped))
    result = CheckResult(diff=diff, current=current, trials=trials, skipped=list(skipped))
    if update:
        off = diff[diff["status"] == "off truth"]
        if len(off):
            log.warning("not updating %s: %d cell(s) are off the truth", path, len(off))
            return result
        # keep the baseline rows of estimators unavailable here, so a run without torch does
        # not drop the neural cells
        keep_skipped = base[base["estimator"].isin(unavailable_estimators(skipped))]
        new = pd.concat([t for t in (kept, keep_skipped, current) if len(t)], ignore_index=True)
        write_baseline(new, path)
        result.updated = path
    return result
