"""Families parametrised directly by their mutual information, in any dimension (after Butakov et
al., package mutinfo; Poole et al. 2019; SMILE).

``target-mi``: pick the MI ``mi`` (nats) and the dimension ``dim`` (X and Y are both ``dim``-
dimensional); the scenario has exactly that MI. ``family`` chooses the distribution:

``normal`` (default)
    ``dim`` independent Gaussian pairs at correlation rho = sqrt(1 - exp(-2 mi / dim)):
    X_i = Z_i, Y_i = rho Z_i + s W_i with s = sqrt(1 - rho^2) = exp(-mi/dim) computed directly,
    so the construction stays accurate at 10 nats and beyond.
``uniform``
    ``dim`` independent pairs X_i ~ U(0, 1), Y_i = a X_i + b U_i (U_i ~ U(0, 1)), i.e. additive
    uniform noise of relative width w = b / a: I = w/2 - ln w for w <= 1 and 1/(2w) for w >= 1
    per pair (bmi ``additive``; mutinfo "smoothed uniform"). w from the per-pair MI m: 1/(2m) for
    m <= 1/2, else w = -2 W_0(-exp(-m)/2) (Lambert W). a = min(1, 1/w), b = min(1, w).
``student``
    a multivariate Student-t with ``df`` degrees of freedom whose dispersion pairs the
    coordinates like the normal family: I = I_G(rho) + c(df, dim, dim), where c is the MI the
    shared chi-square scale alone carries (scenarios/student_t.py). So an MI below c(df, dim, dim)
    is unreachable (c grows with dim: 0.24 nats at df = 3, dim = 4; 1.3 at dim = 64).
``log-gamma-exponential``
    ``dim`` independent pairs X_i = ln G_i, G_i ~ Gamma(alpha, 1); Y_i = ln(E_i / G_i), E_i ~ Exp(1)
    (so e^Y | G ~ Exponential(rate G)): I = psi(alpha + 1) - ln alpha per pair, solved for alpha
    (mutinfo's log-gamma-exponential). ln G is drawn as ln Gamma(alpha + 1) + ln(U)/alpha, exact
    for tiny alpha (high MI). At mi = 0 the pairs are independent (X ~ ln Gamma(1)).

Every family splits ``mi`` equally over the ``dim`` coordinate pairs, so it can be swept over MI at
fixed dimension and over dimension at fixed MI. Bad input (one-line InputError): ``dim`` < 1, a
negative ``mi``, an ``mi`` per dimension above :data:`MAX_MI_PER_DIM` (float64 samples cannot
carry more: the noise scale exp(-mi/dim) would fall towards the rounding error of the signal), and
for ``student`` an ``mi`` below c(df, dim, dim).

:meth:`TargetMI.to_unit` maps samples to (0, 1) by each coordinate's marginal CDF (injective, so
the MI is unchanged): the latent of the image scenarios.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import digamma, gammainc, gammaln, lambertw, ndtr
from scipy.stats import t as student_t_dist

from mibench import DensityScenario, InputError, TrueMI
from scenarios._base import as_float, as_int
from scenarios.student_t import t_correction

_LOG2PI = np.log(2.0 * np.pi)

FAMILIES = ("normal", "uniform", "student", "log-gamma-exponential")
#: largest MI per coordinate pair (nats) a family will produce; the noise scale exp(-20) = 2e-9
#: stays seven orders of magnitude above float64's rounding of O(1) values
MAX_MI_PER_DIM = 20.0


# --------------------------------------------------------------------------- per-pair closed forms
def uniform_width_mi(width: float) -> float:
    """MI (nats) of X ~ U(0,1), Y = X + w U, U ~ U(0,1), as a function of the width w > 0."""
    w = float(width)
    return w / 2.0 - np.log(w) if w <= 1.0 else 1.0 / (2.0 * w)


def uniform_width(m: float) -> float:
    """Width w with :func:`uniform_width_mi` (w) = m (inf at m = 0)."""
    if m <= 0.0:
        return np.inf
    if m <= 0.5:
        return 1.0 / (2.0 * m)
    return float(-2.0 * np.real(lambertw(-0.5 * np.exp(-m), 0)))


def gamma_exponential_mi(alpha: float) -> float:
    """I = psi(alpha + 1) - ln(alpha) of the gamma-exponential pair (nats)."""
    return float(digamma(alpha + 1.0) - np.log(alpha))


def gamma_exponential_alpha(m: float) -> float:
    """Shape alpha with :func:`gamma_exponential_mi` (alpha) = m > 0 (solved in ln alpha)."""
    def f(t):
        return gamma_exponential_mi(np.exp(t)) - m

    lo, hi = -m - 1.0, np.log(1.0 / m) + 1.0  # I ~ -ln(alpha) - gamma and ~ 1/(2 alpha) at the ends
    while f(lo) < 0:
        lo -= 1.0
    while f(hi) > 0:
        hi += 1.0
    return float(np.exp(brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)))


def _softplus(v):
    return np.logaddexp(0.0, v)


class TargetMI(DensityScenario):
    """``dim`` x ``dim`` pair of family ``family`` with total MI ``mi`` (nats, >= 0).

    See the module docstring for the families; ``df`` is used by ``student`` only.
    """

    default_grid = {"mi": [0.0, 0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 10.0], "dim": [1, 5, 20]}

    def __init__(self, mi: float = 2.0, dim: int = 1, family: str = "normal", df: float = 3.0):
        self.mi = mi
        self.dim = dim
        self.family = family
        self.df = df

    @property
    def dim_x(self):
        return as_int(self, "dim", 1)

    @property
    def dim_y(self):
        return as_int(self, "dim", 1)

    # ---------------------------------------------------------------- parameters
    def _family(self) -> str:
        if self.family not in FAMILIES:
            raise InputError(f"family must be one of {', '.join(FAMILIES)}, got {self.family!r}")
        return self.family

    def _base(self) -> tuple[int, float]:
        """(dim, mi) after the checks every family shares."""
        fam = self._family()
        mi = as_float(self, "mi", 0.0, low_open=False)
        d = as_int(self, "dim", 1)
        if mi / d > MAX_MI_PER_DIM:
            raise InputError(f"mi={self.mi!r} is unreachable for family {fam!r} in dim={d}: at most "
                             f"{MAX_MI_PER_DIM:g} nats per dimension ({MAX_MI_PER_DIM * d:g} in "
                             "total) fit in float64 samples; raise dim or lower mi")
        return d, mi

    def _df(self) -> float:
        return as_float(self, "df", 0.0)

    def floor(self) -> float:
        """Smallest reachable MI of this family in this dimension (c(df, dim, dim) for student)."""
        d, _ = self._base()
        return t_correction(self._df(), d, d) if self._family() == "student" else 0.0

    def _gauss(self, gauss_mi: float, d: int) -> tuple[float, float]:
        """(rho, s = sqrt(1 - rho^2)) of ``d`` Gaussian pairs carrying ``gauss_mi`` nats."""
        return float(np.sqrt(-np.expm1(-2.0 * gauss_mi / d))), float(np.exp(-gauss_mi / d))

    def _par(self) -> dict:
        d, mi = self._base()
        fam = self._family()
        if fam == "normal":
            rho, s = self._gauss(mi, d)
            return {"d": d, "rho": rho, "s": s}
        if fam == "student":
            df = self._df()
            c = t_correction(df, d, d)
            if mi < c:
                raise InputError(f"mi={self.mi!r} is unreachable for family 'student' with df={self.df!r} "
                                 f"in dim={d}: the shared chi-square scale alone carries {c:.4g} nats; "
                                 "raise mi or df, or lower dim")
            rho, s = self._gauss(mi - c, d)
            return {"d": d, "rho": rho, "s": s, "df": df}
        if fam == "uniform":
            w = uniform_width(mi / d)
            return {"d": d, "w": w, "a": min(1.0, 1.0 / w), "b": min(1.0, w)}
        alpha = gamma_exponential_alpha(mi / d) if mi > 0 else np.inf
        return {"d": d, "alpha": alpha}

    @property
    def rho(self) -> float:
        """Per-pair correlation of the normal (dispersion correlation of the student) family."""
        par = self._par()
        if "rho" not in par:
            raise InputError(f"family {self.family!r} has no correlation parameter")
        return par["rho"]

    # ---------------------------------------------------------------- contract
    def sample(self, n, rng):
        p = self._par()
        d = p["d"]
        fam = self.family
        if fam in ("normal", "student"):
            x = rng.standard_normal((n, d))
            y = p["rho"] * x + p["s"] * rng.standard_normal((n, d))
            if fam == "student":
                scale = np.sqrt(p["df"] / rng.chisquare(p["df"], size=(n, 1)))
                x *= scale
                y *= scale
        elif fam == "uniform":
            x = rng.random((n, d))
            y = p["a"] * x + p["b"] * rng.random((n, d))
        else:
            alpha = p["alpha"]
            a = 1.0 if np.isinf(alpha) else alpha
            # ln Gamma(a) = ln Gamma(a + 1) + ln(U) / a: no underflow for tiny shapes
            x = np.log(rng.gamma(a + 1.0, 1.0, size=(n, d))) + np.log(rng.random((n, d))) / a
            y = np.log(rng.standard_exponential((n, d)))
            if not np.isinf(alpha):
                y -= x
        return np.ascontiguousarray(x), np.ascontiguousarray(y)

    @property
    def true_mi(self):
        self._par()
        return TrueMI(float(self.mi), 0.0)

    # ---------------------------------------------------------------- density API
    @staticmethod
    def _2d(v):
        return np.reshape(np.asarray(v, dtype=np.float64), (len(v), -1))

    def _t_logpdf(self, sq, k, logdet=0.0):
        """Log-density of a k-variate t (df) with Mahalanobis square ``sq`` and log det ``logdet``."""
        df = self._df()
        return (gammaln(0.5 * (df + k)) - gammaln(0.5 * df) - 0.5 * k * np.log(df * np.pi)
                - 0.5 * logdet - 0.5 * (df + k) * np.log1p(sq / df))

    def logpdf_x(self, x):
        p = self._par()
        x = self._2d(x)
        fam = self.family
        if fam == "normal":
            return -0.5 * np.sum(x * x + _LOG2PI, axis=1)
        if fam == "student":
            return self._t_logpdf(np.sum(x * x, axis=1), p["d"])
        if fam == "uniform":
            return np.where(np.all((x >= 0) & (x <= 1), axis=1), 0.0, -np.inf)
        a = 1.0 if np.isinf(p["alpha"]) else p["alpha"]
        return np.sum(a * x - np.exp(x) - gammaln(a), axis=1)

    def logpdf_y(self, y):
        p = self._par()
        y = self._2d(y)
        fam = self.family
        if fam in ("normal", "student"):
            return self.logpdf_x(y)
        if fam == "uniform":
            a, b = p["a"], p["b"]
            if a == 0.0:
                return np.where(np.all((y >= 0) & (y <= b), axis=1), -y.shape[1] * np.log(b), -np.inf)
            with np.errstate(divide="ignore"):
                length = np.clip(np.minimum(a, y) - np.maximum(0.0, y - b), 0.0, None)
                return np.sum(np.log(length) - np.log(a * b), axis=1)
        alpha = p["alpha"]
        if np.isinf(alpha):
            return np.sum(y - np.exp(y), axis=1)
        return np.sum(np.log(alpha) + y - (alpha + 1.0) * _softplus(y), axis=1)

    def logpdf_joint(self, x, y):
        p = self._par()
        x, y = self._2d(x), self._2d(y)
        fam = self.family
        if fam in ("normal", "student"):
            r = (y - p["rho"] * x) / p["s"]  # conditional residual, exact at high MI
            if fam == "normal":
                return self.logpdf_x(x) - 0.5 * np.sum(r * r + _LOG2PI, axis=1) - p["d"] * np.log(p["s"])
            sq = np.sum(x * x + r * r, axis=1)
            return self._t_logpdf(sq, 2 * p["d"], logdet=2 * p["d"] * np.log(p["s"]))
        if fam == "uniform":
            a, b = p["a"], p["b"]
            inside = np.all((y - a * x >= 0) & (y - a * x <= b), axis=1)
            return np.where(inside, self.logpdf_x(x) - x.shape[1] * np.log(b), -np.inf)
        if np.isinf(p["alpha"]):
            return self.logpdf_x(x) + self.logpdf_y(y)
        # e^Y | G = e^X ~ Exponential(rate e^X), in log coordinates
        return self.logpdf_x(x) + np.sum(x + y - np.exp(x + y), axis=1)

    def pmi(self, x, y):
        p = self._par()
        fam = self.family
        x, y = self._2d(x), self._2d(y)
        if fam == "log-gamma-exponential" and not np.isinf(p["alpha"]):
            alpha = p["alpha"]
            return np.sum(x - np.exp(x + y) - np.log(alpha) + (alpha + 1.0) * _softplus(y), axis=1)
        if fam == "uniform":
            a, b = p["a"], p["b"]
            if a == 0.0:
                return np.zeros(len(x))
            # ln p(y|x) - ln p(y) = -ln(|{x' in [0,1]: a x' <= y <= a x' + b}|), per coordinate
            length = (np.minimum(a, y) - np.maximum(0.0, y - b)) / a
            return -np.sum(np.log(length), axis=1)
        return super().pmi(x, y)

    # ---------------------------------------------------------------- copula
    def to_unit(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each coordinate through its marginal CDF: values in [0, 1], MI unchanged (injective)."""
        p = self._par()
        x, y = self._2d(x), self._2d(y)
        fam = self.family
        if fam == "normal":
            return ndtr(x), ndtr(y)
        if fam == "student":
            return student_t_dist.cdf(x, p["df"]), student_t_dist.cdf(y, p["df"])
        if fam == "uniform":
            a, b = p["a"], p["b"]
            if a == 0.0:
                return x, y / b
            lo, hi = min(a, b), max(a, b)
            # CDF of a X + b U: the convolution of U(0, a) and U(0, b) (a trapezoid density)
            v = np.where(y <= lo, y * y / (2 * a * b),
                         np.where(y <= hi, (2 * y - lo) / (2 * hi), 1.0 - (a + b - y) ** 2 / (2 * a * b)))
            return x, np.clip(v, 0.0, 1.0)
        alpha = p["alpha"]
        a = 1.0 if np.isinf(alpha) else alpha
        u = gammainc(a, np.exp(x))
        v = -np.expm1(-np.exp(y)) if np.isinf(alpha) else -np.expm1(-alpha * _softplus(y))
        return u, v
