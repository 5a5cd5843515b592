"""Bootstrap refits at the selected K, warm-started, all replicates in one batched EM.

Replicate b draws N row indices uniformly with replacement from its own generator; its
multiplicity vector c_b = bincount(indices) weights the original rows, which is the same fit as EM
on the resampled array (see ``_em``). Replicates are processed in groups so that the (group, N)
weight array stays small at large N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from estimators.gmm_mi._em import Mixture, fit_em_fallback
from estimators.gmm_mi._selection import FitLog, Streams
from mibench import EstimatorFailure

#: cap on group_size * N (float64 weights: 160 MB)
MAX_WEIGHT_ELEMENTS = 20_000_000


@dataclass
class BootstrapFits:
    mix: Mixture             # (B, K, ...) one fitted mixture per replicate
    n_iter: np.ndarray       # (B,)
    converged: np.ndarray    # (B,)


def bootstrap_counts(N: int, b: int, streams: Streams, tag: int = 0) -> np.ndarray:
    idx = streams.bootstrap(b, tag).integers(0, N, N)
    return np.bincount(idx, minlength=N)


def bootstrap_fits(X: np.ndarray, warm_start: Mixture, p, streams: Streams,
                   tag: int = 0, log: FitLog | None = None) -> BootstrapFits:
    """Refit the mixture on B bootstrap resamples of X (N, d), warm-started from ``warm_start``.

    ``n_bootstrap < 1`` gives a single fit on the full data (B = 1, no resampling). With
    ``p.singular_fallback`` a replicate whose covariance becomes singular is refitted with a
    raised reg_covar (``fit_em_fallback``); the estimate fails only if even the cap fails.
    """
    N = X.shape[0]
    B = int(p.n_bootstrap)
    variance = X.var(axis=0)
    kw = dict(reg_covar=float(p.reg_covar), tol=float(p.threshold_fit), max_iter=int(p.max_iter),
              variance=variance, fallback=bool(p.singular_fallback))
    if B < 1:
        res = fit_em_fallback(X[None], np.ones((1, N)), warm_start, **kw)
        if log is not None:
            log.add(res, "bootstrap", variance)
        _check(res.failed, p)
        return BootstrapFits(res.mix, res.n_iter, res.converged)
    group = max(1, min(B, MAX_WEIGHT_ELEMENTS // N))
    parts = []
    for g0 in range(0, B, group):
        bs = range(g0, min(B, g0 + group))
        G = len(bs)
        W = np.empty((G, N))
        for i, b in enumerate(bs):
            W[i] = bootstrap_counts(N, b, streams, tag)
        init = Mixture(np.repeat(warm_start.w, G, 0), np.repeat(warm_start.mu, G, 0),
                       np.repeat(warm_start.cov, G, 0))
        res = fit_em_fallback(X[None], W, init, **kw)
        if log is not None:
            log.add(res, "bootstrap", variance)
        _check(res.failed, p)
        parts.append(res)
    mix = Mixture(*(np.concatenate([getattr(r.mix, a) for r in parts]) for a in ("w", "mu", "cov")))
    return BootstrapFits(mix, np.concatenate([r.n_iter for r in parts]),
                         np.concatenate([r.converged for r in parts]))


def _check(failed, p):
    if failed.any():
        if p.singular_fallback:
            how = (f"not positive definite with reg_covar={float(p.reg_covar):g}, nor with it raised "
                   "to 1e-6 x the per-dimension variance")
        else:
            how = (f"not positive definite after reg_covar={float(p.reg_covar):g}; "
                   "singular_fallback=True retries with a raised reg_covar")
        raise EstimatorFailure(
            f"{int(failed.sum())} bootstrap refit(s) failed: a covariance became singular "
            f"({how}); try a larger reg_covar")
