"""Running one trial: sample the data, run the estimator, time it, record the outcome.

A trial that raises is recorded with its status and error text; it never stops the run.
"""

from __future__ import annotations

import logging
import math
import time
import traceback

import numpy as np

from mibench import _registry
from mibench._contracts import Estimate, MibenchError
from mibench._trials import Trial, canonical_json, code_version

log = logging.getLogger(__name__)

_last_data: tuple[tuple, tuple[np.ndarray, np.ndarray]] | None = None


def sample_cell(trial: Trial):
    """Data of the trial's cell; the last cell is kept so estimators of one cell share it."""
    global _last_data
    cell = (trial.scenario_id, trial.n, trial.seed)
    if _last_data is not None and _last_data[0] == cell:
        return _last_data[1]
    scenario = _registry.make_scenario(trial.scenario, **trial.scenario_params)
    x, y = scenario.sample(trial.n, trial.data_rng())
    _last_data = (cell, (x, y))
    return x, y


def true_mi_of(trial: Trial) -> tuple[float, float]:
    scenario = _registry.make_scenario(trial.scenario, **trial.scenario_params)
    value, stderr = scenario.true_mi
    return float(value), float(stderr)


def run_trial(trial: Trial) -> dict:
    """Run one trial and return its result row (never raises for estimator failures)."""
    row = trial.as_dict()
    row.update(mi=math.nan, std=math.nan, status="ok", error="", wall_s=math.nan, cpu_s=math.nan,
               info="{}", version=code_version(), true_mi=math.nan, true_mi_stderr=math.nan)
    try:
        row["true_mi"], row["true_mi_stderr"] = true_mi_of(trial)
        scenario = _registry.make_scenario(trial.scenario, **trial.scenario_params)
        estimator = _registry.make_estimator(trial.estimator, **trial.estimator_params)
        x, y = sample_cell(trial)
        _, swap, _ = estimator.capabilities.match(scenario.x_kind, scenario.y_kind,
                                                  x.shape[1], y.shape[1])
        if swap:
            x, y = y, x
        wall0, cpu0 = time.perf_counter(), time.process_time()
        est = estimator.estimate(x, y, seed=trial.estimator_seed)
        row["wall_s"] = time.perf_counter() - wall0
        row["cpu_s"] = time.process_time() - cpu0
        if not isinstance(est, Estimate):
            raise TypeError(f"estimate() returned {type(est).__name__}, not mibench.Estimate")
        row["mi"] = float(est.mi)
        row["std"] = math.nan if est.std is None else float(est.std)
        row["info"] = canonical_json(est.info)
        if not math.isfinite(row["mi"]):
            row["status"] = "failed"
            row["error"] = f"non-finite estimate {row['mi']}"
    except MibenchError as exc:
        row["status"] = "failed"
        row["error"] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a plugin bug must not stop the run; keep the traceback tail
        row["status"] = "failed"
        tb = traceback.format_exc(limit=-3)
        row["error"] = f"{type(exc).__name__}: {exc}\n{tb}"
        log.debug("trial %s failed", trial.key, exc_info=True)
    return row
