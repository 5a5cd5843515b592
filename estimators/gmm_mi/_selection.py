"""Random streams, and the choice of the number of components by k-fold cross-validation."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from estimators.gmm_mi._em import (
    EMResult,
    Mixture,
    fit_em,
    fit_em_fallback,
    initialise,
    mean_loglik,
    stack,
)
from mibench import EstimatorFailure

logger = logging.getLogger(__name__)


class Streams:
    """Every random stream of one estimate.

    ``scheme="per-call"`` (default): all streams derive from the ``seed`` of the call through
    ``np.random.SeedSequence`` (initialisations, fold split, bootstrap resamples, MC draws), so the
    spread over seeds includes the estimator's own randomness.
    ``scheme="reference"``: the original's fixed seeds, whatever ``seed`` is: init seed s uses a
    legacy ``RandomState(s)``, the fold split uses seed 42, bootstrap replicate b uses
    ``default_rng(b)``; the MC stream is ``default_rng(best_seed)`` for every replicate with
    ``mc_seeding="common"`` (the original's seeding) and ``default_rng([best_seed, b, 1])`` per
    replicate with ``"independent"``. Only the seeding scheme, not the bits, matches the original:
    the draws are made by mibench's sampler (and for single-component fits no points are drawn,
    see ``_mc.py``).
    ``tag`` separates the streams of different classes in the categorical variant.
    """

    def __init__(self, seed, scheme: str = "per-call"):
        self.scheme = scheme
        self.ss = np.random.SeedSequence(seed)

    def _child(self, *key, fast: bool = False) -> np.random.Generator:
        ss = np.random.SeedSequence(
            self.ss.entropy, spawn_key=tuple(self.ss.spawn_key) + tuple(int(k) for k in key))
        # SFC64 draws normals ~1.5x faster than PCG64: used for the bulk Monte-Carlo draws
        return np.random.Generator(np.random.SFC64(ss)) if fast else np.random.default_rng(ss)

    def init(self, s: int, K: int, tag: int = 0):
        if self.scheme == "reference":
            return np.random.RandomState(s)
        return self._child(0, tag, s, K)

    def kfold_seed(self, tag: int = 0) -> int:
        if self.scheme == "reference":
            return 42
        return int(self._child(1, tag).integers(2**31 - 1))

    def bootstrap(self, b: int, tag: int = 0) -> np.random.Generator:
        if self.scheme == "reference":
            return np.random.default_rng(b)
        return self._child(2, tag, b)

    def refit(self, s: int, K: int, tag: int = 0):
        """Stream of the k-means restart of init seed ``s``'s stuck cross-validation fits at K."""
        if self.scheme == "reference":
            return np.random.RandomState(10_000 + s)
        return self._child(4, tag, s, K)

    def fit_check(self, tag: int = 0) -> np.random.Generator:
        """Stream of the model draws of the goodness-of-fit check (``_fitcheck``)."""
        if self.scheme == "reference":
            return np.random.default_rng([tag, 5])
        return self._child(5, tag, fast=True)

    def mc(self, b: int, best_seed: int, common: bool, tag: int = 0) -> np.random.Generator:
        if self.scheme == "reference":
            return np.random.default_rng(best_seed if common else [best_seed, b, 1])
        return self._child(3, tag, fast=True) if common else self._child(3, tag, b + 1, fast=True)


class FitLog:
    """What happened in the EM fits of one estimate: raised reg_covar and non-converged fits.

    The estimators log one warning of each kind per estimate from it (not one per batch) and copy
    :meth:`info` into ``Estimate.info``.
    """

    def __init__(self, reg_covar: float, max_iter: int):
        self.reg_covar, self.max_iter = float(reg_covar), int(max_iter)
        self.raised = {"cv": 0, "bootstrap": 0}
        self.max_level = 0.0
        self.reg_used: list[float] | None = None
        self.not_converged, self.fits = 0, 0

    def add(self, res: EMResult, stage: str, variance) -> None:
        self.fits += int(res.n_iter.size)
        self.not_converged += int(res.not_converged.sum())
        lv = res.reg_level[~res.failed]
        lv = lv[lv > 0]
        if lv.size:
            self.raised[stage] += int(lv.size)
            if lv.max() >= self.max_level:
                self.max_level = float(lv.max())
                reg = np.maximum(self.reg_covar, self.max_level * np.asarray(variance, float))
                used = [float(v) for v in reg]
                self.reg_used = used if self.reg_used is None else [
                    max(a, b) for a, b in zip(self.reg_used, used, strict=True)]

    def info(self) -> dict:
        n = sum(self.raised.values())
        return {"reg_covar_raised": n > 0,
                "reg_covar_raised_fits": dict(self.raised),
                "reg_covar_raised_level": self.max_level if n else None,
                "reg_covar_used": self.reg_used if n else None,
                "em_not_converged_fits": self.not_converged,
                "em_fits": self.fits}

    def warn(self, who: str) -> None:
        n = sum(self.raised.values())
        if n:
            logger.warning(
                "%s: %d EM fit(s) hit a singular covariance with reg_covar=%g and were refitted with "
                "reg_covar raised to %g x the per-dimension variance (max %s); see "
                "info['reg_covar_raised'] (singular_fallback=False fails instead, as the original)",
                who, n, self.reg_covar, self.max_level, f"{max(self.reg_used):.3g}")
        if self.not_converged:
            logger.warning("%s: EM did not converge within max_iter=%d for %d of %d fits (usually a "
                           "component degenerate on a few repeated points, whose likelihood then "
                           "oscillates at float precision; a larger reg_covar avoids it)",
                           who, self.max_iter, self.not_converged, self.fits)


#: a cross-validation fit at K > 1 is *stuck* when its stopping rule fired at iteration 2 or 3:
#: the likelihood barely moved from the start. From the original's random start (near-identical
#: components near a saddle of the likelihood) this is the failure of issue 20: the fit is still
#: almost the K = 1 fit, its held-out score ties K - 1's, and the search stops too early.
STUCK_MAX_ITER = 3


def stuck_fits(res: EMResult, K: int) -> np.ndarray:
    """(P,) True where a fit at K > 1 converged within :data:`STUCK_MAX_ITER` iterations."""
    if K <= 1:
        return np.zeros(res.n_iter.shape, dtype=bool)
    return res.converged & ~res.failed & (res.n_iter <= STUCK_MAX_ITER)


def n_free_params(K: int, d: int) -> int:
    """Free parameters of a full-covariance mixture: K d(d+1)/2 + K d + K - 1."""
    return K * d * (d + 1) // 2 + K * d + K - 1


class Stopper:
    """The K-search stopping rule (spec section 5), fed one metric value per K in order.

    ``update(K, metric)`` returns K* when the search stops, else None. An improvement is
    ``metric - best > threshold``. ``reset=False`` reproduces the original, whose patience
    counter is never reset after an improvement (so with patience > 1 it can stop early and
    return a K that is not the best); ``reset=True`` resets it, so K* is the last improving K.
    """

    def __init__(self, threshold: float, patience: int, max_components: int, reset: bool):
        self.threshold, self.patience = float(threshold), int(patience)
        self.max_components, self.reset = int(max_components), bool(reset)
        self.best, self.counter, self.capped = -np.inf, 0, False

    def update(self, K: int, metric: float):
        if metric - self.best > self.threshold:
            self.best = metric
            if self.reset:
                self.counter = 0
        else:
            self.counter += 1
        if self.counter >= self.patience:
            return K - self.patience
        if K == self.max_components:
            self.capped = True
            return K
        return None


def _pad(parts, d):
    n = max(len(p) for p in parts)
    X = np.zeros((len(parts), n, d))
    W = np.zeros((len(parts), n))
    for i, p in enumerate(parts):
        X[i, :len(p)] = p
        W[i, :len(p)] = 1.0
    return X, W


@dataclass
class Selection:
    """Outcome of the K search. ``warm_start`` is a Mixture batch of one fit."""

    n_components: int
    warm_start: Mixture
    best_seed: int
    best_fold: int
    reached_max_components: bool
    all_stopped_early: bool
    history: dict = field(default_factory=dict)
    #: CV fits found stuck (before any restart), restarted from k-means, and whose scores entered
    #: the selection while stuck (``stuck_fits="count"``, or still stuck after the restart)
    stuck: int = 0
    stuck_refit: int = 0
    stuck_used: int = 0
    #: the best seed's CV fits at K*, one per fold (a Mixture batch of n_folds), and the
    #: validation row indices of each fold: held-out data for the goodness-of-fit check
    fold_fits: Mixture | None = None
    val_index: list = field(default_factory=list)


def select_components(X: np.ndarray, p, streams: Streams, tag: int = 0,
                      log: FitLog | None = None) -> Selection:
    """Choose K by cross-validation (section 4-5 of the spec). ``p`` holds the hyperparameters.

    A CV fit at K > 1 that is *stuck* (its stopping rule fired within :data:`STUCK_MAX_ITER`
    iterations) is restarted, with ``p.stuck_fits == "refit"``, from a k-means++ start of its own
    stream (``Streams.refit``) before its held-out score counts; ``"count"`` keeps its score as the
    original does. Stuck fits whose scores were used (``Selection.stuck_used``) are logged as a
    warning whatever K* is.

    A CV fit whose covariance becomes singular scores -inf (that K does not improve), except at
    the first K tried (K = 1, or ``fixed_components``), where with ``p.singular_fallback`` the
    failed fits are retried with a raised reg_covar (see ``fit_em_fallback``) so that the search
    can start. ``log`` collects what happened.
    """
    from sklearn.model_selection import KFold

    N, d = X.shape
    I, F = int(p.n_inits), int(p.n_folds)
    folds = list(KFold(n_splits=F, shuffle=True, random_state=streams.kfold_seed(tag)).split(X))
    Xtr, Wtr = _pad([X[tr] for tr, _ in folds], d)
    Xva, Wva = _pad([X[va] for _, va in folds], d)
    # problem index q = s * F + f  (init seed s, fold f)
    Xtr, Wtr = np.tile(Xtr, (I, 1, 1)), np.tile(Wtr, (I, 1))
    Xva, Wva = np.tile(Xva, (I, 1, 1)), np.tile(Wva, (I, 1))
    fixed = int(p.fixed_components)
    Ks = [fixed] if fixed > 0 else range(1, int(p.max_components) + 1)
    hist = {"k": [], "metric": [], "val_score": [], "val_scores": [], "aic": [], "bic": [],
            "cv_n_iter": [], "cv_converged": [], "cv_failed": [], "cv_stuck": [], "best_seed": [],
            "best_fold": []}
    kept = {}
    stopper = Stopper(p.threshold_components, p.patience, p.max_components, p.patience_reset)
    k_star, capped = None, False
    stuck_total = refit_count = stuck_used = 0
    variance = X.var(axis=0)
    for K in Ks:
        inits = [initialise(X, K, p.init_type, streams.init(s, K, tag), p.scale) for s in range(I)]
        em_kw = dict(reg_covar=float(p.reg_covar), tol=float(p.threshold_fit),
                     max_iter=int(p.max_iter), variance=variance,
                     fallback=bool(p.singular_fallback) and K == Ks[0])
        res = fit_em_fallback(Xtr, Wtr, stack([inits[s] for s in range(I) for _ in range(F)]),
                              **em_kw)
        if log is not None:
            log.add(res, "cv", variance)
        stuck = stuck_fits(res, K)
        n_stuck = int(stuck.sum())
        if n_stuck and p.stuck_fits == "refit":
            # restart every stuck fit from a k-means++ start of its own stream (one per seed)
            idx = np.flatnonzero(stuck)
            starts = {s: initialise(X, K, "kmeans_sklearn", streams.refit(s, K, tag))
                      for s in sorted({int(q) // F for q in idx})}
            new = fit_em_fallback(Xtr[idx], Wtr[idx], stack([starts[int(q) // F] for q in idx]),
                                  **em_kw)
            if log is not None:
                log.add(new, "cv", variance)
            res.put(idx, new)
            refit_count += idx.size
            stuck = stuck_fits(res, K)
        stuck_total += n_stuck
        stuck_used += int(stuck.sum())
        val = mean_loglik(Xva, Wva, res.mix)
        val[res.failed] = -np.inf
        scores = val.reshape(I, F)
        with np.errstate(invalid="ignore"):
            seed_mean = scores.mean(axis=1)
        bs = int(np.argmax(seed_mean))
        bf = int(np.argmax(scores[bs]))
        best_val = float(seed_mean[bs])
        theta0 = res.mix.take([bs * F + bf])
        kept[K] = (theta0, bs, bf, res.mix.take(np.arange(bs * F, bs * F + F)))
        aic = bic = None
        if p.metric_method != "valid" and np.isfinite(best_val):
            full = fit_em(X[None], np.ones((1, N)), theta0, reg_covar=float(p.reg_covar),
                          tol=float(p.threshold_fit), max_iter=int(p.max_iter))
            if log is not None:
                log.add(full, "cv", variance)
            if full.failed[0]:
                aic = bic = np.inf
            else:  # scikit-learn scores the final parameters, one M-step after the last E-step
                npar = n_free_params(K, d)
                loglik = float(mean_loglik(X[None], np.ones((1, N)), full.mix)[0])
                aic = float(-2.0 * N * loglik + 2.0 * npar)
                bic = float(-2.0 * N * loglik + npar * np.log(N))
        metric = {"valid": best_val, "aic": -aic if aic is not None else -np.inf,
                  "bic": -bic if bic is not None else -np.inf}[p.metric_method]
        hist["k"].append(K)
        hist["metric"].append(_f(metric))
        hist["val_score"].append(_f(best_val))
        hist["val_scores"].append([[_f(v) for v in row] for row in scores])
        hist["aic"].append(_f(aic))
        hist["bic"].append(_f(bic))
        hist["cv_n_iter"].append([int(v) for v in res.n_iter])
        hist["cv_converged"].append([bool(v) for v in res.converged])
        hist["cv_failed"].append([bool(v) for v in res.failed])
        hist["cv_stuck"].append(int(n_stuck))
        hist["best_seed"].append(bs)
        hist["best_fold"].append(bf)
        if fixed > 0:
            if not np.isfinite(best_val):
                raise EstimatorFailure(f"every cross-validation fit with fixed_components={K} "
                                       "failed (a covariance became singular)")
            k_star = K
            break
        k_star = stopper.update(K, metric)
        if k_star is not None:
            capped = stopper.capped
            if capped:
                logger.warning("GMM-MI reached max_components=%d without the stopping rule "
                               "firing", K)
            break
    if k_star is None or k_star < 1 or not np.isfinite(hist["val_score"][hist["k"].index(k_star)]):
        raise EstimatorFailure("GMM-MI could not fit any number of components: every "
                               "cross-validation fit failed (a covariance became singular; "
                               "try a larger reg_covar)")
    theta0, bs, bf, fold_fits = kept[k_star]
    upto = [i for i, k in enumerate(hist["k"]) if k <= k_star]
    early = all(max(hist["cv_n_iter"][i]) <= 2 for i in upto)
    if early and k_star > 1:  # at K=1 the init is already the optimum: stopping at 2 is normal
        logger.warning("all cross-validation fits up to K=%d stopped within 2 EM iterations; "
                       "threshold_fit may be too loose", k_star)
    if stuck_used:  # whatever K* is: a stuck fit at K* + 1 is exactly what makes K* too small
        logger.warning(
            "GMM-MI: %d cross-validation fit(s) stopped within %d EM iterations at K > 1 (stuck "
            "near their start) and their held-out scores were used to choose K*=%d; K* may be too "
            "small (%s). See info['flags'] ('stuck_cv_fits').", stuck_used, STUCK_MAX_ITER, k_star,
            "stuck_fits='count' keeps them as the original does" if p.stuck_fits == "count"
            else "they stayed stuck after a k-means restart")
    return Selection(k_star, theta0, bs, bf, capped, early, hist, stuck_total, refit_count,
                     stuck_used, fold_fits, [va for _, va in folds])


def _f(v):
    """JSON-friendly float: None for missing or non-finite values (failed fits)."""
    return None if v is None or not np.isfinite(v) else float(v)
