"""Toy estimators for the runner tests, importable from subprocesses and Dask workers
(``tests.engine._toys``), and a driver: ``python -m tests.engine._toys STORE JSON_KWARGS``
registers them and calls mibench.run."""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

import mibench
from mibench import Estimate, Estimator


class ToyEstimator(Estimator):
    """Pearson MI of the first columns plus seeded noise; can sleep, allocate memory or crash.

    ``sleep``: seconds to sleep; ``alloc_mb``: MiB to allocate and touch; ``crash``: kill the
    process (os._exit) to simulate a segfault; ``fail``: raise.
    """

    def __init__(self, noise: float = 0.1, sleep: float = 0.0, alloc_mb: int = 0, crash: bool = False,
                 fail: bool = False):
        self.noise = noise
        self.sleep = sleep
        self.alloc_mb = alloc_mb
        self.crash = crash
        self.fail = fail

    def _estimate(self, x, y, *, seed):
        if self.crash:
            os._exit(3)
        if self.fail:
            raise RuntimeError("toy estimator asked to fail")
        if self.sleep:
            time.sleep(self.sleep)
        peak = 0.0
        if self.alloc_mb:
            block = np.ones(int(self.alloc_mb) * 131072)  # 8 bytes each: alloc_mb MiB, touched
            peak = float(block.sum())
            del block
        r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
        jitter = float(np.random.default_rng(seed).normal()) * self.noise
        return Estimate(float(-0.5 * np.log1p(-r * r)) + jitter, std=0.05,
                        info={"blas_threads": _blas_threads(), "touched": peak})


def _blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        return max((p["num_threads"] for p in threadpool_info()), default=-1)
    except Exception:
        return -1


def register() -> None:
    mibench.register("estimator", "toy", ToyEstimator)


def main(argv: list[str]) -> None:
    store, kwargs = argv[0], json.loads(argv[1])
    register()
    scenario = kwargs.pop("scenario", "gaussian-correlated")
    mibench.run(scenario, store=store, **kwargs)


if __name__ == "__main__":
    main(sys.argv[1:])
