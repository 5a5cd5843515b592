"""Monte-Carlo information functionals of fitted Gaussian mixtures, batched over replicates.

The integral is over the fitted model, not over the data: draws (x_j) ~ fitted mixture, then a
signed sum of log-densities of marginal mixtures (same weights, sliced means/covariance blocks):

- MI:  log p(x, y) - log p(x) - log p(y)
- CMI: log p(z) + log p(x, y, z) - log p(x, z) - log p(y, z)

Fused evaluation: a Gaussian log-density is linear in the quadratic features
[x_i x_j (i <= j), x_i, 1] of the point, and the features of a marginal are a subset of the joint
ones. So the draws' joint features are computed once, and one matrix product with the stacked
(zero-padded) coefficients of every term and component gives all component log-densities; a
max-shifted log-sum-exp over components follows. Draws are made in (d, M) layout.

Single-component fits (K = 1) need no draws at all. Every term is then one Gaussian log-density,
so the integrand is a quadratic form of the standard-normal draw z (x = mu + L z):
f(z) = z'Az + a'z + a0, and the M-draw average depends on the draws only through their sum
s = sum_j z_j and scatter matrix W = sum_j z_j z_j':  mean = (tr(A W) + a's) / M + a0. Those are
sampled from their exact joint law (s ~ N(0, M I) independent of the centred scatter
W - s s'/M ~ Wishart(M - 1, I), Bartlett's construction), so the estimate has exactly the
distribution it has with M explicit draws, MC error included, at O(d^3) instead of O(M d^2) cost.
The reported sd is then the exact integrand sd, sqrt(2 tr(A^2) + a'a), instead of its sample value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from estimators.gmm_mi._em import Mixture, quad_coefficients, quad_features_t

#: cap on group * terms * K * M (float64 elements of the largest temporary)
MAX_ELEMENTS = 6_000_000


def sample_mixture_t(mix: Mixture, b: int, M: int, rng) -> np.ndarray:
    """M draws from replicate ``b`` of a batch of mixtures, transposed: (d, M).

    Component counts from one multinomial draw, then per-component normals stacked in component
    order (the original's scheme, with numpy's Generator instead of the legacy stream).
    """
    w = mix.w[b]
    K, d = mix.mu.shape[1:]
    counts = rng.multinomial(M, w / w.sum())
    z = rng.standard_normal((d, M))
    L = np.linalg.cholesky(mix.cov[b])
    mu = mix.mu[b]
    start = 0
    for k in range(K):
        stop = start + int(counts[k])
        blk = z[:, start:stop]
        if d <= 4:  # x = mu + L z in place, last row first (row i reads rows j < i untouched)
            for i in range(d - 1, -1, -1):
                blk[i] *= L[k, i, i]
                for j in range(i):
                    blk[i] += L[k, i, j] * blk[j]
                blk[i] += mu[k, i]
        else:
            blk[:] = L[k] @ blk + mu[k][:, None]
        start = stop
    return z


def _embedded_coefficients(mix: Mixture, terms):
    """Coefficients of every term's marginal mixture in the joint feature space: (B, T, K, F)."""
    B, K, d = mix.mu.shape
    iu, ju = np.triu_indices(d)
    pair_index = {(int(i), int(j)): q for q, (i, j) in enumerate(zip(iu, ju, strict=True))}
    F = len(iu) + d + 1
    out = np.zeros((B, len(terms), K, F))
    for t, (cols, _sign) in enumerate(terms):
        cols = sorted(int(c) for c in cols)
        coef, ok = quad_coefficients(mix.marginal(cols))
        if not ok.all():
            raise np.linalg.LinAlgError("covariance not positive definite")
        si, sj = np.triu_indices(len(cols))
        pos = [pair_index[(cols[a], cols[b])] for a, b in zip(si, sj, strict=True)]
        pos += [len(iu) + c for c in cols] + [F - 1]
        out[:, t, :, pos] = np.moveaxis(coef, -1, 0)
    return out


def mc_functional(mix: Mixture, terms: Sequence[tuple[Sequence[int], float]], M: int,
                  rng_for: Callable[[int], np.random.Generator], *, explicit_draws: bool = False):
    """Monte-Carlo mean and standard deviation of a signed sum of marginal log-densities.

    Parameters
    ----------
    mix : Mixture batch of B fitted mixtures over d columns
    terms : [(columns, sign)], e.g. [(all, +1), (x_cols, -1), (y_cols, -1)] for MI
    M : number of Monte-Carlo draws per replicate
    rng_for : b -> Generator for replicate b's draws (independent streams, or a freshly seeded
        identical stream for every b to reproduce the original's common random numbers)
    explicit_draws : draw all M points even for single-component fits (same distribution of the
        result, see the module docstring; for tests)

    Returns
    -------
    mean : (B,) MC estimates in nats
    sd : (B,) standard deviation of the pointwise integrand (MC standard error = sd / sqrt(M))
    """
    B, K, d = mix.mu.shape
    T = len(terms)
    signs = np.array([float(s) for _, s in terms])
    coef = _embedded_coefficients(mix, terms)              # (B, T, K, F)
    F = coef.shape[-1]
    single = K == 1
    if single:  # every log-density is linear in the features: fold the signed sum into one row
        coef = np.einsum("t,btf->bf", signs, coef[:, :, 0])[:, None, :]
    else:
        coef = coef.reshape(B, T * K, F)
    if single and not explicit_draws and M > d:
        return _single_component(mix, coef[:, 0], M, rng_for)
    means = np.empty(B)
    sds = np.empty(B)
    chunk = max(1024, MAX_ELEMENTS // (8 * max(F, T * K)))
    for b in range(B):
        pts = sample_mixture_t(mix, b, M, rng_for(b))       # (d, M)
        total = 0.0
        total_sq = 0.0
        for start in range(0, M, chunk):
            f = _integrand(coef[b], quad_features_t(pts[None, :, start:start + chunk])[0],
                           single, signs, T, K)
            total += f.sum()
            total_sq += f @ f
        mean = total / M
        means[b] = mean
        sds[b] = np.sqrt(max(total_sq - M * mean * mean, 0.0) / (M - 1))
    return means, sds


def standard_quadratic_form(mix: Mixture, coef):
    """K = 1: the integrand as a quadratic form of the standard-normal draw z, x = mu + L z.

    ``coef`` (B, F) is the signed sum of the terms' feature coefficients. Returns (A, a, a0) with
    f = z'Az + a'z + a0: A (B, d, d) symmetric, a (B, d), a0 (B,).
    """
    B, _, d = mix.mu.shape
    iu, ju = np.triu_indices(d)
    npair = len(iu)
    Q = np.zeros((B, d, d))                                  # f = x'Qx + q'x + c, Q symmetric
    half = coef[:, :npair] * np.where(iu == ju, 1.0, 0.5)
    Q[:, iu, ju] = half
    Q[:, ju, iu] = half
    q = coef[:, npair:npair + d]
    mu = mix.mu[:, 0]
    L = np.linalg.cholesky(mix.cov[:, 0])
    Lt = np.swapaxes(L, 1, 2)
    A = Lt @ Q @ L
    a = np.einsum("bij,bj->bi", Lt, 2.0 * np.einsum("bij,bj->bi", Q, mu) + q)
    a0 = np.einsum("bi,bij,bj->b", mu, Q, mu) + np.einsum("bi,bi->b", q, mu) + coef[:, -1]
    return A, a, a0


def _single_component(mix: Mixture, coef, M: int, rng_for):
    """K = 1: MC means from exactly sampled sufficient statistics of the M draws, and the exact
    integrand sds (module docstring). Returns (means, sds), each (B,)."""
    A, a, a0 = standard_quadratic_form(mix, coef)
    B, d = a.shape
    diag = np.arange(d)
    rows, cols = np.tril_indices(d, -1)
    means = np.empty(B)
    for b in range(B):
        rng = rng_for(b)
        s = np.sqrt(M) * rng.standard_normal(d)             # sum of the M draws
        T = np.zeros((d, d))                                 # Bartlett: T T' ~ Wishart(M - 1, I)
        T[diag, diag] = np.sqrt(rng.chisquare(M - 1 - diag))
        T[rows, cols] = rng.standard_normal(len(rows))
        W = T @ T.T + np.outer(s, s) / M                     # scatter matrix sum_j z_j z_j'
        means[b] = (np.sum(A[b] * W) + a[b] @ s) / M + a0[b]
    sds = np.sqrt(2.0 * np.einsum("bij,bji->b", A, A) + np.einsum("bi,bi->b", a, a))
    return means, sds


def _integrand(coef, feats, single, signs, T, K):
    """Signed sum of log-densities at one chunk: coef (T*K or 1, F), feats (F, c) -> (c,)."""
    a = coef @ feats
    if single:
        return a[0]
    a = a.reshape(T, K, -1)
    amax = a.max(axis=1)
    a -= amax[:, None]
    np.exp(a, out=a)
    lse = np.log(a.sum(axis=1)) + amax                      # (T, c)
    return signs @ lse


def mi_terms(dx: int, dy: int):
    """Terms of I(X;Y) for columns [X (dx), Y (dy)]."""
    xs, ys = list(range(dx)), list(range(dx, dx + dy))
    return [(xs + ys, 1.0), (xs, -1.0), (ys, -1.0)]


def cmi_terms(dx: int, dy: int, dz: int):
    """Terms of I(X;Y|Z) for columns [X (dx), Y (dy), Z (dz)]."""
    xs = list(range(dx))
    ys = list(range(dx, dx + dy))
    zs = list(range(dx + dy, dx + dy + dz))
    return [(zs, 1.0), (xs + ys + zs, 1.0), (xs + zs, -1.0), (ys + zs, -1.0)]
