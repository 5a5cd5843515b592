"""Fixed preprocessing that leaves MI unchanged: normal scores of each column, and the span of
linearly dependent columns.

``normal_scores_map(train, a)``
    Each column of ``a`` through the training column's empirical CDF and the normal quantile
    function: a strictly increasing map per column (MI unchanged) that gives Gaussian margins
    and tames heavy tails before a model is fitted (the held-out estimators: classifier, flow,
    doe).
``normal_scores(a, rng)``
    The rank-based scores of the rows themselves, ties broken at random: exactly normal
    margins (the Gaussian-copula reference of :mod:`estimators._knn_checks`).
``support_coordinates(a)``
    Columns that are linearly dependent (to working precision: a linear bottleneck, duplicated
    or summed features) replaced by the principal coordinates of the subspace the rows span:
    an injective linear map on the data's support (MI unchanged) that gives a density where
    there was none, for the estimators that fit one (flow, doe, gaussian, kde).
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

__all__ = ["normal_scores_map", "normal_scores", "support_coordinates", "on_support", "SUPPORT_TOL"]

#: an eigenvalue of the columns' correlation matrix below SUPPORT_TOL times the largest is a
#: direction without variance: 1e-10 is a relative spread of 1e-5, far above the rounding of
#: exactly dependent float64 (~1e-32) or float32 (~1e-14) columns and far below real noise
SUPPORT_TOL = 1e-10


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


def support_coordinates(a: np.ndarray, tol: float = SUPPORT_TOL) -> tuple[np.ndarray, int]:
    """``(a, d)`` when the d columns of ``a`` (n, d) are linearly independent; otherwise the
    coordinates of the standardised rows on the r principal axes of non-zero variance (the
    eigenvectors of the correlation matrix with eigenvalue above ``tol`` times the largest),
    ``(n, r)``, and r.

    When columns are exact linear combinations of others, the rows lie in an r-dimensional
    subspace: they have no density in d dimensions, and a density model (a normalizing flow)
    fitted to them chases an unbounded likelihood (bmi-style 4-D Gaussian pair embedded
    linearly in 32 + 32 columns, truth 1.00 nat, n = 3000: `flow` read 1.92 and 1.47 on two
    draws, 0.99 and 1.06 on these coordinates). Projecting onto the subspace is injective on
    the support, so I(X; Y) is unchanged; a function of the rows of one variable alone, so it
    may use every row without touching a held-out estimate. With no more rows than columns
    plus one, the rows span fewer dimensions whatever the distribution: ``a`` is returned."""
    if a.shape[0] <= a.shape[1] + 1:
        return a, a.shape[1]
    z = a - a.mean(axis=0)
    z = z / z.std(axis=0)  # constant columns are refused before any estimator runs
    w, v = np.linalg.eigh(z.T @ z / z.shape[0])
    keep = w > tol * w[-1]
    if keep.all():
        return a, a.shape[1]
    return z @ v[:, keep], int(keep.sum())


def on_support(x: np.ndarray, y: np.ndarray, who: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """:func:`support_coordinates` of x and of y, and the ``info`` entry that records a
    reduction (``support_dims``: [r_x, r_y]; empty when both sides have full rank)."""
    xs, rx = support_coordinates(x)
    ys, ry = support_coordinates(y)
    if (rx, ry) == (x.shape[1], y.shape[1]):
        return x, y, {}
    log.info("%s: the %d x and %d y columns span %d and %d dimensions (linearly dependent "
             "columns): the model sees their principal coordinates (MI unchanged)",
             who, x.shape[1], y.shape[1], rx, ry)
    return xs, ys, {"support_dims": [rx, ry]}
