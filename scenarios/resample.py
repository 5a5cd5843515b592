"""One fixed dataset of a base scenario, and bootstrap resamples of it.

``resampled`` wraps any registered scenario: it draws *one* dataset of n rows from the base with
its own ``data_seed`` (whatever the trial seed), then, with ``bootstrap=True`` (default), returns
a bootstrap resample of it (n rows drawn with replacement, with the trial's generator); with
``bootstrap=False`` it returns that dataset itself, identical for every seed, so the spread over
seeds is the estimator's own randomness alone. The GMM-MI paper's Fig. 3 compares GMM-MI's own
bootstrap with KSG and MINE applied to bootstrap resamples of one N = 200 dataset::

    mibench run --scenario resampled --param base=gaussian-correlated --param base_params=rho=0.6 \\
        --param data_seed=13 --n 200 --seeds 20 --estimator ksg:k=3

The true MI is the base population's: a resample is not a draw from it (it has ties and the
original dataset's idiosyncrasies), which is exactly what such a study measures.

Parameters
----------
base : str
    Registered name of the base scenario.
base_params : str
    The base's parameters as ``"key=value;key=value"`` (as ``transformed``).
data_seed : int
    Seed of ``numpy.random.default_rng`` for the one base dataset.
bootstrap : bool
    Resample with replacement (True) or return the fixed dataset (False).
"""

from __future__ import annotations

import numpy as np

from mibench import InputError, Scenario, TrueMI
from scenarios.transforms import WrapsBase


class Resampled(WrapsBase, Scenario):
    """A fixed dataset of ``base`` (drawn with ``data_seed``), or bootstrap resamples of it."""

    default_grid = {"bootstrap": [True, False]}

    def __init__(self, base: str = "gaussian-correlated", base_params: str = "rho=0.6",
                 data_seed: int = 13, bootstrap: bool = True):
        self.base = base
        self.base_params = base_params
        self.data_seed = data_seed
        self.bootstrap = bootstrap

    @property
    def dim_x(self):
        return int(self.base_scenario().dim_x)

    @property
    def dim_y(self):
        return int(self.base_scenario().dim_y)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The base dataset of n rows (seeded by ``data_seed``), resampled with ``rng`` if
        ``bootstrap``. Shapes (n, dim_x), (n, dim_y)."""
        if isinstance(self.data_seed, bool) or not isinstance(self.data_seed, (int, np.integer)) \
                or self.data_seed < 0:
            raise InputError(f"data_seed must be a non-negative integer, got {self.data_seed!r}")
        x, y = self.base_scenario().sample(n, np.random.default_rng(int(self.data_seed)))
        if not self.bootstrap:
            return x, y
        idx = rng.integers(0, n, n)
        return np.ascontiguousarray(x[idx]), np.ascontiguousarray(y[idx])

    @property
    def true_mi(self) -> TrueMI:
        return self.base_scenario().true_mi
