"""Running one trial: sample the data, run the estimator, measure it, record the outcome.

A trial that raises is recorded with its status and error text; it never stops the run.

Resources recorded per trial (store columns):

- ``wall_s``, ``cpu_s``: wall-clock and CPU seconds (all threads of the process) of the
  estimator's ``estimate`` call; data sampling is not included. A timed-out trial has
  ``wall_s`` = the time it was given before it was stopped.
- ``peak_mem_mb``: peak resident memory (MiB = 2^20 bytes) of the process that ran the trial.
  On Linux the process's high-water mark is reset at the start of the trial and again right
  before ``estimate`` (``/proc/self/clear_refs``) and read after it (``VmHWM``), so for a trial
  that reached ``estimate`` it is the peak *during the estimate call* — which still includes the
  interpreter, the libraries already loaded (roughly 190 MiB, over 400 MiB once torch is
  loaded) and the sampled data. Elsewhere it is the process's high-water mark so far
  (``getrusage``), an upper bound.
- ``mem_base_mb``: resident memory (MiB, ``VmRSS``) of the process right before ``estimate``,
  after the estimator was made and the data sampled (and, with glibc, after ``malloc_trim``, so
  memory freed by earlier trials is not counted). ``peak_mem_mb - mem_base_mb`` is what the
  estimate call itself added at its peak: the number that compares estimators. A library's
  one-time initialisation inside the first ``estimate`` of a worker counts too (e.g. ~85 MiB for
  the first torch trial). NaN where ``/proc`` is unavailable or the peak cannot be reset, and
  for trials that failed before ``estimate``.
- ``threads``: the BLAS/OpenMP thread limit the trial ran under (see ``pin_threads``).
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
import time
import traceback

import numpy as np

from mibench import registry as _registry
from mibench.contracts import Estimate, MibenchError
from mibench.planning.trials import Trial, canonical_json

log = logging.getLogger(__name__)

BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

_last_data: tuple[tuple, tuple[np.ndarray, np.ndarray]] | None = None
_last_scenario: tuple[str, object] | None = None
_pinned: int | None = None  # the thread limit this process runs trials under, once pinned


# --------------------------------------------------------------------------- threads
def pin_threads(n: int = 1) -> None:
    """Limit BLAS/OpenMP (and torch) threads in this process to ``n``, so parallel workers do not
    oversubscribe the cores. Sets the environment variables (for libraries loaded later and
    child processes), threadpoolctl limits (for libraries already loaded) and torch's intra-op
    threads if torch is imported."""
    global _pinned
    n = int(n)
    for var in BLAS_ENV:
        os.environ[var] = str(n)
    set_blas_threads(n)
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.set_num_threads(n)
        except Exception:
            pass
    _pinned = n


def set_blas_threads(n: int) -> dict[str, int]:
    """Set the thread count of every BLAS/OpenMP library loaded in this process (threadpoolctl;
    OpenMP counts are per calling thread) and return the previous counts by library path."""
    before: dict[str, int] = {}
    try:
        from threadpoolctl import ThreadpoolController

        for lib in ThreadpoolController().lib_controllers:
            before[lib.filepath] = lib.get_num_threads()
            lib.set_num_threads(int(n))
    except Exception:  # threadpoolctl is optional at this level
        pass
    return before


def restore_blas_threads(before: dict[str, int]) -> None:
    try:
        from threadpoolctl import ThreadpoolController

        for lib in ThreadpoolController().lib_controllers:
            if lib.filepath in before:
                lib.set_num_threads(before[lib.filepath])
    except Exception:
        pass


def pinned_threads() -> int | None:
    return _pinned


# --------------------------------------------------------------------------- memory
_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"
_can_reset: bool | None = None
_malloc_trim = None  # libc's malloc_trim once looked up; False where there is none


def reset_peak_memory() -> bool:
    """Reset this process's peak-RSS counter (Linux); False where that is not possible."""
    global _can_reset
    if _can_reset is False:
        return False
    try:
        with open(_CLEAR_REFS, "w") as fh:
            fh.write("5")
        _can_reset = True
    except OSError:
        _can_reset = False
    return _can_reset


def current_memory_mb() -> float:
    """Current resident memory (``VmRSS``) of this process in MiB; NaN where ``/proc`` is
    unavailable."""
    try:
        with open(_STATUS) as fh:
            m = re.search(r"VmRSS:\s+(\d+)\s+kB", fh.read())
    except OSError:
        return math.nan
    return int(m.group(1)) / 1024.0 if m else math.nan


def release_free_memory() -> None:
    """Hand freed heap memory back to the OS (glibc ``malloc_trim``; a no-op elsewhere), so the
    resident size measured next is what is live, not what earlier trials freed. No garbage
    collection: a full ``gc.collect`` takes ~0.1 s once torch is loaded, too much per trial."""
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                _malloc_trim = ctypes.CDLL(None).malloc_trim
            except (OSError, AttributeError):  # not glibc (e.g. musl)
                pass
    if _malloc_trim:
        try:
            _malloc_trim(0)
        except Exception:
            pass


def peak_memory_mb() -> float:
    """Peak resident memory of this process in MiB (since the last reset, where supported)."""
    if _can_reset:
        try:
            with open(_STATUS) as fh:
                m = re.search(r"VmHWM:\s+(\d+)\s+kB", fh.read())
            if m:
                return int(m.group(1)) / 1024.0
        except OSError:
            pass
    try:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return kb / 1024.0 / (1024.0 if sys.platform == "darwin" else 1.0)
    except Exception:
        return math.nan


# --------------------------------------------------------------------------- one trial
def _scenario(trial: Trial):
    global _last_scenario
    if _last_scenario is not None and _last_scenario[0] == trial.scenario_id:
        return _last_scenario[1]
    scenario = _registry.make_scenario(trial.scenario, **trial.scenario_params)
    _last_scenario = (trial.scenario_id, scenario)
    return scenario


def sample_cell(trial: Trial):
    """Data of the trial's cell; the last cell is kept so estimators of one cell share it."""
    global _last_data
    cell = (trial.scenario_id, trial.n, trial.seed)
    if _last_data is not None and _last_data[0] == cell:
        return _last_data[1]
    x, y = _scenario(trial).sample(trial.n, trial.data_rng())
    _last_data = (cell, (x, y))
    return x, y


def true_mi_of(trial: Trial) -> tuple[float, float]:
    value, stderr = _scenario(trial).true_mi
    return float(value), float(stderr)


def base_row(trial: Trial) -> dict:
    """A trial's row before it ran (identity columns and NaN results)."""
    row = trial.as_dict()
    row.update(mi=math.nan, std=math.nan, status="ok", error="", wall_s=math.nan, cpu_s=math.nan,
               peak_mem_mb=math.nan, mem_base_mb=math.nan, threads=_pinned, info="{}",
               true_mi=math.nan, true_mi_stderr=math.nan, finished_at=math.nan)
    return row


def run_trial(trial: Trial) -> dict:
    """Run one trial in this process and return its result row (never raises for estimator
    failures)."""
    row = base_row(trial)
    measure = trial.measure_memory
    if measure:
        reset_peak_memory()  # a trial that fails before estimate() still gets its own peak
    try:
        row["true_mi"], row["true_mi_stderr"] = true_mi_of(trial)
        scenario = _scenario(trial)
        estimator = _registry.make_estimator(trial.estimator, **trial.estimator_params)
        x, y = sample_cell(trial)
        _, swap, _ = estimator.capabilities.match(scenario.x_kind, scenario.y_kind,
                                                  x.shape[1], y.shape[1])
        if swap:
            x, y = y, x
        # the peak counts from here: what estimate() adds on top of the process as it stands
        if measure:
            release_free_memory()
            if reset_peak_memory():
                row["mem_base_mb"] = current_memory_mb()
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
    row["peak_mem_mb"] = peak_memory_mb() if measure else math.nan
    row["finished_at"] = time.time()
    return row


def timeout_error(seconds: float) -> str:
    return f"timed out: stopped after the {seconds:g} s per-trial timeout"


def stopped_row(trial: Trial, status: str, error: str, *, wall_s: float = math.nan,
                threads: int | None = None) -> dict:
    """The row of a trial that did not finish by itself (timed out, or its worker died)."""
    row = base_row(trial)
    row.update(status=status, error=error, wall_s=wall_s, threads=threads, finished_at=time.time())
    try:
        row["true_mi"], row["true_mi_stderr"] = true_mi_of(trial)
    except Exception:  # the truth failing is reported by the trials that run
        pass
    return row
