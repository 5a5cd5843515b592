"""KSG speed and agreement: mibench's KSG vs scikit-learn's mutual_info_regression.

Same data for both (1-D x, 1-D y, bivariate Gaussian rho=0.6, k=3), BLAS/OpenMP threads
pinned to 1, tree queries single-threaded. Prints wall-clock times (best of ``--repeats``,
the two implementations interleaved),
the speed ratio sklearn/mibench and the two estimates side by side (true MI 0.2231 nats).

Usage::

    python benchmarks/bench_ksg_vs_sklearn.py            # n = 1e4, 1e5, 1e6
    python benchmarks/bench_ksg_vs_sklearn.py --n 10000 100000 --repeats 5

The two estimates differ only through the jitter (both add ~1e-10-relative Gaussian noise,
from different generators) and because scikit-learn does not centre before scaling; on this
tie-free data the neighbour counts, hence the estimates, agree to ~1e-6 or better.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.feature_selection import mutual_info_regression  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from estimators.ksg import KSG  # noqa: E402


def _ours(x, y, k):
    return KSG(k=k, uncertainty="none").estimate(x, y, seed=0).mi  # the point estimate only


def _sklearn(x, y, k):
    return mutual_info_regression(x[:, None], y, n_neighbors=k, random_state=0)[0]


def _timed(fn, *args):
    t0 = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - t0, value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=None,
                        help="timing repeats per n (default: 5 below 1e6, 2 from 1e6)")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--rho", type=float, default=0.6)
    args = parser.parse_args(argv)

    truth = -0.5 * np.log(1 - args.rho**2)
    print(f"KSG (mibench) vs sklearn mutual_info_regression; k={args.k}, rho={args.rho}, "
          f"true MI={truth:.4f} nats; 1 thread")
    print(f"{'n':>9} {'mibench s':>10} {'sklearn s':>10} {'speedup':>8} "
          f"{'mibench MI':>11} {'sklearn MI':>11} {'diff':>9}")
    with threadpool_limits(limits=1):
        for n in args.n:
            rng = np.random.default_rng(n)
            x = rng.standard_normal(n)
            y = args.rho * x + np.sqrt(1 - args.rho**2) * rng.standard_normal(n)
            reps = args.repeats or (5 if n < 1_000_000 else 2)
            t_ours = t_sk = np.inf
            for _ in range(reps):  # interleaved, so both see the same machine load
                t, ours = _timed(_ours, x, y, args.k)
                t_ours = min(t_ours, t)
                t, sk = _timed(_sklearn, x, y, args.k)
                t_sk = min(t_sk, t)
            print(f"{n:>9} {t_ours:>10.3f} {t_sk:>10.3f} {t_sk / t_ours:>7.2f}x "
                  f"{ours:>11.6f} {sk:>11.6f} {ours - sk:>9.1e}", flush=True)


if __name__ == "__main__":
    main()
