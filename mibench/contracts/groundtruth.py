"""Monte-Carlo ground truths with an on-disk cache.

For a distribution with exact densities, I(X;Y) = E[pmi(X, Y)] with the pointwise MI
pmi(x, y) = log p(x, y) - log p(x) - log p(y). :func:`monte_carlo_mi` averages the PMI over
``n`` exact draws and reports the standard error sd(PMI)/sqrt(n). Results are cached as JSON
files under ``$MIBENCH_CACHE_DIR`` (default ``~/.cache/mibench/groundtruth``), keyed by a
hash of the scenario class, its parameters, ``n`` and ``seed``; files are written atomically
(temporary file in the same directory, then ``os.replace``), so concurrent workers never see a
half-written entry. An unwritable cache directory only costs recomputation (logged).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mibench.contracts import InputError, MibenchError, TrueMI
from mibench.contracts.files import atomic_write_text

logger = logging.getLogger(__name__)

#: bump when the MC algorithm changes in a way that changes cached numbers
CACHE_VERSION = 1
_MEMORY: dict[str, TrueMI] = {}
_CACHED_ONLY = [0]


class NotComputedError(MibenchError):
    """A Monte-Carlo truth asked for under :func:`cached_only` that is not cached yet."""


@contextlib.contextmanager
def cached_only():
    """Within this block :func:`monte_carlo_mi` returns cached truths only and raises
    :class:`NotComputedError` instead of computing (``mibench list`` shows truths without
    spending minutes on Monte Carlo)."""
    _CACHED_ONLY[0] += 1
    try:
        yield
    finally:
        _CACHED_ONLY[0] -= 1


def cache_dir() -> Path:
    """The ground-truth cache directory (``$MIBENCH_CACHE_DIR`` or ``~/.cache/mibench/groundtruth``)."""
    env = os.environ.get("MIBENCH_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mibench" / "groundtruth"


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return repr(value)


def cache_key(scenario, n: int, seed: int, extra: str = "") -> tuple[str, dict]:
    """Hash of the scenario class, its parameters, n, seed (and an optional tag)."""
    cls = type(scenario)
    payload = {
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "params": _jsonable(scenario.get_params()),
        "n": int(n), "seed": int(seed), "extra": extra, "version": CACHE_VERSION,
    }
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32], payload


def _read(path: Path) -> TrueMI | None:
    try:
        with open(path) as fh:
            data = json.load(fh)
        return TrueMI(float(data["value"]), float(data["stderr"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring unreadable ground-truth cache file %s: %s", path, exc)
        return None


def _write(path: Path, record: dict) -> None:
    try:
        atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True))
    except OSError as exc:
        logger.warning("could not write ground-truth cache %s: %s", path, exc)


def pmi_mean(pmi_fn: Callable, sampler: Callable, n: int, seed: int,
             chunk: int = 500_000) -> tuple[float, float]:
    """Mean and standard error of ``pmi_fn(*sampler(m, rng))`` over ``n`` draws (no cache).

    Draws come in chunks of at most ``chunk`` from ``np.random.default_rng(seed)``; the
    mean and variance are combined exactly across chunks.
    """
    rng = np.random.default_rng(seed)
    total = 0.0
    total_sq = 0.0
    count = 0
    shift = None
    while count < n:
        m = min(chunk, n - count)
        x, y = sampler(m, rng)
        p = np.asarray(pmi_fn(x, y), dtype=np.float64).ravel()
        if p.shape[0] != m:
            raise InputError(f"pmi function returned {p.shape[0]} values for {m} samples")
        if not np.all(np.isfinite(p)):
            raise InputError("pmi function returned non-finite values")
        if shift is None:
            shift = float(p.mean())  # shifted sums keep the variance accurate
        d = p - shift
        total += float(d.sum())
        total_sq += float(np.dot(d, d))
        count += m
    mean_d = total / count
    var = max(0.0, (total_sq - count * mean_d * mean_d) / max(count - 1, 1))
    return shift + mean_d, float(np.sqrt(var / count))


def monte_carlo_mi(scenario, pmi_fn: Callable | None = None, *, sampler: Callable | None = None,
                   logpdfs: tuple[Callable, Callable, Callable] | None = None,
                   n: int = 1_000_000, seed: int = 0, chunk: int = 500_000,
                   use_cache: bool = True, tag: str = "") -> TrueMI:
    """Monte-Carlo MI of a scenario from its exact densities, cached on disk.

    Parameters
    ----------
    scenario : Scenario
        Supplies the cache key (class and ``get_params()``) and, by default, ``sample`` and
        ``pmi`` (see :class:`mibench.DensityScenario`).
    pmi_fn : callable ``(x, y) -> (m,)``, optional
        Pointwise MI in nats. Default ``scenario.pmi``.
    sampler : callable ``(m, rng) -> (x (m, dim_x), y (m, dim_y))``, optional
        Exact sampler. Default ``scenario.sample``.
    logpdfs : (log_joint, log_px, log_py), optional
        Alternative to ``pmi_fn``: pmi = log_joint(x, y) - log_px(x) - log_py(y).
    n, seed : int
        Number of draws and the seed of ``np.random.default_rng``; both enter the cache key.
    use_cache : bool
        Read and write the disk cache (an in-process memo is always used).
    tag : str
        Extra text for the key (e.g. to distinguish two PMI functions on one scenario).

    Returns
    -------
    TrueMI
        ``value`` = mean PMI in nats, ``stderr`` = sd(PMI)/sqrt(n).
    """
    n = int(n)
    if n < 2:
        raise InputError(f"n must be >= 2 for a Monte-Carlo ground truth, got {n}")
    if pmi_fn is not None and logpdfs is not None:
        raise InputError("give either pmi_fn or logpdfs, not both")
    if logpdfs is not None:
        lj, lx, ly = logpdfs

        def pmi_fn(x, y):
            return lj(x, y) - lx(x) - ly(y)
    if pmi_fn is None:
        pmi_fn = scenario.pmi
    if sampler is None:
        sampler = scenario.sample
    key, payload = cache_key(scenario, n, seed, tag)
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.json"
    if use_cache:
        hit = _read(path)
        if hit is not None:
            _MEMORY[key] = hit
            return hit
    if _CACHED_ONLY[0]:
        raise NotComputedError(f"Monte-Carlo truth of {payload['class']} not computed yet")
    value, stderr = pmi_mean(pmi_fn, sampler, n, seed, chunk=chunk)
    result = TrueMI(float(value), float(stderr))
    _MEMORY[key] = result
    if use_cache:
        _write(path, {**payload, "value": result.value, "stderr": result.stderr})
    logger.info("Monte-Carlo MI for %s: %.6f +- %.2g (n=%d)", payload["class"], value, stderr, n)
    return result


def clear_memory_cache() -> None:
    """Forget the in-process memo (the disk cache is untouched)."""
    _MEMORY.clear()
