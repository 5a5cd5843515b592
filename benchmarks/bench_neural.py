"""Speed of the neural estimators (MINE, NWJ, InfoNCE, SMILE) with their default settings.

Prints, for each estimator, seconds per estimate at n = 1e3 and 1e4 (wall and process CPU
time) for each torch thread count, the training steps actually run (early stopping), and the
time per 1000 training steps (max_steps=1000 with a single evaluation at the end, so it
includes one validation and one test pass). Goal: an estimate at n = 1e4 under 10 s on 2 cores.

Usage::

    python benchmarks/bench_neural.py [--threads 1,2] [--n 1000,10000] [--repeats 1]
    python benchmarks/bench_neural.py --schedule   # old vs new early-stopping defaults

``--schedule`` compares, single-threaded and in one run, the early-stopping schedule used until
2026-11-27 (eval_every=100, patience=5) with the current defaults (eval_every=50, patience=3) on
the ``gaussian-correlated`` default grid (rho in {0, 0.3, 0.6, 0.9, 0.99}, n in {200, 1000}):
mean CPU seconds and training steps per estimate, the CPU ratio old/new and the mean
|estimate - truth|.

BLAS pools are pinned to one thread; torch intra-op threads are set by the estimator's
``threads`` parameter. Run on an otherwise idle machine: with other processes competing for
the cores, OpenMP threads spin and the 2-thread numbers degrade badly (compare the load
average printed at the start).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from estimators.neural import MINE, NWJ, SMILE, InfoNCE  # noqa: E402
from scenarios.gaussian import GaussianCorrelated  # noqa: E402


def _time(est, x, y, seed):
    w, c = time.perf_counter(), time.process_time()
    res = est.estimate(x, y, seed=seed)
    return time.perf_counter() - w, time.process_time() - c, res


OLD_SCHEDULE = {"eval_every": 100, "patience": 5}


def schedule(seeds=2):
    rhos, ns = (0.0, 0.3, 0.6, 0.9, 0.99), (200, 1000)
    print(f"{'estimator':9s} {'n':>5s} {'cpu old':>8s} {'cpu new':>8s} {'old/new':>7s} "
          f"{'steps old':>9s} {'steps new':>9s} {'|err| old':>9s} {'|err| new':>9s}")
    for cls in (MINE, NWJ, InfoNCE, SMILE):
        for n in ns:
            acc = {k: [[], [], []] for k in ("old", "new")}
            for rho in rhos:
                sc = GaussianCorrelated(rho=rho)
                for s in range(seeds):
                    x, y = sc.sample(n, np.random.default_rng(1000 * s + int(100 * rho)))
                    for key, kw in (("old", OLD_SCHEDULE), ("new", {})):
                        _, cpu, res = _time(cls(threads=1, **kw), x, y, seed=s)
                        acc[key][0].append(cpu)
                        acc[key][1].append(res.info["steps"])
                        acc[key][2].append(abs(res.mi - sc.true_mi.value))
            (co, so, eo), (cn, sn, en) = ([np.mean(v) for v in acc[k]] for k in ("old", "new"))
            print(f"{cls.__name__:9s} {n:5d} {co:8.2f} {cn:8.2f} {co / cn:7.2f} {so:9.0f} {sn:9.0f} "
                  f"{eo:9.4f} {en:9.4f}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--n", default="1000,10000")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--schedule", action="store_true",
                    help="compare the old and new early-stopping defaults instead")
    args = ap.parse_args(argv)
    if args.schedule:
        print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}")
        schedule()
        return
    threads = [int(t) for t in args.threads.split(",")]
    ns = [int(float(n)) for n in args.n.split(",")]
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}")
    sc = GaussianCorrelated(rho=0.6)
    data = {n: sc.sample(n, np.random.default_rng(n)) for n in ns}
    print(f"{'estimator':9s} {'thr':>3s} {'n':>6s} {'wall s':>7s} {'cpu s':>7s} {'steps':>5s} "
          f"{'mi':>7s}  (true {sc.true_mi.value:.4f})")
    per1000 = {}
    for cls in (MINE, NWJ, InfoNCE, SMILE):
        for t in threads:
            for n in ns:
                x, y = data[n]
                for r in range(args.repeats):
                    wall, cpu, res = _time(cls(threads=t), x, y, seed=r)
                    print(f"{cls.__name__:9s} {t:3d} {n:6d} {wall:7.2f} {cpu:7.2f} "
                          f"{res.info['steps']:5d} {res.mi:7.4f}", flush=True)
            x, y = data[max(ns)]
            wall, cpu, res = _time(cls(threads=t, max_steps=1000, eval_every=1000), x, y, seed=0)
            per1000[cls.__name__, t] = (wall, cpu)
    print(f"\ntime per 1000 training steps (n = {max(ns)}, batch 64, one evaluation)")
    print(f"{'estimator':9s} " + " ".join(f"{'wall s t=' + str(t):>11s} {'cpu s':>6s}" for t in threads)
          + ("   wall ratio t=1/t=2" if threads == [1, 2] else ""))
    for cls in (MINE, NWJ, InfoNCE, SMILE):
        row = [per1000[cls.__name__, t] for t in threads]
        line = f"{cls.__name__:9s} " + " ".join(f"{w:11.2f} {c:6.2f}" for w, c in row)
        if threads == [1, 2]:
            line += f"   {row[0][0] / row[1][0]:.2f}"
        print(line)


if __name__ == "__main__":
    main()
