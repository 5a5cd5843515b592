"""Scenarios of the GMM-MI paper (Piras et al. 2023) with closed-form MI.

``gamma-exponential``  X1 ~ Gamma(alpha, 1), X2 | X1 ~ Exp(rate X1): I = psi(alpha + 1) - ln alpha.
``weinman-exponential`` ordered Weinman exponential: X ~ Exp(mean beta), Y = X + Exp(mean alpha);
                        MI depends on c = alpha / beta only (Darbellay & Vajda).

As in the paper, both are log-transformed by default (``log=True``: the scenario returns
(ln X1, ln X2)), which leaves MI unchanged and removes the heavy tails. The density API
(``pmi``) accepts the values ``sample`` returns; the log Jacobians cancel in the PMI.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from mibench import DensityScenario, TrueMI
from scenarios._base import as_bool, as_float


class _LogOption(DensityScenario):
    def _raw(self, v):
        v = np.asarray(v, dtype=np.float64).ravel()
        return np.exp(v) if as_bool(self, "log") else v

    def _jac(self, v):
        """log |d raw / d returned| for one coordinate (ln Jacobian of exp when log=True)."""
        v = np.asarray(v, dtype=np.float64).ravel()
        return v if as_bool(self, "log") else np.zeros_like(v)

    def _out(self, a, b):
        if as_bool(self, "log"):
            a, b = np.log(a), np.log(b)
        return np.ascontiguousarray(a[:, None]), np.ascontiguousarray(b[:, None])

    def logpdf_joint(self, x, y):
        return self._raw_joint(self._raw(x), self._raw(y)) + self._jac(x) + self._jac(y)

    def logpdf_x(self, x):
        return self._raw_x(self._raw(x)) + self._jac(x)

    def logpdf_y(self, y):
        return self._raw_y(self._raw(y)) + self._jac(y)


class GammaExponential(_LogOption):
    """X1 ~ Gamma(shape alpha, scale 1); X2 | X1 ~ Exponential(rate X1). 1 x 1.

    Joint density x1^alpha exp(-x1 (1 + x2)) / Gamma(alpha); X2 is Lomax(alpha).
    I = psi(alpha + 1) - ln(alpha) (closed form).
    """

    default_grid = {"alpha": [0.1, 0.3, 1.0, 3.0, 10.0, 100.0], "log": [True]}

    def __init__(self, alpha: float = 1.0, log: bool = True):
        self.alpha = alpha
        self.log = log

    def _a(self):
        return as_float(self, "alpha", 0.0)

    def sample(self, n, rng):
        a = self._a()
        x1 = rng.gamma(a, 1.0, size=n)
        # tiny shapes underflow to 0 in float64 (x1 < 1e-308); redraw those rows
        bad = x1 <= 0
        while bad.any():
            x1[bad] = rng.gamma(a, 1.0, size=int(bad.sum()))
            bad = x1 <= 0
        x2 = rng.exponential(1.0, size=n) / x1
        return self._out(x1, x2)

    @property
    def true_mi(self):
        a = self._a()
        return TrueMI(float(digamma(a + 1.0) - np.log(a)), 0.0)

    def _raw_joint(self, x1, x2):
        a = self._a()
        return a * np.log(x1) - x1 * (1.0 + x2) - gammaln(a)

    def _raw_x(self, x1):
        a = self._a()
        return (a - 1.0) * np.log(x1) - x1 - gammaln(a)

    def _raw_y(self, x2):
        a = self._a()
        return np.log(a) - (a + 1.0) * np.log1p(x2)


class WeinmanExponential(_LogOption):
    """Ordered Weinman exponential: X ~ Exp(mean beta), Y = X + E, E ~ Exp(mean alpha). 1 x 1.

    With c = alpha / beta: I = -ln(c/(1-c)) + psi(1/(1-c)) - psi(1) for c < 1, Euler's gamma
    for c = 1, ln((c-1)/c) + psi(c/(c-1)) - psi(1) for c > 1. GMM-MI fixes beta = 0.5.
    """

    default_grid = {"alpha": [0.1, 0.3, 1.0, 3.0, 10.0, 100.0], "beta": [0.5], "log": [True]}

    def __init__(self, alpha: float = 1.0, beta: float = 0.5, log: bool = True):
        self.alpha = alpha
        self.beta = beta
        self.log = log

    def _ab(self):
        return as_float(self, "alpha", 0.0), as_float(self, "beta", 0.0)

    def sample(self, n, rng):
        a, b = self._ab()
        x = rng.exponential(b, size=n)
        y = x + rng.exponential(a, size=n)
        return self._out(x, y)

    @property
    def true_mi(self):
        a, b = self._ab()
        c = a / b
        if c < 1.0:
            val = -np.log(c / (1.0 - c)) + digamma(1.0 / (1.0 - c)) - digamma(1.0)
        elif c == 1.0:
            val = -digamma(1.0)
        else:
            val = np.log((c - 1.0) / c) + digamma(c / (c - 1.0)) - digamma(1.0)
        return TrueMI(float(val), 0.0)

    def _raw_x(self, x):
        _, b = self._ab()
        return -np.log(b) - x / b

    def _raw_joint(self, x, y):
        a, b = self._ab()
        return np.where(y > x, -np.log(a) - np.log(b) - x / b - (y - x) / a, -np.inf)

    def _raw_y(self, y):
        a, b = self._ab()
        if a == b:
            return np.log(y) - 2.0 * np.log(b) - y / b
        slow, fast = min(1.0 / a, 1.0 / b), max(1.0 / a, 1.0 / b)
        return -slow * y + np.log(-np.expm1(-(fast - slow) * y)) - np.log(abs(a - b))
