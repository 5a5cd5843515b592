"""DoE's learning curve (flag ``unconverged``, issue 20): its cost and what it finds.

For each bmi v1 task and data set (bmi_task's data seeds 1000 + s, estimator seed s), DoE at
its defaults is run twice on the same rows, side by side in one process with BLAS and torch
pinned to one thread: ``learning_curve=False`` (the five cross-fitted trainings) and the default
(plus five trainings on half of each fold's training rows). Prints the truth, the estimate and
its std (equal in both runs: the full trainings keep their random streams), the half-data
estimate, the drift full - half with its std, the flag, and the CPU seconds of both runs with
their ratio.

    python benchmarks/bench_doe_learning_curve.py                       # 2 tasks, n = 5000, 1 seed
    python benchmarks/bench_doe_learning_curve.py --n 10000 \\
        --tasks spiral-normal_cdf-multinormal-sparse-3-3-2-2.0 1v1-normal-0.75 --seeds 2
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_new_estimators import bmi_task  # noqa: E402

from estimators.doe import DoE  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", nargs="+",
                    default=["1v1-normal-0.75", "multinormal-dense-5-5-0.5"])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seeds", type=int, default=1)
    args = ap.parse_args(argv)
    logging.getLogger("estimators.doe").setLevel(logging.ERROR)  # the flag is in the table
    print("| task | n | seed | truth | estimate ± std | half-data | drift ± std | flag | "
          "CPU s without / with | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with threadpool_limits(1):
        for task in args.tasks:
            for s in range(args.seeds):
                x, y, truth = bmi_task(task, args.n, s)
                cpu = {}
                for curve in (False, True):
                    t0 = time.process_time()
                    est = DoE(learning_curve=curve, threads=1).estimate(x, y, seed=s)
                    cpu[curve] = time.process_time() - t0
                    if not curve:
                        plain = est
                i = est.info
                assert (est.mi, est.std) == (plain.mi, plain.std)
                flag = "unconverged" if "unconverged" in i["flags"] else ""
                print(f"| {task} | {args.n} | {s} | {truth:.3f} | {est.mi:.3f} ± {est.std:.3f} | "
                      f"{i['half_data_estimate']:.3f} | {i['subsample_bias']:+.3f} ± "
                      f"{i['subsample_bias_std']:.3f} | {flag} | {cpu[False]:.1f} / {cpu[True]:.1f} | "
                      f"{cpu[True] / cpu[False]:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
