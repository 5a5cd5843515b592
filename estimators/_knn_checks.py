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
``below_summary``
    The estimate is below a lower bound of MI. Any functions f(X), g(Y) carry at most the
    information of (X, Y) (data-processing inequality), and in one or two dimensions KSG has
    little bias. :func:`summary_check` estimates I(f(X); g(Y)) for the norms of the standardised
    rows (a dependence through a shared scale, as in Student-t data), the first canonical pair
    (linear dependence) and both together, on a random half of the rows (the canonical
    directions and scales are fitted on the other half, so the summaries are not tuned to the
    rows they are scored on), and flags when the largest is above the estimate by more than
    :data:`SUMMARY_SIGMA` combined standard errors: the estimate is then biased low by at
    least that much (asinh of Student-t 5x5, df 2, at n = 10 000: 0.23 against 0.45, while the
    norms alone give 0.41).
``unconverged``
    The subsampling error bar's own bias estimate (``subsample_bias``: the drift of the mean
    estimate from n/4 to n rows, extrapolated as 1/n) is more than :data:`DRIFT_SIGMA` times the
    std: the estimate is still moving with n by more than its error bar, and a k-NN bias that
    decays slower than 1/n (high dimension, curved dependence) leaves more bias than that
    extrapolation says (spiral of a 3 + 3 Gaussian at n = 10 000: 0.79 against 1.02, drift
    -3.6 std).
``below_ksg``
    The estimate is below plain KSG (k = 3, its subsampling std) on the same rows by more than
    :data:`KSG_REFERENCE_SIGMA` combined standard errors (:func:`knn_reference_check`, run by
    :func:`with_summary_check` for the other estimators, up to :data:`KSG_REFERENCE_MAX_D`
    columns). Not a bound: KSG's error at these n is almost always negative (on the 40 bmi v1
    tasks at n = 2000 and 10 000, 3 seeds, it is above the truth by more than 2.5 of its std on
    3 of 240 trials), so an estimate clearly below it is biased low at least as much as KSG
    (spiral of a 3 + 3 Gaussian at n = 2000: the neural bounds and the classifier 0.48-0.56,
    KSG 0.64-0.74, truth 1.02; uniform additive noise, one column a side: flow 1.53 against KSG
    1.70 and truth 1.71 at n = 10 000).
``below_copula``
    The estimate is below the Gaussian-copula MI of the same rows by more than
    :data:`COPULA_SIGMA` combined standard errors (:func:`copula_reference_check`, run by
    :func:`with_summary_check`): each column replaced by its normal scores (an invertible map
    of the column, so MI is unchanged), then the Gaussian MI of those scores (Wishart bias
    correction, delta-method std). Exact for every monotone transform of each column of a
    multinormal (normal_cdf, half_cube, ...), and a lower bound of MI with one column a side
    (the scores' marginals are exactly normal and the Gaussian has the largest joint entropy
    for its covariance). With more columns it is not a bound in general, but on the 40 bmi v1
    tasks (3 data sets, n = 2000 and 10 000; benchmarks/bench_copula_reference.py) it is at
    most 2.7 % above the truth, within its noise (-100 % on Student-t, whose dependence is not
    linear in the scores).
    It sees what the KSG reference misses in 10 dimensions: on half_cube of a sparse 5 + 5
    Gaussian at n = 2000, InfoNCE and MINE read 0.84-0.86, KSG less, the copula MI 1.02 (truth
    1.02).

``below_ensemble``
    The estimate is below the two-point KSG ensemble of the same rows by more than
    :data:`ENSEMBLE_SIGMA` combined standard errors and by more than :data:`ENSEMBLE_MARGIN`
    (15 %) of the ensemble (:func:`knn_reference_check`, run by
    :func:`with_summary_check` up to 5 columns a side; LNC computes it from its own neighbours):
    KSG at k = 3 and 12 weighted to cancel the leading k-NN bias, c (k/n)^(2/d)
    (:mod:`estimators.ksg_ensemble`), with its subsampling std. Not a bound either, and noisy
    (its std is 2-4 times KSG's at 5x5), but where a smooth dependence is curved, so that every
    other reference reads low with KSG, it does not: on the spiral of a sparse 3 + 3 Gaussian at
    n = 10 000 it reads 0.95-1.02 (truth 1.02) where KSG, LNC and DoE read 0.74-0.80.

Measurements behind the thresholds: docs/estimator-defaults.md.
"""

from __future__ import annotations

import numpy as np

from mibench import Estimate, InputError

__all__ = ["SURROGATE_SIGMA", "TAIL_INDEX_MIN", "SUMMARY_SIGMA", "DRIFT_SIGMA", "tail_index",
           "gaussian_mi_of_cov", "surrogate_check", "summaries", "summary_check",
           "KSG_REFERENCE_SIGMA", "KSG_REFERENCE_MAX_D", "knn_reference_check", "COPULA_SIGMA",
           "copula_reference_check", "ENSEMBLE_SIGMA", "ENSEMBLE_MARGIN", "ensemble_z",
           "with_summary_check", "heavy_tails_check", "with_tail_flag",
           "knn_checks", "with_knn_checks", "drift_flags", "with_drift_flag"]

#: ``surrogate_bias`` when the estimate on the Gaussian surrogate misses its known MI by more
#: than this many standard errors of the estimate
SURROGATE_SIGMA = 4.0
#: ``heavy_tails`` when Hill's tail index of the joint radius is below this (no finite 4th moment)
TAIL_INDEX_MIN = 4.0
#: fraction of the points (at least :data:`TAIL_MIN_POINTS`) in Hill's upper tail
TAIL_FRACTION = 0.02
TAIL_MIN_POINTS = 10
#: ``below_summary`` when a summary's MI is above the estimate by more than this many combined
#: standard errors (the estimate's and the summary estimate's)
SUMMARY_SIGMA = 4.0
#: ``unconverged`` when ``|subsample_bias|`` is more than this many times the estimate's std
#: (the bias estimate's own noise is about 0.45 std: 3 std is about 7 of its standard errors)
DRIFT_SIGMA = 3.0
#: ``below_ksg`` when KSG on all rows is above the estimate by more than this many combined
#: standard errors (the estimate's and KSG's subsampling std)
KSG_REFERENCE_SIGMA = 4.0
#: the KSG reference runs up to this joint dimension dx + dy (beyond, KSG is so far below the
#: truth at these n, 0.1 against 1.0 on 25x25, that it says nothing, and costs the most)
KSG_REFERENCE_MAX_D = 10
#: ``below_copula`` when the Gaussian-copula MI is above the estimate by more than this many
#: combined standard errors (the estimate's and the copula MI's delta-method std)
COPULA_SIGMA = 4.0
#: ``below_ensemble`` when the KSG ensemble is above the estimate by more than this many combined
#: standard errors (the estimate's and the ensemble's subsampling std) ...
ENSEMBLE_SIGMA = 4.0
#: ... and by more than this fraction of its own value: where the leading-order law is not all
#: of KSG's bias the ensemble overshoots (33 bmi v1 tasks up to 5x5, mean of 3 data sets at
#: n = 10 000: at most +7 %, multinormal sparse 3x3 and 5x5; a 5x5 Gaussian with rho = 0.9 per
#: pair, one data set: +8 % at n = 2000, +11 % at n = 10 000)
ENSEMBLE_MARGIN = 0.15
#: the copula reference needs at least this many rows per column of (x, y) (a covariance of
#: d columns from fewer rows is too noisy to compare with)
COPULA_ROWS_PER_COLUMN = 4
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


def summaries(x: np.ndarray, y: np.ndarray, fit: np.ndarray, score: np.ndarray) -> dict:
    """Low-dimensional summaries (f(x), g(y)) of the rows ``score``, their scales and canonical
    directions fitted on the rows ``fit``: ``norm`` (Euclidean norm of the standardised row),
    ``cca`` (the first canonical pair) and ``norm+cca`` (both, two columns each side)."""
    def standardised(a):
        mu, sd = a[fit].mean(0), a[fit].std(0)
        sd[sd == 0] = 1.0
        return (a - mu) / sd

    xs, ys = standardised(x), standardised(y)
    nx, ny = (np.sqrt((v[score] ** 2).sum(1))[:, None] for v in (xs, ys))
    out = {"norm": (nx, ny)}
    a, b = xs[fit], ys[fit]
    m = a.shape[0]
    try:
        wx = np.linalg.inv(np.linalg.cholesky(a.T @ a / m + 1e-9 * np.eye(a.shape[1])))
        wy = np.linalg.inv(np.linalg.cholesky(b.T @ b / m + 1e-9 * np.eye(b.shape[1])))
    except np.linalg.LinAlgError:
        return out
    u, _, vt = np.linalg.svd(wx @ (a.T @ b / m) @ wy.T)
    cx, cy = (xs[score] @ (wx.T @ u[:, 0]))[:, None], (ys[score] @ (wy.T @ vt[0]))[:, None]
    out["cca"] = (cx, cy)
    out["norm+cca"] = (np.hstack((nx, cx)), np.hstack((ny, cy)))
    return out


def summary_check(x: np.ndarray, y: np.ndarray, mi: float, std: float,
                  rng: np.random.Generator) -> dict:
    """The data-processing lower bound of :data:`below_summary`: KSG (k = 3, subsampling std)
    on each of :func:`summaries` of a random half of the rows. Returns ``summary_mi`` (name ->
    value), ``summary_z`` (the largest (summary - mi) / combined std) and ``below_summary``.
    Not run on one column against one (the summaries would be the data themselves)."""
    from estimators.ksg import KSG

    n = x.shape[0]
    perm = rng.permutation(n)
    fit, score = perm[: n // 2], perm[n // 2:]
    ksg = KSG(checks=False)
    if score.size < ksg.min_samples():
        return {}
    values, z = {}, -np.inf
    seed = int(rng.integers(2**31))
    for name, (fx, gy) in summaries(x, y, fit, score).items():
        est = ksg.estimate(np.ascontiguousarray(fx), np.ascontiguousarray(gy), seed=seed)
        values[name] = float(est.mi)
        z = max(z, (est.mi - mi) / float(np.hypot(est.std, std)))
    return {"summary_mi": values, "summary_z": float(z), "below_summary": bool(z > SUMMARY_SIGMA)}


def copula_reference_check(x: np.ndarray, y: np.ndarray, mi: float, std: float,
                           seed: int | None) -> dict:
    """:data:`below_copula`'s reference: ``Gaussian(bias_correction=True)`` (delta-method std,
    no normality check) on the normal scores of every column
    (:func:`estimators._margins.normal_scores`). Returns
    ``copula_reference`` (its value), ``copula_reference_z`` ((copula - mi) / combined std) and
    ``below_copula``; nothing for fewer than :data:`COPULA_ROWS_PER_COLUMN` rows per column or
    collinear scores."""
    from estimators._margins import normal_scores
    from estimators.gaussian import Gaussian

    n, d = x.shape[0], x.shape[1] + y.shape[1]
    if n < max(20, COPULA_ROWS_PER_COLUMN * d):
        return {}
    rng = np.random.default_rng(seed)
    try:
        est = Gaussian(bias_correction=True, check_normality=False).estimate(
            normal_scores(x, rng), normal_scores(y, rng))
    except InputError:  # collinear columns: no Gaussian MI to compare with
        return {}
    z = float((est.mi - mi) / np.hypot(est.std, std))
    return {"copula_reference": float(est.mi), "copula_reference_z": z,
            "below_copula": bool(z > COPULA_SIGMA)}


def _ensemble_far(ref: float, mi: float, scale: float) -> bool:
    return bool(ref - mi > max(ENSEMBLE_SIGMA * scale, ENSEMBLE_MARGIN * abs(ref)))


def ensemble_z(ref: float, ref_std: float, mi: float, std: float) -> tuple[float, bool]:
    """((ensemble - mi) / combined std, whether to flag ``below_ensemble``: that z above
    :data:`ENSEMBLE_SIGMA` and the gap above :data:`ENSEMBLE_MARGIN` of the ensemble)."""
    scale = float(np.hypot(ref_std, std))
    return float((ref - mi) / scale), _ensemble_far(ref, mi, scale)


def knn_reference_check(x: np.ndarray, y: np.ndarray, mi: float, std: float, seed: int | None,
                        ensemble: bool = True) -> tuple[dict, dict]:
    """The references of :data:`below_ksg` and :data:`below_ensemble` from one set of neighbour
    queries, as ``(ksg entries, ensemble entries)``.

    KSG reference: ``KSG()`` (k = 3, subsampling std, no checks) on all rows, exactly (same
    jitter, parts and part seeds): ``ksg_reference``, ``ksg_reference_std``,
    ``ksg_reference_subsample_bias`` (its drift, see ``unconverged``), ``ksg_reference_z``
    ((KSG - mi) / combined std) and ``below_ksg``; nothing above :data:`KSG_REFERENCE_MAX_D`
    columns or for too few rows.

    Ensemble reference (``ensemble=True``, up to 5 columns a side): the two-point ensemble of
    :class:`estimators.ksg_ensemble.KSGEnsemble` (k = 3 and 12) on the same preprocessed rows;
    its k = 3 term is the KSG reference's, its k = 12 term comes from the same joint query
    (12 neighbours instead of 3). Its plain value first (``ensemble_reference``); only when that
    is above the estimate by more than the flag's limits, with the estimate's std and KSG-3's
    (a lower bound of the ensemble's, (1 + g) I(3) - g I(12), whenever KSG-12 is no noisier
    than KSG-3, as a larger k is) combined, is the k = 12 term counted on the KSG reference's
    subsample parts too, for the ensemble's subsampling std (``ensemble_reference_std``,
    ``ensemble_reference_z``). Also ``below_ensemble``.

    Cost at 5x5, n = 10 000 (``benchmarks/bench_reference_checks.py``): one joint 12-NN query
    and four marginal counts on all rows, a 12-NN query and two counts on each part, and two
    more counts on each part when the ensemble's std is needed; the two references computed
    apart cost 1.7-1.9 times that.
    """
    from estimators._knn import joint_neighbors
    from estimators._uncertainty import SUBSAMPLE_SPLITS, part_seeds, pooled_std, subsample_estimate
    from estimators.ksg import KSG, ksg_preprocess
    from estimators.ksg_ensemble import MAX_DIM, KSGEnsemble, ensemble_weight, ksg1_at_radii

    ksg = KSG(checks=False)
    n, dx, dy = x.shape[0], x.shape[1], y.shape[1]
    if dx + dy > KSG_REFERENCE_MAX_D or n < ksg.min_samples():
        return {}, {}
    ens = KSGEnsemble(checks=False)
    k1, k2 = int(ksg.k), int(ens.k[1])  # ens.k[0] is KSG's k (3)
    ensemble = ensemble and dx <= MAX_DIM and dy <= MAX_DIM and n >= ens.min_samples()
    kept = []  # per call, for the ensemble: (preprocessed x, y, joint distances, KSG-3 value)

    def ksg3(xp, yp, s):
        xp, yp = ksg_preprocess(xp, yp, standardize=bool(ksg.standardize),
                                noise=float(ksg.noise), rng=np.random.default_rng(s))
        dist, _ = joint_neighbors(np.hstack((xp, yp)), k2 if ensemble else k1)
        value = ksg1_at_radii(xp, yp, dist, (k1,))[0]
        if ensemble:
            kept.append((xp, yp, dist, value))
        return value

    def ensemble_value(xp, yp, dist, i1):
        return (1 + g) * i1 - g * ksg1_at_radii(xp, yp, dist, (k2,))[0]

    def parts_ksg3(xs, ys, parts, full):
        return [ksg3(np.ascontiguousarray(xs[p]), np.ascontiguousarray(ys[p]), s)
                for p, s in zip(parts, part_seeds(seed), strict=True)]

    full = Estimate(mi=ksg3(x, y, seed), std=None,
                    info={"k": k1, "variant": 1, "metric": "chebyshev", "n": int(n)})
    est = subsample_estimate(ksg, x, y, seed, part_values=parts_ksg3, full=full)
    z = float((est.mi - mi) / np.hypot(est.std, std))
    reference = {"ksg_reference": float(est.mi), "ksg_reference_std": float(est.std),
                 "ksg_reference_subsample_bias": est.info.get("subsample_bias"),
                 "ksg_reference_z": z, "below_ksg": bool(z > KSG_REFERENCE_SIGMA)}
    if not ensemble:
        return reference, {}
    g = ensemble_weight(k1, k2, dx + dy)
    plain = ensemble_value(*kept[0])
    if not _ensemble_far(plain, mi, float(np.hypot(std, est.std))):
        return reference, {"ensemble_reference": float(plain), "below_ensemble": False}
    values = iter([ensemble_value(*part) for part in kept[1:]])
    ens_std = pooled_std([[next(values) for _ in range(a)] for a in SUBSAMPLE_SPLITS])
    z, below = ensemble_z(plain, ens_std, mi, std)
    return reference, {"ensemble_reference": float(plain), "ensemble_reference_std": ens_std,
                       "ensemble_reference_z": z, "below_ensemble": below}


def _summary_entries(x: np.ndarray, y: np.ndarray, mi: float, std: float | None,
                     rng: np.random.Generator) -> tuple[dict, bool]:
    """:func:`summary_check`'s ``info`` entries and whether to flag ``below_summary``; nothing
    without a std or with one column a side."""
    if std is None or not np.isfinite(std) or std <= 0 or x.shape[1] + y.shape[1] <= 2:
        return {}, False
    summary = summary_check(x, y, mi, std, rng)
    return summary, bool(summary.pop("below_summary", False))


def drift_flags(out: Estimate) -> list[str]:
    """``["unconverged"]`` when ``out`` has a subsampling std and its ``subsample_bias`` is more
    than :data:`DRIFT_SIGMA` times it, else ``[]``."""
    std, bias = out.std, out.info.get("subsample_bias")
    has_std = std is not None and np.isfinite(std) and std > 0
    return ["unconverged"] if has_std and bias is not None and abs(bias) > DRIFT_SIGMA * std else []


def with_drift_flag(out: Estimate) -> Estimate:
    """``out`` with :func:`drift_flags` added to its ``info["flags"]`` (those it has kept)."""
    flags = list(out.info.get("flags") or []) + drift_flags(out)
    return Estimate(mi=out.mi, std=out.std, info={**out.info, "flags": flags})


def heavy_tails_check(x: np.ndarray, y: np.ndarray) -> tuple[float | None, bool]:
    """(Hill's tail index of the joint radius, whether to flag ``heavy_tails``: below
    :data:`TAIL_INDEX_MIN`, with at least :data:`TAIL_MIN_N` rows)."""
    alpha = tail_index(np.hstack((x, y)))
    return alpha, bool(alpha is not None and x.shape[0] >= TAIL_MIN_N and alpha < TAIL_INDEX_MIN)


def with_tail_flag(out: Estimate, x: np.ndarray, y: np.ndarray) -> Estimate:
    """``out`` with ``tail_index`` in ``info`` and, from :func:`heavy_tails_check`, the flag
    ``heavy_tails`` (a k-NN estimator's own checks without the others)."""
    alpha, heavy = heavy_tails_check(x, y)
    flags = list(out.info.get("flags") or []) + (["heavy_tails"] if heavy else [])
    return Estimate(mi=out.mi, std=out.std, info={**out.info, "tail_index": alpha, "flags": flags})


def knn_checks(point_estimate, x: np.ndarray, y: np.ndarray, mi: float, std: float | None,
               seed: int | None, subsample_bias: float | None = None, summary: bool = True) -> dict:
    """The checks on continuous data; the ``info`` entries, ``flags`` included.

    ``point_estimate(xs, ys) -> float``: the estimator's plain value on other data (same
    hyperparameters, no error bar). ``std``: the estimate's standard error; when None (no error
    bar asked for), the delta-method std of the Gaussian MI on the surrogate stands in for it
    (``sqrt(sum rho_i^2 / n)``, the same order as a k-NN std; at least 0.5 / sqrt(n)).
    ``below_summary`` needs more than one column on a side and a std; ``unconverged`` needs
    ``subsample_bias`` and a std (the subsampling error bar). ``summary=False``: no
    ``below_summary`` (a caller that runs it on other columns, :mod:`estimators.latent_ksg`).
    """
    n = x.shape[0]
    alpha, heavy = heavy_tails_check(x, y)
    info: dict = {"tail_index": alpha}
    flags: list[str] = ["heavy_tails"] if heavy else []
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
    if summary:
        entries, below = _summary_entries(x, y, mi, std, rng)
        info.update(entries)
        if below:
            flags.append("below_summary")
    flags += drift_flags(Estimate(mi=mi, std=std, info={"subsample_bias": subsample_bias}))
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
                        seed, subsample_bias=out.info.get("subsample_bias"))
    info["flags"] = list(info.get("flags") or []) + checks.pop("flags")
    info.update(checks)
    return Estimate(mi=out.mi, std=out.std, info=info)


def with_summary_check(out: Estimate, x: np.ndarray, y: np.ndarray, seed: int | None,
                       ksg_reference: bool = True, summary: bool = True,
                       ensemble_reference: bool = True) -> Estimate:
    """``out`` plus the checks against other estimates of I(X; Y) on the same rows (any
    estimator with a std): :func:`summary_check` (``summary_mi``, ``summary_z``, flag
    ``below_summary``; the data-processing bound holds whatever the estimator),
    :func:`knn_reference_check` (``ksg_reference``, ``ksg_reference_z``, flag ``below_ksg``,
    and from the same neighbour queries ``ensemble_reference``, ``ensemble_reference_std``,
    ``ensemble_reference_z``, flag ``below_ensemble``; ``ensemble_reference=False`` leaves the
    ensemble out, for an estimator that computes it itself or cannot afford it, and
    ``ksg_reference=False`` both, for an estimator that is KSG on these rows;
    ``summary=False`` leaves out the data-processing check) and
    :func:`copula_reference_check` (``copula_reference``, ``copula_reference_z``, flag
    ``below_copula``); the references also run with one column a side. Unchanged without a
    std."""
    if out.std is None or not np.isfinite(out.std) or out.std <= 0:
        return out
    rng = np.random.default_rng(None if seed is None else
                                np.random.SeedSequence([int(seed) % 2**63, 0x5B3A]))
    entries, flagged = _summary_entries(x, y, out.mi, out.std, rng) if summary else ({}, False)
    ref_seed, copula_seed = (None, None) if seed is None else (
        int(v) for v in np.random.SeedSequence([int(seed) % 2**63, 0x5B3B]).generate_state(3)[:2])
    reference, ensemble = (knn_reference_check(x, y, out.mi, out.std, ref_seed,
                                               ensemble=ensemble_reference)
                           if ksg_reference else ({}, {}))
    copula = copula_reference_check(x, y, out.mi, out.std, copula_seed)
    below = [flag for flag, found in (("below_summary", flagged),
                                      ("below_ksg", reference.pop("below_ksg", False)),
                                      ("below_copula", copula.pop("below_copula", False)),
                                      ("below_ensemble", ensemble.pop("below_ensemble", False)))
             if found]
    if not entries and not reference and not copula and not ensemble:
        return out
    info = {**out.info, **entries, **reference, **copula, **ensemble}
    info["flags"] = list(out.info.get("flags") or []) + below
    return Estimate(mi=out.mi, std=out.std, info=info)
