"""Histogram (binning) MI estimator: plug-in MI on a grid, with the Miller–Madow correction."""

from __future__ import annotations

import logging
import math
from numbers import Integral

import numpy as np
from scipy.stats import rankdata

from estimators._checks import check_bool
from estimators._knn_checks import with_summary_check
from estimators._plugin import combine_codes, plugin_mi, plugin_mi_groups
from estimators._uncertainty import check_uncertainty, subsample_estimate, subsample_min_samples
from mibench import Capabilities, Estimate, Estimator, InputError

logger = logging.getLogger(__name__)

__all__ = ["Binning", "BIN_RULES", "n_bins"]

STRATEGIES = ("uniform", "quantile")
#: expected points per joint cell kept by the "cellucci" rule (and "auto" in more than 2-D)
MIN_EXPECTED_PER_CELL = 5
#: flag ``sparse_cells`` when more than this fraction of the points sit alone in their joint cell
SPARSE_SINGLETON_FRACTION = 0.5
#: flag ``concentrated`` (uniform bins) when one bin of a column holds more than this fraction of
#: the points, or more than min(0.9, 3 / B) of them with B bins (a Gaussian column's fullest of
#: 13 bins holds about 0.2, of 2 bins 0.5-0.7; a Cauchy column's fullest bin almost all points)
CONCENTRATED_FRACTION = 0.5
#: accepted bin-number rule names (plus "auto" and any int >= 2)
BIN_RULES = ("sturges", "sqrt", "rice", "scott", "fd", "hacine-gharbi", "hacine-gharbi-ravier",
             "cellucci")


def _max_canonical_correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Largest canonical correlation between the columns of x and y (|r| for two columns)."""
    if x.shape[1] == 1 and y.shape[1] == 1:  # |r| directly (np.corrcoef's overhead dominated)
        xc, yc = x[:, 0] - x[:, 0].mean(), y[:, 0] - y[:, 0].mean()
        sxy, sxx, syy = float(xc @ yc), float(xc @ xc), float(yc @ yc)
        return 1.0 if sxx == 0 or syy == 0 else float(min(1.0, abs(sxy) / np.sqrt(sxx * syy)))
    z = np.hstack((x, y))
    r = np.corrcoef(z, rowvar=False)
    dx = x.shape[1]
    rxx, ryy, rxy = r[:dx, :dx], r[dx:, dx:], r[:dx, dx:]
    try:
        lx = np.linalg.cholesky(np.atleast_2d(rxx))
        ly = np.linalg.cholesky(np.atleast_2d(ryy))
    except np.linalg.LinAlgError:
        return 1.0  # collinear columns: treat as maximal dependence
    m = np.linalg.solve(lx, np.linalg.solve(ly, np.atleast_2d(rxy).T).T)
    return float(min(1.0, np.linalg.svd(m, compute_uv=False)[0]))


def _hgr_bins(n, r):
    """Hacine-Gharbi–Ravier bin count for n rows of correlation r (scalars or arrays)."""
    one_m_r2 = np.maximum(1.0 - np.asarray(r, dtype=float) ** 2, 1e-12)
    return np.round(np.sqrt(1 + np.sqrt(1 + 24 * np.asarray(n) / one_m_r2)) / np.sqrt(2))


def _pair_bins(n, r, auto: bool):
    """Bins per column for a pair of columns, n rows of correlation r (scalars or arrays):
    Hacine-Gharbi–Ravier's count in [1, n]; with ``auto`` (the default rule, uniform bins)
    (1 + r^2) times it, at most n (see :func:`n_bins`)."""
    b = np.clip(_hgr_bins(n, r), 1, n)
    return np.minimum(np.round((1.0 + np.asarray(r, dtype=float) ** 2) * b), n) if auto else b


def n_bins(rule, x: np.ndarray, y: np.ndarray, strategy: str) -> list[int]:
    """Number of bins for every column of x then y.

    Parameters
    ----------
    rule : int or str
        An int >= 2 (same for every column), "auto", or a name in :data:`BIN_RULES`.
    x, y : ndarray, shapes (n, dx), (n, dy)
    strategy : {"uniform", "quantile"}

    Returns
    -------
    list of int, length dx + dy; every entry in [1, n].

    Notes
    -----
    Count rules (sturges, sqrt, rice, hacine-gharbi, hacine-gharbi-ravier, cellucci) give the
    same B for every column. Width rules (scott, fd) give each column its own
    ``B = ceil(range / h)``; with quantile bins there is no width, so they use the Scott/FD
    count a Gaussian column of the same n would get (``range/h`` on the standardised column).

    - ``hacine-gharbi-ravier`` (2018, for MI): ``round(sqrt(1 + sqrt(1 + 24 n / (1 - r^2))) /
      sqrt(2))`` with r the sample correlation; for multivariate x or y, r is the largest
      canonical correlation (the most dependent linear pair), clipped below 1 - 1e-12.
    - ``hacine-gharbi`` (2012, marginal entropy): ``round(xi/6 + 2/(3 xi) + 1/3)``,
      ``xi = (8 + 324 n + 12 sqrt(36 n + 729 n^2))^(1/3)``.
    - ``cellucci`` (2005): at least 5 expected points per joint cell,
      ``B = floor((n / 5)^(1 / (dx + dy)))`` (``sqrt(n/5)`` in 2-D), at least 2.
    - ``auto``: ``cellucci`` for quantile bins. For uniform bins and a pair of columns
      (dx + dy = 2): ``(1 + r^2)`` times the ``hacine-gharbi-ravier`` count (r its correlation),
      from that count at independence to twice it as |r| -> 1. That rule balances the grid's
      discretisation bias (down) against the plug-in's finite-sample bias (up); the
      Miller-Madow correction applied here removes most of the latter where the dependence
      concentrates the points, so a strong dependence is resolved better by a finer grid,
      while at independence every extra cell only adds bias. Measured
      (benchmarks/bench_binning_pair_rule.py; 14 one-column pairs, 6 data sets each): mean RMSE
      0.037 / 0.029 / 0.019 nats at n = 500 / 2000 / 10 000 against 0.059 / 0.043 / 0.033 for
      ``hacine-gharbi-ravier`` alone (which read 4-7 of its std low on 1v1-normal), unchanged
      at independence. In more
      dimensions, the smaller of ``hacine-gharbi-ravier`` and ``cellucci``: the joint grid has B^(dx+dy)
      cells, so the bins per axis shrink with the dimension to keep at least
      :data:`MIN_EXPECTED_PER_CELL` expected points per joint cell (at n = 2000: 20 bins per
      axis in 2-D, 4 in 4-D, 2 from 6-D on). Without the cap, 6 columns at n = 2000 got about
      12 bins each (3e6 cells for 2000 points), almost every point alone in its cell, and the
      estimate read about ln n (6.7-8.1 nats on tasks whose truth is 0.6-1.3).
    """
    n = x.shape[0]
    cols = np.hstack((x, y))
    d = cols.shape[1]
    if isinstance(rule, Integral):
        return [int(min(rule, n))] * d
    if rule == "auto":
        if strategy == "uniform":
            if d == 2:
                return [int(_pair_bins(n, _max_canonical_correlation(x, y), auto=True))] * 2
            return [min(a, b) for a, b in zip(n_bins("hacine-gharbi-ravier", x, y, strategy),
                                               n_bins("cellucci", x, y, strategy), strict=True)]
        rule = "cellucci"
    if rule == "sturges":
        b = np.ceil(np.log2(n)) + 1
    elif rule == "sqrt":
        b = np.ceil(np.sqrt(n))
    elif rule == "rice":
        b = np.ceil(2 * n ** (1 / 3))
    elif rule == "hacine-gharbi":
        xi = (8 + 324 * n + 12 * np.sqrt(36 * n + 729 * n**2)) ** (1 / 3)
        b = np.round(xi / 6 + 2 / (3 * xi) + 1 / 3)
    elif rule == "hacine-gharbi-ravier":
        b = _hgr_bins(n, _max_canonical_correlation(x, y))
    elif rule == "cellucci":
        b = max(2.0, np.floor((n / MIN_EXPECTED_PER_CELL) ** (1 / d)))
    elif rule in ("scott", "fd"):
        if strategy == "quantile":
            cols = (cols - cols.mean(0)) / cols.std(0)
        rng_ = cols.max(0) - cols.min(0)
        if rule == "scott":
            h = 3.49 * cols.std(0, ddof=1) * n ** (-1 / 3)
        else:
            q75, q25 = np.percentile(cols, [75, 25], axis=0)
            h = 2 * (q75 - q25) * n ** (-1 / 3)
            zero = h <= 0
            if zero.any():  # IQR 0 (heavy ties): fall back to Scott for those columns
                logger.info("binning: IQR is 0 in %d column(s); using Scott's width there",
                            int(zero.sum()))
                h = np.where(zero, 3.49 * cols.std(0, ddof=1) * n ** (-1 / 3), h)
        return [int(v) for v in np.clip(np.ceil(rng_ / h), 1, n)]
    else:  # validate_params guards this
        raise InputError(f"unknown bins rule {rule!r}")
    return [int(np.clip(b, 1, n))] * d


def _codes(a: np.ndarray, bins: list[int], strategy: str) -> np.ndarray:
    """Integer bin codes, shape (n, d), per column."""
    n = a.shape[0]
    b = np.asarray(bins, dtype=np.int64)
    if strategy == "quantile":
        # ranks with ties sharing the lowest rank, so ties share a bin; only the order of the
        # values matters, hence invariance to strictly increasing transforms
        ranks = rankdata(a, method="min", axis=0).astype(np.int64) - 1
        return (ranks * b) // n
    lo = a.min(0)
    width = a.max(0) - lo
    c = np.floor((a - lo) / width * b).astype(np.int64)
    return np.minimum(c, b - 1)


class Binning(Estimator):
    """Plug-in MI on a histogram grid, in nats, with the Miller–Madow bias correction.

    Every column is binned separately; multivariate x (or y) cells are the combinations of its
    columns' bins (only occupied cells are stored, so memory stays O(n)).

    Parameters
    ----------
    bins : int or str, default "auto"
        Number of bins per column: an int >= 2, or a rule among "sturges", "sqrt", "rice",
        "scott", "fd", "hacine-gharbi", "hacine-gharbi-ravier", "cellucci" (formulas in
        :func:`n_bins`). "auto" uses Hacine-Gharbi–Ravier (the rule derived for MI of a
        Gaussian pair) for uniform bins of a pair of columns, capped in more dimensions by
        Cellucci (>= 5 expected points per joint cell, so the bins per axis shrink with
        dx + dy), and Cellucci for quantile bins, where every joint cell is populated and the
        bias at independence is larger. Density-display rules (sqrt, scott, fd, rice)
        over-bin for MI and give a large positive bias at independence.
    strategy : {"uniform", "quantile"}, default "uniform"
        Equal-width bins between each column's min and max, or equiprobable bins from the
        ranks (edges at empirical quantiles; ties share a bin). Quantile bins make the
        estimate exactly invariant to strictly increasing transforms of each column.
    miller_madow : bool, default True
        Subtract ``(B_xy - B_x - B_y + 1) / (2 n)`` (B = occupied cells), the first-order bias
        of the plug-in. It does not remove the discretisation bias (negative for strong
        dependence).
    uncertainty : {"subsample", "none"}, default "subsample"
        How ``Estimate.std`` is computed. "subsample": disjoint subsamples of n/2, n/3 and n/4
        rows (Holmes & Nemenman 2019; needs n >= 16), each binned twice: on its own grid (the
        rule applied afresh, as a plain estimate on it would be) and on the full data's grid.
        The own-grid variance, extrapolated to n as 1/n, is the counting noise; the paired
        excess of the own-grid over the full-grid variance is the grid noise (equal-width
        edges set by the sample's extremes), kept at its n/a size instead of shrinking as 1/n
        (``info["subsample_grid_var"]``; without it the std was 0.5-0.7 of the spread over data
        sets on heavy-tailed and cubed data, docs/calibration.md). All the parts' histograms of
        a split are counted in one pass; about 4x the CPU time of one plain estimate at n = 1e3
        and 1e4 (3.9-4.1x, benchmarks/bench_uncertainty.py). Also reports ``subsample_bias`` in ``info``.
        "none": std=None at the cost of one estimate. See :mod:`estimators._uncertainty`.

    Notes
    -----
    Cost O(n log n) (ranking / relabelling). The grid has prod(B) cells, so in more than a few
    dimensions most cells hold 0 or 1 points and the estimate is dominated by bias.

    ``info``: ``bins`` (list per column of x then y), ``strategy``, ``rule``, ``mi_plugin``,
    ``cells_x``, ``cells_y``, ``cells_xy`` (occupied), ``singleton_fraction`` (points alone in
    their joint cell / n), ``n``, and ``flags``: ``["sparse_cells"]`` when more than half of the
    points are alone in their joint cell, with a logged warning (with every point alone, the
    joint entropy is ln n and the MI reads h_x + h_y - ln n whatever the dependence: about ln n
    once the marginal cells are mostly singletons too). Even with the cap, 2 bins per axis are
    too many past about log2(n / 5) columns (dx + dy >= 9 at n = 2000): such estimates carry
    the flag. ``coarse_bins``: the auto rule's dimension cap gave fewer bins per axis than the
    rule for a pair asks for, so the grid cannot resolve the dependence and the estimate is
    biased, usually down (at n = 2000 on 3 + 3 Gaussian columns: 0.21 against 0.41).
    ``concentrated`` (uniform bins): one bin holds more than half of a column's points (more
    than min(0.9, 3 / B) of them with B bins): heavy tails or outliers stretch the equal-width
    grid so that the bulk of the data falls in one or two bins (Student-t: 0.02 against 0.22);
    quantile bins avoid it. ``max_bin_fraction``: per column, the fraction of points in its fullest bin.
    With the subsampling std, the checks of :func:`estimators._knn_checks.with_summary_check`
    against other estimates on the same rows: ``below_summary`` (several columns),
    ``below_ksg`` and ``below_copula`` (also one column a side, where the grid's discretisation
    biases the estimate down: bmi's 1v1-additive-0.1, a uniform band with hard edges, reads
    1.654-1.658 against 1.71 at n = 10 000 and KSG 1.68-1.70, docs/estimator-defaults.md).
    """

    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}))
    reports_std = True
    #: 1: uncertainty (issue 15); 2: the auto rule shrinks the bins per axis in more than 2
    #: dimensions, flags (issue 20); 3: the error bar's grid term (issue 15); 4: the reference
    #: checks of estimators._knn_checks.with_summary_check (flags ``below_summary``,
    #: ``below_ksg``, ``below_copula``; issue 20) and, for a pair of columns, a finer auto grid
    #: (twice Hacine-Gharbi-Ravier capped by cellucci: biased up at independence, replaced);
    #: 5: the pair grid is (1 + r^2) times Hacine-Gharbi-Ravier (issue 20)
    version = 5
    fallbacks = ("plugin-discrete",)

    def __init__(self, bins="auto", strategy="uniform", miller_madow=True, uncertainty="subsample"):
        self.bins = bins
        self.strategy = strategy
        self.miller_madow = miller_madow
        self.uncertainty = uncertainty

    def validate_params(self) -> None:
        b = self.bins
        if isinstance(b, bool) or not (
                (isinstance(b, Integral) and b >= 2) or (isinstance(b, str) and b in ("auto", *BIN_RULES))):
            rules = ", ".join(map(repr, ("auto", *BIN_RULES)))
            raise InputError(f"bins must be an integer >= 2 or one of {rules}; got {b!r}")
        if self.strategy not in STRATEGIES:
            raise InputError(f"strategy must be 'uniform' (equal width) or 'quantile' (equiprobable), "
                             f"got {self.strategy!r}")
        check_bool(self, "miller_madow")
        check_uncertainty(self, ("subsample", "none"))

    def min_samples(self) -> int:
        return subsample_min_samples(self, 4)

    def _estimate(self, x: np.ndarray, y: np.ndarray, *, seed: int | None) -> Estimate:
        if self.uncertainty == "subsample":
            out = subsample_estimate(self, x, y, seed, part_values=self._part_values, crossed=True)
            # no KSG-ensemble reference: 0.8 s at 5x5 and n = 1e4 would triple binning's cost,
            # and its cells far off the bmi v1 truths are all flagged without it (issue 20)
            return with_summary_check(out, x, y, seed, ensemble_reference=False)
        n, dx = x.shape
        bins = n_bins(self.bins, x, y, self.strategy)
        codes_x, codes_y = _codes(x, bins[:dx], self.strategy), _codes(y, bins[dx:], self.strategy)
        cx, _ = combine_codes(codes_x)
        cy, _ = combine_codes(codes_y)
        res = plugin_mi(cx, cy, miller_madow=bool(self.miller_madow))
        flags = []
        rule = self.bins if isinstance(self.bins, str) else "fixed"
        if rule == "auto":
            rule = ("cellucci" if self.strategy == "quantile"
                    else "(1 + r^2) hacine-gharbi-ravier"
                    if len(bins) == 2 else "min(hacine-gharbi-ravier, cellucci)")
        singleton_fraction = res.singletons_xy / n
        sparse = singleton_fraction > SPARSE_SINGLETON_FRACTION
        if sparse:
            cells = math.prod(int(b) for b in bins)  # exact: 2 bins on 2048 columns is 2^2048
            logger.warning("binning: %.0f%% of the points are alone in their joint cell (%s cells "
                           "for n=%d): the estimate is dominated by bias (about ln n); use fewer "
                           "bins or another estimator", 100 * singleton_fraction,
                           cells if cells < 10**12 else f"about 10^{len(str(cells)) - 1}", n)
        if sparse:
            flags.append("sparse_cells")
        # the dimension cap gave fewer bins per axis than the rule for a pair asks for
        if (self.bins == "auto" and self.strategy == "uniform" and len(bins) > 2
                and any(b < h for b, h in zip(bins, n_bins("hacine-gharbi-ravier", x, y, "uniform"),
                                              strict=True))):
            flags.append("coarse_bins")
        # equal-width bins stretched over heavy tails or outliers: one bin holds most of a column
        top = np.array([np.bincount(c).max() / n for c in np.hstack((codes_x, codes_y)).T])
        if self.strategy == "uniform" and bool(
                (top > np.clip(3.0 / np.asarray(bins), CONCENTRATED_FRACTION, 0.9)).any()):
            flags.append("concentrated")
        info = {"bins": bins, "strategy": str(self.strategy), "rule": rule,
                "mi_plugin": res.mi_plugin, "cells_x": res.cells_x, "cells_y": res.cells_y,
                "cells_xy": res.cells_xy, "singleton_fraction": float(singleton_fraction),
                "max_bin_fraction": [float(v) for v in top], "n": int(n), "flags": flags}
        return Estimate(mi=res.mi, std=None, info=info)

    def _part_bins(self, cols: np.ndarray, bounds: np.ndarray, dx: int) -> np.ndarray:
        """Bins per column for every part (rows ``bounds[i]:bounds[i+1]`` of the gathered
        columns ``cols``, shape (d, rows)), shape (parts, d): what :func:`n_bins` gives on each
        part. A pair of columns with the Hacine-Gharbi–Ravier rule (or the default, derived
        from it) takes every part's correlation from one pass of sums; other rules call
        :func:`n_bins` per part."""
        starts, sizes = bounds[:-1], np.diff(bounds)
        rule = self.bins
        if len(cols) == 2 and (rule == "hacine-gharbi-ravier"
                               or (rule == "auto" and self.strategy == "uniform")):
            u, v = cols[0] - cols[0].mean(), cols[1] - cols[1].mean()  # no cancellation below
            sx, sy = np.add.reduceat(u, starts), np.add.reduceat(v, starts)
            prod = np.multiply(u, u)
            vxx = np.add.reduceat(prod, starts) - sx * sx / sizes
            vyy = np.add.reduceat(np.multiply(v, v, out=prod), starts) - sy * sy / sizes
            vxy = np.add.reduceat(np.multiply(u, v, out=prod), starts) - sx * sy / sizes
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where((vxx <= 0) | (vyy <= 0), 1.0,
                             np.minimum(1.0, np.abs(vxy) / np.sqrt(vxx * vyy)))
            b = _pair_bins(sizes, r, auto=rule == "auto").astype(np.int64)
            return np.column_stack((b, b))
        return np.array([n_bins(rule, cols[:dx, s:e].T, cols[dx:, s:e].T, self.strategy)
                         for s, e in zip(starts, bounds[1:], strict=True)], dtype=np.int64)

    def _part_values(self, x: np.ndarray, y: np.ndarray, parts: list[np.ndarray],
                     full: Estimate) -> np.ndarray:
        """The error bar's parts, shape (2, parts): row 0 the plain estimate on each row subset
        (each part gets its own bins and edges by the rule, as a plain estimate on those rows
        would), row 1 the same rows on the full data's grid (``full.info["bins"]`` and the
        data's edges: counting noise only, no grid noise; see
        :func:`estimators._uncertainty.subsample_estimate`). ``parts`` holds whole partitions
        of the n rows, one after the other (the splits); the 2 x parts contingency tables of a
        split are counted in one pass, in buffers of n rows reused from split to split (fresh
        arrays of a few hundred kB cost page faults that were half the error bar's time at
        n = 1e4); no flags or warnings (the full estimate has them, once)."""
        n, dx = x.shape
        columns = [a[:, j] for a in (x, y) for j in range(a.shape[1])]
        bins = full.info["bins"]
        d = len(columns)
        grid = np.hstack((_codes(x, bins[:dx], self.strategy), _codes(y, bins[dx:], self.strategy)))
        cols, codes = np.empty((d, n)), np.empty((d, 2 * n), dtype=np.int64)
        out, start = [], 0
        while start < len(parts):
            stop, rows_in = start, 0
            while rows_in < n:
                rows_in += parts[stop].size
                stop += 1
            out.append(self._split_values(columns, dx, grid, parts[start:stop], cols, codes))
            start = stop
        return np.concatenate(out, axis=1)

    def _split_values(self, columns, dx, grid, parts, cols, codes) -> np.ndarray:
        """:meth:`_part_values` of one partition of the rows (``columns``: the data's columns),
        in the buffers ``cols`` (d, n) and ``codes`` (d, 2n): the parts' own grids in
        ``codes[:, :n]``, the full data's grid (``grid``: its codes, (n, d)) in
        ``codes[:, n:]``."""
        d, n = cols.shape
        rows = np.concatenate(parts)
        sizes = np.array([p.size for p in parts])
        bounds = np.concatenate(([0], np.cumsum(sizes)))
        for j in range(d):
            np.take(columns[j], rows, out=cols[j])
            np.take(grid[:, j], rows, out=codes[j, n:])
        bins = self._part_bins(cols, bounds, dx)
        if self.strategy == "uniform":  # _codes of every part at once (same arithmetic)
            for j in range(d):
                c = cols[j]
                lo = np.minimum.reduceat(c, bounds[:-1])
                np.subtract(c, np.repeat(lo, sizes), out=c)
                np.divide(c, np.repeat(np.maximum.reduceat(c, bounds[:-1]), sizes), out=c)
                np.multiply(c, np.repeat(bins[:, j], sizes), out=c)
                np.floor(c, out=c)
                codes[j, :n] = c
                np.minimum(codes[j, :n], np.repeat(bins[:, j] - 1, sizes), out=codes[j, :n])
        else:
            for i, (s, e) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
                codes[:, s:e] = _codes(cols[:, s:e].T, list(bins[i]), self.strategy).T
        # labels need only be equal within a part for equal cells: combine all rows at once
        a, b = (c[0] if c.shape[0] == 1 else combine_codes(c.T)[0] for c in (codes[:dx], codes[dx:]))
        groups = np.repeat(np.arange(2 * len(parts)), np.concatenate((sizes, sizes)))
        return plugin_mi_groups(a, b, groups,
                                miller_madow=bool(self.miller_madow)).reshape(2, len(parts))
