"""Standard errors by disjoint half-samples, shared by estimators without an analytic variance.

``half_sample_std(fn, x, y, rng, repeats)``
    Split the rows at random into two disjoint halves ``repeats`` times, estimate on each half
    with ``fn(x_half, y_half, rng) -> float``, and return the standard error of the full-sample
    estimate, ``sqrt(mean((a - b)^2) / 4)``.

Why that formula: the two halves of one split are independent samples of size n/2, so
``Var(a - b) = 2 Var_{n/2}``; an estimator whose variance falls like 1/n (kNN and plug-in MI
estimators do, away from independence) has ``Var_n = Var_{n/2} / 2 = Var(a - b) / 4``. Each
split gives one independent-pair difference; the differences are averaged over ``repeats``
splits (they share rows across splits, so the effective number of degrees of freedom is
between 1 and ``repeats``). It measures the sampling spread only, not the bias.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["half_sample_std"]


def half_sample_std(fn: Callable[[np.ndarray, np.ndarray, np.random.Generator], float],
                    x: np.ndarray, y: np.ndarray, rng: np.random.Generator, repeats: int
                    ) -> tuple[float, list[float]]:
    """Standard error of ``fn`` at the full sample size from ``repeats`` random half splits.

    Parameters
    ----------
    fn : callable ``(x, y, rng) -> float``, the estimator on a subsample.
    x, y : ndarray, shapes (n, dx), (n, dy).
    rng : numpy Generator for the splits (and passed on to ``fn``).
    repeats : int >= 1, number of random splits.

    Returns
    -------
    std : float, ``sqrt(mean_r (a_r - b_r)^2 / 4)`` in the units of ``fn``.
    halves : list of the 2 * repeats half-sample values (for diagnostics).
    """
    n = x.shape[0]
    m = n // 2
    diffs, values = [], []
    for _ in range(int(repeats)):
        perm = rng.permutation(n)
        a, b = perm[:m], perm[m:2 * m]
        va = float(fn(x[a], y[a], rng))
        vb = float(fn(x[b], y[b], rng))
        diffs.append(va - vb)
        values += [va, vb]
    return float(np.sqrt(np.mean(np.square(diffs)) / 4.0)), values
