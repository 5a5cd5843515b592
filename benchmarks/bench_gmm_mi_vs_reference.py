"""Benchmark: mibench's clean-room ``gmm-mi`` against the original GMM-MI package (gmm-mi 0.8.2).

Both run at the original's defaults (n_inits=3, n_folds=2, threshold_fit=1e-5, reg_covar=1e-15,
n_bootstrap=50, MC_samples=1e5) on identical data, with BLAS/OpenMP pinned to one thread, on:

- ``gauss200``:  bivariate Gaussian rho = 0.6, n = 200 (truth 0.2231436 nats);
- ``d5p10k``:    the GMM-MI paper's D5p mixture, n = 10 000 (truth 0.1797621 nats, MC);
- ``gauss100k``: bivariate Gaussian rho = 0.6, n = 100 000.

The original needs scikit-learn < 1.6, so it runs in an isolated virtual environment (created on
first use under ``--venv``, default ``~/.cache/mibench/gmm-mi-reference-venv``, with
``pip install gmm-mi "scikit-learn<1.6" "numpy<2"``), in a subprocess that reads the datasets
from .npy files and times only ``EstimateMI().fit_estimate`` itself. Ours runs in this process
(after one warm-up call). Printed per dataset: both estimates +- bootstrap std, whether they agree
within the combined std sqrt(s_ref^2 + s_ours^2), CPU (process) and wall times of both and their
ratios; then a summary per case (total-time ratios, agreement count). Both sides are
single-threaded, so CPU time is the work done; on a shared machine wall time also contains
waiting for a core and is the noisier measure.

Usage::

    python benchmarks/bench_gmm_mi_vs_reference.py                  # 10 datasets per case
    python benchmarks/bench_gmm_mi_vs_reference.py --datasets 10 3 2  # per-case counts
    python benchmarks/bench_gmm_mi_vs_reference.py --cases gauss200 --datasets 2
    python benchmarks/bench_gmm_mi_vs_reference.py --memory          # + peak RSS at n = 1e6
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
           "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from estimators.gmm_mi import GMMMI  # noqa: E402

D5P = dict(
    w=[0.2, 0.35, 0.15, 0.12, 0.18],
    mu=[[-1, 1], [0, 2], [-1.5, 2], [3, 1], [-0.25, 0]],
    cov=[[[1, 0], [0, 0.1]], [[0.5, 0.2], [0.2, 0.5]], [[0.1, 0.05], [0.05, 0.1]],
         [[0.5, -0.1], [-0.1, 0.9]], [[0.2, -0.05], [-0.05, 0.1]]],
    truth=0.1797621,
)


def sample_gauss(n, rng, rho=0.6):
    z = rng.standard_normal((n, 2))
    return np.column_stack([z[:, 0], rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1]])


def sample_mixture(n, rng, spec):
    w = np.asarray(spec["w"])
    lab = rng.choice(len(w), size=n, p=w)
    L = np.linalg.cholesky(np.asarray(spec["cov"], float))
    z = rng.standard_normal((n, 2))
    return np.asarray(spec["mu"], float)[lab] + np.einsum("nij,nj->ni", L[lab], z)


CASES = {
    "gauss200": (lambda rng: sample_gauss(200, rng), -0.5 * np.log(1 - 0.36)),
    "d5p10k": (lambda rng: sample_mixture(10_000, rng, D5P), D5P["truth"]),
    "gauss100k": (lambda rng: sample_gauss(100_000, rng), -0.5 * np.log(1 - 0.36)),
}

REF_RUNNER = r"""
import json, sys, time, warnings
import numpy as np
from threadpoolctl import threadpool_limits
from gmm_mi.mi import EstimateMI
warnings.filterwarnings("ignore")
out = []
with threadpool_limits(1):
    # warm-up (imports, first-call overheads) outside the timings, as for ours
    rng = np.random.default_rng(0)
    z = rng.standard_normal((100, 2))
    EstimateMI().fit_estimate(z)
    for path in sys.argv[1:]:
        X = np.load(path)
        t, c = time.perf_counter(), time.process_time()
        mi, std = EstimateMI().fit_estimate(X)
        out.append({"mi": float(mi), "std": float(std), "time": time.perf_counter() - t,
                    "cpu": time.process_time() - c})
        print(json.dumps(out[-1]), file=sys.stderr, flush=True)
print(json.dumps(out))
"""


def ensure_venv(venv: Path) -> Path:
    py = venv / "bin" / "python"
    ok = py.exists() and subprocess.run([str(py), "-c", "import gmm_mi, threadpoolctl"],
                                        capture_output=True).returncode == 0
    if not ok:
        print(f"creating reference venv at {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "gmm-mi", "scikit-learn<1.6",
                        "numpy<2", "threadpoolctl"], check=True)
    return py


def run_reference(py: Path, paths) -> list[dict]:
    env = dict(os.environ)
    res = subprocess.run([str(py), "-c", REF_RUNNER, *map(str, paths)], env=env,
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"reference run failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


GOAL_RATIO = 20.0

MEMORY_RUNNER = r"""
import resource, sys
import numpy as np
from estimators.gmm_mi import GMMMI
n = int(sys.argv[1])
z = np.random.default_rng(0).standard_normal((n, 2))
GMMMI().estimate(z[:, :1], 0.6 * z[:, :1] + 0.8 * z[:, 1:], seed=0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_memory_mb(n: int) -> float:
    """Peak RSS (MiB) of a fresh process making one default estimate at sample size n."""
    res = subprocess.run([sys.executable, "-c", MEMORY_RUNNER, str(n)], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return float(res.stdout.strip().splitlines()[-1])


def run_ours(datasets, seed0: int) -> list[dict]:
    from threadpoolctl import threadpool_limits

    out = []
    with threadpool_limits(1):
        for i, X in enumerate(datasets):
            t, c = time.perf_counter(), time.process_time()
            e = GMMMI().estimate(X[:, :1], X[:, 1:], seed=seed0 + i)
            out.append({"mi": e.mi, "std": e.std, "time": time.perf_counter() - t,
                        "cpu": time.process_time() - c, "k": e.info["n_components"]})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--datasets", nargs="+", type=int, default=[10],
                    help="datasets per case (one value for all, or one per case)")
    ap.add_argument("--memory", action="store_true",
                    help="also measure our peak memory (RSS) on a bivariate Gaussian at n = 1e6 "
                         "(goal < 2 GB)")
    ap.add_argument("--venv", type=Path,
                    default=Path.home() / ".cache" / "mibench" / "gmm-mi-reference-venv")
    args = ap.parse_args(argv)
    counts = args.datasets * len(args.cases) if len(args.datasets) == 1 else args.datasets
    if len(counts) != len(args.cases):
        ap.error("--datasets takes one value or one per case")
    py = ensure_venv(args.venv)
    # warm-up (imports, first-call overheads) outside the timings
    warm = sample_gauss(100, np.random.default_rng(0))
    GMMMI(n_bootstrap=2, mc_samples=1000).estimate(warm[:, :1], warm[:, 1:], seed=0)
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        for case, count in zip(args.cases, counts, strict=True):
            sampler, truth = CASES[case]
            data = [sampler(np.random.default_rng(10_000 + r)) for r in range(count)]
            paths = []
            for r, X in enumerate(data):
                paths.append(Path(tmp) / f"{case}_{r}.npy")
                np.save(paths[-1], X)
            print(f"\n== {case}: {count} dataset(s), n = {len(data[0])}, truth = {truth:.7f} nats",
                  flush=True)
            ours = run_ours(data, seed0=0)
            ref = run_reference(py, paths)
            print(f"{'r':>3} {'reference mi +- std':>22} {'ours mi +- std':>22} {'K':>2} "
                  f"{'|d|/comb':>8} {'agree':>5} {'cpu_ref':>8} {'cpu_ours':>8} {'ratio':>6} "
                  f"{'wall_ref':>8} {'wall_ours':>9} {'ratio':>6}")
            agree = 0
            for r, (a, b) in enumerate(zip(ref, ours, strict=True)):
                comb = np.hypot(a["std"], b["std"])
                z = abs(a["mi"] - b["mi"]) / comb
                agree += z <= 1.0
                print(f"{r:>3} {a['mi']:>12.5f} +- {a['std']:.5f} {b['mi']:>12.5f} +- {b['std']:.5f} "
                      f"{b['k']:>2} {z:>8.2f} {str(z <= 1.0):>5} {a['cpu']:>8.2f} {b['cpu']:>8.3f} "
                      f"{a['cpu'] / b['cpu']:>6.1f} {a['time']:>8.2f} {b['time']:>9.3f} "
                      f"{a['time'] / b['time']:>6.1f}", flush=True)
            tot = {k: (sum(a[k] for a in ref), sum(b[k] for b in ours)) for k in ("cpu", "time")}
            summary.append((case, count, tot, agree,
                            np.mean([a["mi"] for a in ref]), np.mean([b["mi"] for b in ours]), truth))
    print("\n== summary (BLAS threads pinned to 1; times are totals over the datasets; CPU time is "
          "the robust measure on a shared machine)")
    print(f"{'case':>10} {'sets':>4} {'cpu_ref s':>9} {'cpu_ours s':>10} {'cpu x':>6} "
          f"{'wall_ref s':>10} {'wall_ours s':>11} {'wall x':>6} "
          f"{'agree<=1comb':>12} {'mean ref':>9} {'mean ours':>9} {'truth':>9}")
    for case, count, tot, agree, mr, mo, truth in summary:
        (cr, co), (wr, wo) = tot["cpu"], tot["time"]
        print(f"{case:>10} {count:>4} {cr:>9.1f} {co:>10.2f} {cr / co:>6.1f} {wr:>10.1f} {wo:>11.2f} "
              f"{wr / wo:>6.1f} {agree:>6}/{count:<5} {mr:>9.5f} {mo:>9.5f} {truth:>9.5f}")
    print(f"\ngoals: CPU ratio >= {GOAL_RATIO:g}x and every estimate within the combined std")
    for case, count, tot, agree, *_ in summary:
        ratio = tot["cpu"][0] / tot["cpu"][1]
        ok = ratio >= GOAL_RATIO and agree == count
        print(f"{case:>10}: {ratio:6.1f}x, {agree}/{count} agree -> {'PASS' if ok else 'FAIL'}")
    if args.memory:
        rss = peak_memory_mb(1_000_000)
        print(f"peak RSS of one estimate at n = 1e6 (bivariate Gaussian, defaults): {rss:.0f} MiB "
              f"-> {'PASS' if rss < 2048 else 'FAIL'} (goal < 2 GB)")


if __name__ == "__main__":
    main()
