"""Binning's bin-count rule for a pair of columns: bias and RMSE of candidate rules (issue 20).

For one column against one, the default rule used to be Hacine-Gharbi-Ravier (HGR), whose
grid biased every bmi v1 1v1 task down (docs/estimator-defaults.md). This script compares, on
14 one-column pairs at n = 500, 2000 and 10 000 (6 data sets each, seeds 200-205), the plain
estimate (``Binning(bins=B, uncertainty="none")``, uniform bins, Miller-Madow) with B from:
``hgr``; ``capped`` (twice HGR, capped by "cellucci", never below HGR); ``r2`` ((1 + r^2) times
HGR, r the correlation: the default now, ``bins="auto"``); ``cellucci``. Prints per pair and n
the bias and spread over the data sets of each rule, then the mean over the pairs of the RMSE
(nats) and of RMSE / truth (truth floored at 0.05).

Usage: ``python benchmarks/bench_binning_pair_rule.py`` (about a minute on one core).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from estimators.binning import Binning, _max_canonical_correlation, n_bins  # noqa: E402
from mibench.registry import make_scenario  # noqa: E402
from scenarios.bmi_v1 import BMI_V1_TASKS  # noqa: E402

BMI = ["1v1-normal-0.75", "1v1-additive-0.1", "1v1-additive-0.75", "1v1-bimodal-0.75",
       "wiggly-1v1-normal-0.75", "half_cube-1v1-normal-0.75", "asinh-student-identity-1-1-1"]
OTHERS = [("gaussian rho 0.3", "gaussian-correlated", {"rho": 0.3}),
          ("gaussian rho 0.9", "gaussian-correlated", {"rho": 0.9}),
          ("cube rho 0.6", "transformed", {"base": "gaussian-correlated", "base_params": "rho=0.6",
                                           "transform": "cube"}),
          ("gmm D3", "gmm-synthetic", {"dataset": "D3"}),
          ("independent", "gaussian-independent", {}),
          ("gaussian rho 0.1", "gaussian-correlated", {"rho": 0.1}),
          ("student-t df 5", "student-t", {"df": 5, "dispersion": "dense", "correlation": 0.6})]
RULES = ("hgr", "capped", "r2", "cellucci")
NS = (500, 2000, 10_000)


def counts(x, y) -> dict:
    h = n_bins("hacine-gharbi-ravier", x, y, "uniform")[0]
    c = n_bins("cellucci", x, y, "uniform")[0]
    r = _max_canonical_correlation(x, y)
    return {"hgr": h, "capped": max(h, min(2 * h, c)), "r2": int(round((1 + r * r) * h)),
            "cellucci": c}


def main() -> None:
    specs = [(t, *BMI_V1_TASKS[t]) for t in BMI] + OTHERS
    rel = {r: {n: [] for n in NS} for r in RULES}
    rmse = {r: {n: [] for n in NS} for r in RULES}
    for label, name, params in specs:
        sc = make_scenario(name, **params)
        truth = float(sc.true_mi.value)
        for n in NS:
            vals = {r: [] for r in RULES}
            for s in range(6):
                x, y = (a.reshape(n, -1) for a in sc.sample(n, np.random.default_rng(200 + s)))
                for r, b in counts(x, y).items():
                    vals[r].append(Binning(bins=int(b), uncertainty="none").estimate(x, y).mi)
            cells = []
            for r in RULES:
                v = np.asarray(vals[r])
                bias, sd = v.mean() - truth, v.std(ddof=1)
                rmse[r][n].append(np.hypot(bias, sd))
                rel[r][n].append(np.hypot(bias, sd) / max(truth, 0.05))
                cells.append(f"{r} {bias:+.3f}/{sd:.3f}")
            print(f"{label:30s} n={n:6d} truth={truth:.3f} | " + " | ".join(cells), flush=True)
    print("\nmean over the pairs of RMSE (nats) | of RMSE / truth:")
    for r in RULES:
        print(f"  {r:9s} " + "  ".join(f"n={n}: {np.mean(rmse[r][n]):.4f}" for n in NS) + "  | "
              + "  ".join(f"n={n}: {np.mean(rel[r][n]):.3f}" for n in NS))


if __name__ == "__main__":
    main()
