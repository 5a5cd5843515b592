"""k-NN MI estimators for discrete and mixed variables: Gao et al. (2017) mixed KSG and Ross (2014).

References
----------
W. Gao, S. Kannan, S. Oh, P. Viswanath, "Estimating mutual information for discrete-continuous
mixtures", NeurIPS 2017. B. C. Ross, "Mutual information between discrete and continuous data
sets", PLoS ONE 9(2): e87357, 2014.

Registered names
----------------
``ksg-mixed`` (:class:`MixedKSG`)
    ``method="gao"`` (default): mixed KSG for variables with atoms (any of the four kind
    pairs; continuous variables of any dimension, discrete ones as one label column).
    ``method="ross"``: the Ross estimator; ``y`` must be the discrete label.
``ksg-ross`` (:class:`RossKSG`)
    The Ross estimator under its own name, declaring only ``(continuous, discrete)``, so the
    runner can pair it from the class attribute alone. Capabilities of ``MixedKSG`` follow the
    instance's ``method`` (the class attribute describes the default, "gao").
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.special import digamma

from estimators._checks import check_bool, check_int, check_nonnegative, neighbours_min_samples
from estimators._knn import count_within, kth_neighbor
from estimators._knn_checks import with_knn_checks
from estimators._plugin import dense_codes
from estimators._uncertainty import check_uncertainty, subsample_estimate, subsample_min_samples
from mibench import Capabilities, Estimate, Estimator, EstimatorFailure, InputError

logger = logging.getLogger(__name__)

__all__ = ["MixedKSG", "RossKSG", "gao_mixed_ksg", "ross_mi"]

_C, _D = "continuous", "discrete"
GAO_CAPABILITIES = Capabilities(kinds=frozenset({(_C, _C), (_C, _D), (_D, _C), (_D, _D)}))
ROSS_CAPABILITIES = Capabilities(kinds=frozenset({(_C, _D)}), max_dy=1)


def _standardize(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, order="C", copy=True)
    a -= a.mean(axis=0)
    sd = a.std(axis=0)
    a /= np.where(sd > 0, sd, 1.0)
    return a


def gao_mixed_ksg(x: np.ndarray, y: np.ndarray, k: int) -> tuple[float, dict]:
    """Mixed KSG of Gao et al. (2017) on (already preprocessed) x (n, dx), y (n, dy).

    For each point, rho_i is the max-norm distance to its k-th joint neighbour. If rho_i > 0:
    k_i = k and n_x(i), n_y(i) count the points (itself included) strictly inside rho_i in each
    marginal; if rho_i = 0 (an atom): k_i, n_x(i), n_y(i) count the points at distance 0
    (itself included). I = mean[psi(k_i) + ln N - psi(n_x(i)) - psi(n_y(i))], as in the authors'
    reference code (the paper writes ln(n + 1) for the count terms). Strict counts use
    ``<= nextafter(rho, 0)``, exact at every scale (no ``rho - 1e-15``).

    Returns ``(mi in nats, info)``.
    """
    n = x.shape[0]
    z = np.hstack((x, y))
    rho = kth_neighbor(z, k)
    atom = rho <= 0
    # "<= nextafter(rho, 0)" is "< rho" for doubles; radius 0 on atoms counts the ties
    radius = np.where(atom, 0.0, np.nextafter(rho, 0.0))
    nx = count_within(x, radius, strict=False)
    ny = count_within(y, radius, strict=False)
    kk = np.full(n, float(k))
    if atom.any():
        kk[atom] = count_within(z, np.zeros(n), strict=False)[atom]
    terms = digamma(kk) + np.log(n) - digamma(nx) - digamma(ny)
    return float(np.mean(terms)), {"n_atoms": int(atom.sum())}


def ross_mi(x: np.ndarray, labels: np.ndarray, k: int) -> tuple[float, dict]:
    """Ross (2014) estimator for continuous x (n, dx) and discrete labels (n,), in nats.

    Points whose class has a single member are dropped (as scikit-learn does) and N is
    recomputed. For each remaining point, k_i = min(k, N_c - 1), d_i = max-norm distance to
    its k_i-th neighbour within its class, m_i = #{j != i : |x_i - x_j| <= d_i} over all points
    (counted strictly inside d_i with the point itself, equal without ties; the count at
    distance 0 when d_i = 0). I = psi(N) + <psi(k_i)> - <psi(N_c)> - <psi(m_i)>.

    Returns ``(mi in nats, info)``.
    """
    codes, m = dense_codes(labels)
    class_n = np.bincount(codes, minlength=m)
    keep = class_n[codes] > 1
    if not keep.any():
        raise EstimatorFailure("every class of the discrete variable has a single member; "
                               "the Ross estimator needs repeated labels")
    n_drop = int((~keep).sum())
    x, codes = x[keep], codes[keep]
    n = x.shape[0]
    nc = class_n[codes]
    k_i = np.minimum(k, nc - 1)
    d = np.empty(n)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(m + 1))
    for c in np.flatnonzero(np.diff(bounds) > 1):  # loop over classes, vectorised inside
        idx = order[bounds[c]:bounds[c + 1]]
        d[idx] = kth_neighbor(x[idx], int(min(k, idx.size - 1)))
    radius = np.where(d > 0, np.nextafter(d, 0.0), 0.0)
    m_i = count_within(x, radius, strict=False)
    mi = digamma(n) + np.mean(digamma(k_i)) - np.mean(digamma(nc)) - np.mean(digamma(m_i))
    return float(mi), {"n_dropped": n_drop, "n_classes": int(np.count_nonzero(class_n > 1))}


class _KindsByMethod:
    """Capabilities that follow ``method`` on an instance; the default ("gao") on the class."""

    def __get__(self, obj, cls=None):
        if obj is not None and getattr(obj, "method", "gao") == "ross":
            return ROSS_CAPABILITIES
        return GAO_CAPABILITIES


class MixedKSG(Estimator):
    """k-NN MI for discrete, continuous and mixed variables, in nats.

    Parameters
    ----------
    k : int, default 3
        Neighbour order (scikit-learn's and ennemi's default; Gao et al.'s code uses 5).
    method : {"gao", "ross"}, default "gao"
        "gao": mixed KSG (Gao et al. 2017), consistent for variables with atoms, any kinds.
        "ross": Ross (2014) for continuous ``x`` (any dimension) and a discrete label ``y``.
    standardize : bool, default True
        Centre and scale every column first (affine: keeps atoms; fixes the max-norm's mix
        of scales).
    noise : float, default 1e-10
        Ross only: sd of Gaussian jitter added to the standardised continuous ``x`` to break
        ties (seeded by ``seed``). Never added for "gao", where ties are atoms.
    uncertainty : {"subsample", "none"}, default "subsample"
        How ``Estimate.std`` is computed. "subsample": disjoint subsamples of n/2, n/3 and n/4
        rows, variance extrapolated to n (Holmes & Nemenman 2019; about 4x the cost of one
        plain estimate; needs n >= 4 (k + 1)); also reports ``subsample_bias`` in ``info``.
        "none": std=None at the cost of one estimate. See :mod:`estimators._uncertainty`.
    checks : bool, default True
        As for ``ksg``: on continuous data (no atoms; method "gao"), flag ``surrogate_bias``,
        ``heavy_tails``, ``below_summary`` and ``unconverged`` in ``info["flags"]``
        (:mod:`estimators._knn_checks`; one more plain estimate and three KSG estimates on
        one- or two-column summaries of half the rows). Skipped for data with atoms and for
        "ross".

    Notes
    -----
    Negative estimates are returned as they are (no clamping). ``info`` reports the method,
    ``k``, ``n`` and, for "gao", the number of points on atoms (rho = 0); for "ross" the
    number of points dropped because their class had one member.
    """

    capabilities = _KindsByMethod()
    reports_std = True
    #: 2: ``checks`` added: flags ``surrogate_bias`` and ``heavy_tails`` (mi and std unchanged);
    #: 3: flags ``below_summary`` and ``unconverged`` (issue 20; mi and std unchanged)
    version = 3
    fallbacks = ("ksg",)

    def __init__(self, k=3, method="gao", standardize=True, noise=1e-10, uncertainty="subsample",
                 checks=True):
        self.k = k
        self.method = method
        self.standardize = standardize
        self.noise = noise
        self.uncertainty = uncertainty
        self.checks = checks

    def validate_params(self) -> None:
        check_int(self, "k")
        if self.method not in ("gao", "ross"):
            raise InputError(f"method must be 'gao' or 'ross', got {self.method!r}")
        check_bool(self, "standardize")
        check_nonnegative(self, "noise")
        check_uncertainty(self, ("subsample", "none"))
        check_bool(self, "checks")

    def min_samples(self) -> int:
        return subsample_min_samples(self, neighbours_min_samples(self.k))

    def _estimate(self, x: np.ndarray, y: np.ndarray, *, seed: int | None) -> Estimate:
        if self.checks:
            return with_knn_checks(self, x, y, seed)
        if self.uncertainty == "subsample":
            return subsample_estimate(self, x, y, seed)
        k = int(self.k)
        n = x.shape[0]
        if self.method == "gao":
            if self.standardize:
                x, y = _standardize(x), _standardize(y)
            mi, info = gao_mixed_ksg(x, y, k)
        else:
            if y.shape[1] != 1:
                raise InputError(f"method='ross' needs one discrete label column in y, got {y.shape[1]}")
            n_labels = np.unique(y[:, 0]).size
            if n_labels > n / 4:
                logger.warning("y has %d distinct labels for %d samples: is it really discrete? "
                               "(the Ross estimator treats y as class labels)", n_labels, n)
            rng = np.random.default_rng(seed)
            if self.standardize:
                x = _standardize(x)
            if self.noise > 0:
                sd = 1.0 if self.standardize else x.std(axis=0)
                x = x + float(self.noise) * sd * rng.standard_normal(x.shape)
            mi, info = ross_mi(x, y[:, 0], k)
        return Estimate(mi=mi, std=None, info={"method": self.method, "k": k, "n": int(n), **info})


class RossKSG(MixedKSG):
    """Ross (2014) estimator (``MixedKSG(method="ross")``) for continuous x and a discrete label y.

    Parameters: ``k`` (default 3), ``standardize``, ``noise``, ``uncertainty`` as in
    :class:`MixedKSG`.
    """

    capabilities = ROSS_CAPABILITIES
    fallbacks = ("ksg", "ksg-mixed")
    method = "ross"
    version = 1

    def __init__(self, k=3, standardize=True, noise=1e-10, uncertainty="subsample"):
        self.k = k
        self.standardize = standardize
        self.noise = noise
        self.uncertainty = uncertainty

    checks = False  # the k-NN checks assume continuous variables (y is a label here)
