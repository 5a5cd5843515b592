"""Batched, count-weighted EM for full-covariance Gaussian mixtures (numpy only).

A *batch* is P independent fits with the same number of components K. Shapes:

- data ``X``: ``(Px, n, d)`` with ``Px`` either 1 (the same points for every fit, e.g. bootstrap
  replicates expressed as counts) or P (one padded array per fit, e.g. CV training folds);
- weights ``W``: ``(P, n)``, non-negative (0/1 masks for folds and padding, bootstrap counts);
- parameters: weights ``w`` ``(P, K)``, means ``mu`` ``(P, K, d)``, covariances ``cov``
  ``(P, K, d, d)``.

A count-weighted fit (point i counted c_i times) is mathematically identical to a fit on the array
in which row i is repeated c_i times: every sufficient statistic is a weighted sum, and the mean
per-sample log-likelihood is normalised by sum(c) = number of rows of the resampled array.

The E-step and the M-step's sufficient statistics are computed in one fused pass over chunks of
samples, so memory is O(P * K * chunk) whatever n is. A Gaussian log-density is linear in the
quadratic features phi(x) = [x_i x_j (i <= j), x_i, 1]: the features of each fit's data are
computed once per fit, and every iteration is two matrix products per chunk (log-densities
coef @ phi, statistics r @ phi^T) plus a log-sum-exp over components. The statistics are raw
weighted moments; the estimators centre the data once on entry (a translation, which changes
neither the MI nor the EM path), which keeps the moment-to-covariance step well conditioned.

The M-step follows scikit-learn's conventions exactly: n_k = sum_i r_ik + 10 eps,
mu_k = sum_i r_ik x_i / n_k, Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / n_k + reg_covar I,
w_k = n_k / sum_j n_j. The stopping rule is on the change of the mean per-sample log-likelihood:
the likelihood L_t of the parameters entering iteration t is computed, then the M-step, then the
fit stops if |L_t - L_{t-1}| < tol (earliest at t = 2); the returned parameters are one M-step newer
than the last likelihood evaluated.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

EPS10 = 10.0 * np.finfo(np.float64).eps
LOG2PI = float(np.log(2.0 * np.pi))
#: float64 elements of the largest temporary of one chunk (2.4 MB: the passes over it stay in L2
#: cache; 4e6 elements, 32 MB, made a K = 10, B = 100 bootstrap fit 1.45x slower)
CHUNK_ELEMENTS = 300_000


@dataclass
class Mixture:
    """A batch of P Gaussian mixtures: ``w`` (P, K), ``mu`` (P, K, d), ``cov`` (P, K, d, d)."""

    w: np.ndarray
    mu: np.ndarray
    cov: np.ndarray

    def take(self, idx) -> Mixture:
        return Mixture(self.w[idx], self.mu[idx], self.cov[idx])

    def marginal(self, cols) -> Mixture:
        """The marginal mixture over the columns ``cols`` (same weights, sliced blocks)."""
        cols = np.asarray(cols)
        return Mixture(self.w, self.mu[..., cols], self.cov[..., cols[:, None], cols[None, :]])

    @property
    def n_components(self) -> int:
        return self.w.shape[-1]


def _chunk_size(P: int, K: int, d: int, n: int) -> int:
    return int(max(64, min(n, CHUNK_ELEMENTS // max(1, P * K * max(d, 2)))))


def cholesky_batched(cov: np.ndarray):
    """Cholesky factors of (..., d, d) covariances and a boolean ``ok`` mask over the batch.

    Failed factorizations (matrix not positive definite) get an identity factor and ok=False.
    """
    try:
        return np.linalg.cholesky(cov), np.ones(cov.shape[:-2], dtype=bool)
    except np.linalg.LinAlgError:
        pass
    flat = cov.reshape((-1,) + cov.shape[-2:])
    out = np.empty_like(flat)
    ok = np.ones(flat.shape[0], dtype=bool)
    eye = np.eye(cov.shape[-1])
    for i in range(flat.shape[0]):  # rare path: locate the failing matrices
        try:
            out[i] = np.linalg.cholesky(flat[i])
        except np.linalg.LinAlgError:
            out[i] = eye
            ok[i] = False
    return out.reshape(cov.shape), ok.reshape(cov.shape[:-2])


def _precision_terms(mix: Mixture):
    """Precision Cholesky U (Sigma^{-1} = U U^T), per-component log constants, and an ok mask (P,)."""
    L, ok = cholesky_batched(mix.cov)
    d = mix.cov.shape[-1]
    # U = L^{-T}: then (x - mu)^T Sigma^{-1} (x - mu) = ||(x - mu) @ U||^2 for row vectors
    U = np.swapaxes(np.linalg.inv(L), -1, -2)
    logdet_half = np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    with np.errstate(divide="ignore"):
        const = np.log(mix.w) - 0.5 * d * LOG2PI - logdet_half
    ok_p = ok.reshape(ok.shape[0], -1).all(axis=1) if ok.ndim > 1 else ok
    return U, const, ok_p


#: precompute the quadratic features of a fit's data when they hold at most this many floats
MAX_FEATURE_ELEMENTS = 60_000_000


def data_features(X):
    """Quadratic features (Px, F, n) of X (Px, n, d), or None when too large to keep in memory."""
    d = X.shape[-1]
    F = d * (d + 1) // 2 + d + 1
    if X.shape[0] * X.shape[1] * F > MAX_FEATURE_ELEMENTS:
        return None
    return _quad_features(X)


def e_pass(X, W, mix: Mixture, *, stats: bool = True, feats=None):
    """One fused pass: weighted log-likelihood sums and (optionally) sufficient statistics.

    A Gaussian log-density is linear in the quadratic features phi(x) = [x_i x_j (i <= j), x_i, 1],
    so all component log-densities of a chunk are one matrix product coef (P, K, F) @ phi (F, nc),
    and all sufficient statistics (sum r, sum r x, sum r x x^T) are a second one, r @ phi^T.
    The data are centred by the estimators, which keeps the raw second moments well conditioned.

    Parameters
    ----------
    X : (Px, n, d) array, Px in {1, P}
    W : (P, n) array of non-negative weights
    mix : Mixture with P fits
    stats : also return the statistics needed by the M-step
    feats : optional precomputed ``data_features(X)``

    Returns
    -------
    ll : (P,) weighted sum of per-point log-likelihoods (nats)
    ok : (P,) False where a covariance was not positive definite
    Nk, S1, S2 : (P, K), (P, K, d), (P, K, d, d) weighted sums of r, r x, r x x^T (when ``stats``)
    """
    P, K, d = mix.mu.shape
    n = X.shape[1]
    coef, ok = quad_coefficients(mix)                      # (P, K, F)
    F = coef.shape[-1]
    ll = np.zeros(P)
    if stats:
        S = np.zeros((P, K, F))
    c = _chunk_size(P, K, 2, n)
    shared = X.shape[0] == 1
    coef2 = coef.reshape(P * K, F)
    for start in range(0, n, c):
        fc = (feats[:, :, start:start + c] if feats is not None
              else _quad_features(X[:, start:start + c]))  # (Px, F, nc)
        wc = W[:, start:start + c]                         # (P, nc)
        if shared:  # one (P*K, F) @ (F, nc) product instead of P small ones
            a = (coef2 @ fc[0]).reshape(P, K, -1)
        else:
            a = coef @ fc                                  # (P, K, nc)
        if K == 1:
            ll += np.einsum("pn,pn->p", wc, a[:, 0])
            if stats:
                S[:, 0] += wc @ fc[0].T if shared else (wc[:, None, :] @ np.swapaxes(fc, -1, -2))[:, 0]
            continue
        amax = a.max(axis=1)
        a -= amax[:, None]
        np.exp(a, out=a)
        s = a.sum(axis=1)                                  # (P, nc)
        lpt = np.log(s) + amax
        ll += np.einsum("pn,pn->p", wc, lpt)
        if stats:
            a *= (wc / s)[:, None, :]                      # weighted responsibilities r
            if shared:
                S += (a.reshape(P * K, -1) @ fc[0].T).reshape(P, K, F)
            else:
                S += a @ np.swapaxes(fc, -1, -2)           # (P, K, F)
    if not stats:
        return ll, ok
    iu, ju = triu_pairs(d)
    q = len(iu)
    S2 = np.empty((P, K, d, d))
    S2[..., iu, ju] = S[..., :q]
    S2[..., ju, iu] = S[..., :q]
    return ll, ok, S[..., -1], S[..., q:q + d], S2


def m_step(mix: Mixture, Nk, S1, S2, reg_covar) -> Mixture:
    """scikit-learn M-step from raw weighted moments Nk = sum r, S1 = sum r x, S2 = sum r x x^T.

    ``reg_covar`` is a float (added to every diagonal) or a (P, d) array (per fit and dimension).
    """
    d = mix.mu.shape[-1]
    nk = Nk + EPS10
    mu = S1 / nk[..., None]
    # sum r (x - mu)(x - mu)^T = S2 - (2 nk - Nk) mu mu^T   (since S1 = nk mu)
    outer = mu[..., :, None] * mu[..., None, :]
    cov = (S2 - ((2.0 * nk - Nk)[..., None, None]) * outer) / nk[..., None, None]
    idx = np.arange(d)
    cov[..., idx, idx] += reg_covar if np.ndim(reg_covar) == 0 else np.asarray(reg_covar)[:, None, :]
    w = nk / nk.sum(axis=-1, keepdims=True)
    return Mixture(w, mu, cov)


@dataclass
class EMResult:
    mix: Mixture
    n_iter: np.ndarray       # (P,) iterations run
    converged: np.ndarray    # (P,) stopping rule fired before max_iter
    failed: np.ndarray       # (P,) a covariance became non positive definite
    loglik: np.ndarray       # (P,) last evaluated mean per-sample log-likelihood
    #: (P,) relative level (x per-dimension variance) of the raised reg_covar; 0 where not raised
    reg_level: np.ndarray

    def put(self, idx, other: EMResult) -> None:
        """Overwrite the fits at indices ``idx`` with those of ``other`` (one per index), in place."""
        for a in ("w", "mu", "cov"):
            getattr(self.mix, a)[idx] = getattr(other.mix, a)
        for a in ("n_iter", "converged", "failed", "loglik", "reg_level"):
            getattr(self, a)[idx] = getattr(other, a)

    @property
    def not_converged(self) -> np.ndarray:
        """(P,) fits that ran max_iter iterations without the stopping rule firing."""
        return ~self.converged & ~self.failed


def fit_em(X, W, init: Mixture, *, reg_covar, tol: float, max_iter: int) -> EMResult:
    """Run P EM fits together, each with its own stopping rule (frozen once it fires).

    ``X`` (Px, n, d) with Px in {1, P}; ``W`` (P, n); ``init`` a Mixture with P fits;
    ``reg_covar`` a float or a (P, d) array. Nothing is logged: fits that reach ``max_iter``
    are flagged in ``EMResult.not_converged`` and the estimators log one warning per estimate.
    """
    P = W.shape[0]
    if np.ndim(reg_covar) != 0:
        reg_covar = np.broadcast_to(np.asarray(reg_covar, dtype=float), (P, X.shape[-1]))
    reg_a = reg_covar
    shared = X.shape[0] == 1
    mix = Mixture(init.w.copy(), init.mu.copy(), init.cov.copy())
    wsum = W.sum(axis=1)
    L_prev = np.full(P, -np.inf)
    n_iter = np.zeros(P, dtype=np.int64)
    converged = np.zeros(P, dtype=bool)
    failed = np.zeros(P, dtype=bool)
    active = np.arange(P)
    feats = data_features(X)
    Xa, Wa, Fa = X, W, feats
    for t in range(1, max_iter + 1):
        sub = mix.take(active)
        ll, ok, Nk, S1, S2 = e_pass(Xa, Wa, sub, feats=Fa)
        L = ll / wsum[active]
        new = m_step(sub, Nk, S1, S2, reg_a)
        good = ok & np.isfinite(L)
        upd = active[good]
        mix.w[upd], mix.mu[upd], mix.cov[upd] = new.w[good], new.mu[good], new.cov[good]
        failed[active[~good]] = True
        n_iter[active] = t
        conv = good & (np.abs(L - L_prev[active]) < tol)
        converged[active[conv]] = True
        L_prev[active] = np.where(good, L, L_prev[active])
        keep = good & ~conv
        if not keep.all():
            active = active[keep]
            if active.size == 0:
                break
            Wa = W[active]
            if np.ndim(reg_covar) != 0:
                reg_a = reg_covar[active]
            if not shared:
                Xa = X[active]
                Fa = None if feats is None else feats[active]
    # the last M-step's covariances were never factorised (the loop checks each iteration's
    # input): a component that collapsed in that step (heavy tails: a few outlying points) is
    # singular, and would fail later in the density or Monte-Carlo evaluation instead
    _, ok = cholesky_batched(mix.cov)
    singular = ~ok.all(axis=-1) & ~failed
    failed |= singular
    converged &= ~singular
    return EMResult(mix, n_iter, converged, failed, L_prev, np.zeros(P))


#: relative levels (x per-dimension variance of the data) tried, in order, when a fit's covariance
#: becomes singular with the user's reg_covar (x1e3 per step, capped at 1e-6 x variance)
FALLBACK_LEVELS = (1e-12, 1e-9, 1e-6)


def fit_em_fallback(X, W, init: Mixture, *, reg_covar: float, tol: float, max_iter: int,
                    variance, fallback: bool = True, levels=FALLBACK_LEVELS) -> EMResult:
    """:func:`fit_em`, then refit only the members whose covariance became singular, from the
    same initial parameters, with reg_covar raised to ``max(reg_covar, level * variance)`` per
    dimension for each level of ``levels`` in turn, until they succeed or the cap fails.

    ``variance`` : (d,) per-dimension variance of the data (the scale of the raised reg_covar).
    ``fallback=False`` is plain :func:`fit_em`. The members that succeed keep the batched fit:
    the retries run only the failed members (usually a handful), so the batch keeps its speed.
    ``EMResult.reg_level`` gives each member's level (0: the user's reg_covar was enough;
    failed members keep the last level tried).
    """
    res = fit_em(X, W, init, reg_covar=reg_covar, tol=tol, max_iter=max_iter)
    if not fallback or not res.failed.any():
        return res
    variance = np.asarray(variance, dtype=float)
    shared = X.shape[0] == 1
    prev = np.full(variance.shape, float(reg_covar))
    for level in levels:
        reg = np.maximum(float(reg_covar), level * variance)
        if not (reg > prev).any():  # the user's reg_covar already exceeds this level
            continue
        prev = reg
        idx = np.flatnonzero(res.failed)
        retry = fit_em(X if shared else X[idx], W[idx], init.take(idx),
                       reg_covar=np.broadcast_to(reg, (idx.size, reg.size)), tol=tol,
                       max_iter=max_iter)
        retry.reg_level[:] = level
        res.put(idx, retry)
        if not res.failed.any():
            break
    return res


def mean_loglik(X, W, mix: Mixture) -> np.ndarray:
    """Weighted mean per-sample log-likelihood (P,), -inf where a covariance is not PD."""
    ll, ok = e_pass(X, W, mix, stats=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = ll / W.sum(axis=1)
    return np.where(ok, out, -np.inf)


def _quad_features(X):
    """Quadratic features [x_i x_j (i <= j), x_i, 1] of points X (Px, n, d) -> (Px, F, n)."""
    return quad_features_t(np.ascontiguousarray(np.swapaxes(X, 1, 2)))


@functools.lru_cache(maxsize=64)
def triu_pairs(d: int):
    """Upper-triangle index arrays (i <= j) of a d x d matrix, cached."""
    return np.triu_indices(d)


def quad_features_t(XT):
    """Quadratic features of transposed points XT (Px, d, n) -> (Px, F, n), F = d(d+1)/2 + d + 1."""
    Px, d, n = XT.shape
    iu, ju = triu_pairs(d)
    F = len(iu) + d + 1
    out = np.empty((Px, F, n))
    for q, (i, j) in enumerate(zip(iu, ju, strict=True)):
        np.multiply(XT[:, i], XT[:, j], out=out[:, q])
    out[:, len(iu):len(iu) + d] = XT
    out[:, -1] = 1.0
    return out


def quad_coefficients(mix: Mixture):
    """Coefficients c (P, K, F) with log(w_k N(x; mu_k, Sigma_k)) = c_k . features(x)."""
    d = mix.mu.shape[-1]
    U, const, ok = _precision_terms(mix)
    prec = U @ np.swapaxes(U, -1, -2)                     # (P, K, d, d)
    iu, ju = triu_pairs(d)
    quad = -0.5 * prec[..., iu, ju] * np.where(iu == ju, 1.0, 2.0)
    pm = np.einsum("pkde,pke->pkd", prec, mix.mu)
    c0 = const - 0.5 * np.einsum("pkd,pkd->pk", mix.mu, pm)
    return np.concatenate([quad, pm, c0[..., None]], axis=-1), ok


def log_density(X, mix: Mixture) -> np.ndarray:
    """log p(x) of mixtures at points: ``X`` (Px, n, d), Px in {1, P} -> (P, n), chunked.

    Uses the quadratic-feature expansion (one matrix product per chunk, then a log-sum-exp over
    components, reduced over a leading axis); callers centre their data (the estimators centre it
    once on entry) so the expansion loses no meaningful precision.
    """
    P, K, d = mix.mu.shape
    n = X.shape[1]
    coef, ok = quad_coefficients(mix)
    if not ok.all():
        raise np.linalg.LinAlgError("covariance not positive definite")
    out = np.empty((P, n))
    c = _chunk_size(P, K, coef.shape[-1], n)
    for start in range(0, n, c):
        a = coef @ _quad_features(X[:, start:start + c])  # (P, K, nc)
        if K == 1:
            out[:, start:start + c] = a[:, 0]
            continue
        amax = a.max(axis=1, keepdims=True)
        a -= amax
        np.exp(a, out=a)
        out[:, start:start + c] = np.log(a.sum(axis=1)) + amax[:, 0]
    return out


# --------------------------------------------------------------------------- initialisation
def _uniform(rng, size=None):
    return rng.uniform(size=size)


def _randint(rng, high: int, size=None):
    if isinstance(rng, np.random.RandomState):
        return rng.randint(high, size=size)
    return rng.integers(high, size=size)


def _from_responsibilities(X, R) -> Mixture:
    """One M-step with soft/hard responsibilities R (N, K), reg = 0, w_k = n_k / N."""
    N, d = X.shape
    nk = R.sum(axis=0) + EPS10
    mu = (R.T @ X) / nk[:, None]
    cov = np.empty((R.shape[1], d, d))
    for k in range(R.shape[1]):
        diff = X - mu[k]
        cov[k] = (R[:, k, None] * diff).T @ diff / nk[k]
    return Mixture(nk / N, mu, cov)


def _box_scale(X, K: int) -> float:
    from scipy.special import gammaln

    N, d = X.shape
    vol = float(np.prod(X.max(axis=0) - X.min(axis=0)))
    return float(np.exp((np.log(vol / K) + gammaln(d / 2.0 + 1.0)) / d) / np.sqrt(np.pi))


#: "kmeans_sklearn" fits its centres on at most this many rows (drawn with replacement from the
#: init stream) and labels every row by its nearest centre: a start only has to separate the
#: clusters, and at n = 1e5 the full k-means cost about a third of the selection's CPU
KMEANS_MAX_ROWS = 10_000


def initialise(X, K: int, init_type: str, rng, scale=None) -> Mixture:
    """Initial parameters of one K-component mixture on the full data X (N, d), no regularisation.

    ``rng`` is a numpy Generator or a legacy RandomState (reference seeding).
    """
    N, d = X.shape
    if init_type == "random_sklearn":
        R = _uniform(rng, (N, K))
        R /= R.sum(axis=1, keepdims=True)
        return _from_responsibilities(X, R)
    if init_type == "kmeans_sklearn":
        from sklearn.cluster import KMeans

        km = KMeans(n_clusters=K, n_init=1, random_state=int(_randint(rng, 2**31 - 1)))
        if N > KMEANS_MAX_ROWS:  # centres from a random subset, labels for every row
            labels = km.fit(X[_randint(rng, N, size=KMEANS_MAX_ROWS)]).predict(X)
        else:
            labels = km.fit(X).labels_
        R = np.zeros((N, K))
        R[np.arange(N), labels] = 1.0
        return _from_responsibilities(X, R)
    if init_type in ("kmeans", "randomized_kmeans"):
        from scipy.cluster.vq import kmeans2

        _, labels = kmeans2(X, K, minit="++", seed=rng)
        w = np.empty(K)
        mu = np.empty((K, d))
        cov = np.empty((K, d, d))
        glob = np.atleast_2d(np.cov(X.T))
        for k in range(K):
            pts = X[labels == k]
            w[k] = max(len(pts), 1) / N
            if len(pts) < 2:  # empty or single-point cluster: fall back to a random row, global cov
                mu[k] = X[_randint(rng, N)] if len(pts) == 0 else pts[0]
                cov[k] = glob
            else:
                mu[k] = pts.mean(axis=0)
                diff = pts - mu[k]
                cov[k] = diff.T @ diff / len(pts)   # cluster covariance (the original divides by N)
        w /= w.sum()
        if init_type == "randomized_kmeans":
            s = 1.0 if scale is None else float(scale)
            z = rng.normal(size=(K, d))
            mu = mu + s * np.einsum("kde,ke->kd", np.linalg.cholesky(cov), z)
        return Mixture(w, mu, cov)
    if init_type in ("random", "minmax"):
        s = _box_scale(X, K) if scale is None else float(scale)
        if init_type == "random":
            mu = X[_randint(rng, N, size=K)] + s * rng.normal(size=(K, d))
        else:
            lo, hi = X.min(axis=0), X.max(axis=0)
            mu = lo + (hi - lo) * _uniform(rng, (K, d))
        cov = np.broadcast_to(s * s * np.eye(d), (K, d, d)).copy()
        return Mixture(np.full(K, 1.0 / K), mu, cov)
    raise ValueError(f"unknown init_type {init_type!r}")


def stack(mixes) -> Mixture:
    return Mixture(np.stack([m.w for m in mixes]), np.stack([m.mu for m in mixes]),
                   np.stack([m.cov for m in mixes]))
