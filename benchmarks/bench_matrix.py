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
   reports the CPU time of the command's own process and of its worker processes, and the parts
   of the former spent while the trials run (the runner's ``_run_claimed``: sending trials,
   storing rows, and in a --jobs 2 run the heatmap's imports, which wait for no result) and at
   exit (the interpreter's teardown). The rest of the parent's CPU time (start-up, reading,
   planning, the output files, exit) is serial work: in the --jobs 2 runs, over the total CPU
   time of the --jobs 1 runs, it is the serial fraction f, and 1 / (f + (1 - f) / 2) the
   speed-up two idle cores could give at best (Amdahl). A second bound uses the measured CPU
   times: the serial work plus half of the workers' and the parent's CPU time during the run; it
   counts the start-up work each worker repeats (e.g. importing scipy for its first trial), so
   it is the closer one.

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

# the command as a user runs it, then on stderr its own CPU time (the parent: reading, planning,
# storing, writing the outputs), that of its finished children (the worker processes) and the
# part of its own spent while the trials run (in the runner's _run_claimed)
CLI = [sys.executable, "-c",
       "import resource, sys, time\n"
       "from mibench.cli import main\n"
       "from mibench.execution import runner\n"
       "during, run_claimed = 0.0, runner._run_claimed\n"
       "def timed(*args, **kwargs):\n"
       "    global during\n"
       "    t0 = time.process_time()\n"
       "    try:\n"
       "        return run_claimed(*args, **kwargs)\n"
       "    finally:\n"
       "        during += time.process_time() - t0\n"
       "runner._run_claimed = timed\n"
       "code = main(sys.argv[1:])\n"
       "s, c = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
       "print(f'CPU {s.ru_utime + s.ru_stime} {c.ru_utime + c.ru_stime} {during}', file=sys.stderr)\n"
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
        extra: list[str]) -> tuple[float, float, float, float, float, Path]:
    """Wall time, the parent's CPU time (its interpreter's exit included), the worker processes'
    CPU time, the parent's CPU time while the trials ran and at exit, of one run, and its pairs."""
    out = tmp / f"out-{tag}"
    argv = ["matrix", str(data), "--rows", "z*", "--cols", "m*", "--estimator", estimator,
            "--store", str(tmp / f"store-{tag}.sqlite"), "--out", str(out), "--quiet", *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(CLI + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)  # the CPU time of all of it, exit included
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"mibench {' '.join(argv)} failed:\n{stderr}")
    parent, workers, during = (float(v) for v in stderr.strip().splitlines()[-1].split()[1:])
    total_parent = usage.ru_utime + usage.ru_stime - workers
    return wall, total_parent, workers, during, total_parent - parent, out / "pairs.csv"


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
        cpus: dict[int, list[tuple[float, float, float]]] = {1: [], 2: []}
        first = None
        for i, jobs in enumerate(order):
            wall, parent, workers, during, exit_cpu, pairs = run(
                tmp, data, f"{i}-j{jobs}", args.estimator, ["--jobs", str(jobs)])
            walls[jobs].append(wall)
            cpus[jobs].append((parent, workers, during))
            print(f"  --jobs {jobs}: {wall:.1f} s wall, CPU {parent:.2f} s parent ({during:.2f} s of "
                  f"it during the trials, {exit_cpu:.2f} s at exit) + {workers:.2f} s workers (obtained "
                  f"{(parent + workers) / wall:.2f} cores)")
            first = numbers(pairs) if first is None else first
            pd.testing.assert_frame_equal(first, numbers(pairs))
        ratio = sum(walls[1]) / sum(walls[2])
        print(f"speed-up --jobs 2 over --jobs 1: {ratio:.2f}x "
              f"(mean {np.mean(walls[1]):.1f} s vs {np.mean(walls[2]):.1f} s); load average after "
              f"{os.getloadavg()}")
        serial_cpu = np.mean([p + w for p, w, _ in cpus[1]])
        parent2, workers2, during2 = (np.mean([c[k] for c in cpus[2]]) for k in (0, 1, 2))
        print(f"CPU time --jobs 2 / --jobs 1: {(parent2 + workers2) / serial_cpu:.2f} (the parallel "
              "run's overhead); cores obtained: "
              f"{serial_cpu * len(cpus[1]) / sum(walls[1]):.2f} serially, "
              f"{(parent2 + workers2) * len(cpus[2]) / sum(walls[2]):.2f} with two workers (a busy "
              "machine gives fewer than 1 and 2)")
        # Amdahl, from CPU times (meaningful on a busy machine too): the parent's work outside the
        # trials is serial; the rest (workers, and the parent while they run) splits over two idle
        # cores at best
        serial = parent2 - during2
        fraction = serial / serial_cpu
        print(f"parent CPU of --jobs 2 / CPU of --jobs 1: {parent2 / serial_cpu:.3f} ({during2:.2f} s "
              f"of {parent2:.2f} s during the trials)")
        print(f"serial fraction (parent CPU of --jobs 2 outside the trials / CPU of --jobs 1): "
              f"{fraction:.3f}; bound on two idle cores {1 / (fraction + (1 - fraction) / 2):.2f}x, "
              f"or {serial_cpu / (serial + (workers2 + during2) / 2):.2f}x with the measured CPU")
        print("numbers: every --jobs run gives byte-identical pairs.csv values")
        if not args.skip_dask:
            wall, parent, workers, _, _, pairs = run(tmp, data, "dask", args.estimator,
                                                     ["--jobs", "2", "--executor", "dask"])
            pd.testing.assert_frame_equal(first, numbers(pairs))
            print(f"--executor dask --jobs 2: {wall:.1f} s wall, CPU {parent:.2f} s parent (client and "
                  f"scheduler) + {workers:.2f} s workers, numbers identical to --jobs 1")


if __name__ == "__main__":
    main()
