"""Binning's subsampling error bar and its variants, on the `calibration` suite's continuous
scenarios (docs/calibration.md, "Binning: grid noise").

Per cell, std_ratio = mean reported std / std of the estimates over the seeds, for
  default   ``Binning()``: own-grid parts plus the grid term (the paired difference of the own-grid
            and full-grid part variances, not extrapolated; estimators._uncertainty)
  counting  the same parts without the grid term (``info["subsample_std_counting"]``: the
            error bar before the grid term, sum (a - 1) s_a^2 / a / sum (a - 1))
  fixed     every part reuses the full data's grid (no grid noise at all)
  fitted    own-grid parts, part variances fitted as A a + C (count part + grid part), std^2 =
            A + C (at least the pooled value)
and the 95 % interval of the default's ratio (sampling error of both stds, as in the reports).
The data of seed s are drawn with ``np.random.default_rng(FIRST + s)``, FIRST = ``--first-seed``
(default 10000; another value gives an independent set of data sets).

Usage::

    python benchmarks/bench_binning_subsample_variants.py --seeds 100 --n 2000 10000
"""

from __future__ import annotations

import argparse
import logging

import numpy as np

from estimators._plugin import combine_codes, plugin_mi
from estimators._uncertainty import SUBSAMPLE_SPLITS
from estimators.binning import Binning, _codes, n_bins
from mibench.registry import make_scenario

SCENARIOS = [("gaussian-correlated", {"rho": 0.3}), ("gaussian-correlated", {"rho": 0.9}),
             ("gaussian-independent", {}),
             ("multinormal-dense", {"dim_x": 2, "dim_y": 2, "correlation": 0.5}),
             ("student-t", {"df": 5, "dispersion": "dense", "correlation": 0.6}),
             ("student-t", {"df": 3, "dispersion": "identity"}), ("gmm-synthetic", {"dataset": "D3"}),
             ("transformed", {"base": "gaussian-correlated", "base_params": "rho=0.6",
                              "transform": "cube"})]


def _mi(x, y, bins=None, lo=None, width=None):
    """Plug-in MI with uniform bins (the rule's, or the given grid)."""
    dx = x.shape[1]
    if bins is None:
        bins = n_bins("auto", x, y, "uniform")
        return plugin_mi(combine_codes(_codes(x, bins[:dx], "uniform"))[0],
                         combine_codes(_codes(y, bins[dx:], "uniform"))[0]).mi, bins
    a = np.hstack((x, y))
    c = np.minimum(np.clip(np.floor((a - lo) / width * bins), 0, None).astype(np.int64),
                   np.asarray(bins) - 1)
    return plugin_mi(combine_codes(c[:, :dx])[0], combine_codes(c[:, dx:])[0]).mi, bins


def _stds(x, y, rng):
    n = x.shape[0]
    full, bins = _mi(x, y)
    a_all = np.hstack((x, y))
    lo, width = a_all.min(0), a_all.max(0) - a_all.min(0)
    own, fixed = [], []
    for a in SUBSAMPLE_SPLITS:
        parts = np.array_split(rng.permutation(n), a)
        own.append((a, [_mi(x[p], y[p])[0] for p in parts]))
        fixed.append((a, [_mi(x[p], y[p], bins, lo, width)[0] for p in parts]))

    def pooled(vals):
        return np.sqrt(sum((a - 1) * np.var(v, ddof=1) / a for a, v in vals)
                       / sum(a - 1 for a, _ in vals))

    a = np.array([a for a, _ in own], dtype=float)
    var = np.array([np.var(v, ddof=1) for _, v in own])
    design = np.column_stack((a, np.ones_like(a)))
    w = np.diag(a - 1)
    slope, const = np.linalg.solve(design.T @ w @ design, design.T @ w @ var)
    var_fixed = np.array([np.var(v, ddof=1) for _, v in fixed])
    # grid part at n/a: the paired difference of the own-grid and fixed-grid part variances
    d = var - var_fixed
    dof = a - 1
    grid0 = float(dof @ d / dof.sum())
    gridh = float(dof @ (d / np.sqrt(a)) / dof.sum())
    cnt = pooled(fixed) ** 2
    return full, {"current": pooled(own), "fixed": pooled(fixed),
                  "fitted": float(np.sqrt(max(slope + const, pooled(own) ** 2))),
                  "grid0": float(np.sqrt(max(cnt + grid0, pooled(own) ** 2))),
                  "gridh": float(np.sqrt(max(cnt + gridh, pooled(own) ** 2))),
                  "grid0raw": float(np.sqrt(max(cnt + grid0, cnt)))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=60)
    parser.add_argument("--n", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--first-seed", type=int, default=10_000)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    names = ["default", "counting", "fixed", "fitted"]
    print(f"{'scenario':60s} {'n':>6s} " + " ".join(f"{k:>8s}" for k in names) + "  default 95 %",
          flush=True)
    in_range = {k: 0 for k in names}
    cells = 0
    for name, params in SCENARIOS:
        sc = make_scenario(name, **params)
        for n in args.n:
            mis, stds = [], {k: [] for k in names}
            for s in range(args.seeds):
                x, y = sc.sample(n, np.random.default_rng(args.first_seed + s))
                est = Binning().estimate(x, y, seed=s)
                _, sd = _stds(x, y, np.random.default_rng(s))
                mis.append(est.mi)
                stds["default"].append(est.std)
                stds["counting"].append(est.info["subsample_std_counting"])
                stds["fixed"].append(sd["fixed"])
                stds["fitted"].append(sd["fitted"])
            spread = np.std(mis, ddof=1)
            ratios = {k: np.mean(v) / spread for k, v in stds.items()}
            cells += 1
            for k, r in ratios.items():
                in_range[k] += 0.75 <= r <= 1.33
            d = np.asarray(stds["default"])
            # log-scale s.e.: spread over m seeds 1/sqrt(2 (m - 1)), mean std its CV / sqrt(m)
            se = np.sqrt(1 / (2 * (args.seeds - 1)) + (d.std(ddof=1) / d.mean()) ** 2 / args.seeds)
            lo, hi = ratios["default"] * np.exp(-1.96 * se), ratios["default"] * np.exp(1.96 * se)
            label = f"{name} {params}"[:60]
            print(f"{label:60s} {n:6d} " + " ".join(f"{r:8.2f}" for r in ratios.values())
                  + f"  [{lo:.2f}, {hi:.2f}]", flush=True)
    print(f"{'cells in [0.75, 1.33]':60s} {'':6s} "
          + " ".join(f"{in_range[k]:>5d}/{cells:<2d}" for k in names))


if __name__ == "__main__":
    main()
