"""Kraskov–Stögbauer–Grassberger (KSG) k-nearest-neighbour MI estimator, algorithms 1 and 2.

Reference: A. Kraskov, H. Stögbauer, P. Grassberger, "Estimating mutual information",
Phys. Rev. E 69, 066138 (2004).
"""

from __future__ import annotations

import logging
from numbers import Integral

import numpy as np

from estimators._checks import check_bool, check_int, check_nonnegative, neighbours_min_samples
from estimators._knn import chebyshev_extent, count_within, kth_neighbor, max_euclidean_counts
from estimators._knn_checks import with_knn_checks
from estimators._uncertainty import check_uncertainty, subsample_estimate, subsample_min_samples
from mibench import Capabilities, Estimate, Estimator, InputError

logger = logging.getLogger(__name__)

__all__ = ["KSG", "ksg_preprocess", "ksg1_value"]

METRICS = ("chebyshev", "euclidean")


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


def ksg1_value(k: int, n: int, cx: np.ndarray, cy: np.ndarray) -> float:
    """KSG algorithm 1 from the strict marginal counts ``cx = n_x(i) + 1``, ``cy = n_y(i) + 1``
    in each point's joint k-NN radius: ``psi(k) + psi(n) - <psi(cx) + psi(cy)>``."""
    from scipy.special import digamma

    return float(digamma(k) + digamma(n) - np.mean(digamma(cx) + digamma(cy)))


class KSG(Estimator):
    """KSG estimator of I(X;Y) in nats (Kraskov et al. 2004), algorithm 1 or 2.

    The joint distance is the max of the two marginal distances; each marginal distance is the
    max-norm (``metric="chebyshev"``, Kraskov's choice) or the Euclidean norm
    (``metric="euclidean"``, bmi's ``KSGEnsembleFirstEstimator``). Counting is exact for both
    (no ``eps - 1e-15``): strict counts for algorithm 1, non-strict counts on the per-marginal
    extents for algorithm 2, both agreeing with a brute-force O(n^2) computation on every point.

    Parameters
    ----------
    k : int or tuple of int, default 3
        Number of joint-space neighbours (``1 <= k < n``). Larger k: lower variance, more bias
        towards independence for strong dependence. A tuple (e.g. ``(5, 10)``, bmi's
        ``neighborhoods`` default) returns the mean of the estimates at each k.
    variant : {1, 2}, default 1
        Kraskov algorithm. 1: ``psi(k) + psi(n) - <psi(n_x + 1) + psi(n_y + 1)>`` with strict
        counts in the joint k-NN radius. 2: ``psi(k) - 1/k + psi(n) - <psi(n_x) + psi(n_y)>``
        with non-strict counts in the per-marginal extents of the k neighbours.
    metric : {"chebyshev", "euclidean"}, default "chebyshev"
        Norm within each marginal space (X and Y each). The marginal counts use the ball of
        the same norm, so the estimator stays KSG's for either; the two agree in one dimension
        and differ in several (bmi's beyond-normal figures use "euclidean").
    standardize : bool, default True
        Centre and scale each column to zero mean and unit variance first. The joint max mixes
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
    checks : bool, default True
        Diagnose the two regimes where the value can be far off while its std is small
        (:mod:`estimators._knn_checks`, measured in docs/estimator-defaults.md) and list them in
        ``info["flags"]``: ``surrogate_bias`` (the same estimator on a Gaussian sample with the
        data's covariance misses that sample's known MI by more than 4 std: the k-NN bias at
        this n, dimension and dependence, e.g. 25x25 dimensions at n = 2000) and
        ``heavy_tails`` (Hill tail index of the joint radius below 4, e.g. Student-t with
        df <= 3), ``below_summary`` (KSG on one- or two-column summaries of the data, the
        norms of the standardised rows and the first canonical pair, fitted and scored on
        disjoint halves of the rows, is above the estimate by more than 4 combined std: by the
        data-processing inequality the estimate is biased low, e.g. asinh of Student-t 5x5)
        and ``unconverged`` (the subsampling bias estimate ``subsample_bias`` exceeds 3 std:
        the value still moves with n, e.g. a spiral of 3 + 3 Gaussian columns). Costs one
        more plain estimate and three KSG estimates in one or two dimensions on half the rows;
        ``info`` gets ``tail_index``, ``surrogate_mi``, ``surrogate_true_mi``,
        ``surrogate_z``, ``summary_mi`` and ``summary_z``. False: no checks.

    Notes
    -----
    Chebyshev: O(n log n) in low dimension: one KD-tree query of k+1 neighbours in the joint
    space; sorted-array counting (two binary searches plus an exact trim) for 1-D marginals;
    count-only tree radius queries for marginals of dimension >= 2 (once per k of a tuple).
    Euclidean: the joint distance max(||dx||_2, ||dy||_2) is no norm a KD-tree can query, so
    the distances are computed exactly by blocked brute force, O(n^2 (dx + dy)) time and
    O(n) memory per block row, all k of a tuple in one pass (bmi's own implementation is the
    same brute force).

    The estimate saturates near ``psi(n) - psi(k) ~ ln(n/k)`` for near-deterministic relations.
    Negative values are returned as they are (never clamped; bmi clamps each k at 0).

    Data with k+1 or more identical joint points (zero k-NN radius) are rejected when
    ``noise=0``: KSG is undefined there; add noise or use ``ksg-mixed`` for data with atoms.

    ``info``: ``k``, ``variant``, ``metric``, ``n``; with a tuple of k, ``mi_per_k`` too.
    """

    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}))
    reports_std = True
    #: 1: ``metric`` and tuples of k added (chebyshev results unchanged; keys re-made once);
    #: 2: ``uncertainty`` added, a subsampling std by default (mi unchanged);
    #: 3: ``checks`` added: flags ``surrogate_bias`` and ``heavy_tails`` (mi and std unchanged);
    #: 4: flags ``below_summary`` and ``unconverged`` (issue 20; mi and std unchanged)
    version = 4
    fallbacks = ("ksg-mixed",)

    def __init__(self, k=3, variant=1, metric="chebyshev", standardize=True, noise=1e-10,
                 uncertainty="subsample", checks=True):
        self.k = k
        self.variant = variant
        self.metric = metric
        self.standardize = standardize
        self.noise = noise
        self.uncertainty = uncertainty
        self.checks = checks

    def _ks(self) -> list[int]:
        return list(self.k) if isinstance(self.k, (tuple, list)) else [self.k]

    def validate_params(self) -> None:
        if not isinstance(self.k, (tuple, list)):
            check_int(self, "k")
        elif not self.k or any(isinstance(k, bool) or not isinstance(k, Integral) or k < 1
                               for k in self.k):
            raise InputError(f"k must be an integer >= 1 or a non-empty tuple of them, "
                             f"got {self.k!r}")
        if isinstance(self.variant, bool) or self.variant not in (1, 2):
            raise InputError(f"variant must be 1 or 2 (Kraskov algorithm), got {self.variant!r}")
        if self.metric not in METRICS:
            raise InputError(f"metric must be one of {', '.join(map(repr, METRICS))}, "
                             f"got {self.metric!r}")
        check_bool(self, "standardize")
        check_nonnegative(self, "noise")
        check_uncertainty(self, ("subsample", "none"))
        check_bool(self, "checks")

    def min_samples(self) -> int:
        ks = self._ks()
        return subsample_min_samples(self, max(neighbours_min_samples(k) for k in ks) if ks else 2)

    def _estimate(self, x: np.ndarray, y: np.ndarray, *, seed: int | None) -> Estimate:
        if not self.checks:
            if self.uncertainty == "subsample":
                return subsample_estimate(self, x, y, seed)
            return self._point(x, y, seed)
        return with_knn_checks(self, x, y, seed)

    def _point(self, x: np.ndarray, y: np.ndarray, seed: int | None) -> Estimate:
        # imported here, not with the module: a parallel run's parent process loads this class
        # only to plan, and then leaves scipy's import (~0.3 s) to the workers
        from scipy.special import digamma

        ks = [int(k) for k in self._ks()]
        n = x.shape[0]
        rng = np.random.default_rng(seed)
        x, y = ksg_preprocess(x, y, standardize=bool(self.standardize), noise=float(self.noise),
                              rng=rng)
        variant = int(self.variant)
        if self.metric == "euclidean":
            counts = max_euclidean_counts(x, y, ks, variant=variant)
        else:
            counts = {k: _chebyshev_counts(x, y, k, variant) for k in ks}
        per_k = []
        for k in ks:
            eps, cx, cy = counts[k]
            _check_radius(eps, k)
            if variant == 1:  # cx = n_x(i) + 1
                mi = ksg1_value(k, n, cx, cy)
            else:  # cx - 1 = n_x(i)
                mi = digamma(k) - 1.0 / k + digamma(n) - np.mean(digamma(cx - 1) + digamma(cy - 1))
            per_k.append(float(mi))
        info = {"k": ks[0] if not isinstance(self.k, (tuple, list)) else ks, "variant": variant,
                "metric": self.metric, "n": int(n)}
        if isinstance(self.k, (tuple, list)):
            info["mi_per_k"] = per_k
        return Estimate(mi=float(np.mean(per_k)), std=None, info=info)


def _chebyshev_counts(x: np.ndarray, y: np.ndarray, k: int, variant: int):
    """(eps, count_x, count_y), counts self included, with max-norm marginals (KD-trees)."""
    z = np.hstack((x, y))
    if variant == 1:
        eps = kth_neighbor(z, k)
        if np.any(eps <= 0):
            return eps, None, None
        return eps, count_within(x, eps, strict=True), count_within(y, eps, strict=True)
    eps, idx = kth_neighbor(z, k, return_indices=True)
    return (eps, count_within(x, chebyshev_extent(x, idx), strict=False),
            count_within(y, chebyshev_extent(y, idx), strict=False))


def _check_radius(eps: np.ndarray, k: int) -> None:
    n_zero = int(np.count_nonzero(eps <= 0))
    if n_zero:
        raise InputError(
            f"{n_zero} point(s) have {k} or more exact duplicates in the joint (x, y) space, so "
            f"their k-NN radius is 0 and KSG is undefined; pass noise > 0 (e.g. noise=1e-8) to "
            "jitter ties, or use the 'ksg-mixed' estimator for data with discrete atoms")
