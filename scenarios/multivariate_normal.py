"""Multivariate normal scenarios (bmi "Beyond Normal" families) with closed-form MI.

All are zero-mean with unit-variance coordinates (the covariance is a correlation matrix);
X is the first ``dim_x`` coordinates, Y the last ``dim_y``.
I(X;Y) = 0.5 [ln det S_XX + ln det S_YY - ln det S] (nats).

Registered names
----------------
``multinormal-dense``   equicorrelated: S = (1 - c) I + c 11^T over all coordinates.
``multinormal-sparse``  bmi "n-pair": ``n_interacting`` pairs (X_i, Y_i) at correlation
                        strength^2 / (1 + strength^2), nothing else correlated (bmi
                        ``multinormal-sparse-dx-dy-K-strength``).
``multinormal-lvm``     bmi ``GaussianLVMParametrization`` (latent variables, see
                        :func:`lvm_correlation`).
``multinormal-pairs``   ``n_pairs`` pairs at correlation ``rho`` with within-block
                        correlations ``rho_x`` and ``rho_y``.

Each exposes the density API of ``scenarios/_base.py``.
"""

from __future__ import annotations

import numpy as np

from mibench import DensityScenario, InputError, TrueMI
from scenarios._base import as_float, as_int, gaussian_mi_from_cov, mvn_logpdf


def lvm_correlation(dim_x: int, dim_y: int, *, alpha: float = 0.0, beta_x: float = 0.0,
                    beta_y: float | None = None, lambd: float = 0.0, n_interacting: int = 0,
                    epsilon_x: float = 1.0, epsilon_y: float | None = None, eta_x: float = 0.0,
                    eta_y: float | None = None) -> np.ndarray:
    """Correlation matrix (dim_x + dim_y square) of bmi's latent-variable model.

    X_i = alpha U_all + beta_x U_X + lambd Z_i [i < K] + epsilon_x E_i + eta_x V_i [i >= K],
    Y_i likewise with beta_y, epsilon_y, eta_y (defaulting to the X values) and the same Z_i;
    K = ``n_interacting``. The covariance is normalised to a correlation matrix.
    """
    beta_y = beta_x if beta_y is None else beta_y
    epsilon_y = epsilon_x if epsilon_y is None else epsilon_y
    eta_y = eta_x if eta_y is None else eta_y
    k = int(n_interacting)
    d = dim_x + dim_y
    cov = np.zeros((d, d))
    ix = np.arange(dim_x)
    iy = np.arange(dim_y)
    cov[:dim_x, :dim_x] = alpha ** 2 + beta_x ** 2
    cov[dim_x:, dim_x:] = alpha ** 2 + beta_y ** 2
    cov[:dim_x, dim_x:] = alpha ** 2
    cov[dim_x:, :dim_x] = alpha ** 2
    cov[ix, ix] += epsilon_x ** 2 + np.where(ix < k, lambd ** 2, eta_x ** 2)
    cov[dim_x + iy, dim_x + iy] += epsilon_y ** 2 + np.where(iy < k, lambd ** 2, eta_y ** 2)
    m = np.arange(min(k, dim_x, dim_y))
    cov[m, dim_x + m] += lambd ** 2
    cov[dim_x + m, m] += lambd ** 2
    sd = np.sqrt(np.diag(cov))
    if np.any(sd == 0):
        raise InputError("latent-variable model gives a coordinate of zero variance")
    return cov / np.outer(sd, sd)


class _MultiNormal(DensityScenario):
    """Zero-mean multivariate normal; subclasses implement ``corr_matrix()``."""

    def _dims(self) -> tuple[int, int]:
        return as_int(self, "dim_x", 1), as_int(self, "dim_y", 1)

    def corr_matrix(self) -> np.ndarray:  # (dim_x + dim_y, dim_x + dim_y)
        raise NotImplementedError

    def _chol(self) -> np.ndarray:
        cov = self.corr_matrix()
        try:
            return np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise InputError(f"{type(self).__name__}{self.get_params()}: the covariance is not "
                             "positive definite") from None

    def sample(self, n, rng):
        dx, dy = self._dims()
        chol = self._chol()
        z = rng.standard_normal((n, dx + dy)) @ chol.T
        return np.ascontiguousarray(z[:, :dx]), np.ascontiguousarray(z[:, dx:])

    @property
    def true_mi(self):
        dx, _ = self._dims()
        self._chol()
        return TrueMI(gaussian_mi_from_cov(self.corr_matrix(), dx), 0.0)

    def logpdf_joint(self, x, y):
        return mvn_logpdf(np.hstack([np.reshape(x, (len(x), -1)), np.reshape(y, (len(y), -1))]),
                          self.corr_matrix())

    def logpdf_x(self, x):
        dx, _ = self._dims()
        return mvn_logpdf(np.reshape(x, (len(x), -1)), self.corr_matrix()[:dx, :dx])

    def logpdf_y(self, y):
        dx, _ = self._dims()
        return mvn_logpdf(np.reshape(y, (len(y), -1)), self.corr_matrix()[dx:, dx:])


class MultinormalDense(_MultiNormal):
    """Equicorrelated normal: every pair of the dim_x + dim_y coordinates has correlation
    ``correlation`` = c.

    I = 0.5 [-ln(1 - c) + ln(1 + (dx-1)c) + ln(1 + (dy-1)c) - ln(1 + (dx+dy-1)c)] (bmi
    ``multinormal-dense-dx-dy-c``).
    """

    default_grid = {"dim_x": [2, 5, 25], "dim_y": [2, 5, 25], "correlation": [0.5]}

    def __init__(self, dim_x: int = 2, dim_y: int = 2, correlation: float = 0.5):
        self.dim_x = dim_x
        self.dim_y = dim_y
        self.correlation = correlation

    def corr_matrix(self):
        dx, dy = self._dims()
        d = dx + dy
        c = as_float(self, "correlation", -1.0 / (d - 1), 1.0)
        return (1.0 - c) * np.eye(d) + c * np.ones((d, d))

    @property
    def true_mi(self):
        dx, dy = self._dims()
        c = float(self.corr_matrix()[0, 1])
        val = 0.5 * (-np.log1p(-c) + np.log1p((dx - 1) * c) + np.log1p((dy - 1) * c)
                     - np.log1p((dx + dy - 1) * c))
        return TrueMI(float(max(0.0, val)), 0.0)


class MultinormalLVM(_MultiNormal):
    """bmi's latent-variable Gaussian (``GaussianLVMParametrization``), see :func:`lvm_correlation`.

    ``beta_y``, ``epsilon_y``, ``eta_y`` default (None) to the X values. MI by log-determinants.
    """

    default_grid = {"dim_x": [3], "dim_y": [3], "alpha": [0.0, 0.5, 1.0], "lambd": [1.0],
                    "n_interacting": [2]}

    def __init__(self, dim_x: int = 3, dim_y: int = 3, alpha: float = 0.0, beta_x: float = 0.0,
                 beta_y: float | None = None, lambd: float = 1.0, n_interacting: int = 2,
                 epsilon_x: float = 1.0, epsilon_y: float | None = None, eta_x: float = 0.0,
                 eta_y: float | None = None):
        self.dim_x = dim_x
        self.dim_y = dim_y
        self.alpha = alpha
        self.beta_x = beta_x
        self.beta_y = beta_y
        self.lambd = lambd
        self.n_interacting = n_interacting
        self.epsilon_x = epsilon_x
        self.epsilon_y = epsilon_y
        self.eta_x = eta_x
        self.eta_y = eta_y

    def corr_matrix(self):
        dx, dy = self._dims()
        opt = {}
        for name in ("beta_y", "epsilon_y", "eta_y"):
            opt[name] = None if getattr(self, name) in (None, "None", "none", "") else as_float(self, name)
        return lvm_correlation(
            dx, dy, alpha=as_float(self, "alpha"), beta_x=as_float(self, "beta_x"),
            lambd=as_float(self, "lambd"), n_interacting=as_int(self, "n_interacting", 0),
            epsilon_x=as_float(self, "epsilon_x"), eta_x=as_float(self, "eta_x"), **opt)


class MultinormalSparse(_MultiNormal):
    """bmi "n-pair" sparse normal ``multinormal-sparse-dx-dy-K-strength``.

    LVM with alpha = beta = 0, lambd = eta = ``strength``, epsilon = 1, K = ``n_interacting``:
    corr(X_i, Y_i) = s^2 / (1 + s^2) for i < K, all other correlations 0, so
    I = -K ln(1 - (s^2/(1+s^2))^2) = 1.0216512 for K = 2, s = 2.
    """

    default_grid = {"dim_x": [3, 5, 25], "dim_y": [3, 5, 25], "n_interacting": [2], "strength": [2.0]}

    def __init__(self, dim_x: int = 3, dim_y: int = 3, n_interacting: int = 2, strength: float = 2.0):
        self.dim_x = dim_x
        self.dim_y = dim_y
        self.n_interacting = n_interacting
        self.strength = strength

    def corr_matrix(self):
        dx, dy = self._dims()
        k = as_int(self, "n_interacting", 0)
        if k > min(dx, dy):
            raise InputError(f"n_interacting={k} exceeds min(dim_x, dim_y)={min(dx, dy)}")
        s = as_float(self, "strength")
        return lvm_correlation(dx, dy, lambd=s, eta_x=s, n_interacting=k)


class MultinormalPairs(_MultiNormal):
    """``n_pairs`` pairs (X_i, Y_i) at correlation ``rho``; within-block correlations ``rho_x``
    (all X pairs) and ``rho_y`` (all Y pairs); other cross correlations 0."""

    default_grid = {"dim_x": [3], "dim_y": [3], "n_pairs": [1, 2, 3], "rho": [0.5, 0.9]}

    def __init__(self, dim_x: int = 3, dim_y: int = 3, n_pairs: int = 1, rho: float = 0.8,
                 rho_x: float = 0.0, rho_y: float = 0.0):
        self.dim_x = dim_x
        self.dim_y = dim_y
        self.n_pairs = n_pairs
        self.rho = rho
        self.rho_x = rho_x
        self.rho_y = rho_y

    def corr_matrix(self):
        dx, dy = self._dims()
        k = as_int(self, "n_pairs", 0)
        if k > min(dx, dy):
            raise InputError(f"n_pairs={k} exceeds min(dim_x, dim_y)={min(dx, dy)}")
        rho = as_float(self, "rho", -1.0, 1.0)
        rx = as_float(self, "rho_x", -1.0, 1.0)
        ry = as_float(self, "rho_y", -1.0, 1.0)
        d = dx + dy
        cov = np.eye(d)
        cov[:dx, :dx] = (1 - rx) * np.eye(dx) + rx
        cov[dx:, dx:] = (1 - ry) * np.eye(dy) + ry
        m = np.arange(k)
        cov[m, dx + m] = rho
        cov[dx + m, m] = rho
        return cov
