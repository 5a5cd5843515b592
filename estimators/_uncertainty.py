"""Error bars shared by the built-in estimators: the ``uncertainty`` hyperparameter.

Every built-in estimator takes ``uncertainty``, spelled the same way everywhere. The values
(each estimator accepts the ones valid for its family, see :data:`METHODS`):

``"none"``
    No error bar (``Estimate.std`` is None); the cost of one plain estimate.
``"subsample"``
    Subsampling without replacement with extrapolation to the full n (Holmes & Nemenman,
    Phys. Rev. E 99, 042136 (2019)); the default of the kNN, binning, KDE and plug-in
    estimators. See :func:`subsample_estimate`.
``"analytic"``
    An analytic (delta-method) variance; the Gaussian estimator's default.
``"crossfit"``
    Neural bounds and DoE: k-fold cross-fitting, one model trained per fold on the other rows
    and tested on the fold, the spread of the fold estimates (includes training randomness);
    their default, at the cost of k = 5 trainings. See :func:`check_crossfit_size`.
``"test-batches"``
    Neural bounds: the standard error over the disjoint test batches of one training
    (test-sampling noise only, training randomness left out); the cost of one training.
``"bootstrap"``
    GMM-MI's bootstrap over refits (``n_bootstrap`` replicates).

Small API: :func:`check_uncertainty` (called from ``validate_params``) and
:func:`subsample_estimate` (called at the top of ``_estimate`` when ``uncertainty="subsample"``).
"""

from __future__ import annotations

import numpy as np

from mibench import Estimate, InputError

__all__ = ["METHODS", "SUBSAMPLE_SPLITS", "check_uncertainty", "check_crossfit_size",
           "check_subsample_size",
           "part_seeds", "pooled_std", "subsample_estimate", "subsample_min_samples"]

#: every spelling of ``uncertainty`` used by the built-in estimators, with one line each
METHODS = {
    "none": "no error bar (std=None), one plain estimate",
    "subsample": "subsampling without replacement at n/2, n/3, n/4, variance extrapolated to n "
                 "(Holmes & Nemenman 2019)",
    "analytic": "delta-method (influence-function) variance",
    "test-batches": "standard error over the test batches of one training (no training randomness)",
    "crossfit": "k-fold cross-fitting: one model per fold, spread of the fold estimates",
    "bootstrap": "bootstrap over refits",
}

#: numbers of disjoint parts the data are split into: subsamples of n/2, n/3 and n/4 rows,
#: 1 + 2 + 3 = 6 degrees of freedom for the variance, about 3 plain estimates of cost for an
#: O(n log n) estimator (one for each split), less for O(n^2) ones (KDE: 1/2 + 1/3 + 1/4)
SUBSAMPLE_SPLITS = (2, 3, 4)


def check_uncertainty(est, supported: tuple[str, ...]) -> None:
    """Raise InputError unless ``est.uncertainty`` is one of ``supported`` (naming them)."""
    value = getattr(est, "uncertainty", None)
    if not isinstance(value, str) or value not in supported:
        names = ", ".join(repr(s) for s in supported)
        raise InputError(f"{type(est).__name__}: uncertainty={value!r} is not supported; "
                         f"supported: {names}")


def subsample_min_samples(est, need: int, splits: tuple[int, ...] = SUBSAMPLE_SPLITS) -> int:
    """``min_samples()`` of an estimator whose plain configuration needs ``need`` rows: with
    ``uncertainty="subsample"`` every part of n / max(splits) rows must have them, so
    ``need * max(splits)`` (the runner checks it when it plans a run, before any work)."""
    return int(need) * max(splits) if getattr(est, "uncertainty", None) == "subsample" else int(need)


def _plain(est):
    """A copy of ``est`` with ``uncertainty="none"`` (the point estimate only)."""
    return type(est)(**{**est.get_params(), "uncertainty": "none"})


def check_subsample_size(est, n: int, splits: tuple[int, ...] = SUBSAMPLE_SPLITS) -> None:
    """Raise InputError (before any work) when the smallest subsample, ``n // max(splits)`` rows,
    is below what the estimator needs (``min_samples()`` of its plain configuration, e.g.
    k + 1 for the kNN estimators)."""
    smallest = n // max(splits)
    need = _plain(est).min_samples()
    if smallest < need:
        raise InputError(
            f"{type(est).__name__}: uncertainty='subsample' splits the n={n} rows into up to "
            f"{max(splits)} disjoint parts of {smallest} rows (fraction 1/{max(splits)}), fewer than "
            f"the {need} this configuration needs (e.g. k + 1 for k-NN estimators); use "
            f"n >= {need * max(splits)}, a smaller k, or uncertainty='none'")


def check_crossfit_size(est, n: int, folds: int, min_rows: int) -> None:
    """Raise InputError (before any training) when ``uncertainty="crossfit"`` would give a test
    fold of fewer than ``min_rows`` rows: the n rows are split into ``folds`` folds of at
    least ``n // folds`` rows (fraction 1/folds)."""
    smallest = n // folds
    if smallest < min_rows:
        raise InputError(
            f"{type(est).__name__}: uncertainty='crossfit' splits the n={n} rows into {folds} "
            f"test folds of {smallest} rows (fraction 1/{folds}), fewer than the {min_rows} a "
            f"fold needs; use n >= {min_rows * folds} or uncertainty='none'")


def _seed_for(seed: int | None, *path: int) -> int | None:
    if seed is None:
        return None
    return int(np.random.SeedSequence([int(seed) % 2**63, 0x5B5, *path]).generate_state(1)[0])


def part_seeds(seed: int | None, splits: tuple[int, ...] = SUBSAMPLE_SPLITS) -> list[int | None]:
    """The seeds :func:`subsample_estimate` gives its parts' plain estimates, in the order of
    its parts (split ``a`` by split, part ``i`` by part): for a ``part_values`` that runs a
    seeded estimator on each part exactly as the default path would."""
    return [_seed_for(seed, a, i) for a in splits for i in range(a)]


def _mean_var(values) -> tuple[float, float]:
    """Mean and sample variance (ddof=1) of a few part estimates, in plain Python (numpy's
    per-call overhead was a tenth of a binning error bar at n = 1e3)."""
    v = [float(a) for a in values]
    mean = sum(v) / len(v)
    return mean, sum((a - mean) ** 2 for a in v) / (len(v) - 1)


def _pooled_var(splits, per_split) -> tuple[float, int]:
    """(variance at n, dof): the part variances at each split extrapolated to n and pooled,
    ``sum_a (a - 1) s_a^2 / a  /  sum_a (a - 1)``, and ``sum_a (a - 1)``."""
    weighted, dof = 0.0, 0
    for a, vals in zip(splits, per_split, strict=True):
        weighted += (a - 1) * _mean_var(vals)[1] / a
        dof += a - 1
    return weighted / dof, dof


def pooled_std(per_split, splits: tuple[int, ...] = SUBSAMPLE_SPLITS) -> float:
    """The std at n of :func:`subsample_estimate`, from the parts' values of another quantity
    computed on the same parts (one array per split, in its order)."""
    return float(np.sqrt(_pooled_var(splits, per_split)[0]))


def subsample_estimate(est, x: np.ndarray, y: np.ndarray, seed: int | None,
                       splits: tuple[int, ...] = SUBSAMPLE_SPLITS, part_values=None,
                       crossed: bool = False, info_std: tuple[str, ...] = (),
                       full: Estimate | None = None) -> Estimate:
    """The plain estimate on all rows, with a standard error from disjoint subsamples.

    Method (Holmes & Nemenman 2019, for KSG; it needs only that the estimator's variance scales
    as 1/n): for each ``a`` in ``splits`` the rows are randomly partitioned into ``a`` disjoint
    parts of about n/a rows, and the plain estimator (``uncertainty="none"``, same other
    hyperparameters) is run on each part. The sample variance ``s_a^2`` of the ``a`` part
    estimates (``a - 1`` degrees of freedom) estimates the variance at n/a rows; extrapolated to
    n with ``var(n) = var(n/a) / a``, and pooled over the splits weighted by degrees of freedom:

        std^2 = sum_a (a - 1) s_a^2 / a  /  sum_a (a - 1)

    Disjoint parts, unlike a bootstrap, contain no duplicated rows (duplicates have zero
    distance and bias k-NN, histogram and kernel estimators).

    A bias estimate comes from the same runs: the mean estimate at n/a is fitted as
    ``I(n/a) = I_inf + b a`` over a = 1 (the full estimate) and the splits (bias ~ 1/n), and
    ``info`` gets ``subsample_bias`` = b (the estimated bias of the full-n estimate, nats) and
    ``mi_extrapolated`` = I_inf (the estimate extrapolated to infinite n; not the reported mi).

    The returned ``mi`` is the plain estimate on all rows (unchanged by the error bar), its
    ``info`` the plain estimate's plus ``uncertainty``, ``subsample_splits``, ``subsample_means``,
    ``subsample_dof`` (degrees of freedom of the variance, 6 by default: the std itself varies by
    about 1/sqrt(2 * 6) = 29 % from one data set to the next, so est ± 2 std covers about 91 %
    for an exactly calibrated std, the t distribution with 6 dof; ± 2.45 std covers 95 %) and the
    two bias entries. Seeds: the plain estimate uses ``seed`` (so its value equals the
    ``uncertainty="none"`` estimate); partitions and part seeds come from independent streams.

    ``part_values(x, y, parts, full)``, when given, returns the plain estimates on the row
    subsets ``parts`` (a list of index arrays, all splits' parts in order; ``full`` the plain
    Estimate on all rows) in one call: the plug-in
    estimators count every part's contingency table at once (no per-part Python work, no
    per-part logging). Without it each part runs the plain ``_estimate`` with its own seed.

    ``crossed=True`` draws one permutation instead of one per split (a permutation of 1e4 rows
    costs about 0.1 ms, a fifth of a plain binning estimate): split ``a`` takes every a-th row
    of it (rows i, i + a, ...) and the largest split consecutive blocks, so no partition is a
    refinement of another (halves and thirds cross as residues mod 2 and 3; every block holds
    equal shares of both); each split is still a uniformly random partition of the rows.

    Grid noise (binning): an estimator whose discretisation is set by the sample (equal-width
    bins between the sample's min and max) varies from one data set to the next through its
    grid as well as through its counts, and the grid part does not shrink as 1/n (the extremes
    of a sample fluctuate by O(1) of their size at every n; on heavy tails they grow with n).
    Extrapolating it as 1/n made binning's std too small on Student-t and cubed-Gaussian data
    (std_ratio 0.5-0.7, docs/calibration.md). When ``part_values`` returns two rows, row 1 is
    the same parts discretised on the full data's grid (counting noise only), and the paired
    difference of the two part variances at each split, ``g_a = s_a^2 - f_a^2`` (the grid
    noise at n/a rows), is added without extrapolation:

        std^2 = sum_a (a - 1) [s_a^2 / a + (1 - 1/a) g_a]  /  sum_a (a - 1)

    (the pooled grid term clipped at 0), i.e. counting noise scaled as 1/n, grid noise kept at
    its n/a size. ``info`` then also has ``subsample_grid_var`` (the added variance) and
    ``subsample_std_counting`` (the std without it).

    ``full``: the plain estimate on all rows (with ``seed``) when the caller already has it;
    it is not computed again.

    ``info_std``: names of other scalars the plain estimate reports in ``info`` (a second
    estimate computed alongside, e.g. LNC's KSG ensemble); each gets the same pooled std from
    the parts' values, as ``info[name + "_std"]`` (not with ``part_values``).

    Cost: the full estimate plus one estimate on each part: about ``1 + len(splits)`` plain
    estimates for O(n log n) estimators (kNN), fewer for O(n^2) ones (KDE), measured by
    ``benchmarks/bench_uncertainty.py``. Known limit: where the variance does not scale as 1/n
    (an independent pair, where plug-in and kNN estimates fluctuate as 1/n, not 1/sqrt(n)), the
    extrapolation overstates the std (up to sqrt(a) for the variance from n/a rows).
    """
    n = x.shape[0]
    check_subsample_size(est, n, splits)
    plain = _plain(est)
    if full is None:
        full = plain._estimate(x, y, seed=seed)
    rng = np.random.default_rng(_seed_for(seed, 0))
    if crossed:  # one permutation: interleaved parts, the largest split in blocks
        perm = rng.permutation(n)
        split_parts = [np.array_split(perm, a) if a == max(splits) else [perm[i::a] for i in range(a)]
                       for a in splits]
    else:
        split_parts = [np.array_split(rng.permutation(n), a) for a in splits]
    per_split_fixed = None
    if part_values is not None:
        flat = np.asarray(part_values(x, y, [p for parts in split_parts for p in parts], full),
                          dtype=float)
        cuts = np.cumsum([len(parts) for parts in split_parts])[:-1]
        if flat.ndim == 2:  # row 1: the parts on the full data's discretisation
            per_split_fixed = np.split(flat[1], cuts)
            flat = flat[0]
        per_split = np.split(flat, cuts)
    else:
        seeds = iter(part_seeds(seed, splits))
        part_est = [[plain._estimate(np.ascontiguousarray(x[p]), np.ascontiguousarray(y[p]),
                                     seed=next(seeds)) for p in parts] for parts in split_parts]
        per_split = [np.array([e.mi for e in ests], dtype=float) for ests in part_est]
    extra = {}
    for name in info_std:
        if part_values is not None:
            raise ValueError("info_std needs the parts' own estimates (no part_values)")
        extra[name + "_std"] = pooled_std([[e.info[name] for e in ests] for ests in part_est],
                                          splits)
    var, dof = _pooled_var(splits, per_split)
    means = [_mean_var(vals)[0] for vals in per_split]
    if per_split_fixed is not None:
        # grid noise: own-grid minus fixed-grid part variance (same rows), not extrapolated
        grid = sum((a - 1) * (1 - 1 / a) * (_mean_var(own)[1] - _mean_var(fix)[1])
                   for a, own, fix in zip(splits, per_split, per_split_fixed, strict=True)) / dof
        extra.update(subsample_grid_var=float(max(grid, 0.0)),
                     subsample_std_counting=float(np.sqrt(var)))
        var += max(grid, 0.0)
    std = float(np.sqrt(var))
    # bias ~ 1/n: I(n/a) = I_inf + b a, least squares over a = 1 and the splits
    alphas, values = np.array([1.0, *splits]), np.array([full.mi, *means])
    da = alphas - alphas.mean()
    slope = float(da @ (values - values.mean()) / (da @ da))  # least squares (np.polyfit's line)
    intercept = float(values.mean() - slope * alphas.mean())
    info = dict(full.info)
    info.update(uncertainty="subsample", subsample_splits=list(splits), subsample_dof=int(dof),
                subsample_means=means, subsample_bias=float(slope),
                mi_extrapolated=float(intercept), **extra)
    return Estimate(mi=float(full.mi), std=std, info=info)
