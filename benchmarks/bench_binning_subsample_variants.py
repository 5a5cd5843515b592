"""Binning's subsampling error bar vs two alternatives, on the `calibration` suite's continuous
scenarios (docs/calibration.md, "Binning misses the 80 % goal").

Per cell, std_ratio = mean reported std / std of the estimates over the seeds, for
  current  each part gets its own grid (bins and edges from its rows), variance pooled as
           sum (a - 1) s_a^2 / a / sum (a - 1)   (what ``Binning(uncertainty="subsample")`` does)
  fixed    every part reuses the full data's grid (cheaper; no grid variance)
  fitted   current parts, part variances fitted as A a + C (count part + grid part), std^2 = A + C
           (at least the pooled value)

Usage::

    python benchmarks/bench_binning_subsample_variants.py --seeds 60 --n 2000 10000
"""

from __future__ import annotations

import argparse
import logging

import numpy as np

from estimators._plugin import combine_codes, plugin_mi
from estimators._uncertainty import SUBSAMPLE_SPLITS
from estimators.binning import _codes, n_bins
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
    return full, {"current": pooled(own), "fixed": pooled(fixed),
                  "fitted": float(np.sqrt(max(slope + const, pooled(own) ** 2)))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=60)
    parser.add_argument("--n", type=int, nargs="+", default=[2000, 10000])
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    print(f"{'scenario':60s} {'n':>6s} {'current':>8s} {'fixed':>8s} {'fitted':>8s}")
    for name, params in SCENARIOS:
        sc = make_scenario(name, **params)
        for n in args.n:
            mis, stds = [], {"current": [], "fixed": [], "fitted": []}
            for s in range(args.seeds):
                x, y = sc.sample(n, np.random.default_rng(10_000 + s))
                mi, sd = _stds(x, y, np.random.default_rng(s))
                mis.append(mi)
                for k, v in sd.items():
                    stds[k].append(v)
            spread = np.std(mis, ddof=1)
            label = f"{name} {params}"[:60]
            print(f"{label:60s} {n:6d} " + " ".join(f"{np.mean(v) / spread:8.2f}" for v in stds.values()))


if __name__ == "__main__":
    main()
