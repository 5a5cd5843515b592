"""flow on bmi's spiral tasks and the other goal-1 tasks of issue 16: configurations side by side.

For each bmi v1 task (scenarios/bmi_v1.py) and each flow configuration (a spec
``flow:key=value;key=value`` as in bench_new_estimators.py; ``flow`` alone is the default), the
estimate on ``--seeds`` draws at ``--n`` rows (data seed 1000 + s, estimator seed s, as
bench_new_estimators.bmi_task), its relative error (estimate / truth - 1), the CPU seconds of
the estimate (``time.process_time``, one BLAS/torch thread) and the epochs trained (for any
registered estimator's spec, e.g. ``doe:hidden=32/32``; epochs where it reports them). The table
gives per task and configuration the mean relative error +- its standard error over seeds (the
seeds' spread / sqrt(seeds)) and the mean CPU seconds.

Usage::

    python benchmarks/bench_flow_spirals.py --n 5000 --seeds 0 1 2 \\
        --tasks spiral-multinormal-sparse-3-3-2-2.0 spiral-multinormal-sparse-5-5-2-2.0 \\
        --configs flow "flow:marginals=standardize" "flow:transforms=6"
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from bench_new_estimators import bmi_task, make, timed  # noqa: E402  (pins BLAS to one thread)

SPIRALS = ["spiral-multinormal-sparse-3-3-2-2.0", "spiral-multinormal-sparse-5-5-2-2.0",
           "spiral-multinormal-sparse-25-25-2-2.0"]
OTHERS = ["multinormal-dense-5-5-0.5", "multinormal-sparse-5-5-2-2.0",
          "half_cube-multinormal-sparse-5-5-2-2.0", "normal_cdf-1v1-normal-0.75",
          "multinormal-dense-25-25-0.5", "1v1-normal-0.75"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=SPIRALS + OTHERS)
    p.add_argument("--configs", nargs="+", default=["flow"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--n", type=int, default=5000)
    args = p.parse_args()
    res = {}
    for task in args.tasks:
        for seed in args.seeds:
            x, y, truth = bmi_task(task, args.n, seed)
            for spec in args.configs:
                est, _, cpu = timed(make(spec), x, y, seed=seed)
                rel = est.mi / truth - 1
                res.setdefault((task, spec), []).append((rel, cpu))
                print(f"{task} seed {seed} {spec}: truth {truth:.3f} mi {est.mi:.3f} rel {rel:+.3f} "
                      f"CPU {cpu:.1f} s epochs {est.info.get('epochs')} (best {est.info.get('best_epoch')})",
                      flush=True)
    print(f"\nn = {args.n}, seeds {args.seeds}: mean relative error +- se over seeds; mean CPU s "
          "per estimate (one thread)\n")
    print("| task | " + " | ".join(f"`{c}`" for c in args.configs) + " |")
    print("|---|" + "---|" * len(args.configs))
    for task in args.tasks:
        cells = []
        for spec in args.configs:
            a = np.array(res[(task, spec)])
            se = a[:, 0].std(ddof=1) / np.sqrt(len(a)) if len(a) > 1 else float("nan")
            cells.append(f"{100 * a[:, 0].mean():+.0f} ± {100 * se:.0f} % ({a[:, 1].mean():.1f} s)")
        print(f"| {task} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
