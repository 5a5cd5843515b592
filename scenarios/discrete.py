"""Discrete and mixed discrete-continuous scenarios with exact MI.

Each declares which variable is discrete (``x_kind`` / ``y_kind`` = "discrete"); a discrete
variable is returned as one float column of integer labels. In the density API (see
``scenarios/_base.py``) a discrete variable's "density" is its probability mass.

Registered names
----------------
``categorical-uniform``  Gao et al. 2017: X uniform on {0..m-1} (discrete), Y | X ~ U(X, X + 2):
                         I = ln m - ((m-1)/m) ln 2.
``zero-inflated-poisson`` Gao et al. 2017: X ~ Exp(1), Y = 0 w.p. p else Poisson(X) (Y discrete).
                         Exact I(p) = (1-p) A + B(p) (the widely quoted (1-p) 0.3012 is exact only
                         at p = 0; see the reference catalogue §9).
``categorical-gaussian`` a label C ~ Cat(weights) (X, discrete) and Y | C ~ N(mu_C, sigma_C^2); the
                         default is a binary label (weights 1/2, means -1, 1). MI by 1-D quadrature.
``symmetric-channel``    X uniform on m symbols, Y = X w.p. 1 - e else uniform on the other m - 1
                         (m = 2: binary symmetric channel): I = ln m - H_b(e) - e ln(m - 1).
``discrete-table``       a general joint probability table ``table`` = "p00/p01;p10/p11" (rows: x)
                         or a named preset: I = sum p ln(p / (p_x p_y)).

List-valued parameters are strings with ``/`` between entries (``,`` also works from Python,
but the CLI reads ``--param key=a,b`` as two values of ``key``).
"""

from __future__ import annotations

import numpy as np
from scipy import integrate
from scipy.special import gammaln, xlogy

from mibench import DISCRETE, DensityScenario, InputError, TrueMI
from scenarios._base import as_float, as_int, parse_matrix, parse_vector

_EULER = 0.5772156649015329


def _col(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64).reshape(-1, 1))


class CategoricalUniform(DensityScenario):
    """X ~ uniform on {0, ..., m-1} (discrete); Y | X ~ U(X, X + 2) (continuous). 1 x 1.

    I = ln m - ((m - 1)/m) ln 2 (Gao, Kannan, Oh, Viswanath 2017).
    """

    default_grid = {"m": [2, 3, 5, 10]}
    x_kind = DISCRETE

    def __init__(self, m: int = 5):
        self.m = m

    def sample(self, n, rng):
        m = as_int(self, "m", 2)
        x = rng.integers(0, m, size=n).astype(np.float64)
        y = x + rng.uniform(0.0, 2.0, size=n)
        return _col(x), _col(y)

    @property
    def true_mi(self):
        m = as_int(self, "m", 2)
        return TrueMI(float(np.log(m) - (m - 1) / m * np.log(2.0)), 0.0)

    def logpdf_x(self, x):
        m = as_int(self, "m", 2)
        return np.full(len(x), -np.log(m))

    def logpdf_joint(self, x, y):
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        ok = (y >= x) & (y <= x + 2.0)
        return np.where(ok, self.logpdf_x(x) - np.log(2.0), -np.inf)

    def logpdf_y(self, y):
        m = as_int(self, "m", 2)
        y = np.asarray(y, dtype=np.float64).ravel()
        # number of labels j in {0..m-1} with j <= y <= j + 2
        count = np.clip(np.minimum(np.floor(y), m - 1) - np.maximum(np.ceil(y - 2.0), 0) + 1, 0, None)
        with np.errstate(divide="ignore"):
            return np.log(count) - np.log(2.0 * m)


def zip_mi(p: float) -> float:
    """Exact I(X;Y) in nats of the zero-inflated Poissonisation with inflation ``p``."""
    s = float(np.sum(np.log(np.arange(2, 400)) * 0.5 ** np.arange(2, 400)))  # sum_k 2^-k ln k
    a = 1.5 * np.log(2.0) - _EULER - s + 0.25
    if p == 0.0:
        b = 0.5 * np.log(2.0) - 0.25
    else:
        qb = 0.5 * (1.0 + p)
        b = (p * p / 4.0 - 0.5 * p * p * np.log(p) - 0.25) / (1.0 - p) - qb * np.log(qb)
    return float((1.0 - p) * a + b)


class ZeroInflatedPoisson(DensityScenario):
    """X ~ Exp(1) (continuous); Y = 0 with probability p, else Y ~ Poisson(X) (discrete). 1 x 1.

    Exact I(p) = (1 - p) A + B(p) with A = (3/2) ln 2 - gamma - S + 1/4, S = sum_k 2^-k ln k,
    B(p) = [p^2/4 - (p^2/2) ln p - 1/4]/(1 - p) - q ln q, q = (1 + p)/2, B(0) = ln(2)/2 - 1/4.
    """

    default_grid = {"p": [0.0, 0.15, 0.5, 0.9]}
    y_kind = DISCRETE

    def __init__(self, p: float = 0.15):
        self.p = p

    def _p(self):
        return as_float(self, "p", 0.0, 1.0, low_open=False)

    def sample(self, n, rng):
        p = self._p()
        x = rng.exponential(1.0, size=n)
        y = rng.poisson(x).astype(np.float64)
        y[rng.random(n) < p] = 0.0
        return _col(x), _col(y)

    @property
    def true_mi(self):
        return TrueMI(zip_mi(self._p()), 0.0)

    def logpdf_x(self, x):
        x = np.asarray(x, dtype=np.float64).ravel()
        return np.where(x >= 0, -x, -np.inf)

    def _log_py_given_x(self, x, y):
        p = self._p()
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        pois = xlogy(y, x) - x - gammaln(y + 1.0)
        return np.where(y == 0, np.log(p + (1.0 - p) * np.exp(-x)), np.log1p(-p) + pois)

    def logpdf_joint(self, x, y):
        return self.logpdf_x(x) + self._log_py_given_x(x, y)

    def logpdf_y(self, y):
        # Poisson mixed over Exp(1) is geometric: P(Y = k) = 2^-(k+1), then inflate the zeros
        p = self._p()
        y = np.asarray(y, dtype=np.float64).ravel()
        geo = -(y + 1.0) * np.log(2.0)
        return np.where(y == 0, np.log(p + 0.5 * (1.0 - p)), np.log1p(-p) + geo)

    def pmi(self, x, y):
        return self._log_py_given_x(x, y) - self.logpdf_y(y)


class CategoricalGaussian(DensityScenario):
    """Label X = C ~ Cat(weights) (discrete); Y | C ~ N(means[C], sigmas[C]^2). 1 x 1.

    ``weights``, ``means``, ``sigmas`` are ``/``-separated strings, e.g. ``"0.7/0.2/0.1"``
    (``sigmas`` may be one value).
    I = sum_c w_c E[ln N(y; mu_c, s_c) - ln sum_c' w_c' N(y; mu_c', s_c')], by adaptive
    adaptive quadrature to ~1e-12 (reported as exact: stderr 0). Reference values:
    (1/3, 1/3, 1/3), means 0/1/2, sigma 1 -> 0.2538060; weights 0.7/0.2/0.1 -> 0.1772401;
    the default binary label (1/2, 1/2), means -1, 1 -> 0.3368308.
    """

    default_grid = {"means": ["-0.5/0.5", "-1/1", "-2/2"]}
    x_kind = DISCRETE

    def __init__(self, weights: str = "0.5/0.5", means: str = "-1/1", sigmas: str = "1"):
        self.weights = weights
        self.means = means
        self.sigmas = sigmas

    def _par(self):
        w = parse_vector(self.weights, "weights")
        mu = parse_vector(self.means, "means")
        sd = parse_vector(self.sigmas, "sigmas")
        if sd.size == 1:
            sd = np.full(mu.size, sd[0])
        if not (w.size == mu.size == sd.size) or w.size < 2:
            raise InputError(f"weights, means and sigmas must have one entry per class (>= 2), got "
                             f"{w.size}, {mu.size}, {sd.size}")
        if np.any(w < 0) or not np.isclose(w.sum(), 1.0, atol=1e-9):
            raise InputError(f"weights must be >= 0 and sum to 1, got {self.weights!r}")
        if np.any(sd <= 0):
            raise InputError(f"sigmas must be > 0, got {self.sigmas!r}")
        return w / w.sum(), mu, sd

    def sample(self, n, rng):
        w, mu, sd = self._par()
        c = rng.choice(w.size, size=n, p=w)
        y = mu[c] + sd[c] * rng.standard_normal(n)
        return _col(c), _col(y)

    def _comp(self, y, mu, sd):
        y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
        return -0.5 * ((y - mu) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)  # (n, K)

    def logpdf_x(self, x):
        w, _, _ = self._par()
        return np.log(w[np.asarray(x, dtype=np.int64).ravel()])

    def logpdf_joint(self, x, y):
        w, mu, sd = self._par()
        c = np.asarray(x, dtype=np.int64).ravel()
        comp = self._comp(y, mu, sd)
        return np.log(w[c]) + comp[np.arange(c.size), c]

    def logpdf_y(self, y):
        w, mu, sd = self._par()
        comp = self._comp(y, mu, sd) + np.log(w)
        top = comp.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(comp - top).sum(axis=1, keepdims=True))).ravel()

    @property
    def true_mi(self):
        w, mu, sd = self._par()
        total = 0.0
        for c in range(w.size):
            if w[c] == 0:
                continue

            def f(t, c=c):  # integrand in the standardised variable t of class c
                y = np.array([mu[c] + sd[c] * t])
                lc = self._comp(y, mu, sd)[0, c]
                return np.exp(-0.5 * t * t) / np.sqrt(2 * np.pi) * (lc - self.logpdf_y(y)[0])
            v, _ = integrate.quad(f, -40.0, 40.0, epsabs=1e-12, epsrel=1e-12, limit=200)
            total += w[c] * v
        return TrueMI(float(total), 0.0)


class _DiscreteTable(DensityScenario):
    """Both variables discrete; subclasses implement ``joint_table()`` (rows: x values, columns: y)."""

    x_kind = DISCRETE
    y_kind = DISCRETE

    def joint_table(self) -> np.ndarray:
        raise NotImplementedError

    def sample(self, n, rng):
        t = self.joint_table()
        cells = rng.choice(t.size, size=n, p=t.ravel())
        i, j = np.divmod(cells, t.shape[1])
        return _col(i), _col(j)

    @property
    def true_mi(self):
        t = self.joint_table()
        px = t.sum(axis=1, keepdims=True)
        py = t.sum(axis=0, keepdims=True)
        nz = t > 0
        return TrueMI(float(max(0.0, np.sum(t[nz] * np.log(t[nz] / (px @ py)[nz])))), 0.0)

    def logpdf_joint(self, x, y):
        t = self.joint_table()
        with np.errstate(divide="ignore"):
            return np.log(t[np.asarray(x, dtype=np.int64).ravel(), np.asarray(y, dtype=np.int64).ravel()])

    def logpdf_x(self, x):
        return np.log(self.joint_table().sum(axis=1)[np.asarray(x, dtype=np.int64).ravel()])

    def logpdf_y(self, y):
        return np.log(self.joint_table().sum(axis=0)[np.asarray(y, dtype=np.int64).ravel()])


class SymmetricChannel(_DiscreteTable):
    """m-ary symmetric channel: X uniform on m symbols, Y = X w.p. 1 - error, else uniform on the
    other m - 1 symbols (m = 2: binary symmetric channel). I = ln m - H_b(e) - e ln(m - 1)."""

    default_grid = {"m": [2], "error": [0.05, 0.1, 0.25]}

    def __init__(self, m: int = 2, error: float = 0.1):
        self.m = m
        self.error = error

    def joint_table(self):
        m = as_int(self, "m", 2)
        e = as_float(self, "error", 0.0, 1.0, low_open=False, high_open=False)
        t = np.full((m, m), e / (m - 1))
        np.fill_diagonal(t, 1.0 - e)
        return t / m

    @property
    def true_mi(self):
        m = as_int(self, "m", 2)
        e = as_float(self, "error", 0.0, 1.0, low_open=False, high_open=False)
        hb = -xlogy(e, e) - xlogy(1.0 - e, 1.0 - e)
        return TrueMI(float(np.log(m) - hb - e * np.log(m - 1)), 0.0)


#: named joint tables for ``discrete-table``
TABLE_PRESETS = {
    "2x2": "0.4/0.1;0.1/0.4",
    "3x4": "0.10/0.05/0.02/0.03;0.02/0.20/0.05/0.03;0.05/0.05/0.10/0.30",
    "sparse-4x4": "0.25/0/0/0;0/0.25/0/0;0/0/0.125/0.125;0/0/0.125/0.125",
    "independent-3x3": "0.06/0.09/0.15;0.08/0.12/0.20;0.06/0.09/0.15",
}


class DiscreteTable(_DiscreteTable):
    """General discrete pair from a joint probability table.

    ``table``: a preset name (``2x2``, ``3x4``, ``sparse-4x4``, ``independent-3x3``) or a string
    ``"p00/p01/...;p10/p11/..."`` (rows = x values 0..r-1, columns = y values 0..c-1; entries
    >= 0 summing to 1).
    """

    default_grid = {"table": list(TABLE_PRESETS)}

    def __init__(self, table: str = "3x4"):
        self.table = table

    def joint_table(self):
        text = TABLE_PRESETS.get(self.table, self.table) if isinstance(self.table, str) else self.table
        t = parse_matrix(text, "table")
        if np.any(t < 0) or not np.isclose(t.sum(), 1.0, atol=1e-9):
            raise InputError(f"table entries must be >= 0 and sum to 1, got {self.table!r}")
        if min(t.shape) < 2:
            raise InputError(f"table must have at least 2 rows and 2 columns, got shape {t.shape}")
        return t / t.sum()
