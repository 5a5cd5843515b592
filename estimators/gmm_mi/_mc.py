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
                  rng_for: Callable[[int], np.random.Generator]):
    """Monte-Carlo mean and standard deviation of a signed sum of marginal log-densities.

    Parameters
    ----------
    mix : Mixture batch of B fitted mixtures over d columns
    terms : [(columns, sign)], e.g. [(all, +1), (x_cols, -1), (y_cols, -1)] for MI
    M : number of Monte-Carlo draws per replicate
    rng_for : b -> Generator for replicate b's draws (independent streams, or a freshly seeded
        identical stream for every b to reproduce the original's common random numbers)

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
