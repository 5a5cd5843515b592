"""CPU cost of the neural bounds' (and doe's) default error bar, side by side with one training.

On the README's first command's data (gaussian-correlated, rho = 0, 0.3, 0.6, 0.9, 0.99, n = 200
and 1000), each estimator runs with its default ``uncertainty="crossfit"`` (5 trainings) and with
``uncertainty="none"`` (one training, the cost of the former default) on the same data, one after
the other; CPU time of this process (one thread), mean over the data sets, and the ratio of the
means. Early stopping makes single trainings vary, so means, not minima, are compared.

Usage::

    python benchmarks/bench_neural_uncertainty.py --estimators mine nwj infonce smile doe --seeds 1
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from mibench.registry import make_estimator, make_scenario  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", nargs="+", default=["mine", "nwj", "infonce", "smile", "doe"])
    parser.add_argument("--n", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--rho", type=float, nargs="+", default=[0.0, 0.3, 0.6, 0.9, 0.99])
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"{'estimator':10s} {'n':>5s} {'one training [s]':>17s} {'crossfit [s]':>13s} {'ratio':>6s} "
          f"{'with std':>9s}")
    for name in args.estimators:
        for n in args.n:
            t_one, t_cf, finite = [], [], 0
            for rho in args.rho:
                sc = make_scenario("gaussian-correlated", rho=rho)
                for seed in range(args.seeds):
                    x, y = sc.sample(n, np.random.default_rng(1000 + seed))
                    for method, out in (("none", t_one), ("crossfit", t_cf)):
                        t0 = time.process_time()
                        res = make_estimator(name, uncertainty=method).estimate(x, y, seed=seed)
                        out.append(time.process_time() - t0)
                        finite += method == "crossfit" and res.std is not None and np.isfinite(res.std)
            print(f"{name:10s} {n:5d} {np.mean(t_one):17.2f} {np.mean(t_cf):13.2f} "
                  f"{np.mean(t_cf) / np.mean(t_one):6.2f} {finite:4d}/{len(t_cf)}", flush=True)


if __name__ == "__main__":
    main()
