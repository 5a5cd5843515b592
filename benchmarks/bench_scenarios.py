"""Generation cost of the high-dimensional scenarios: wall time and memory of ``sample(n)``.

Each configuration runs in a fresh Python process (so the first touch of the output pages is
counted, as in a real trial) and reports the wall time of ``sample``, the peak of the memory
numpy allocates during it (tracemalloc; the two output arrays alone are 2 x n x D x 8 bytes) and
the growth of the process's peak resident set (ru_maxrss) over the generation.

Usage::

    python benchmarks/bench_scenarios.py            # images 16/32 px, embedded D = 1000, n = 10 000
    python benchmarks/bench_scenarios.py --n 5000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # inherited by the child processes

CONFIGS = [
    ("images", {"size": 16, "shape": "gaussian"}),
    ("images", {"size": 32, "shape": "gaussian"}),
    ("images", {"size": 16, "shape": "rectangle"}),
    ("images", {"size": 32, "shape": "rectangle"}),
    ("embedded", {"dim_x": 1000, "dim_y": 1000, "embedding": "linear"}),
    ("embedded", {"dim_x": 1000, "dim_y": 1000, "embedding": "mlp"}),
    ("target-mi", {"mi": 4.0, "dim": 1024}),
]

CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy as np
from mibench import registry as _registry
name, params, n = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
sc = _registry.scenario_class(name)(**params)
sc.sample(2, np.random.default_rng(0)); sc.true_mi  # imports, cached maps
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
t = time.perf_counter()
x, y = sc.sample(n, np.random.default_rng(1))
wall = time.perf_counter() - t
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"wall_s": wall, "traced_peak_mb": peak / 1e6, "rss_growth_mb": (rss1 - rss0) / 1e3,
                  "output_mb": (x.nbytes + y.nbytes) / 1e6, "shape": [x.shape[1], y.shape[1]]}))
"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10_000)
    args = p.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'scenario':<10} {'params':<52} {'dims':>11} {'wall s':>7} {'traced MB':>10} "
          f"{'RSS +MB':>8} {'output MB':>10}")
    for name, params in CONFIGS:
        out = subprocess.run([sys.executable, "-c", CHILD, name, json.dumps(params), str(args.n)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        dims = f"{r['shape'][0]}+{r['shape'][1]}"
        print(f"{name:<10} {json.dumps(params):<52} {dims:>11} {r['wall_s']:>7.2f} "
              f"{r['traced_peak_mb']:>10.0f} {r['rss_growth_mb']:>8.0f} {r['output_mb']:>10.0f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
