"""The work of one pair of the user's variables: its estimate, its uncertainty (the estimator's
own std, else half-sampling) and a permutation test, run serially or in local processes."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mibench import registry as _registry
from mibench.contracts import InputError, MibenchError
from mibench.contracts.canonical import stable_int

log = logging.getLogger(__name__)

#: default number of half-samples for estimators without their own error bar
RESAMPLES = 20


@dataclass
class PairWork:
    """One pair to estimate: data as the estimator sees it (already swapped to its kinds)."""

    label: str
    x: np.ndarray
    y: np.ndarray
    estimator: str
    params: dict
    resamples: int = 0
    permutations: int = 0
    own_std: bool = True


@dataclass
class PairResult:
    label: str
    estimator: str
    params: dict
    n: int
    mi: float = math.nan
    std: float = math.nan
    std_source: str = ""
    p_value: float = math.nan
    permutations: int = 0
    resamples: int = 0
    wall_s: float = math.nan
    status: str = "ok"
    error: str = ""
    info: dict = field(default_factory=dict)
    _half: list = field(default_factory=list, repr=False)
    _perm: list = field(default_factory=list, repr=False)
    _errors: list = field(default_factory=list, repr=False)


_ROLES = {"obs": 0, "half": 1, "perm": 2}


def _seeds(base: int, label: str, role: str, r: int) -> tuple[int, np.random.Generator]:
    """Estimator seed and a data-resampling generator for replicate ``r`` of ``role``; they
    depend only on (base seed, pair label, role, r), never on the order of execution."""
    key = (stable_int(label), _ROLES[role], int(r))
    est_seed = int(np.random.SeedSequence(int(base), spawn_key=key + (0,))
                   .generate_state(1, dtype=np.uint32)[0] >> 1)
    rng = np.random.default_rng(np.random.SeedSequence(int(base), spawn_key=key + (1,)))
    return est_seed, rng


def _one(work: PairWork, role: str, r: int, base_seed: int):
    est = _registry.make_estimator(work.estimator, **work.params)
    seed, rng = _seeds(base_seed, work.label, role, r)
    x, y = work.x, work.y
    n = x.shape[0]
    if role == "half":
        idx = np.sort(rng.choice(n, size=n // 2, replace=False))
        x, y = x[idx], y[idx]
    elif role == "perm":
        y = y[rng.permutation(n)]
    t0 = time.perf_counter()
    res = est.estimate(x, y, seed=seed)
    wall = time.perf_counter() - t0
    if not math.isfinite(float(res.mi)):
        raise InputError(f"non-finite estimate {res.mi}")
    std = None if res.std is None else float(res.std)
    return float(res.mi), std, (res.info if role == "obs" else {}), wall


def run_task(work_list: Sequence[PairWork], task: tuple[int, str, list[int]], base_seed: int):
    """Run one task: ``(pair index, role, replicate indices)``. Never raises for estimator
    errors: each replicate gives ``(r, value tuple or None, error text)``."""
    i, role, reps = task
    out = []
    for r in reps:
        try:
            out.append((r, _one(work_list[i], role, r, base_seed), ""))
        except MibenchError as exc:
            out.append((r, None, f"{type(exc).__name__}: {exc}"))
        except Exception as exc:  # a plugin bug must not stop the other pairs
            log.debug("pair %s %s %d failed", work_list[i].label, role, r, exc_info=True)
            out.append((r, None, f"{type(exc).__name__}: {exc}"))
    return i, role, out


_WORKER_STATE: dict[str, Any] = {}


def _init_worker(work_list, base_seed):
    from mibench.execution.executors import pin_threads

    pin_threads(1)
    _WORKER_STATE["work"] = work_list
    _WORKER_STATE["seed"] = base_seed


def _worker_task(task):
    return run_task(_WORKER_STATE["work"], task, _WORKER_STATE["seed"])


def _tasks(work_list: Sequence[PairWork], jobs: int) -> list[tuple[int, str, list[int]]]:
    """Tasks ``(pair index, role, replicates)``: serially one per role and pair; in parallel the
    replicates go in chunks of 8 so the workers share a slow pair's permutations."""
    tasks = []
    chunk = 1 << 30 if jobs <= 1 else 8
    for i, w in enumerate(work_list):
        tasks.append((i, "obs", [0]))
        for role, count in (("half", w.resamples if not w.own_std else 0), ("perm", w.permutations)):
            for start in range(0, count, chunk):
                tasks.append((i, role, list(range(start, min(count, start + chunk)))))
    return tasks


def run_pairs(work_list: Sequence[PairWork], *, seed: int = 0, jobs: int = 1,
              on_progress: Callable[[int, int], None] | None = None) -> list[PairResult]:
    """Estimate every pair, with its uncertainty and permutation p-value.

    Uncertainty: the estimator's own ``std`` when it reports one; otherwise the delete-half
    jackknife over ``resamples`` random half-samples (without replacement): for an estimator whose
    variance scales as 1/n, the spread of estimates on subsamples of size n/2 around their mean
    estimates the variance at n (the delete-d jackknife factor (n - d)/d is 1 at d = n/2).

    Permutation test: y is permuted ``permutations`` times (each with its own estimator seed);
    p = (1 + #{perm >= observed}) / (1 + N), computed from the permutations that succeeded.

    The results depend on ``seed`` only, not on ``jobs``.
    """
    if jobs < 1:
        raise InputError(f"jobs must be >= 1, got {jobs}")
    results = [PairResult(w.label, w.estimator, dict(w.params), int(w.x.shape[0])) for w in work_list]
    tasks = _tasks(work_list, jobs)
    total, done = len(tasks), 0

    def absorb(i, role, out):
        res = results[i]
        for r, val, err in out:
            if val is None:
                if role == "obs":
                    res.status, res.error = "failed", err
                else:
                    res._errors.append(err)
                continue
            mi, std, info, wall = val
            if role == "obs":
                res.mi, res.info, res.wall_s = mi, info, wall
                if std is not None and math.isfinite(std):
                    res.std, res.std_source = std, "estimator"
            elif role == "half":
                res._half.append((r, mi))
            else:
                res._perm.append((r, mi))

    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            absorb(*run_task(work_list, task, seed))
            done += 1
            if on_progress:
                on_progress(done, total)
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                 initargs=(list(work_list), seed)) as pool:
            pending = {pool.submit(_worker_task, t) for t in tasks}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    absorb(*fut.result())
                    done += 1
                    if on_progress:
                        on_progress(done, total)
    for w, res in zip(work_list, results, strict=True):
        _finish(w, res)
    return results


def _finish(w: PairWork, res: PairResult) -> None:
    if res.status != "ok":
        res.mi = math.nan
        return
    half = [v for _, v in sorted(res._half)]
    res.resamples = len(half)
    if res.std_source != "estimator" and len(half) >= 2:
        res.std = float(np.std(half, ddof=1))
        res.std_source = f"half-sampling ({len(half)})"
    perm = np.array([v for _, v in sorted(res._perm)], dtype=float)
    res.permutations = int(perm.size)
    if perm.size:
        res.p_value = float((1 + np.sum(perm >= res.mi)) / (1 + perm.size))
    if res._errors:
        res.info = dict(res.info, replicate_failures=len(res._errors), first_failure=res._errors[0])
        log.warning("%s: %d resample/permutation estimate(s) failed; first: %s", res.label,
                    len(res._errors), res._errors[0])


def make_work(label: str, x: np.ndarray, x_kind: str, y: np.ndarray, y_kind: str,
              name: str, params: dict, swap: bool, *, resamples: int, permutations: int) -> PairWork:
    """A :class:`PairWork` for estimator ``name`` (swapping x and y if its kinds say so) after
    checking n against the estimator's minimum."""
    est = _registry.make_estimator(name, **params)
    est.validate_params()
    params = _registry.coerce_params(type(est), params, f"estimator {name!r}")
    if swap:
        x, y = y, x
    n = x.shape[0]
    need = est.min_samples()
    if n < need:
        raise InputError(f"{label}: {n} rows are too few for {name} (it needs at least {need})")
    half_ok = n // 2 >= need
    if resamples and not half_ok and not type(est).reports_std:
        log.info("%s: n/2=%d is below %s's minimum %d; no half-sampling error bar", label, n // 2,
                 name, need)
    return PairWork(label, x, y, name, params, resamples=resamples if half_ok else 0,
                    permutations=permutations, own_std=bool(getattr(type(est), "reports_std", False)))


def check_counts(resamples: int, permutations: int, jobs: int) -> None:
    for value, what in ((resamples, "resamples"), (permutations, "permutations")):
        if isinstance(value, bool) or int(value) != value or value < 0:
            raise InputError(f"{what} must be an integer >= 0, got {value!r}")
    if isinstance(jobs, bool) or int(jobs) != jobs or jobs < 1:
        raise InputError(f"jobs must be an integer >= 1, got {jobs!r}")
