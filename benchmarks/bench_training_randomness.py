"""How much of an estimate's spread is training randomness, and does the error bar cover it?

For the estimators that train once per estimate and report the held-out standard error of that
training (``flow``, ``classifier``: ``uncertainty="analytic"``), the same data set is estimated
with ``--trainings`` different seeds (each seed draws the train/validation/test split and the
initialisation and batch order); the spread of those estimates is the training-and-split
randomness on that data set, printed next to the mean reported std and their ratio. The spread
over independent data sets (which also contains it) is what the calibration suite measures.

Usage::

    python benchmarks/bench_training_randomness.py --datasets 2 --trainings 10
"""

from __future__ import annotations

import argparse
import logging

import numpy as np

from mibench.registry import make_estimator, make_scenario

SCENARIOS = [("gaussian-correlated", {"rho": 0.9}),
             ("student-t", {"df": 5, "dispersion": "dense", "correlation": 0.6})]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", nargs="+", default=["flow", "classifier"])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--datasets", type=int, default=2)
    parser.add_argument("--trainings", type=int, default=10)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    print(f"{'scenario':52s} {'data':>4s} {'estimator':10s} {'spread':>8s} {'mean std':>8s} {'ratio':>6s}")
    for name, params in SCENARIOS:
        sc = make_scenario(name, **params)
        for d in range(args.datasets):
            x, y = sc.sample(args.n, np.random.default_rng(777 + d))
            for est_name in args.estimators:
                est = make_estimator(est_name)
                res = [est.estimate(x, y, seed=s) for s in range(args.trainings)]
                mi = np.array([r.mi for r in res])
                sd = np.array([r.std for r in res], dtype=float)
                spread = mi.std(ddof=1)
                print(f"{name + ' ' + str(params):52.52s} {d:4d} {est_name:10s} {spread:8.4f} "
                      f"{sd.mean():8.4f} {sd.mean() / spread:6.2f}", flush=True)


if __name__ == "__main__":
    main()
