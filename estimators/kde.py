"""Gaussian kernel density (KDE) MI estimator: h(X) + h(Y) - h(X,Y) by resubstitution."""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy.special import logsumexp

from estimators._checks import check_bool
from estimators._knn_checks import with_drift_flag, with_summary_check
from estimators._margins import on_support
from estimators._uncertainty import check_uncertainty, subsample_estimate, subsample_min_samples
from mibench import Capabilities, Estimate, Estimator, InputError

__all__ = ["KDE", "kde_log_density", "bandwidth_factor"]

#: size of one block of pairwise terms (bytes): small enough to stay in cache
_BLOCK_BYTES = 2**20
#: row sums below this are recomputed with a max shift (all kernel terms underflowed)
_TINY = 1e-250
#: smallest Cholesky pivot of the correlation matrix (1 - R^2 of a column on the others
#: above 1e-14) before the data are declared collinear
_MIN_PIVOT = 1e-7


def bandwidth_factor(bandwidth, n: int, d: int) -> float:
    """Kernel scale factor h: the kernel covariance is ``h^2 * Sigma_hat``.

    ``"scott"``: ``n^(-1/(d+4))``; ``"silverman"``: ``(n (d+2) / 4)^(-1/(d+4))``; a positive
    float is used as it is (same convention as ``scipy.stats.gaussian_kde``'s scalar
    ``bw_method``).
    """
    if bandwidth == "scott":
        return float(n ** (-1.0 / (d + 4)))
    if bandwidth == "silverman":
        return float((n * (d + 2) / 4.0) ** (-1.0 / (d + 4)))
    return float(bandwidth)


def kde_log_density(z: np.ndarray, bandwidth="scott", leave_one_out: bool = True) -> np.ndarray:
    """Log of a Gaussian KDE at its own sample points, optionally leave-one-out.

    The kernel covariance is ``h^2 * Sigma_hat`` with ``Sigma_hat`` the sample covariance
    (ddof=1), like ``scipy.stats.gaussian_kde``; the data are whitened with the Cholesky factor
    of ``Sigma_hat`` and an isotropic kernel of width h is used, plus the Jacobian.

    Parameters
    ----------
    z : ndarray, shape (n, d)
    bandwidth : "scott", "silverman" or float > 0
        See :func:`bandwidth_factor` (computed with this n and d).
    leave_one_out : bool
        Evaluate ``f_{-i}(z_i) = 1/(n-1) sum_{j != i} K(z_i - z_j)`` instead of including the
        self term ``K(0)``, which biases the density (and so the entropy) at the sample points.

    Returns
    -------
    ndarray, shape (n,)
        ``ln f(z_i)`` (density in the original units of z).

    Notes
    -----
    O(n^2 d) time, O(n d) memory plus one ~1 MB block: rows are processed in blocks; the
    exponents come from one matrix product per block, and the row sums of
    ``exp(-|w_i - w_j|^2 / (2 h^2))`` (exponents <= ~1e-16, so no overflow) are formed in place.
    Rows whose sum underflows (an isolated point, every neighbour > ~38 h away) are recomputed
    exactly with a max-shifted logsumexp.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1:
        z = z[:, None]
    n, d = z.shape
    h = bandwidth_factor(bandwidth, n, d)
    zc = z - z.mean(axis=0)
    cov = np.atleast_2d(np.cov(zc, rowvar=False))
    sd = np.sqrt(np.diag(cov))
    try:  # factor the correlation matrix: its pivots measure collinearity on a fixed scale
        lc = np.linalg.cholesky(cov / np.outer(sd, sd))
    except np.linalg.LinAlgError:
        lc = None
    if lc is None or np.diag(lc).min() < _MIN_PIVOT:
        raise InputError("the sample covariance is singular (collinear columns); the KDE "
                         "estimator needs full-rank data: drop redundant columns")
    chol = sd[:, None] * lc
    w = np.linalg.solve(chol, zc.T).T / h  # whitened and divided by the bandwidth
    half_sq = 0.5 * np.einsum("ij,ij->i", w, w)
    # augmented vectors: [w_i, -|w_i|^2/2, 1] . [w_j, 1, -|w_j|^2/2] = -|w_i - w_j|^2 / 2, so one
    # matrix product per block gives the exponents without extra passes over the block
    left = np.ascontiguousarray(np.column_stack((w, -half_sq, np.ones(n))))
    right_t = np.ascontiguousarray(np.column_stack((w, np.ones(n), -half_sq)).T)
    rows = max(1, min(n, _BLOCK_BYTES // (8 * n)))
    out = np.empty(n)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        # exponents; rounding can make them slightly positive (~1e-16), harmless for exp
        e = left[start:stop] @ right_t
        if leave_one_out:
            e[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        np.exp(e, out=e)
        s = e.sum(axis=1)
        bad = np.flatnonzero(s < _TINY)
        s[bad] = 1.0
        out[start:stop] = np.log(s)
        if bad.size:  # recompute the exponents of these rows and shift by their max
            rows_b = start + bad
            eb = -0.5 * ((w[rows_b, None, :] - w[None, :, :]) ** 2).sum(axis=2)
            if leave_one_out:
                eb[np.arange(bad.size), rows_b] = -np.inf
            out[rows_b] = logsumexp(eb, axis=1)
    m = n - 1 if leave_one_out else n
    log_norm = (np.log(m) + 0.5 * d * np.log(2 * np.pi) + d * np.log(h)
                + np.log(np.diag(chol)).sum())
    return out - log_norm


class KDE(Estimator):
    """Gaussian-kernel KDE estimate of I(X;Y) = h(X) + h(Y) - h(X,Y), in nats.

    ``I = (1/n) sum_i [ln f_XY(x_i, y_i) - ln f_X(x_i) - ln f_Y(y_i)]`` with each density a
    Gaussian KDE evaluated at the sample points, leave-one-out by default.

    Parameters
    ----------
    bandwidth : "scott", "silverman" or float, default "scott"
        Kernel scale factor h, applied through the data covariance: the kernel covariance in
        each space (x, y and joint) is ``h^2`` times that space's sample covariance (full
        covariance, not per-column standardisation, as in ``scipy.stats.gaussian_kde``).
        Scott ``n^(-1/(d+4))`` and Silverman ``(n (d+2)/4)^(-1/(d+4))`` are computed once with
        the joint dimension ``d = dx + dy`` and the same h is used in all three spaces: the
        kernel then inflates each space's covariance by the same factor ``1 + h^2``, so for
        Gaussian data the smoothing biases of the three entropies (``(d_A/2) ln(1 + h^2)``)
        cancel exactly in the MI. A float is used as it is.
    leave_one_out : bool, default True
        Leave the self term out of each density (removes a large positive bias of the
        resubstitution densities at small bandwidth).
    uncertainty : {"subsample", "none"}, default "subsample"
        How ``Estimate.std`` is computed. "subsample": disjoint subsamples of n/2, n/3 and n/4
        rows, variance extrapolated to n (Holmes & Nemenman 2019; about 2x the cost of one plain
        estimate, the parts being O(n^2); needs n >= 16);
        also reports ``subsample_bias`` in ``info``. "none": std=None at the cost of one
        estimate. See :mod:`estimators._uncertainty`.

    Notes
    -----
    O(n^2 (dx + dy)) time (three n x n kernel sums), O(n (dx + dy)) memory plus ~1 MB blocks:
    about 1 s at n = 1e4 on one core, growing as n^2.
    A baseline: very bandwidth-sensitive, biased toward 0 for strong non-linear dependence
    (smoothing) and, in higher dimension, inaccurate: ``capabilities`` accept at most 2 columns
    per side (measured table in docs/estimator-defaults.md; at 25 + 25 columns it read -2.3 nats
    against a truth of 1.29). Heavy tails break the covariance-scaled bandwidth: on Student-t
    data the estimate is usually negative (-0.98 on Student-t 5x5, truth 0.45). A negative
    value is returned as it is (not clipped) and flagged ``negative`` in ``info["flags"]``: MI is
    never negative, so the number is bias, not a measurement. Requires n > dx + dy and
    full-rank covariances.

    The remaining bias is the variance (Jensen) term of the log-densities, larger in the joint
    space: about -0.01 nats at independence for n = 2000 in 2-D (Scott, leave-one-out);
    without leave-one-out the self term biases it up instead (+0.02).

    Smoothing pulls the estimate toward independence where the density has sharp features
    (the edges of a uniform band: Y = X + uniform noise at n = 10 000 read 0.279 against
    0.333, 19 std), and the error bar does not see it. With ``uncertainty="subsample"`` the
    estimate is repeated at half the bandwidth factor; for a smoothing bias of order h^2 the
    bias at h is about 4/3 of the rise from h to h/2 (Richardson), and when that exceeds
    :data:`SMOOTHING_SIGMA` = 3 std the estimate is flagged ``smoothing_bias`` (one-sided: a
    narrower kernel also adds the negative variance term, so a fall says nothing about
    smoothing). ``info``: ``mi_half_bandwidth`` and ``smoothing_bias`` (4/3 of the rise).
    Also with the subsampling std: ``unconverged`` (``subsample_bias`` above 3 std: the value
    still moves with n), and the checks of :func:`estimators._knn_checks.with_summary_check`,
    ``below_summary`` (two columns a side) and ``below_ksg`` (KSG on the same rows above the
    estimate by more than 4 combined std; asinh of Student-t 2x2, df 1, at n = 10 000: 0.30-0.32
    against KSG 0.38-0.40 and a truth of 0.43) and ``below_copula`` (the Gaussian-copula MI of
    the same rows above it by more than 4 combined std).

    ``info``: ``n``, ``h_x``, ``h_y``, ``h_xy`` (entropy estimates, nats), ``bandwidth`` (the
    factor h used), ``flags`` (``["negative"]`` when the estimate is below 0).
    """

    #: at most 2 columns per side (dx + dy <= 4): the measured relative bias on Gaussian tasks
    #: grows from -4..-13 % at dx + dy <= 4 to -9..-31 % at 6 and -24..-50 % at 10 (n = 2000 and
    #: 10 000; docs/estimator-defaults.md)
    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}), max_dx=2, max_dy=2)
    reports_std = True
    #: 1: uncertainty (issue 15); 2: dimension limit (dx, dy <= 2) and the ``negative`` flag
    #: (issue 20); 3: the ``smoothing_bias`` flag (issue 20; mi and std unchanged); 4: flags
    #: ``unconverged``, ``below_summary`` and ``below_ksg`` (issue 20; mi and std unchanged);
    #: 5: flag ``below_copula`` (same)
    #: 6: flag ``below_ensemble`` (the KSG-ensemble reference of the same check; mi and
    #: std unchanged)
    #: 7: the ensemble reference's std from the KSG reference's subsample parts (one set of
    #: neighbour queries for both; values of both references unchanged, the ensemble's std a
    #: new draw, so ``below_ensemble`` can change near its limit; mi and std unchanged)
    #: 8: linearly dependent columns of one side read on their span (``info["support_dims"]``;
    #: an InputError before; full-rank data unchanged)
    version = 8
    max_n = 5000  # its cost is O(n^2): calibration leaves it out above

    def __init__(self, bandwidth="scott", leave_one_out=True, uncertainty="subsample"):
        self.bandwidth = bandwidth
        self.leave_one_out = leave_one_out
        self.uncertainty = uncertainty

    def validate_params(self) -> None:
        b = self.bandwidth
        ok = b in ("scott", "silverman") if isinstance(b, str) else (
            isinstance(b, Real) and not isinstance(b, bool) and np.isfinite(b) and b > 0)
        if not ok:
            raise InputError(f"bandwidth must be 'scott', 'silverman' or a number > 0, got {b!r}")
        check_bool(self, "leave_one_out")
        check_uncertainty(self, ("subsample", "none"))

    def min_samples(self) -> int:
        return subsample_min_samples(self, 4)

    def min_samples_for(self, dim_x: int, dim_y: int) -> int:
        return max(self.min_samples(), dim_x + dim_y + 1)  # a non-singular covariance

    def _estimate(self, x: np.ndarray, y: np.ndarray, *, seed: int | None) -> Estimate:
        if self.uncertainty == "subsample":
            out = with_drift_flag(_with_smoothing_check(self, subsample_estimate(self, x, y, seed), x, y))
            # the data-processing check and the KSG reference (estimators._knn_checks)
            return with_summary_check(out, x, y, seed)
        x, y, support = on_support(x, y, "kde")  # a density needs full-rank columns
        n, dx = x.shape
        dy = y.shape[1]
        if n <= dx + dy:
            raise InputError(f"n_samples={n} must exceed dx + dy = {dx + dy} for the KDE estimator")
        loo = bool(self.leave_one_out)
        h = bandwidth_factor(self.bandwidth, n, dx + dy)  # one factor for all three spaces
        lx = kde_log_density(x, h, loo)
        ly = kde_log_density(y, h, loo)
        lxy = kde_log_density(np.hstack((x, y)), h, loo)
        mi = float(np.mean(lxy - lx - ly))
        info = {"n": int(n), "h_x": float(-lx.mean()), "h_y": float(-ly.mean()),
                "h_xy": float(-lxy.mean()),
                "bandwidth": h, "flags": ["negative"] if mi < 0 else [], **support}
        return Estimate(mi=mi, std=None, info=info)


#: ``smoothing_bias`` when the Richardson estimate of the smoothing bias exceeds this many std
SMOOTHING_SIGMA = 3.0


def _with_smoothing_check(est: KDE, out: Estimate, x: np.ndarray, y: np.ndarray) -> Estimate:
    """``out`` (the estimate with its subsampling std) plus the smoothing check of the notes:
    the plain estimate again at half the bandwidth factor (one more O(n^2) estimate)."""
    if out.std is None or not np.isfinite(out.std) or out.std <= 0:
        return out
    half = KDE(bandwidth=out.info["bandwidth"] / 2, leave_one_out=est.leave_one_out,
               uncertainty="none")._estimate(x, y, seed=None).mi
    bias = 4.0 / 3.0 * (half - out.mi)
    info = {**out.info, "mi_half_bandwidth": float(half), "smoothing_bias": float(bias)}
    info["flags"] = list(out.info.get("flags") or []) + (
        ["smoothing_bias"] if bias > SMOOTHING_SIGMA * out.std else [])
    return Estimate(mi=out.mi, std=out.std, info=info)
