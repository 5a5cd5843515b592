"""Gaussian scenarios with closed-form MI (bivariate correlated, independent).

Both expose the density API of ``scenarios/_base.py`` (``logpdf_joint``, ``logpdf_x``,
``logpdf_y``, ``pmi``).
"""

from __future__ import annotations

import numpy as np

from mibench import DensityScenario, InputError, TrueMI

_LOG2PI = np.log(2.0 * np.pi)


def _std_normal_logpdf(z: np.ndarray) -> np.ndarray:
    return -0.5 * np.sum(z * z + _LOG2PI, axis=1)


class GaussianCorrelated(DensityScenario):
    """Bivariate Gaussian with correlation ``rho``: X = Z1, Y = rho Z1 + sqrt(1 - rho^2) Z2.

    I(X;Y) = -0.5 ln(1 - rho^2) (closed form).
    """

    default_grid = {"rho": [0.0, 0.3, 0.6, 0.9, 0.99]}

    def __init__(self, rho: float = 0.6):
        self.rho = rho

    def _check(self):
        if not -1.0 < float(self.rho) < 1.0:
            raise InputError(f"rho must lie in (-1, 1), got {self.rho}")

    def sample(self, n, rng):
        self._check()
        z = rng.standard_normal((n, 2))
        rho = float(self.rho)
        x = z[:, :1]
        y = rho * z[:, :1] + np.sqrt(1.0 - rho * rho) * z[:, 1:]
        return np.ascontiguousarray(x), np.ascontiguousarray(y)

    @property
    def true_mi(self):
        self._check()
        return TrueMI(float(-0.5 * np.log1p(-float(self.rho) ** 2)), 0.0)

    # density API
    def logpdf_x(self, x):
        return _std_normal_logpdf(np.asarray(x, dtype=np.float64).reshape(len(x), 1))

    def logpdf_y(self, y):
        return _std_normal_logpdf(np.asarray(y, dtype=np.float64).reshape(len(y), 1))

    def logpdf_joint(self, x, y):
        self._check()
        rho = float(self.rho)
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        s2 = 1.0 - rho * rho
        q = (x * x - 2.0 * rho * x * y + y * y) / s2
        return -0.5 * (q + np.log(s2)) - _LOG2PI


class GaussianIndependent(DensityScenario):
    """Independent standard Gaussian X (dim ``dim_x``) and Y (dim ``dim_y``): I = 0."""

    default_grid = {"dim_x": [1], "dim_y": [1]}

    def __init__(self, dim_x: int = 1, dim_y: int = 1):
        self.dim_x = dim_x
        self.dim_y = dim_y

    def sample(self, n, rng):
        for name in ("dim_x", "dim_y"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name} must be >= 1, got {getattr(self, name)}")
        z = rng.standard_normal((n, int(self.dim_x) + int(self.dim_y)))
        return np.ascontiguousarray(z[:, : int(self.dim_x)]), np.ascontiguousarray(z[:, int(self.dim_x):])

    @property
    def true_mi(self):
        return TrueMI(0.0, 0.0)

    def logpdf_x(self, x):
        return _std_normal_logpdf(np.asarray(x, dtype=np.float64).reshape(len(x), -1))

    def logpdf_y(self, y):
        return _std_normal_logpdf(np.asarray(y, dtype=np.float64).reshape(len(y), -1))

    def logpdf_joint(self, x, y):
        return self.logpdf_x(x) + self.logpdf_y(y)
