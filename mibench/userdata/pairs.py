"""The work of one pair of the user's variables: its estimate, its uncertainty (the estimator's
own std, else half-sampling) and a permutation test, each replicate a trial of the one executor
(serial, local processes or Dask; with timeouts, the store's resume and progress)."""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from mibench import registry as _registry
from mibench.contracts import CONTINUOUS, InputError, Scenario, TrueMI, required_n
from mibench.contracts.canonical import canonical_json, stable_int
from mibench.execution.options import Callbacks, RunOptions, options_from
from mibench.execution.runner import execute, open_store
from mibench.planning.trials import Trial

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
    #: the kinds of x and y as the estimator sees them
    x_kind: str = CONTINUOUS
    y_kind: str = CONTINUOUS


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
    #: the estimates on the permuted data, in replicate order (the null distribution)
    null: list = field(default_factory=list)
    resamples: int = 0
    wall_s: float = math.nan
    status: str = "ok"
    error: str = ""
    info: dict = field(default_factory=dict)
    _half: list = field(default_factory=list, repr=False)
    _perm: list = field(default_factory=list, repr=False)
    _errors: list = field(default_factory=list, repr=False)


_ROLES = {"obs": 0, "half": 1, "perm": 2}


class UserPairs(Scenario):
    """The user's pairs as a scenario, so their work runs as trials of the one executor (with
    ``jobs``, Dask, timeouts, the store's resume and progress). A subclass per run holds the
    pairs (built by :func:`_pairs_scenario`, registered under a content-hashed name for the run).

    ``sample`` returns pair ``pair`` as the estimator sees it: whole (``role="obs"``), a
    half-sample without replacement (``"half"``, replicate ``r``) or with y permuted (``"perm"``);
    the generator is the trial's data stream. No ground truth (``true_mi`` is NaN).
    """

    pairs: ClassVar[dict[str, tuple[np.ndarray, np.ndarray, str, str]]] = {}

    def __init__(self, pair: str = "", role: str = "obs", r: int = 0):
        self.pair = pair
        self.role = role
        self.r = r

    def _data(self):
        try:
            return type(self).pairs[self.pair]
        except KeyError:
            raise InputError(f"{type(self).__name__} holds no pair {self.pair!r}") from None

    @property
    def x_kind(self) -> str:
        return self._data()[2]

    @property
    def y_kind(self) -> str:
        return self._data()[3]

    @property
    def dim_x(self) -> int:
        return int(self._data()[0].shape[1])

    @property
    def dim_y(self) -> int:
        return int(self._data()[1].shape[1])

    def sample(self, n, rng):
        x, y, _, _ = self._data()
        size = x.shape[0]
        if self.role == "half":
            idx = np.sort(rng.choice(size, size=size // 2, replace=False))
            return x[idx], y[idx]
        if self.role == "perm":
            return x, y[rng.permutation(size)]
        return x, y

    @property
    def true_mi(self) -> TrueMI:
        return TrueMI(math.nan, math.nan)


def _pairs_scenario(work_list: Sequence[PairWork]) -> type[UserPairs]:
    """A :class:`UserPairs` subclass holding the pairs of ``work_list``, named by a content hash
    of the data and labels (so a re-run on the same data finds its stored trials)."""
    pairs: dict[str, tuple] = {}
    digest = hashlib.sha256()
    for w in work_list:
        data = (w.x, w.y, w.x_kind, w.y_kind)
        if w.label in pairs and not _same_pair(pairs[w.label], data):
            raise InputError(f"two different pairs are labelled {w.label!r}")
        pairs[w.label] = data
    for label in sorted(pairs):
        x, y, xk, yk = pairs[label]
        digest.update(canonical_json([label, xk, yk, x.shape, y.shape]).encode())
        digest.update(np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes())
    name = f"user-pairs-{digest.hexdigest()[:20]}"
    return type(name.replace("-", "_"), (UserPairs,), {"pairs": pairs, "name": name,
                                                       "__module__": __name__})


def _same_pair(a, b) -> bool:
    return a[2:] == b[2:] and np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def pair_trials(scenario: str, work: PairWork, seed: int) -> list[tuple[str, int, Trial]]:
    """The trials of one pair, ``(role, replicate, trial)``: the estimate, the half-samples (for
    an estimator without its own std) and the permutations. Each replicate's seeds depend only on
    (base seed, pair label, role, replicate), never on the order of execution."""
    cls = _registry.estimator_class(work.estimator)
    version = getattr(cls, "version", None)
    # replicates need the point estimate only: no error bar of their own
    plain = ({**work.params, "uncertainty": "none"} if "uncertainty" in cls.param_defaults()
             else dict(work.params))
    n = int(work.x.shape[0])
    out = []
    for role, count, size in (("obs", 1, n), ("half", 0 if work.own_std else work.resamples, n // 2),
                              ("perm", work.permutations, n)):
        for r in range(count):
            key = (stable_int(work.label), _ROLES[role], r)
            trial = Trial(scenario, {"pair": work.label, "role": role, "r": r}, work.estimator,
                          dict(work.params) if role == "obs" else dict(plain), size, int(seed), version,
                          seed_keys=(key + (1,), key + (0,)), measure_memory=False)
            out.append((role, r, trial))
    return out


def run_pairs(work_list: Sequence[PairWork], *, seed: int = 0, options: RunOptions | None = None,
              jobs: int | None = None, on_progress: Callable[[int, int], None] | None = None,
              callbacks: Callbacks | None = None) -> list[PairResult]:
    """Estimate every pair, with its uncertainty and permutation p-value, as trials of the
    executor of ``options`` (``jobs`` overrides its field; the store defaults to a temporary one).
    Progress: ``on_progress(done, total)``, or the runner's ``callbacks`` (as for a benchmark run).

    Uncertainty: the estimator's own ``std`` when it reports one; otherwise the delete-half
    jackknife over ``resamples`` random half-samples (without replacement): for an estimator whose
    variance scales as 1/n, the spread of estimates on subsamples of size n/2 around their mean
    estimates the variance at n (the delete-d jackknife factor (n - d)/d is 1 at d = n/2).

    Permutation test: y is permuted ``permutations`` times (each with its own estimator seed);
    p = (1 + #{perm >= observed}) / (1 + N), computed from the permutations that succeeded.

    The results depend on ``seed`` only, not on the executor or the number of workers.
    """
    options = options_from(options, jobs=jobs)
    results = [PairResult(w.label, w.estimator, dict(w.params), int(w.x.shape[0])) for w in work_list]
    if not work_list:
        return results
    cls = _pairs_scenario(work_list)
    planned = [(i, role, r, t) for i, w in enumerate(work_list)
               for role, r, t in pair_trials(cls.name, w, seed)]
    total, done = len({t.key for *_, t in planned}), 0
    callbacks = callbacks or Callbacks()
    if callbacks.on_plan:
        callbacks.on_plan(total)

    def count(k: int) -> None:
        nonlocal done
        done += k
        if on_progress and k:
            on_progress(done, total)

    def cached(k: int) -> None:
        count(k)
        if callbacks.on_cached:
            callbacks.on_cached(k)

    def result(row: dict) -> None:
        count(1)
        if callbacks.on_result:
            callbacks.on_result(row)

    _registry.register("scenario", cls.name, cls)
    try:
        with open_store(options, None) as st:
            rows = execute([t for *_, t in planned], store=st, options=options, on_cached=cached,
                           on_result=result)
    finally:
        _registry.unregister("scenario", cls.name)
    by_key = {row["key"]: row for row in rows.to_dict(orient="records")}
    for i, role, r, trial in planned:
        _absorb(results[i], role, r, by_key[trial.key])
    for w, res in zip(work_list, results, strict=True):
        _finish(w, res)
    return results


def _absorb(res: PairResult, role: str, r: int, row: dict) -> None:
    if row["status"] != "ok":
        error = str(row["error"] or row["status"]).splitlines()[0]
        if role == "obs":
            res.status, res.error = "failed", error
        else:
            res._errors.append(error)
        return
    mi = float(row["mi"])
    if role == "obs":
        res.mi, res.wall_s = mi, float(row["wall_s"])
        res.info = json.loads(row["info"] or "{}")
        std = row["std"]
        if std is not None and math.isfinite(float(std)):
            # the method's name when the estimator says it ("subsample", "analytic", ...)
            res.std, res.std_source = float(std), str(res.info.get("uncertainty") or "estimator")
    elif role == "half":
        res._half.append((r, mi))
    else:
        res._perm.append((r, mi))


def _finish(w: PairWork, res: PairResult) -> None:
    if res.status != "ok":
        res.mi = math.nan
        return
    half = [v for _, v in sorted(res._half)]
    res.resamples = len(half)
    if not res.std_source and len(half) >= 2:  # no std of the estimator's own
        res.std = float(np.std(half, ddof=1))
        res.std_source = f"half-sampling ({len(half)})"
    perm = np.array([v for _, v in sorted(res._perm)], dtype=float)
    res.permutations = int(perm.size)
    res.null = perm.tolist()
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
        x, y, x_kind, y_kind = y, x, y_kind, x_kind
    n = x.shape[0]
    need = required_n(est)
    if n < need:
        raise InputError(f"{label}: {n} rows are too few for {name} (it needs at least {need})")
    half_ok = n // 2 >= need
    if resamples and not half_ok and not type(est).reports_std:
        log.info("%s: n/2=%d is below %s's minimum %d; no half-sampling error bar", label, n // 2,
                 name, need)
    return PairWork(label, x, y, name, params, resamples=resamples if half_ok else 0,
                    permutations=permutations,
                    own_std=bool(getattr(type(est), "reports_std", False))
                    and est.get_params().get("uncertainty") != "none",
                    x_kind=x_kind, y_kind=y_kind)


def check_counts(resamples: int, permutations: int) -> None:
    for value, what in ((resamples, "resamples"), (permutations, "permutations")):
        if isinstance(value, bool) or int(value) != value or value < 0:
            raise InputError(f"{what} must be an integer >= 0, got {value!r}")
