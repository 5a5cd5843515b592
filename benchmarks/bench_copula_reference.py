"""The Gaussian-copula reference of ``below_copula`` against the truth on the 40 bmi v1 tasks.

``estimators._knn_checks.copula_reference_check`` compares an estimate with the Gaussian MI of
the rank normal scores of every column (``Gaussian(bias_correction=True)`` on
``estimators._margins.normal_scores``). It is exact for monotone transforms of each column of a
multinormal and a lower bound with one column a side, but not a bound in general; this script
measures it, plug-in and bias-corrected, on every bmi v1 task at n = 2000 and 10 000 (data
seeds 0-2) and prints the mean over the data sets against the truth.

Usage: ``python benchmarks/bench_copula_reference.py`` (about a minute on one core).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from estimators._margins import normal_scores  # noqa: E402
from estimators.gaussian import Gaussian  # noqa: E402
from mibench.registry import make_scenario  # noqa: E402
from scenarios.bmi_v1 import BMI_V1_TASKS  # noqa: E402


def main() -> None:
    print(f"{'task':50s} {'n':>6s} {'truth':>6s} {'plug-in':>8s} {'corrected':>9s} {'rel. error':>10s}")
    for task, (name, params) in BMI_V1_TASKS.items():
        sc = make_scenario(name, **params)
        truth = float(sc.true_mi.value)
        for n in (2000, 10_000):
            plug, corr = [], []
            for seed in range(3):
                x, y = sc.sample(n, np.random.default_rng(seed))
                rng = np.random.default_rng(seed)
                sx, sy = normal_scores(x, rng), normal_scores(y, rng)
                plug.append(Gaussian(check_normality=False).estimate(sx, sy).mi)
                corr.append(Gaussian(bias_correction=True, check_normality=False).estimate(sx, sy).mi)
            c = float(np.mean(corr))
            print(f"{task:50s} {n:6d} {truth:6.3f} {np.mean(plug):8.3f} {c:9.3f} {c / truth - 1:+10.1%}",
                  flush=True)


if __name__ == "__main__":
    main()
