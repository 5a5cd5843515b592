"""Gaussian-mixture scenarios; MI by Monte Carlo over the exact densities (cached on disk).

A Gaussian mixture's marginals are the mixtures of the component marginals (same weights,
sliced means and covariance blocks), so the pointwise MI is exact and the ground truth is the
mean PMI over exact draws, reported with its standard error (``mibench.monte_carlo_mi``).

Registered names
----------------
``gmm-synthetic``        the GMM-MI paper's synthetic mixtures D1, D3, D3p, D3_rhoneq0, D5, D5p
                         (``dataset`` parameter). ``reference_mi`` holds the paper's 1e8-draw value.
``bmi-x``                bmi v2 ``1v1-X-rho``: 1/2 N(0, [[1, r], [r, 1]]) + 1/2 N(0, [[1, -r], [-r, 1]]).
``concentric-gaussians`` bmi v2 ``{d}v1-concentric_gaussians-K``: component i = 1..K (equal
                         weights) has X ~ N(0, i^2 I_d), Y ~ N(i, 1e-4).
``sparse-inliers``       bmi v2 ``mult-sparse-w-inliers-dx-dy-2-2.0-f``: (1 - f) 2-pair Gaussian +
                         f product of its marginals; PMI = ln((1 - f) exp(PMI_G) + f).
``bmi-ai``               bmi v2 ``1v1-AI``: six Gaussians drawing the letters A and I.
``galaxy``               bmi v2 ``2v1-galaxy-speed-distance``: two balls, X spiralled.
``waves``                bmi v2 ``2v1-waves-K-amplitude-frequency``: K balls, X sheared by a sine.

The last two are Bend and Mix models (Czyz et al., TMLR): a mixture whose X is pushed through a
diffeomorphism; the PMI is the mixture's at the unbent point.

Monte-Carlo sizes (``mc_n``) are chosen so the first computation takes about a second or two
and the standard error is a few 1e-4 nats (sd(PMI) ~ 0.5 / sqrt(2e6) = 3.5e-4).
"""

from __future__ import annotations

import numpy as np

from mibench import DensityScenario, InputError, TrueMI, monte_carlo_mi
from scenarios._base import as_float, as_int, gaussian_mi_from_cov, mvn_logpdf
from scenarios.multivariate_normal import lvm_correlation

_C1 = [[1.0, 0.0], [0.0, 0.1]]
_C2 = [[0.5, 0.2], [0.2, 0.5]]
_C3 = [[0.1, 0.05], [0.05, 0.1]]
_D3_MEANS = [[-1, 1], [0, 2], [-1.5, 2]]
_D5_W = [0.2, 0.35, 0.15, 0.12, 0.18]
_D5_C = [_C1, _C2, _C3, [[0.5, -0.1], [-0.1, 0.9]], [[0.2, -0.05], [-0.05, 0.1]]]

#: (weights, means, covariances, reference MI from the paper's 1e8-draw MC)
GMM_PAPER_DATASETS = {
    "D1": ([1.0], [[-1, 1]], [_C2], 0.0871767),
    "D3": ([0.3, 0.45, 0.25], _D3_MEANS, [_C1, _C2, _C3], 0.1323790),
    "D3p": ([0.3, 0.45, 0.25], [[-3, 3], [2, 4], [-2.5, 5]], [_C1, _C2, _C3], 0.3889300),
    "D3_rhoneq0": ([0.3, 0.45, 0.25], _D3_MEANS, [[[1.0, 0.1], [0.1, 0.1]], _C2, _C3], 0.1482466),
    "D5": (_D5_W, _D3_MEANS + [[2, 1], [-0.25, 0]], _D5_C, 0.1681140),
    "D5p": (_D5_W, _D3_MEANS + [[3, 1], [-0.25, 0]], _D5_C, 0.1797621),
}


class GaussianMixtureScenario(DensityScenario):
    """Base: subclasses implement ``components() -> (weights (K,), means (K, d), covs (K, d, d))``
    with X the first ``dim_x`` coordinates. Ground truth by cached Monte Carlo."""

    #: Monte-Carlo draws and seed of the cached ground truth
    mc_n: int = 2_000_000
    mc_seed: int = 0

    def components(self):
        raise NotImplementedError

    def _dx(self) -> int:
        return int(self.dim_x)

    def _comp(self):
        w, m, c = self.components()
        w = np.asarray(w, dtype=np.float64)
        m = np.asarray(m, dtype=np.float64)
        c = np.asarray(c, dtype=np.float64)
        if np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise InputError(f"mixture weights must be >= 0 and sum to 1, got {w}")
        return w / w.sum(), m, c

    def sample(self, n, rng):
        w, m, c = self._comp()
        d = m.shape[1]
        labels = rng.choice(len(w), size=n, p=w)
        z = rng.standard_normal((n, d))
        chols = np.linalg.cholesky(c)  # (K, d, d)
        out = np.empty((n, d))
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(len(w) + 1))
        for k in range(len(w)):  # loop over components, vectorised over their samples
            idx = order[bounds[k]:bounds[k + 1]]
            out[idx] = m[k] + z[idx] @ chols[k].T
        dx = self._dx()
        return np.ascontiguousarray(out[:, :dx]), np.ascontiguousarray(out[:, dx:])

    @staticmethod
    def _mix_logpdf(z, w, m, c):
        """log sum_k w_k N(z; m_k, c_k) for z (n, d); rows of z-m_k whitened by inv(chol)."""
        n, d = z.shape
        comps = np.empty((len(w), n))
        for k in range(len(w)):  # loop over components only
            chol = np.linalg.cholesky(c[k])
            inv = np.linalg.inv(chol)
            u = (z - m[k]) @ inv.T
            comps[k] = (np.log(w[k]) - np.sum(np.log(np.diag(chol)))
                        - 0.5 * d * np.log(2.0 * np.pi) - 0.5 * np.einsum("ij,ij->i", u, u))
        if len(w) == 1:
            return comps[0]
        top = comps.max(axis=0)
        return top + np.log(np.exp(comps - top).sum(axis=0))

    def logpdf_joint(self, x, y):
        w, m, c = self._comp()
        z = np.hstack([np.reshape(x, (len(x), -1)), np.reshape(y, (len(y), -1))])
        return self._mix_logpdf(z, w, m, c)

    def logpdf_x(self, x):
        w, m, c = self._comp()
        dx = self._dx()
        return self._mix_logpdf(np.reshape(x, (len(x), -1)), w, m[:, :dx], c[:, :dx, :dx])

    def logpdf_y(self, y):
        w, m, c = self._comp()
        dx = self._dx()
        return self._mix_logpdf(np.reshape(y, (len(y), -1)), w, m[:, dx:], c[:, dx:, dx:])

    def pmi(self, x, y):
        # compute the component parameters once for the three log-densities
        w, m, c = self._comp()
        dx = self._dx()
        x = np.reshape(np.asarray(x, dtype=np.float64), (len(x), -1))
        y = np.reshape(np.asarray(y, dtype=np.float64), (len(y), -1))
        return (self._mix_logpdf(np.hstack([x, y]), w, m, c)
                - self._mix_logpdf(x, w, m[:, :dx], c[:, :dx, :dx])
                - self._mix_logpdf(y, w, m[:, dx:], c[:, dx:, dx:]))

    @property
    def true_mi(self):
        self._comp()
        return monte_carlo_mi(self, n=self.mc_n, seed=self.mc_seed)


class GMMSynthetic(GaussianMixtureScenario):
    """The GMM-MI paper's 2-D synthetic mixtures (X = column 0, Y = column 1).

    ``dataset`` in D1, D3, D3p, D3_rhoneq0, D5, D5p. D1 is one Gaussian (closed form, rho = 0.4);
    the others get a cached Monte-Carlo truth (2e6 draws, stderr ~3e-4);
    ``reference_mi`` is the paper's 1e8-draw value.
    """

    default_grid = {"dataset": ["D1", "D3", "D3p", "D3_rhoneq0", "D5", "D5p"]}
    dim_x = 1
    dim_y = 1

    def __init__(self, dataset: str = "D3"):
        self.dataset = dataset

    def components(self):
        if self.dataset not in GMM_PAPER_DATASETS:
            raise InputError(f"dataset must be one of {', '.join(GMM_PAPER_DATASETS)}, got {self.dataset!r}")
        w, m, c, _ = GMM_PAPER_DATASETS[self.dataset]
        return w, m, c

    @property
    def reference_mi(self) -> float:
        """The GMM-MI repository's value (1e8 draws, MCSE ~5e-5)."""
        self.components()
        return GMM_PAPER_DATASETS[self.dataset][3]

    @property
    def true_mi(self):
        w, m, c = self._comp()
        if len(w) == 1:
            return TrueMI(gaussian_mi_from_cov(c[0], 1), 0.0)
        return monte_carlo_mi(self, n=self.mc_n, seed=self.mc_seed)


class BmiX(GaussianMixtureScenario):
    """bmi v2 ``1v1-X-rho``: equal mixture of N(0, [[1, rho], [rho, 1]]) and N(0, [[1, -rho], [-rho, 1]]).

    Uncorrelated but dependent. bmi's value at rho = 0.9: 0.4088 (1e5 draws); MC here ~0.4083.
    """

    default_grid = {"rho": [0.5, 0.9]}
    dim_x = 1
    dim_y = 1

    def __init__(self, rho: float = 0.9):
        self.rho = rho

    def components(self):
        r = as_float(self, "rho", -1.0, 1.0)
        return [0.5, 0.5], [[0, 0], [0, 0]], [[[1, r], [r, 1]], [[1, -r], [-r, 1]]]


class ConcentricGaussians(GaussianMixtureScenario):
    mc_n = 1_000_000

    """bmi v2 ``{dim_x}v1-concentric_gaussians-{n_components}``: component i = 1..K (equal
    weights) has X ~ N(0, i^2 I_dim_x) and Y ~ N(i, 1e-4) independently."""

    default_grid = {"dim_x": [3, 5, 25], "n_components": [5, 10]}
    dim_y = 1
    mc_n = 1_000_000

    def __init__(self, dim_x: int = 3, n_components: int = 5):
        self.dim_x = dim_x
        self.n_components = n_components

    def components(self):
        d = as_int(self, "dim_x", 1)
        k = as_int(self, "n_components", 1)
        i = np.arange(1, k + 1, dtype=np.float64)
        means = np.zeros((k, d + 1))
        means[:, d] = i
        covs = np.zeros((k, d + 1, d + 1))
        covs[:, np.arange(d), np.arange(d)] = (i ** 2)[:, None]
        covs[:, d, d] = self._var_y
        return np.full(k, 1.0 / k), means, covs

    _var_y = 1e-4

    def sample(self, n, rng):
        # isotropic components: X = i Z, Y = i + 0.01 W (same law as the generic sampler)
        d = as_int(self, "dim_x", 1)
        k = as_int(self, "n_components", 1)
        i = rng.integers(1, k + 1, size=n).astype(np.float64)
        x = i[:, None] * rng.standard_normal((n, d))
        y = i + np.sqrt(self._var_y) * rng.standard_normal(n)
        return np.ascontiguousarray(x), np.ascontiguousarray(y[:, None])

    def _terms(self, x, y):
        """Per-component log-densities of X and of Y, shapes (n, K), using |x|^2 only."""
        d = as_int(self, "dim_x", 1)
        k = as_int(self, "n_components", 1)
        i = np.arange(1, k + 1, dtype=np.float64)
        x = np.reshape(np.asarray(x, dtype=np.float64), (len(x), -1))
        y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
        r2 = np.einsum("ij,ij->i", x, x)[:, None]
        lx = -0.5 * d * np.log(2 * np.pi * i ** 2) - 0.5 * r2 / i ** 2
        ly = -0.5 * np.log(2 * np.pi * self._var_y) - 0.5 * (y - i) ** 2 / self._var_y
        return lx, ly, -np.log(k)

    @staticmethod
    def _lse(a):
        top = a.max(axis=1)
        return top + np.log(np.exp(a - top[:, None]).sum(axis=1))

    def logpdf_joint(self, x, y):
        lx, ly, lw = self._terms(x, y)
        return self._lse(lx + ly + lw)

    def logpdf_x(self, x):
        lx, _, lw = self._terms(x, np.zeros(len(x)))
        return self._lse(lx + lw)

    def logpdf_y(self, y):
        _, ly, lw = self._terms(np.zeros((len(y), 1)), y)
        return self._lse(ly + lw)

    def pmi(self, x, y):
        lx, ly, lw = self._terms(x, y)
        return self._lse(lx + ly + lw) - self._lse(lx + lw) - self._lse(ly + lw)


class SparseInliers(DensityScenario):
    """bmi v2 ``mult-sparse-w-inliers-dx-dy-2-2.0-f``: with probability 1 - f a draw of the
    2-pair sparse Gaussian, with probability f a draw of the product of its marginals.

    The marginals are Gaussian, so PMI = ln((1 - f) exp(PMI_G) + f) exactly; MI by cached MC
    (it does not depend on the dimensions: 0.6357 at f = 0.2, 0.2695 at f = 0.5).
    """

    default_grid = {"dim_x": [5, 25], "dim_y": [5, 25], "fraction": [0.2, 0.5]}
    mc_n = 2_000_000
    mc_seed = 0

    def __init__(self, dim_x: int = 5, dim_y: int = 5, fraction: float = 0.2):
        self.dim_x = dim_x
        self.dim_y = dim_y
        self.fraction = fraction

    def _corr(self):
        dx, dy = as_int(self, "dim_x", 2), as_int(self, "dim_y", 2)
        return dx, dy, lvm_correlation(dx, dy, lambd=2.0, eta_x=2.0, n_interacting=2)

    def sample(self, n, rng):
        dx, dy, cov = self._corr()
        f = as_float(self, "fraction", 0.0, 1.0, low_open=False, high_open=False)
        chol = np.linalg.cholesky(cov)
        z = rng.standard_normal((n, dx + dy)) @ chol.T
        # inliers: replace Y by the Y of an independent draw (product of the marginals)
        inl = rng.random(n) < f
        z2 = rng.standard_normal((n, dx + dy)) @ chol.T
        z[inl, dx:] = z2[inl, dx:]
        return np.ascontiguousarray(z[:, :dx]), np.ascontiguousarray(z[:, dx:])

    def _gauss_pmi(self, x, y):
        # only the two interacting pairs (X_0, Y_0), (X_1, Y_1) carry dependence: every other
        # coordinate is independent of everything, so its terms cancel in the PMI
        x = np.reshape(np.asarray(x, dtype=np.float64), (len(x), -1))[:, :2]
        y = np.reshape(np.asarray(y, dtype=np.float64), (len(y), -1))[:, :2]
        r = 0.8  # corr(X_i, Y_i) = strength^2 / (1 + strength^2) with strength 2
        q = (x * x - 2 * r * x * y + y * y) / (1 - r * r) - x * x - y * y
        return np.sum(-0.5 * q, axis=1) - np.log1p(-r * r)

    def logpdf_x(self, x):
        dx, _, cov = self._corr()
        return mvn_logpdf(np.reshape(x, (len(x), -1)), cov[:dx, :dx])

    def logpdf_y(self, y):
        dx, _, cov = self._corr()
        return mvn_logpdf(np.reshape(y, (len(y), -1)), cov[dx:, dx:])

    def logpdf_joint(self, x, y):
        return self.pmi(x, y) + self.logpdf_x(x) + self.logpdf_y(y)

    def pmi(self, x, y):
        f = as_float(self, "fraction", 0.0, 1.0, low_open=False, high_open=False)
        g = self._gauss_pmi(x, y)
        if f == 0.0:
            return g
        return np.logaddexp(np.log1p(-f) + g, np.log(f)) if f < 1.0 else np.zeros_like(g)

    @property
    def true_mi(self):
        f = as_float(self, "fraction", 0.0, 1.0, low_open=False, high_open=False)
        if f == 1.0:
            return TrueMI(0.0, 0.0)
        if f == 0.0:
            dx, _, cov = self._corr()
            return TrueMI(gaussian_mi_from_cov(cov, dx), 0.0)
        self._corr()
        # the MI does not depend on the dimensions: compute (and cache) it once, on 2 x 2
        return monte_carlo_mi(SparseInliers(2, 2, f), n=self.mc_n, seed=self.mc_seed)


class BmiAI(GaussianMixtureScenario):
    """bmi v2 ``1v1-AI``: six equal-weight 2-D Gaussians drawing the letters "A" and "I".

    "I": means (1, 0), (1, 1), (1, -1) with covariances diag(0.01, 0.2), diag(0.05, 0.001) twice;
    "A": means (-0.8, -0.2), (-1.2, 0), (-0.4, 0) with diag(0.03, 0.001) and two legs of variances
    (0.04, 0.2) at correlation +0.95 and -0.95. bmi's value 0.7775 (1e5 draws); MC here ~0.7755.
    """

    default_grid: dict = {}
    dim_x = 1
    dim_y = 1

    def __init__(self):
        pass

    def components(self):
        vx, vy, r = 0.04, 0.2, 0.95
        cxy = np.sqrt(vx * vy) * r
        means = [[1.0, 0.0], [1.0, 1.0], [1.0, -1.0], [-0.8, -0.2], [-1.2, 0.0], [-0.4, 0.0]]
        covs = [np.diag([0.01, 0.2]), np.diag([0.05, 0.001]), np.diag([0.05, 0.001]),
                np.diag([0.03, 0.001]), [[vx, cxy], [cxy, vy]], [[vx, -cxy], [-cxy, vy]]]
        return np.full(6, 1.0 / 6.0), means, covs


class _BentMixture(GaussianMixtureScenario):
    """A Gaussian mixture whose X is then pushed through a diffeomorphism ``_bend`` (a Bend and Mix
    model): samples are bent, densities evaluated at the unbent point (with the log Jacobian of
    the inverse), and the PMI is the base mixture's at the unbent point (the Jacobian cancels)."""

    def _bend(self, x):
        raise NotImplementedError

    def _unbend(self, x):
        raise NotImplementedError

    def _log_jac_unbend(self, x):
        """ln |det d unbend / dx| at the rows of x (n,)."""
        return np.zeros(len(x))

    def sample(self, n, rng):
        x, y = super().sample(n, rng)
        return np.ascontiguousarray(self._bend(x)), y

    def logpdf_joint(self, x, y):
        x = np.reshape(np.asarray(x, dtype=np.float64), (len(x), -1))
        return super().logpdf_joint(self._unbend(x), y) + self._log_jac_unbend(x)

    def logpdf_x(self, x):
        x = np.reshape(np.asarray(x, dtype=np.float64), (len(x), -1))
        return super().logpdf_x(self._unbend(x)) + self._log_jac_unbend(x)

    def pmi(self, x, y):
        x = np.reshape(np.asarray(x, dtype=np.float64), (len(x), -1))
        return super().pmi(self._unbend(x), y)


class Galaxy(_BentMixture):
    """bmi v2 ``2v1-galaxy-{speed}-{distance}``: 1/2 N(-d/2 1_3, I_3) + 1/2 N(+d/2 1_3, I_3) on
    (X_0, X_1, Y), then X spiralled in plane (0, 1) by the angle ``speed`` |x|^2 (not normalised
    by the dimension; volume preserving, |x| unchanged). bmi's value 0.4933; MC here ~0.4940."""

    default_grid = {"speed": [0.5], "distance": [3.0]}
    dim_x = 2
    dim_y = 1

    def __init__(self, speed: float = 0.5, distance: float = 3.0):
        self.speed = speed
        self.distance = distance

    def components(self):
        h = as_float(self, "distance") / 2.0
        return [0.5, 0.5], [[-h, -h, -h], [h, h, h]], [np.eye(3), np.eye(3)]

    def _bend(self, x):
        from scenarios.transforms import spiral
        return spiral(x, as_float(self, "speed"), (0, 1))

    def _unbend(self, x):
        from scenarios.transforms import spiral
        return spiral(x, as_float(self, "speed"), (0, 1), inverse=True)


class Waves(_BentMixture):
    """bmi v2 ``2v1-waves-{n_components}-{amplitude}-{frequency}``: K equal Gaussians on
    (X_0, X_1, Y) with means 1.5 (k, 0, k mod 4) and covariance diag(0.1, 1, 0.1), k = 0..K-1;
    then x_0 <- x_0 + amplitude sin(frequency x_1) (a shear, volume preserving) and
    X <- (0.1 x_0 - 0.8, 0.5 x_1). bmi's value 1.3080 at (12, 5, 3); MC here ~1.3069."""

    default_grid = {"n_components": [12], "amplitude": [5.0], "frequency": [3.0]}
    dim_x = 2
    dim_y = 1

    def __init__(self, n_components: int = 12, amplitude: float = 5.0, frequency: float = 3.0):
        self.n_components = n_components
        self.amplitude = amplitude
        self.frequency = frequency

    def components(self):
        k = as_int(self, "n_components", 1)
        i = np.arange(k, dtype=np.float64)
        means = 1.5 * np.column_stack([i, np.zeros(k), i % 4])
        return np.full(k, 1.0 / k), means, np.repeat(np.diag([0.1, 1.0, 0.1])[None], k, axis=0)

    def _bend(self, x):
        a, f = as_float(self, "amplitude"), as_float(self, "frequency")
        return np.column_stack([0.1 * (x[:, 0] + a * np.sin(f * x[:, 1])) - 0.8, 0.5 * x[:, 1]])

    def _unbend(self, x):
        a, f = as_float(self, "amplitude"), as_float(self, "frequency")
        x1 = x[:, 1] / 0.5
        return np.column_stack([(x[:, 0] + 0.8) / 0.1 - a * np.sin(f * x1), x1])

    def _log_jac_unbend(self, x):
        return np.full(len(x), -np.log(0.1 * 0.5))
