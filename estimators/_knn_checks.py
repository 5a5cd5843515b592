"""Data diagnostics of the k-NN estimators (KSG, mixed KSG): the flags that say why a value is off.

The subsampling std of a k-NN estimate measures its sampling noise only. Two failure modes
leave that std small while the value is far off the truth (issue 20, bmi v1 tasks, n = 2000 and
10 000), and both can be recognised from the data:

``surrogate_bias``
    The k-NN bias at this n, dimension and strength of dependence. KSG underestimates strongly
    when the dimension is high for n (multinormal 25x25 at n = 2000: 0.12 against 1.02, std
    0.02). :func:`surrogate_check` draws a Gaussian sample of the same n with the data's
    covariance, whose MI is known in closed form, and runs the same estimator on it; when the
    estimate misses that known MI by more than :data:`SURROGATE_SIGMA` standard errors, the
    estimator is biased in this regime, and the data's own estimate inherits the bias of
    (at least) their linear part.
``heavy_tails``
    Tails heavier than any finite fourth moment (Student-t with df <= 3): a few points far out
    set the standardisation scale and the k-NN balls in the tails are wide, so the estimate is
    biased low (Student-t 5x5, df 2: 0.23 against 0.45). :func:`tail_index` is Hill's estimate
    of the tail index of the joint radius (columns centred at their median and scaled by their
    interquartile range); flagged below :data:`TAIL_INDEX_MIN` = 4.

Measurements behind the thresholds: docs/estimator-defaults.md.
"""

from __future__ import annotations

import numpy as np

from mibench import Estimate

__all__ = ["SURROGATE_SIGMA", "TAIL_INDEX_MIN", "tail_index", "gaussian_mi_of_cov",
           "surrogate_check", "knn_checks", "with_knn_checks"]

#: ``surrogate_bias`` when the estimate on the Gaussian surrogate misses its known MI by more
#: than this many standard errors of the estimate
SURROGATE_SIGMA = 4.0
#: ``heavy_tails`` when Hill's tail index of the joint radius is below this (no finite 4th moment)
TAIL_INDEX_MIN = 4.0
#: fraction of the points (at least :data:`TAIL_MIN_POINTS`) in Hill's upper tail
TAIL_FRACTION = 0.02
TAIL_MIN_POINTS = 10
#: below this many rows the tail index is too noisy to flag on (Gaussian 1v1 at n = 100: below 4
#: on 23 of 100 data sets; at n >= 500 on none of 300 Gaussian data sets, docs/estimator-defaults.md)
TAIL_MIN_N = 500


def tail_index(z: np.ndarray) -> float | None:
    """Hill's estimate of the tail index of the radius of the rows of ``z`` (n, d).

    Columns are centred at their median and divided by their interquartile range (robust to the
    tails themselves); the radius is the Euclidean norm of a row; the estimate uses the largest
    ``max(10, 2 % of n)`` radii: ``1 / mean(ln(r_(i) / r_(k+1)))``. About 1 for Cauchy-like
    tails, about df for Student-t, 6-13 for Gaussian data at n = 2000 (growing slowly with n).
    None when a
    column has a zero interquartile range (mostly ties: not a continuous tail).
    """
    z = z - np.median(z, axis=0)
    q1, q3 = np.percentile(z, [25, 75], axis=0)
    iqr = q3 - q1
    if np.any(iqr <= 0):
        return None
    r = np.sqrt(((z / iqr) ** 2).sum(axis=1))
    k = max(TAIL_MIN_POINTS, int(TAIL_FRACTION * r.size))
    if r.size <= k + 1:
        return None
    top = np.sort(r)[-(k + 1):]
    if top[0] <= 0:
        return None
    mean_log = float(np.mean(np.log(top[1:] / top[0])))
    return float("inf") if mean_log <= 0 else 1.0 / mean_log


def gaussian_mi_of_cov(cov: np.ndarray, dx: int) -> float:
    """MI (nats) between the first ``dx`` and the other coordinates of N(0, cov)."""
    ld = [np.linalg.slogdet(c)[1] for c in (cov[:dx, :dx], cov[dx:, dx:], cov)]
    return float(0.5 * (ld[0] + ld[1] - ld[2]))


def surrogate_check(point_estimate, x: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    """Run ``point_estimate(xs, ys) -> float`` on a Gaussian sample with the covariance of
    (x, y) and the same n. Returns ``(estimate on the surrogate, its exact MI)``, or None when
    the covariance is singular."""
    z = np.hstack((x, y))
    n, d = z.shape
    cov = np.cov(z, rowvar=False).reshape(d, d)
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return None
    g = rng.standard_normal((n, d)) @ chol.T
    dx = x.shape[1]
    return float(point_estimate(np.ascontiguousarray(g[:, :dx]), np.ascontiguousarray(g[:, dx:]))), \
        gaussian_mi_of_cov(cov, dx)


def knn_checks(point_estimate, x: np.ndarray, y: np.ndarray, mi: float, std: float | None,
               seed: int | None) -> dict:
    """Both checks on continuous data; the ``info`` entries, ``flags`` included.

    ``point_estimate(xs, ys) -> float``: the estimator's plain value on other data (same
    hyperparameters, no error bar). ``std``: the estimate's standard error; when None (no error
    bar asked for), the delta-method std of the Gaussian MI on the surrogate stands in for it
    (``sqrt(sum rho_i^2 / n)``, the same order as a k-NN std; at least 0.5 / sqrt(n)).
    """
    flags: list[str] = []
    info: dict = {}
    n = x.shape[0]
    alpha = tail_index(np.hstack((x, y)))
    info["tail_index"] = alpha
    if alpha is not None and n >= TAIL_MIN_N and alpha < TAIL_INDEX_MIN:
        flags.append("heavy_tails")
    rng = np.random.default_rng(None if seed is None else
                                np.random.SeedSequence([int(seed) % 2**63, 0x5A77]))
    res = surrogate_check(point_estimate, x, y, rng)
    if res is not None:
        sur, truth = res
        scale = std
        if scale is None or not np.isfinite(scale) or scale <= 0:
            rho2 = 1.0 - np.exp(-2.0 * max(truth, 0.0))  # sum rho^2 >= 1 - prod(1 - rho^2)
            scale = max(np.sqrt(rho2 / n), 0.5 / np.sqrt(n))
        info.update(surrogate_mi=sur, surrogate_true_mi=truth,
                    surrogate_z=float((sur - truth) / scale))
        if abs(sur - truth) > SURROGATE_SIGMA * scale:
            flags.append("surrogate_bias")
    info["flags"] = flags
    return info


def with_knn_checks(est, x: np.ndarray, y: np.ndarray, seed: int | None) -> Estimate:
    """``est``'s estimate (with its error bar) plus :func:`knn_checks` on (x, y), for a k-NN
    estimator with ``checks`` and ``uncertainty`` hyperparameters. Skipped (``info`` gets
    ``checks_skipped``) for data with atoms (``info["n_atoms"] > 0``) or a discrete label
    (``method="ross"``): both checks assume continuous variables."""
    quiet = type(est)(**{**est.get_params(), "checks": False})
    out = quiet._estimate(x, y, seed=seed)
    if out.info.get("n_atoms", 0) > 0 or out.info.get("method") == "ross":
        return Estimate(mi=out.mi, std=out.std,
                        info={**out.info, "checks_skipped": "atoms or discrete labels"})
    plain = type(est)(**{**est.get_params(), "checks": False, "uncertainty": "none"})
    info = dict(out.info)
    checks = knn_checks(lambda a, b: plain._estimate(a, b, seed=seed).mi, x, y, out.mi, out.std,
                        seed)
    info["flags"] = list(info.get("flags") or []) + checks.pop("flags")
    info.update(checks)
    return Estimate(mi=out.mi, std=out.std, info=info)
