"""Two-point ensemble of KSG estimates: KSG at two neighbourhood sizes, weighted to cancel the
leading term of the k-NN bias.

References: K. Sricharan, D. Wei, A. O. Hero III, "Ensemble estimators for multivariate entropy
estimation", IEEE Trans. Inf. Theory 59(7):4374-4388 (2013); K. R. Moon, K. Sricharan,
A. O. Hero III, "Ensemble estimation of mutual information", ISIT 2017. Their estimators combine
k-NN (or kernel) estimates at several neighbourhood sizes with weights that sum to 1 and cancel
the bias terms in powers of (k/n)^(1/d); this is the smallest such ensemble, two sizes and one
term.

For a smooth density the bias of KSG (algorithm 1, k joint neighbours among n rows, joint
dimension d = dx + dy) is, to leading order, proportional to the squared size of the k-NN boxes,
``c (k/n)^(2/d)``. With estimates at k1 < k2 on the same rows,

    I_ens = (1 + g) I_KSG(k1) - g I_KSG(k2),   g = 1 / ((k2 / k1)^(2/d) - 1),

cancels that term (a Richardson extrapolation in the box size). In one dimension a side
(d = 2, k = 3 and 12) g = 1/3 and the correction is small; at 5x5 (d = 10) g = 3.1: the boxes
are large at these n, KSG's bias dominates its error, and the ensemble removes most of it where
the density is smooth (a spiral of a sparse 3 + 3 Gaussian at n = 10 000: KSG-3 0.80, KSG-12
0.69, ensemble 0.95-1.02 against a truth of 1.02 on 3 data sets; measured in
docs/estimator-defaults.md). The price is variance: the weights amplify the noise of the
difference, so its std is 2-4 times KSG's at 5x5, and it is reported, by the subsampling error
bar of :mod:`estimators._uncertainty`, as for KSG. Terms of other orders are not cancelled:
boundary effects of densities with a bounded support (order (k/n)^(1/d)), heavy tails (a
Student-t 5x5 with 3 degrees of freedom reads 0.01-0.14 against 0.30), and the next order where
the boxes are far from small (multinormal dense 5x5 at n = 2000: 0.61-0.78 against 0.59).

Joint dimension: at most :data:`MAX_DIM` columns a side (declared in ``capabilities``): beyond,
g grows as d / (2 ln(k2/k1)) (17 at 25x25) and the ensemble's noise with it.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from estimators._checks import check_bool, check_nonnegative
from estimators._knn import count_within, joint_neighbors
from estimators._knn_checks import with_summary_check, with_tail_flag
from estimators._uncertainty import check_uncertainty, subsample_estimate, subsample_min_samples
from estimators.ksg import _check_radius, ksg1_value, ksg_preprocess
from mibench import Capabilities, Estimate, Estimator, InputError

__all__ = ["KSGEnsemble", "ensemble_weight", "ksg1_at_radii", "MAX_DIM"]

#: largest number of columns of x and of y (joint d <= 10): beyond, the weight g exceeds 3 and
#: the ensemble's noise grows with it
MAX_DIM = 5


def ensemble_weight(k1: int, k2: int, d: int) -> float:
    """g of ``I_ens = (1 + g) I(k1) - g I(k2)``: cancels a bias proportional to (k/n)^(2/d)."""
    return 1.0 / ((k2 / k1) ** (2.0 / d) - 1.0)


def ksg1_at_radii(x: np.ndarray, y: np.ndarray, dist: np.ndarray, ks) -> list[float]:
    """KSG algorithm 1 at each k in ``ks`` from one joint query: ``dist[:, k]`` is every row's
    max-norm distance to its k-th neighbour (column 0 the row itself, as returned by
    :func:`estimators._knn.joint_neighbors`); marginal counts strict, on preprocessed data."""
    n = x.shape[0]
    out = []
    for k in ks:
        eps = dist[:, k]
        _check_radius(eps, k)
        out.append(ksg1_value(k, n, count_within(x, eps, strict=True),
                              count_within(y, eps, strict=True)))
    return out


class KSGEnsemble(Estimator):
    """KSG at two neighbourhood sizes, combined to cancel the leading k-NN bias (a two-point
    ensemble estimator after Sricharan, Wei & Hero 2013 and Moon, Sricharan & Hero 2017).

    Parameters
    ----------
    k : pair of int, default (3, 12)
        The two neighbourhood sizes k1 < k2 (joint neighbours, KSG algorithm 1 with max-norm
        marginals). A wider pair makes the weight g smaller (less noise) and leans more on the
        leading-order law.
    standardize, noise : as in :class:`estimators.ksg.KSG` (centre and scale each column; tiny
        seeded jitter, relative sd 1e-10).
    uncertainty : {"subsample", "none"}, default "subsample"
        "subsample": std from disjoint subsamples (Holmes & Nemenman 2019, shared with KSG), about
        4 plain estimates of cost. "none": std=None.
    checks : bool, default True
        With the subsampling std, flag in ``info["flags"]`` (:mod:`estimators._knn_checks`):
        ``heavy_tails`` (Hill's tail index of the joint radius below 4: on Student-t data the
        ensemble reads as low as KSG or lower, 0.04-0.23 against 0.30-0.45 at 5x5),
        ``below_summary`` (a data-processing lower bound from summaries of the rows above it:
        asinh of Student-t), ``below_ksg`` and ``below_copula``.

    ``info``: ``k`` (the pair), ``weight`` (g), ``ksg_per_k`` (the two KSG values), ``n``, and
    the checks' entries. Cost: one joint k2-NN query (scikit-learn's Chebyshev KD-tree) and two
    marginal counts per k, 0.8 s at 5x5 and n = 10 000 without the error bar, about 4 times
    that with it, plus the checks (``benchmarks/bench_new_estimators.py timings``).
    """

    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}),
                                max_dx=MAX_DIM, max_dy=MAX_DIM)
    reports_std = True
    version = 1

    def __init__(self, k=(3, 12), standardize=True, noise=1e-10, uncertainty="subsample",
                 checks=True):
        self.k = k
        self.standardize = standardize
        self.noise = noise
        self.uncertainty = uncertainty
        self.checks = checks

    def validate_params(self) -> None:
        k = self.k
        if (not isinstance(k, (tuple, list)) or len(k) != 2
                or any(isinstance(v, bool) or not isinstance(v, Integral) or v < 1 for v in k)
                or not k[0] < k[1]):
            raise InputError(f"k must be a pair of integers 1 <= k1 < k2, got {k!r}")
        check_bool(self, "standardize")
        check_nonnegative(self, "noise")
        check_uncertainty(self, ("subsample", "none"))
        check_bool(self, "checks")

    def min_samples(self) -> int:
        k = self.k
        k2 = k[1] if isinstance(k, (tuple, list)) and len(k) == 2 and isinstance(k[1], Integral) else 12
        return subsample_min_samples(self, int(k2) + 1)

    def _estimate(self, x, y, *, seed):
        if self.uncertainty == "subsample":
            out = subsample_estimate(self, x, y, seed)
            if not self.checks:
                return out
            out = with_summary_check(out, x, y, seed, ensemble_reference=False)
            return with_tail_flag(out, x, y)
        k1, k2 = (int(v) for v in self.k)
        n = x.shape[0]
        if n < k2 + 1:
            raise InputError(f"n={n} is too small for k={k2}: need at least {k2 + 1} samples")
        x, y = ksg_preprocess(x, y, standardize=bool(self.standardize), noise=float(self.noise),
                              rng=np.random.default_rng(seed))
        dist, _ = joint_neighbors(np.hstack((x, y)), k2)
        i1, i2 = ksg1_at_radii(x, y, dist, (k1, k2))
        g = ensemble_weight(k1, k2, x.shape[1] + y.shape[1])
        return Estimate(mi=(1 + g) * i1 - g * i2, std=None,
                        info={"k": [k1, k2], "weight": g, "ksg_per_k": [i1, i2], "n": int(n),
                              "uncertainty": "none"})
