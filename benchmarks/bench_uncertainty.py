"""Cost of the default error bars: each estimator with its default ``uncertainty`` vs ``"none"``.

Same data for both (bivariate Gaussian rho = 0.6; a labelled pair for ksg-ross; a discrete pair
for plugin-discrete), BLAS threads pinned to 1. The two configurations are timed interleaved
(best of ``--repeats`` each, CPU time of this process, so other processes on a busy machine do
not count; BLAS is pinned to one thread, so CPU time is the estimate's time).
The issue-15 budget is <= 5x one plain estimate for the k-NN, binning and KDE estimators.

Usage::

    python benchmarks/bench_uncertainty.py                 # n = 1000, 10000
    python benchmarks/bench_uncertainty.py --n 2000 --repeats 7 --estimators ksg kde
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from mibench.registry import make_estimator  # noqa: E402

ESTIMATORS = ["ksg", "ksg-mixed", "ksg-ross", "binning", "kde", "gaussian", "plugin-discrete"]


def _data(name: str, n: int, rng: np.random.Generator):
    if name == "ksg-ross":
        labels = rng.integers(0, 3, size=(n, 1)).astype(float)
        return labels + rng.standard_normal((n, 1)), labels
    if name == "plugin-discrete":
        x = rng.integers(0, 4, size=(n, 1))
        return x.astype(float), ((x + rng.integers(0, 2, size=(n, 1))) % 4).astype(float)
    x = rng.standard_normal((n, 1))
    return x, 0.6 * x + 0.8 * rng.standard_normal((n, 1))


def _best(est, x, y, repeats: int) -> tuple[float, object]:
    best, res = np.inf, None
    for r in range(repeats):
        t0 = time.process_time()
        res = est.estimate(x, y, seed=r)
        best = min(best, time.process_time() - t0)
    return best, res


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--estimators", nargs="+", default=ESTIMATORS)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print("CPU seconds per estimate (best of the repeats)")
    print(f"{'estimator':16s} {'n':>7s} {'method':>10s} {'plain [s]':>10s} {'with std [s]':>12s} "
          f"{'ratio':>6s} {'std':>8s}")
    for name in args.estimators:
        default = make_estimator(name).get_params()["uncertainty"]
        for n in args.n:
            x, y = _data(name, n, rng)
            plain, with_std = make_estimator(name, uncertainty="none"), make_estimator(name)
            _best(plain, x, y, 1)  # warm-up (imports, caches)
            t_plain, t_std = np.inf, np.inf
            for _ in range(args.repeats):  # interleaved: both see the same machine load
                t_plain = min(t_plain, _best(plain, x, y, 1)[0])
                t, res = _best(with_std, x, y, 1)
                t_std = min(t_std, t)
            print(f"{name:16s} {n:7d} {default:>10s} {t_plain:10.4f} {t_std:12.4f} "
                  f"{t_std / t_plain:6.2f} {res.std:8.4f}")


if __name__ == "__main__":
    main()
