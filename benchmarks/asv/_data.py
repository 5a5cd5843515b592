"""Shared helpers of the asv suite: data and estimators built outside the timed code."""

from __future__ import annotations

import numpy as np


def gaussian_pair(n: int, rho: float = 0.6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y), each (n, 1) float64, correlation ``rho`` (MI = -0.5 ln(1 - rho^2) nats)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1))
    y = rho * x + np.sqrt(1 - rho * rho) * rng.standard_normal((n, 1))
    return x, y


def labelled_pair(n: int, classes: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x continuous (n, 1), y labels (n, 1)) with x = label + noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, size=(n, 1)).astype(np.float64)
    return y + rng.standard_normal((n, 1)), y


def discrete_pair(n: int, classes: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two label columns equal with probability 0.8."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, classes, size=n)
    y = np.where(rng.random(n) < 0.8, x, rng.integers(0, classes, size=n))
    return x[:, None].astype(np.float64), y[:, None].astype(np.float64)


def make(name: str, **params):
    """A registered estimator, or NotImplementedError (asv skips the benchmark) when unavailable."""
    from mibench import registry as _registry

    plugin = _registry.estimators().get(name)
    if plugin is None or not plugin.available:
        raise NotImplementedError(f"{name} unavailable: {getattr(plugin, 'error', 'not registered')}")
    return _registry.make_estimator(name, **params)
