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
3. **Serial fraction** (meaningful on a busy machine, where wall-clock ratios are not): each run
   reports the CPU time of the command's own process (start-up, reading, planning, the store,
   the output files: serial work) and of its worker processes. The parent's CPU time in the
   --jobs 2 runs over the total CPU time of the --jobs 1 runs is the serial fraction f, and
   1 / (f + (1 - f) / 2) the speed-up two idle cores could give at best (Amdahl); a second bound
   uses the workers' measured CPU time (two busy cores run a trial a little slower than one).

Usage::

    python benchmarks/bench_matrix.py                       # ksg (own error bars), 3000 rows
    python benchmarks/bench_matrix.py --estimator gmm-mi --rows 300 --repeats 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

# the command as a user runs it, then its own CPU time (the parent: reading, planning, storing,
# writing the outputs) and that of its finished children (the worker processes) on stderr
CLI = [sys.executable, "-c",
       "import resource, sys\n"
       "from mibench.cli import main\n"
       "code = main(sys.argv[1:])\n"
       "s, c = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
       "print(f'CPU {s.ru_utime + s.ru_stime} {c.ru_utime + c.ru_stime}', file=sys.stderr)\n"
       "sys.exit(code)"]


def make_data(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(rows, 20))
    cols = {f"z{j}": z[:, j] for j in range(20)}
    for k in range(4):
        weights = np.zeros(20)
        weights[rng.choice(20, size=3, replace=False)] = rng.uniform(0.3, 1.0, size=3)
        cols[f"m{k}"] = z @ weights + rng.normal(size=rows)
    pd.DataFrame(cols).to_csv(path, index=False)


def run(tmp: Path, data: Path, tag: str, estimator: str,
        extra: list[str]) -> tuple[float, float, float, Path]:
    """Wall time, the parent's CPU time and the worker processes' CPU time of one run, and its
    pairs."""
    out = tmp / f"out-{tag}"
    argv = ["matrix", str(data), "--rows", "z*", "--cols", "m*", "--estimator", estimator,
            "--store", str(tmp / f"store-{tag}.sqlite"), "--out", str(out), "--quiet", *extra]
    t0 = time.perf_counter()
    done = subprocess.run(CLI + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"mibench {' '.join(argv)} failed:\n{done.stderr}")
    parent, workers = (float(v) for v in done.stderr.strip().splitlines()[-1].split()[1:])
    return wall, parent, workers, out / "pairs.csv"


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
        cpus: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        first = None
        for i, jobs in enumerate(order):
            wall, parent, workers, pairs = run(tmp, data, f"{i}-j{jobs}", args.estimator,
                                               ["--jobs", str(jobs)])
            walls[jobs].append(wall)
            cpus[jobs].append((parent, workers))
            print(f"  --jobs {jobs}: {wall:.1f} s wall, CPU {parent:.2f} s parent + {workers:.2f} s "
                  f"workers (obtained {(parent + workers) / wall:.2f} cores)")
            first = numbers(pairs) if first is None else first
            pd.testing.assert_frame_equal(first, numbers(pairs))
        ratio = sum(walls[1]) / sum(walls[2])
        print(f"speed-up --jobs 2 over --jobs 1: {ratio:.2f}x "
              f"(mean {np.mean(walls[1]):.1f} s vs {np.mean(walls[2]):.1f} s); load average after "
              f"{os.getloadavg()}")
        serial_cpu = np.mean([p + w for p, w in cpus[1]])
        parent2, workers2 = (np.mean([c[k] for c in cpus[2]]) for k in (0, 1))
        print(f"CPU time --jobs 2 / --jobs 1: {(parent2 + workers2) / serial_cpu:.2f} (the parallel "
              "run's overhead); cores obtained: "
              f"{serial_cpu * len(cpus[1]) / sum(walls[1]):.2f} serially, "
              f"{(parent2 + workers2) * len(cpus[2]) / sum(walls[2]):.2f} with two workers (a busy "
              "machine gives fewer than 1 and 2)")
        # Amdahl, from CPU times (meaningful on a busy machine too): the parent's work is serial;
        # the workers' work splits over two idle cores at best
        fraction = parent2 / serial_cpu
        print(f"serial fraction (parent CPU of --jobs 2 / CPU of --jobs 1): {fraction:.3f}; bound on "
              f"two idle cores {1 / (fraction + (1 - fraction) / 2):.2f}x, or "
              f"{serial_cpu / (parent2 + workers2 / 2):.2f}x with the workers' measured CPU")
        print("numbers: every --jobs run gives byte-identical pairs.csv values")
        if not args.skip_dask:
            wall, parent, workers, pairs = run(tmp, data, "dask", args.estimator,
                                               ["--jobs", "2", "--executor", "dask"])
            pd.testing.assert_frame_equal(first, numbers(pairs))
            print(f"--executor dask --jobs 2: {wall:.1f} s wall, CPU {parent:.2f} s parent (client and "
                  f"scheduler) + {workers:.2f} s workers, numbers identical to --jobs 1")


if __name__ == "__main__":
    main()
