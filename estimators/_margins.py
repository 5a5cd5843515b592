"""Fixed marginal preprocessing: each column mapped to normal scores (MI unchanged).

``normal_scores_map(train, a)``
    Each column of ``a`` through the training column's empirical CDF and the normal quantile
    function: a strictly increasing map per column (MI unchanged) that gives Gaussian margins
    and tames heavy tails before a model is fitted (the held-out estimators: classifier, flow,
    doe).
``normal_scores(a, rng)``
    The rank-based scores of the rows themselves, ties broken at random: exactly normal
    margins (the Gaussian-copula reference of :mod:`estimators._knn_checks`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["normal_scores_map", "normal_scores"]


def normal_scores_map(train: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Map each column of ``a`` through the training column's empirical CDF (linear interpolation
    between the sorted training values, probabilities (rank + 0.5) / m, clipped at the ends)
    and the standard normal quantile function. A strictly increasing map per column, so it
    leaves MI unchanged; it Gaussianises the margins before the flows see them."""
    from scipy.special import ndtri

    m = train.shape[0]
    p = (np.arange(m) + 0.5) / m
    out = np.empty_like(a, dtype=np.float64)
    for j in range(a.shape[1]):
        s = np.sort(train[:, j])
        out[:, j] = ndtri(np.interp(a[:, j], s, p))
    return out


def normal_scores(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each column of ``a`` (n, d) replaced by the normal quantiles of its ranks,
    ``Phi^-1(rank / (n + 1))``; ties are broken at random (the scores stay a function of the
    column and of independent noise, so they carry no more information than the column)."""
    from scipy.special import ndtri

    n = a.shape[0]
    noise = rng.random(n)
    ranks = np.empty(a.shape, dtype=float)
    for j in range(a.shape[1]):
        ranks[np.lexsort((noise, a[:, j])), j] = np.arange(1, n + 1)
    return ndtri(ranks / (n + 1.0))
