"""Kraskov–Stögbauer–Grassberger (KSG) k-nearest-neighbour MI estimator, algorithms 1 and 2.

Reference: A. Kraskov, H. Stögbauer, P. Grassberger, "Estimating mutual information",
Phys. Rev. E 69, 066138 (2004).
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.special import digamma

from estimators._checks import check_bool, check_int, check_nonnegative, neighbours_min_samples
from estimators._knn import chebyshev_extent, count_within, kth_neighbor
from estimators._uncertainty import check_uncertainty, subsample_estimate, subsample_min_samples
from mibench import Capabilities, Estimate, Estimator, InputError

logger = logging.getLogger(__name__)

__all__ = ["KSG", "ksg_preprocess"]


def ksg_preprocess(x: np.ndarray, y: np.ndarray, *, standardize: bool, noise: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale every column, then add tiny Gaussian jitter (shared by KSG variants).

    Parameters
    ----------
    x, y : ndarray, shapes (n, dx), (n, dy)
    standardize : bool
        Subtract the column mean and divide by the column standard deviation (ddof=0).
    noise : float
        Standard deviation of the jitter relative to each column's standard deviation (on
        standardised data, an absolute sd). 0 adds nothing. Drawn from ``rng``, x columns first.

    Returns
    -------
    x, y : new float64 C-contiguous arrays.
    """
    out = []
    for a in (x, y):
        a = np.array(a, dtype=np.float64, order="C", copy=True)
        if standardize:
            a -= a.mean(axis=0)
            a /= a.std(axis=0)
        if noise > 0:
            scale = noise if standardize else noise * a.std(axis=0)
            a += scale * rng.standard_normal(a.shape)
        out.append(a)
    return out[0], out[1]


class KSG(Estimator):
    """KSG estimator of I(X;Y) in nats (Kraskov et al. 2004), algorithm 1 or 2.

    Marginal norms and the joint norm are max-norms. Counting is exact (no ``eps - 1e-15``):
    strict counts for algorithm 1, non-strict counts on the per-marginal extents for
    algorithm 2, both agreeing with a brute-force O(n^2) computation on every point.

    Parameters
    ----------
    k : int, default 3
        Number of joint-space neighbours (``1 <= k < n``). Larger k: lower variance, more bias
        towards independence for strong dependence.
    variant : {1, 2}, default 1
        Kraskov algorithm. 1: ``psi(k) + psi(n) - <psi(n_x + 1) + psi(n_y + 1)>`` with strict
        counts in the joint k-NN radius. 2: ``psi(k) - 1/k + psi(n) - <psi(n_x) + psi(n_y)>``
        with non-strict counts in the per-marginal extents of the k neighbours.
    standardize : bool, default True
        Centre and scale each column to zero mean and unit variance first. The max-norm mixes
        X and Y distance scales, so without it the estimate depends on the units.
    noise : float, default 1e-10
        Standard deviation of seeded Gaussian jitter added to every column, relative to the
        column's standard deviation (after standardising, absolute). It breaks accidental ties
        in distances; it is drawn from ``numpy.random.default_rng(seed)``. 0 disables it, and
        then duplicated points raise an error.
    uncertainty : {"subsample", "none"}, default "subsample"
        How ``Estimate.std`` is computed. "subsample": disjoint subsamples of n/2, n/3 and n/4
        rows, variance extrapolated to n (Holmes & Nemenman 2019; about 4x the cost of one
        plain estimate; needs n >= 4 (k + 1)); also reports ``subsample_bias`` in ``info``.
        "none": std=None at the cost of one estimate. See :mod:`estimators._uncertainty`.

    Notes
    -----
    Cost O(n log n) in low dimension: one Chebyshev KD-tree query of k+1 neighbours in the
    joint space; sorted-array counting (two binary searches plus an exact trim) for 1-D
    marginals; count-only tree radius queries for marginals of dimension >= 2.

    The estimate saturates near ``psi(n) - psi(k) ~ ln(n/k)`` for near-deterministic relations.
    Negative values are returned as they are (never clamped).

    Data with k+1 or more identical joint points (zero k-NN radius) are rejected when
    ``noise=0``: KSG is undefined there; add noise or use ``ksg-mixed`` for data with atoms.

    ``info``: ``k``, ``variant``, ``n``.
    """

    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}))
    reports_std = True
    version = 1

    def __init__(self, k=3, variant=1, standardize=True, noise=1e-10, uncertainty="subsample"):
        self.k = k
        self.variant = variant
        self.standardize = standardize
        self.noise = noise
        self.uncertainty = uncertainty

    def validate_params(self) -> None:
        check_int(self, "k")
        if isinstance(self.variant, bool) or self.variant not in (1, 2):
            raise InputError(f"variant must be 1 or 2 (Kraskov algorithm), got {self.variant!r}")
        check_bool(self, "standardize")
        check_nonnegative(self, "noise")
        check_uncertainty(self, ("subsample", "none"))

    def min_samples(self) -> int:
        return subsample_min_samples(self, neighbours_min_samples(self.k))

    def _estimate(self, x: np.ndarray, y: np.ndarray, *, seed: int | None) -> Estimate:
        if self.uncertainty == "subsample":
            return subsample_estimate(self, x, y, seed)
        k = int(self.k)
        n = x.shape[0]
        rng = np.random.default_rng(seed)
        x, y = ksg_preprocess(x, y, standardize=bool(self.standardize), noise=float(self.noise),
                              rng=rng)
        z = np.hstack((x, y))
        if self.variant == 1:
            eps = kth_neighbor(z, k)
            _check_radius(eps, k)
            nx = count_within(x, eps, strict=True)  # n_x(i) + 1
            ny = count_within(y, eps, strict=True)
            mi = digamma(k) + digamma(n) - np.mean(digamma(nx) + digamma(ny))
        else:
            eps, idx = kth_neighbor(z, k, return_indices=True)
            _check_radius(eps, k)
            nx = count_within(x, chebyshev_extent(x, idx), strict=False) - 1  # n_x(i)
            ny = count_within(y, chebyshev_extent(y, idx), strict=False) - 1
            mi = digamma(k) - 1.0 / k + digamma(n) - np.mean(digamma(nx) + digamma(ny))
        return Estimate(mi=float(mi), std=None,
                        info={"k": k, "variant": int(self.variant), "n": int(n)})


def _check_radius(eps: np.ndarray, k: int) -> None:
    n_zero = int(np.count_nonzero(eps <= 0))
    if n_zero:
        raise InputError(
            f"{n_zero} point(s) have {k} or more exact duplicates in the joint (x, y) space, so "
            f"their k-NN radius is 0 and KSG is undefined; pass noise > 0 (e.g. noise=1e-8) to "
            "jitter ties, or use the 'ksg-mixed' estimator for data with discrete atoms")
