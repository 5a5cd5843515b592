"""Multivariate Student-t scenario (bmi ``student-identity-dx-dy-df`` and relatives).

Recipe: W ~ chi2(df), Z ~ N(0, S), (X, Y) = Z sqrt(df / W), with S the dispersion matrix.

Ground truth (closed form): I = I_G(S) + c(df, dx, dy), where I_G is the Gaussian MI of S and
c = h_t(dx) + h_t(dy) - h_t(dx + dy) with the entropy of the standard k-variate t
h_t(k, df) = -ln G((df+k)/2) + ln G(df/2) + (k/2) ln(df pi) + ((df+k)/2)[psi((df+k)/2) - psi(df/2)].
(The closed-form MI printed by Arellano-Valle et al. 2013 is wrong; this is the entropy-based
correction, as in bmi PR #61.)
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from mibench import DensityScenario, InputError, TrueMI
from scenarios._base import as_float, as_int, gaussian_mi_from_cov
from scenarios.multivariate_normal import lvm_correlation


def t_entropy(k: int, df: float) -> float:
    """Differential entropy (nats) of the standard k-variate Student-t with ``df`` degrees."""
    a = 0.5 * (df + k)
    return float(-gammaln(a) + gammaln(0.5 * df) + 0.5 * k * np.log(df * np.pi)
                 + a * (digamma(a) - digamma(0.5 * df)))


def t_correction(df: float, dim_x: int, dim_y: int) -> float:
    """c(df, dx, dy) = h_t(dx) + h_t(dy) - h_t(dx + dy) >= 0 (nats)."""
    return t_entropy(dim_x, df) + t_entropy(dim_y, df) - t_entropy(dim_x + dim_y, df)


def mvt_logpdf(z: np.ndarray, disp: np.ndarray, df: float) -> np.ndarray:
    """Log-density of the centred multivariate t with dispersion ``disp`` at the rows of z."""
    from scipy.linalg import solve_triangular
    d = disp.shape[0]
    chol = np.linalg.cholesky(disp)
    sol = solve_triangular(chol, np.asarray(z, dtype=np.float64).T, lower=True)
    maha = np.einsum("ij,ij->j", sol, sol)
    logdet = 2.0 * np.sum(np.log(np.diag(chol)))
    return (gammaln(0.5 * (df + d)) - gammaln(0.5 * df) - 0.5 * d * np.log(df * np.pi)
            - 0.5 * logdet - 0.5 * (df + d) * np.log1p(maha / df))


class StudentT(DensityScenario):
    """Multivariate Student-t with ``df`` degrees of freedom.

    Parameters
    ----------
    dim_x, dim_y : int
    df : float > 0
    dispersion : {"identity", "sparse", "dense"}
        "identity": S = I (bmi ``student-identity``; uncorrelated but dependent, I = c);
        "sparse": bmi's 2-pair correlation matrix (strength 2, needs dims >= 2);
        "dense": equicorrelated with ``correlation``.
    correlation : float
        Used by "dense" only.
    """

    default_grid = {"dim_x": [1, 3], "dim_y": [1, 3], "df": [1, 3, 10],
                    "dispersion": ["identity"]}

    def __init__(self, dim_x: int = 1, dim_y: int = 1, df: float = 1.0, dispersion: str = "identity",
                 correlation: float = 0.5):
        self.dim_x = dim_x
        self.dim_y = dim_y
        self.df = df
        self.dispersion = dispersion
        self.correlation = correlation

    def _dims(self):
        return as_int(self, "dim_x", 1), as_int(self, "dim_y", 1)

    def dispersion_matrix(self) -> np.ndarray:
        dx, dy = self._dims()
        d = dx + dy
        if self.dispersion == "identity":
            return np.eye(d)
        if self.dispersion == "sparse":
            if min(dx, dy) < 2:
                raise InputError("dispersion='sparse' needs dim_x >= 2 and dim_y >= 2")
            return lvm_correlation(dx, dy, lambd=2.0, eta_x=2.0, n_interacting=2)
        if self.dispersion == "dense":
            c = as_float(self, "correlation", -1.0 / (d - 1), 1.0)
            return (1.0 - c) * np.eye(d) + c * np.ones((d, d))
        raise InputError(f"dispersion must be 'identity', 'sparse' or 'dense', got {self.dispersion!r}")

    def _df(self):
        return as_float(self, "df", 0.0)

    def sample(self, n, rng):
        dx, dy = self._dims()
        df = self._df()
        chol = np.linalg.cholesky(self.dispersion_matrix())
        z = rng.standard_normal((n, dx + dy)) @ chol.T
        w = rng.chisquare(df, size=(n, 1))
        z *= np.sqrt(df / w)
        return np.ascontiguousarray(z[:, :dx]), np.ascontiguousarray(z[:, dx:])

    @property
    def true_mi(self):
        dx, dy = self._dims()
        disp = self.dispersion_matrix()
        return TrueMI(gaussian_mi_from_cov(disp, dx) + t_correction(self._df(), dx, dy), 0.0)

    def logpdf_joint(self, x, y):
        z = np.hstack([np.reshape(x, (len(x), -1)), np.reshape(y, (len(y), -1))])
        return mvt_logpdf(z, self.dispersion_matrix(), self._df())

    def logpdf_x(self, x):
        dx, _ = self._dims()
        return mvt_logpdf(np.reshape(x, (len(x), -1)), self.dispersion_matrix()[:dx, :dx], self._df())

    def logpdf_y(self, y):
        dx, _ = self._dims()
        return mvt_logpdf(np.reshape(y, (len(y), -1)), self.dispersion_matrix()[dx:, dx:], self._df())
