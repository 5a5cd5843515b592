"""`mibench matrix` through the one executor: --jobs 2 vs --jobs 1, and --executor dask.

A 20 x 4 column data set (20 "latent" columns z0..z19, 4 "physical" columns m0..m3, each
physical column a noisy mix of a few latents; ``--rows`` rows) is written to a CSV file and
``mibench matrix FILE --rows 'z*' --cols 'm*'`` runs on it as a user would, in a subprocess, each
run with a fresh store (so nothing is cached):

1. **Speed-up of --jobs 2 over --jobs 1**, runs in the order 1, 2, 2, 1 (so a drift of the
   machine's load hits both sides alike); the ratio is total wall time of the --jobs 1 runs over
   that of the --jobs 2 runs, process start-up and imports included. The load average before and
   after, and the cores each run obtained (its CPU time, workers included, over its wall time)
   are printed: other processes on the machine lower the speed-up.
2. **Same numbers**: every run's pairs.csv (MI, std, p-value of each of the 80 pairs) is compared
   byte for byte with the first run's, and a run with ``--executor dask --jobs 2`` (a local Dask
   cluster of 2 worker processes) too.

Usage::

    python benchmarks/bench_matrix.py                       # ksg, 3000 rows, 20 half-samples
    python benchmarks/bench_matrix.py --estimator gmm-mi --rows 300 --repeats 1
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CLI = [sys.executable, "-c", "import sys; from mibench.cli import main; sys.exit(main(sys.argv[1:]))"]


def make_data(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(rows, 20))
    cols = {f"z{j}": z[:, j] for j in range(20)}
    for k in range(4):
        weights = np.zeros(20)
        weights[rng.choice(20, size=3, replace=False)] = rng.uniform(0.3, 1.0, size=3)
        cols[f"m{k}"] = z @ weights + rng.normal(size=rows)
    pd.DataFrame(cols).to_csv(path, index=False)


def run(tmp: Path, data: Path, tag: str, estimator: str, extra: list[str]) -> tuple[float, float, Path]:
    """Wall time and CPU time (the command and its worker processes) of one run, and its pairs."""
    out = tmp / f"out-{tag}"
    argv = ["matrix", str(data), "--rows", "z*", "--cols", "m*", "--estimator", estimator,
            "--store", str(tmp / f"store-{tag}.sqlite"), "--out", str(out), "--quiet", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(CLI + argv, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out / "pairs.csv"


def numbers(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)[["row", "col", "estimator", "mi", "std", "p_value"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--estimator", default="ksg")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each --jobs setting (default 2)")
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mibench-bench-matrix-") as d:
        tmp = Path(d)
        data = tmp / "data.csv"
        make_data(data, args.rows)
        print(f"data: {args.rows} rows x 24 columns (20 x 4 = 80 pairs), estimator {args.estimator}, "
              f"cpus {os.cpu_count()}, load average before {os.getloadavg()}")
        order = ([1, 2, 2, 1] * args.repeats)[: 2 * args.repeats] if args.repeats > 1 else [1, 2]
        walls: dict[int, list[float]] = {1: [], 2: []}
        cpus: dict[int, list[float]] = {1: [], 2: []}
        first = None
        for i, jobs in enumerate(order):
            wall, cpu, pairs = run(tmp, data, f"{i}-j{jobs}", args.estimator, ["--jobs", str(jobs)])
            walls[jobs].append(wall)
            cpus[jobs].append(cpu)
            print(f"  --jobs {jobs}: {wall:.1f} s wall, {cpu:.1f} s CPU (obtained {cpu / wall:.2f} cores)")
            first = numbers(pairs) if first is None else first
            pd.testing.assert_frame_equal(first, numbers(pairs))
        ratio = sum(walls[1]) / sum(walls[2])
        print(f"speed-up --jobs 2 over --jobs 1: {ratio:.2f}x "
              f"(mean {np.mean(walls[1]):.1f} s vs {np.mean(walls[2]):.1f} s); load average after "
              f"{os.getloadavg()}")
        print(f"CPU time --jobs 2 / --jobs 1: {sum(cpus[2]) / sum(cpus[1]):.2f} (the parallel run's "
              "overhead); cores obtained: "
              f"{sum(cpus[1]) / sum(walls[1]):.2f} serially, {sum(cpus[2]) / sum(walls[2]):.2f} with two "
              "workers (a busy machine gives fewer than 1 and 2)")
        print("numbers: every --jobs run gives byte-identical pairs.csv values")
        if not args.skip_dask:
            wall, _, pairs = run(tmp, data, "dask", args.estimator, ["--jobs", "2", "--executor", "dask"])
            pd.testing.assert_frame_equal(first, numbers(pairs))
            print(f"--executor dask --jobs 2: {wall:.1f} s, numbers identical to --jobs 1")


if __name__ == "__main__":
    main()
