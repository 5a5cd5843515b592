"""A family parametrised directly by its mutual information (high-MI sweeps up to 10 nats).

``target-mi``: ``dim`` independent Gaussian pairs (X_i, Y_i), each at correlation
rho = sqrt(1 - exp(-2 I / dim)), so I(X;Y) = ``mi`` exactly (Poole et al. 2019, SMILE, mutinfo).
X_i = Z_i, Y_i = rho Z_i + sqrt(1 - rho^2) W_i with sqrt(1 - rho^2) = exp(-I/dim) computed
directly, so the construction stays accurate at 10 nats and beyond. Wrap it with
``transformed`` (e.g. ``transform=cube``, the "cubic" variant) for non-Gaussian versions.
"""

from __future__ import annotations

import numpy as np

from mibench import TrueMI
from scenarios._base import DensityScenario, as_float, as_int

_LOG2PI = np.log(2.0 * np.pi)


class TargetMI(DensityScenario):
    """``dim`` x ``dim`` Gaussian with independent pairs and total MI ``mi`` (nats, >= 0)."""

    default_grid = {"mi": [0.0, 0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 10.0], "dim": [1, 5, 20]}

    def __init__(self, mi: float = 2.0, dim: int = 1):
        self.mi = mi
        self.dim = dim

    @property
    def dim_x(self):
        return int(self.dim)

    @property
    def dim_y(self):
        return int(self.dim)

    def _par(self):
        mi = as_float(self, "mi", 0.0, low_open=False)
        d = as_int(self, "dim", 1)
        s = np.exp(-mi / d)  # sqrt(1 - rho^2)
        rho = np.sqrt(-np.expm1(-2.0 * mi / d))
        return d, rho, s

    @property
    def rho(self) -> float:
        """Per-pair correlation sqrt(1 - exp(-2 mi / dim))."""
        return float(self._par()[1])

    def sample(self, n, rng):
        d, rho, s = self._par()
        z = rng.standard_normal((n, d))
        w = rng.standard_normal((n, d))
        return np.ascontiguousarray(z), np.ascontiguousarray(rho * z + s * w)

    @property
    def true_mi(self):
        self._par()
        return TrueMI(float(self.mi), 0.0)

    def logpdf_x(self, x):
        x = np.reshape(np.asarray(x, dtype=np.float64), (len(x), -1))
        return -0.5 * np.sum(x * x + _LOG2PI, axis=1)

    def logpdf_y(self, y):
        return self.logpdf_x(y)

    def logpdf_joint(self, x, y):
        _, rho, s = self._par()
        x = np.reshape(np.asarray(x, dtype=np.float64), (len(x), -1))
        y = np.reshape(np.asarray(y, dtype=np.float64), (len(y), -1))
        r = (y - rho * x) / s  # conditional residual, exact at high MI
        return self.logpdf_x(x) - 0.5 * np.sum(r * r + _LOG2PI, axis=1) - x.shape[1] * np.log(s)
