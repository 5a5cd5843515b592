"""Shared fixtures: toy plugins registered at run time, and an isolated results folder."""

from __future__ import annotations

import numpy as np
import pytest

import mibench
from mibench import Capabilities, Estimate, Estimator


class PearsonMI(Estimator):
    """Toy estimator: -0.5 ln(1 - r^2) of the first columns, plus seeded noise of size ``noise``."""

    def __init__(self, noise: float = 0.0, fail_above: float | None = None):
        self.noise = noise
        self.fail_above = fail_above

    def _estimate(self, x, y, *, seed):
        r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
        if self.fail_above is not None and abs(r) > self.fail_above:
            raise RuntimeError(f"toy failure at r={r:.3f}")
        jitter = float(np.random.default_rng(seed).normal()) * self.noise
        return Estimate(float(-0.5 * np.log1p(-r * r)) + jitter, std=0.05, info={"r": float(r)})


class DiscreteOnly(Estimator):
    capabilities = Capabilities(kinds=frozenset({("discrete", "discrete")}))

    def __init__(self):
        pass

    def _estimate(self, x, y, *, seed):
        return Estimate(0.0)


@pytest.fixture(autouse=True, scope="session")
def _isolated_groundtruth_cache(tmp_path_factory):
    """Monte-Carlo ground truths go to a per-session cache, never the user's home."""
    mp = pytest.MonkeyPatch()
    mp.setenv("MIBENCH_CACHE_DIR", str(tmp_path_factory.mktemp("groundtruth-cache")))
    yield
    mp.undo()


@pytest.fixture
def toy_plugins():
    mibench.register("estimator", "toy-pearson", PearsonMI)
    mibench.register("estimator", "toy-discrete", DiscreteOnly)
    yield
    mibench.unregister("estimator", "toy-pearson")
    mibench.unregister("estimator", "toy-discrete")


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MIBENCH_RESULTS", str(tmp_path / "results"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "results"
