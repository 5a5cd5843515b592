"""The KSG and KSG-ensemble references of ``with_summary_check``: computed apart or in one pass.

Every estimator with a std that checks itself against other estimates on the same rows
(``estimators._knn_checks.with_summary_check``: classifier, flow, doe, latent-ksg, kde, gmm-mi,
the neural bounds) runs two k-NN references up to 5 columns a side: KSG (k = 3, subsampling
std) and the two-point KSG ensemble (k = 3 and 12; its subsampling std only when its value is
far enough above the estimate). Computed apart (``KSG``, then ``KSGEnsemble`` plain, then
``KSGEnsemble`` with its std: session 10's code) they repeat the k = 3 half of the work and the
whole-data estimate. ``knn_reference_check`` does both from one joint 12-NN query per part.

This script times the two side by side (CPU time, one BLAS thread, alternating, ``--repeats``
each) on bmi v1 tasks, for an estimate far below the references (0.55 x truth: the ensemble's
std is needed) and one at the truth (plain ensemble only), and checks that they give the same
KSG reference and ensemble value (the ensemble's std differs: it comes from the KSG
reference's subsample parts, another random partition).

Usage::

    python benchmarks/bench_reference_checks.py                 # n = 10 000, 2 repeats
    python benchmarks/bench_reference_checks.py --n 2000 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from bench_new_estimators import bmi_task  # noqa: E402  (pins BLAS to one thread)
from threadpoolctl import threadpool_limits  # noqa: E402

from estimators._knn_checks import _ensemble_far, knn_reference_check  # noqa: E402
from estimators.ksg import KSG  # noqa: E402
from estimators.ksg_ensemble import KSGEnsemble  # noqa: E402

TASKS = ["multinormal-dense-5-5-0.5", "spiral-multinormal-sparse-5-5-2-2.0",
         "half_cube-multinormal-sparse-5-5-2-2.0", "student-identity-3-3-2", "1v1-normal-0.75"]


def apart(x, y, mi, std, seed):
    """The two references as separate estimators (session 10's with_summary_check)."""
    ksg = KSG(checks=False).estimate(x, y, seed=seed)
    ens = KSGEnsemble(checks=False, uncertainty="none").estimate(x, y, seed=seed)
    if _ensemble_far(ens.mi, mi, float(np.hypot(std, ksg.std))):
        ens = KSGEnsemble(checks=False).estimate(x, y, seed=seed)
    return ksg.mi, ens.mi, ens.std


def shared(x, y, mi, std, seed):
    ksg, ens = knn_reference_check(x, y, mi, std, seed)
    return ksg["ksg_reference"], ens["ensemble_reference"], ens.get("ensemble_reference_std")


def cpu(f, *args):
    import time

    c0 = time.process_time()
    out = f(*args)
    return out, time.process_time() - c0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--tasks", nargs="+", default=TASKS)
    p.add_argument("--repeats", type=int, default=2)
    a = p.parse_args()
    print(f"n = {a.n}, CPU seconds per check (mean of {a.repeats}, alternating), one thread\n")
    print("| task | estimate | apart [s] | one pass [s] | ratio | same KSG and ensemble value |")
    print("|---|---|---|---|---|---|")
    total = [0.0, 0.0]
    with threadpool_limits(1):
        x, y, truth = bmi_task(a.tasks[0], 500, 0)  # warm-up: imports and first calls
        apart(x, y, 0.1 * truth, 0.01, 0), shared(x, y, 0.1 * truth, 0.01, 0)
        for task in a.tasks:
            x, y, truth = bmi_task(task, a.n, 0)
            for label, frac in (("0.55 x truth", 0.55), ("truth", 1.0)):
                mi, std = frac * truth, 0.02 * truth
                t_apart, t_shared, same = [], [], True
                for r in range(a.repeats):
                    ra, ta = cpu(apart, x, y, mi, std, r)
                    rs, ts = cpu(shared, x, y, mi, std, r)
                    t_apart.append(ta)
                    t_shared.append(ts)
                    same &= ra[0] == rs[0] and ra[1] == rs[1]
                ma, ms = float(np.mean(t_apart)), float(np.mean(t_shared))
                total[0] += ma
                total[1] += ms
                print(f"| {task} | {label} | {ma:.2f} | {ms:.2f} | {ma / ms:.2f} | "
                      f"{'yes' if same else 'NO'} |")
    print(f"\nall cells: apart {total[0]:.1f} s, one pass {total[1]:.1f} s, "
          f"ratio {total[0] / total[1]:.2f}")


if __name__ == "__main__":
    main()
