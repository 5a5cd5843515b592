"""ksg-ensemble against KSG-3 on the bmi v1 tasks it takes (up to 5x5), n = 2000 and 10 000.

For each task, n and data set (bmi_task's data seeds 1000 + s, estimator seed s, s < --seeds):
KSG-3 (``ksg``, no checks, its subsampling std) and ``ksg-ensemble`` at its defaults on the same
rows. Prints per task and n: the truth, KSG-3's and the ensemble's mean relative error, the
ensemble's mean z = (estimate - truth) / own std, the spread of its estimates over the data sets
divided by its mean reported std (about 1 for a calibrated error bar; 3 data sets: a noisy
ratio), its flags and its CPU seconds; then the counts of cells within 4 and 10 std.

    python benchmarks/bench_ksg_ensemble.py                 # 33 tasks x 2 n x 3 seeds, ~10 min CPU
    python benchmarks/bench_ksg_ensemble.py --tasks spiral-multinormal-sparse-3-3-2-2.0 --seeds 5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_new_estimators import bmi_task  # noqa: E402

from estimators.ksg import KSG  # noqa: E402
from estimators.ksg_ensemble import MAX_DIM, KSGEnsemble  # noqa: E402
from scenarios.bmi_v1 import BMI_V1_TASKS  # noqa: E402


def _fits(task: str) -> bool:
    from mibench.registry import make_scenario

    name, params = BMI_V1_TASKS[task]
    sc = make_scenario(name, **params)
    x, y = sc.sample(20, np.random.default_rng(0))
    return x.shape[1] <= MAX_DIM and y.shape[1] <= MAX_DIM


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", nargs="+", help="bmi v1 task ids (default: all up to 5x5)")
    ap.add_argument("--n", nargs="+", type=int, default=[2000, 10_000])
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args(argv)
    tasks = args.tasks or [t for t in BMI_V1_TASKS if _fits(t)]
    rows = []
    with threadpool_limits(1):
        for n in args.n:
            for task in tasks:
                for s in range(args.seeds):
                    x, y, truth = bmi_task(task, n, seed=s)
                    ksg = KSG(checks=False).estimate(x, y, seed=s)
                    c0 = time.process_time()
                    ens = KSGEnsemble().estimate(x, y, seed=s)
                    rows.append(dict(task=task, n=n, seed=s, truth=truth, ksg=ksg.mi, ens=ens.mi,
                                     std=ens.std, flags=" ".join(ens.info.get("flags") or []),
                                     cpu=time.process_time() - c0))
                    print(f"{task} n={n} seed={s}: truth {truth:.3f} ksg-3 {ksg.mi:.3f} ensemble "
                          f"{ens.mi:.3f} +- {ens.std:.3f} [{rows[-1]['flags']}]", file=sys.stderr,
                          flush=True)
    d = pd.DataFrame(rows)
    d["z"] = (d["ens"] - d["truth"]) / d["std"]
    cells = d.groupby(["task", "n"], sort=False).agg(
        truth=("truth", "first"), ksg=("ksg", "mean"), ens=("ens", "mean"), sd=("ens", "std"),
        std=("std", "mean"), z=("z", "mean"), cpu=("cpu", "mean"),
        flags=("flags", lambda f: "; ".join(sorted({v for v in f if v}))))
    cells["ksg_rel"] = 100 * (cells["ksg"] / cells["truth"] - 1)
    cells["ens_rel"] = 100 * (cells["ens"] / cells["truth"] - 1)
    cells["ens_rel_se"] = 100 * cells["sd"] / np.sqrt(args.seeds) / cells["truth"]
    print("\n| task | n | true MI | KSG-3 rel. error | ensemble rel. error ± s.e. | mean z | "
          "spread / std | flags | CPU [s] |\n|---|---|---|---|---|---|---|---|---|")
    for (task, n), c in cells.iterrows():
        print(f"| {task} | {n} | {c.truth:.3f} | {c.ksg_rel:+.1f} % | {c.ens_rel:+.1f} ± "
              f"{c.ens_rel_se:.1f} % | {c.z:+.1f} | {c.sd / c['std']:.2f} | {c['flags']} | {c.cpu:.2f} |")
    az = cells["z"].abs()
    print(f"\ncells (task, n): {len(cells)}; |mean z| < 4: {int((az < 4).sum())}, < 10: "
          f"{int((az < 10).sum())}; ensemble closer to the truth than KSG-3: "
          f"{int((cells['ens_rel'].abs() < cells['ksg_rel'].abs()).sum())}; "
          f"median spread / std: {float((cells['sd'] / cells['std']).median()):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
