"""Additive uniform noise (bmi ``1v1-additive-eps``): X ~ U(0,1), Y = X + N, N ~ U(-eps, eps).

I = eps - ln(2 eps) for eps <= 1/2 and 1/(4 eps) for eps > 1/2 (closed form, nats).
Hard support boundaries make it difficult for GMM and KDE estimators.
"""

from __future__ import annotations

import numpy as np

from mibench import DensityScenario, TrueMI
from scenarios._base import as_float


class AdditiveUniform(DensityScenario):
    """X ~ U(0, 1), Y = X + U(-epsilon, epsilon); 1 x 1."""

    default_grid = {"epsilon": [0.1, 0.25, 0.5, 0.75, 1.0]}

    def __init__(self, epsilon: float = 0.1):
        self.epsilon = epsilon

    def _eps(self):
        return as_float(self, "epsilon", 0.0)

    def sample(self, n, rng):
        eps = self._eps()
        x = rng.uniform(0.0, 1.0, size=(n, 1))
        y = x + rng.uniform(-eps, eps, size=(n, 1))
        return np.ascontiguousarray(x), np.ascontiguousarray(y)

    @property
    def true_mi(self):
        eps = self._eps()
        val = eps - np.log(2.0 * eps) if eps <= 0.5 else 1.0 / (4.0 * eps)
        return TrueMI(float(val), 0.0)

    # density API: p(x) = 1 on (0,1); p(y|x) = 1/(2 eps); p(y) = |[y-eps, y+eps] & [0,1]| / (2 eps)
    def logpdf_x(self, x):
        x = np.asarray(x, dtype=np.float64).ravel()
        return np.where((x > 0) & (x < 1), 0.0, -np.inf)

    def logpdf_y(self, y):
        eps = self._eps()
        y = np.asarray(y, dtype=np.float64).ravel()
        overlap = np.clip(np.minimum(y + eps, 1.0) - np.maximum(y - eps, 0.0), 0.0, None)
        with np.errstate(divide="ignore"):
            return np.log(overlap) - np.log(2.0 * eps)

    def logpdf_joint(self, x, y):
        eps = self._eps()
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        inside = (np.abs(y - x) <= eps) & (x > 0) & (x < 1)
        return np.where(inside, -np.log(2.0 * eps), -np.inf)
