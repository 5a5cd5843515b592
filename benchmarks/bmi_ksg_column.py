"""bmi's KSG-10 column of the "Beyond Normal" benchmark, reproduced with bmi's own code, next to
mibench's ``ksg`` with bmi's settings (results/figures/README.md shows the table).

Three steps, the first two in a separate environment with bmi (PyPI ``benchmark-mi``, which needs
numpy < 2 and jax 0.4.x)::

    python -m venv /tmp/bmi-venv
    /tmp/bmi-venv/bin/pip install "benchmark-mi==0.1.3" "jax==0.4.33" "jaxlib==0.4.33" "numpy<2"
    # 1. bmi's own samples of its 40 tasks (bmi's samplers and seeds), n = 5000, seeds 0-9
    /tmp/bmi-venv/bin/python benchmarks/bmi_ksg_column.py sample /tmp/bmi-samples
    # 2. bmi's KSGEnsembleFirstEstimator(neighborhoods=(10,)) on some of them (O(n^2), slow)
    /tmp/bmi-venv/bin/python benchmarks/bmi_ksg_column.py bmi /tmp/bmi-samples --seeds 0
    # 3. mibench's ksg (k=10, metric=euclidean, noise=0) on all of them, checked against step 2,
    #    and the table against results/figures/beyond-normal/beyond_normal_summary.csv
    python benchmarks/bmi_ksg_column.py compare /tmp/bmi-samples

Step 3 prints a Markdown table: per task, KSG-10 on bmi's samples (mean +- standard error over the
seeds) and mibench's KSG on mibench's samples of the same task (from the committed summary), the
difference in combined standard errors; and the largest per-trial difference between bmi's
estimator and mibench's on identical data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

N, SEEDS = 5000, list(range(10))
SUMMARY = Path(__file__).resolve().parents[1] / "results/figures/beyond-normal/beyond_normal_summary.csv"


def sample(out: Path, n: int, seeds: list[int]) -> None:
    import bmi

    out.mkdir(parents=True, exist_ok=True)
    for task_id, task in bmi.benchmark.BENCHMARK_TASKS.items():
        for seed in seeds:
            path = out / f"{task_id}__{seed}.npz"
            if not path.exists():
                x, y = task.sample(n, seed=seed)
                np.savez(path, x=np.asarray(x, dtype=np.float64), y=np.asarray(y, dtype=np.float64),
                         mi=float(task.mutual_information))
        print(task_id, flush=True)


def bmi_estimates(folder: Path, seeds: list[int]) -> None:
    from bmi.estimators import KSGEnsembleFirstEstimator

    rows = []
    for path in sorted(folder.glob("*.npz")):
        task_id, seed = path.stem.rsplit("__", 1)
        if int(seed) in seeds:
            d = np.load(path)
            mi = KSGEnsembleFirstEstimator(neighborhoods=(10,)).estimate(d["x"], d["y"])
            rows.append(f"{task_id},{seed},{mi!r}")
            print(rows[-1], flush=True)
    out = folder / f"bmi_ksg10_seeds_{'_'.join(map(str, seeds))}.csv"
    out.write_text("task,seed,bmi_ksg10\n" + "\n".join(rows) + "\n")


def compare(folder: Path, summary: Path) -> None:
    import pandas as pd

    from estimators.ksg import KSG

    est = KSG(k=10, metric="euclidean", noise=0.0)
    cache = folder / "mibench_ksg10.csv"
    if cache.exists():
        ours = pd.read_csv(cache)
    else:
        rows = []
        for path in sorted(folder.glob("*.npz")):
            task_id, seed = path.stem.rsplit("__", 1)
            d = np.load(path)
            rows.append((task_id, int(seed), float(d["mi"]), est.estimate(d["x"], d["y"]).mi))
            print(*rows[-1], flush=True, file=sys.stderr)
        ours = pd.DataFrame(rows, columns=["task", "seed", "true_mi", "ksg"])
        ours.to_csv(cache, index=False)
    checks = [pd.read_csv(p) for p in folder.glob("bmi_ksg10_seeds_*.csv")]
    if checks:
        both = pd.concat(checks).merge(ours, on=["task", "seed"])
        # bmi clips each estimate at 0; mibench does not
        diff = (both["bmi_ksg10"] - both["ksg"].clip(lower=0)).abs()
        print(f"bmi's estimator vs mibench's on identical data: {len(both)} trials, largest "
              f"|difference| {diff.max():.2e} nats; negative mibench estimates: "
              f"{int((both['ksg'] < 0).sum())}\n")
    g = ours.groupby("task", sort=False)["ksg"]
    bmi_col = pd.DataFrame({"true": ours.groupby("task", sort=False)["true_mi"].first(),
                            "bmi": g.mean(), "bmi_se": g.std(ddof=1) / np.sqrt(g.size())})
    s = pd.read_csv(summary)
    s = s[(s["estimator"] == "ksg") & (s["n"] == N)
          & (s["estimator_params"] == '{"k":10,"metric":"euclidean","noise":0.0}')]
    s = s.set_index("task")
    print("| task | true MI | KSG-10, bmi's samples | mibench ksg, mibench's samples | z |")
    print("|---|---|---|---|---|")
    zs = []
    for task, r in bmi_col.iterrows():
        if task not in s.index:
            continue
        m = s.loc[task]
        z = (m["mean"] - r["bmi"]) / np.hypot(m["sem"], r["bmi_se"])
        zs.append(z)
        print(f"| {task} | {r['true']:.3f} | {r['bmi']:.3f} ± {r['bmi_se']:.3f} | "
              f"{m['mean']:.3f} ± {m['sem']:.3f} | {z:+.1f} |")
    zs = np.asarray(zs)
    print(f"\n{len(zs)} tasks; |z| < 1: {(abs(zs) < 1).sum()}, < 2: {(abs(zs) < 2).sum()}, "
          f"< 3: {(abs(zs) < 3).sum()}; largest |z| {abs(zs).max():.1f}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=["sample", "bmi", "compare"])
    p.add_argument("folder", type=Path)
    p.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    p.add_argument("--n", type=int, default=N)
    p.add_argument("--summary", type=Path, default=SUMMARY)
    a = p.parse_args(argv)
    seeds = [int(s) for s in a.seeds.split(",")]
    if a.step == "sample":
        sample(a.folder, a.n, seeds)
    elif a.step == "bmi":
        bmi_estimates(a.folder, seeds)
    else:
        compare(a.folder, a.summary)


if __name__ == "__main__":
    main()
