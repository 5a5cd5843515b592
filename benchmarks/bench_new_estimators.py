"""The goals of issue 16 for the modern estimators (lnc, classifier, flow, latent-ksg), measured.

Three parts, each printing a Markdown table (paste into docs/benchmarks.md):

``timings``
    CPU time (``time.process_time``) and wall time of one ``estimate`` at n = 10 000, one
    thread (BLAS/OpenMP pinned to 1 by environment and threadpoolctl, torch
    ``set_num_threads(1)`` and the estimators' ``threads=1``), on a correlated Gaussian
    (rho = 0.9 per coordinate pair) and on bmi v1 tasks where training has work to do (a flow
    on Gaussian data stops after a few epochs): lnc at 2x2 and 5x5 (with its default subsample
    std and with ``uncertainty="none"``) and on bmi's spiral 5x5, ksg-ensemble at 2x2, 5x5 and
    on the spiral 5x5, classifier and flow (CPU) at 1x1, 5x5 and on bmi's
    spiral 5x5 and dense 25x25, latent-ksg on a 256x256 embedding; KSG beside them. Goals:
    classifier < 5 s, lnc < 3 s at 5x5, flow < 30 s (CPU). On a busy machine read the CPU
    column: wall time there measures the other processes.
``latent256``
    latent-ksg on a 2+2-dimensional Gaussian pair (rho = 0.9, true MI 1.661 nats) embedded in
    256+256 columns, linearly or by a fixed random invertible map (linear, asinh, rotation),
    n = 10 000: estimate, relative error, time. Goal: within 15 % in under 60 s on 2 cores.
``bmi``
    bmi v1 tasks (scenarios/bmi_v1.py) at n = 5000: each new estimator and KSG-10 on the
    chosen tasks and seeds, relative error per task, mean CPU seconds per estimate, and per seed
    how training ended (epochs, best epoch, validation NLL) for the trained estimators; a spec
    ``name:key=value;key=value`` sets hyperparameters (``flow:transforms=6``). Goal (flow): within 10 % on the
    multinormal and transformed-normal tasks; on tasks where KSG-10 is off by > 30 %, a new
    estimator halves the error.

Usage::

    python benchmarks/bench_new_estimators.py timings
    python benchmarks/bench_new_estimators.py latent256
    python benchmarks/bench_new_estimators.py bmi --tasks 1v1-normal-0.75 multinormal-dense-5-5-5 \\
        --estimators flow lnc classifier latent-ksg ksg:k=10 --seeds 1

Timings depend on the machine and its load: run on an idle machine, and compare estimators
within one run.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from mibench import registry  # noqa: E402


def gaussian(n, d, rho, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return x, y, -0.5 * d * np.log(1 - rho**2)


def embedded(n, dim, kind, seed, d=2, rho=0.9):
    """A d+d Gaussian pair embedded in dim+dim columns: 'linear' (random d x dim matrices) or
    'mlp' (linear, then asinh(2 .), then a random rotation; invertible on the image, so the true
    MI is that of the low-dimensional pair)."""
    rng = np.random.default_rng(seed)
    u, v, truth = gaussian(n, d, rho, seed)
    a, b = rng.standard_normal((d, dim)), rng.standard_normal((d, dim))
    x, y = u @ a, v @ b
    if kind == "mlp":
        q1, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        q2, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        x, y = np.arcsinh(2 * x) @ q1, np.arcsinh(2 * y) @ q2
    return x, y, truth


def make(spec: str):
    name, _, rest = spec.partition(":")
    params = dict(kv.split("=", 1) for kv in rest.split(";")) if rest else {}
    cls = registry.estimators()[name].load()
    return registry.make_estimator(name, **params) if params else cls()


def timed(est, x, y, seed=0):
    """(estimate, wall seconds, CPU seconds of this process) with one BLAS/torch thread."""
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    with threadpool_limits(1):
        c0, t0 = time.process_time(), time.perf_counter()
        res = est.estimate(x, y, seed=seed)
        return res, time.perf_counter() - t0, time.process_time() - c0


def bmi_task(task, n, seed=0):
    from scenarios.bmi_v1 import BMI_V1_TASKS

    sname, sparams = BMI_V1_TASKS[task]
    scen = registry.make_scenario(sname, **sparams)
    x, y = scen.sample(n, np.random.default_rng(1000 + seed))
    return x, y, scen.true_mi.value


SPIRAL5 = "spiral-multinormal-sparse-5-5-2-2.0"
DENSE25 = "multinormal-dense-25-25-0.5"


def cmd_timings(args):
    n = args.n
    rows = []
    none = {"uncertainty": "none"}
    cpu = {"device": "cpu"}
    cases = [
        ("ksg", {}, "gaussian", 2), ("lnc", {}, "gaussian", 2), ("lnc", none, "gaussian", 2),
        ("ksg", {}, "gaussian", 5), ("lnc", {}, "gaussian", 5), ("lnc", none, "gaussian", 5),
        ("lnc", {}, SPIRAL5, 5), ("ksg-ensemble", {}, "gaussian", 2),
        ("ksg-ensemble", {}, "gaussian", 5), ("ksg-ensemble", {}, SPIRAL5, 5),
        ("classifier", {}, "gaussian", 1), ("classifier", {}, "gaussian", 5),
        ("classifier", {}, SPIRAL5, 5), ("classifier", {}, DENSE25, 25),
        ("flow", cpu, "gaussian", 1), ("flow", cpu, "gaussian", 5),
        ("flow", cpu, SPIRAL5, 5), ("flow", cpu, DENSE25, 25),
        ("latent-ksg", {}, "embedded", 256),
    ]
    for name, params, data, d in cases:
        if args.only and name not in args.only:
            continue
        if not registry.estimators()[name].available:
            print(f"skip {name}: unavailable")
            continue
        if data == "gaussian":
            x, y, truth = gaussian(n, d, 0.9, 0)
        elif data == "embedded":
            x, y, truth = embedded(n, d, "mlp", 0)
        else:
            x, y, truth = bmi_task(data, n)
        est = registry.make_estimator(name, **params)
        res, wall, cpu_s = timed(est, x, y)
        label = name + "".join(f":{k}={v}" for k, v in params.items())
        where = f"{d}x{d}" if data in ("gaussian", "embedded") else data
        rows.append((label, where, truth, res.mi, res.std, cpu_s, wall))
        print(f"{label:32s} {where}  truth {truth:.3f}  mi {res.mi:.3f}  std "
              f"{res.std if res.std is None else round(res.std, 3)}  CPU {cpu_s:.1f} s  "
              f"wall {wall:.1f} s", flush=True)
    print(f"\n| estimator | data | true MI | estimate | std | CPU [s] | wall [s] (n = {n}) |\n"
          "|---|---|---|---|---|---|---|")
    for label, where, truth, mi, std, cpu_s, wall in rows:
        print(f"| `{label}` | {where} | {truth:.3f} | {mi:.3f} | "
              f"{'-' if std is None else f'{std:.3f}'} | {cpu_s:.1f} | {wall:.1f} |")


def cmd_latent256(args):
    rows = []
    for kind in ("linear", "mlp"):
        x, y, truth = embedded(args.n, 256, kind, args.seed)
        for comp in ("autoencoder", "pca"):
            est = registry.make_estimator("latent-ksg", compressor=comp)
            res, wall, _ = timed(est, x, y)
            rows.append((kind, comp, truth, res.mi, res.std, wall))
            print(kind, comp, f"truth {truth:.3f} mi {res.mi:.3f} +- {res.std:.3f} "
                  f"rel.err {(res.mi - truth) / truth:+.1%} {wall:.1f} s", flush=True)
    print("\n| embedding | compressor | true MI | estimate +- std | rel. error | time [s] |\n"
          "|---|---|---|---|---|---|")
    for kind, comp, truth, mi, std, wall in rows:
        print(f"| {kind} | {comp} | {truth:.3f} | {mi:.3f} +- {std:.3f} | "
              f"{(mi - truth) / truth:+.1%} | {wall:.1f} |")


def cmd_bmi(args):
    from scenarios.bmi_v1 import BMI_V1_TASKS

    tasks = args.tasks or list(BMI_V1_TASKS)
    rows = []
    for task in tasks:
        sname, sparams = BMI_V1_TASKS[task]
        scen = registry.make_scenario(sname, **sparams)
        truth = scen.true_mi.value
        for spec in args.estimators:
            name = spec.partition(":")[0]
            plugin = registry.estimators()[name]
            if not plugin.available:
                continue
            est = make(spec)
            ok, swap, reason = est.capabilities.match(scen.x_kind, scen.y_kind, scen.dim_x, scen.dim_y)
            if not ok:
                rows.append((task, spec, truth, None, None, reason))
                continue
            vals, cpus = [], []
            for seed in range(args.seeds):
                x, y = scen.sample(args.n, np.random.default_rng(1000 + seed))
                res, _, cpu_s = timed(est, x, y, seed=seed)
                vals.append(res.mi)
                cpus.append(cpu_s)
                # trained estimators: how training ended (flow: epochs run, best epoch, its
                # validation NLL per row)
                trained = " ".join(f"{key} {res.info[key]:.4g}" for key in
                                   ("epochs", "best_epoch", "val_nll_best") if key in res.info)
                print(f"  seed {seed} {spec}: {res.mi:.3f} ({(res.mi - truth) / truth:+.1%}) "
                      f"CPU {cpu_s:.1f} s {trained}", flush=True)
            mean = float(np.mean(vals))
            rows.append((task, spec, truth, mean, float(np.mean(cpus)), ""))
            print(f"{task:36s} {spec:14s} truth {truth:.3f} mean {mean:.3f} "
                  f"rel {(mean - truth) / truth:+.1%} CPU {np.mean(cpus):.1f} s", flush=True)
    print(f"\n| task | estimator | true MI | mean ({args.seeds} seeds) | rel. error | CPU [s] |\n"
          "|---|---|---|---|---|---|")
    for task, spec, truth, mean, cpu_s, reason in rows:
        if mean is None:
            print(f"| {task} | `{spec}` | {truth:.3f} | skipped: {reason} | | |")
        else:
            print(f"| {task} | `{spec}` | {truth:.3f} | {mean:.3f} | {(mean - truth) / truth:+.1%} | "
                  f"{cpu_s:.1f} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("timings")
    t.add_argument("--n", type=int, default=10_000)
    t.add_argument("--only", nargs="*", help="estimator names to time (default: all)")
    lt = sub.add_parser("latent256")
    lt.add_argument("--n", type=int, default=10_000)
    lt.add_argument("--seed", type=int, default=0)
    b = sub.add_parser("bmi")
    b.add_argument("--tasks", nargs="*")
    b.add_argument("--estimators", nargs="+",
                   default=["flow", "lnc", "classifier", "latent-ksg", "ksg:k=10"])
    b.add_argument("--n", type=int, default=5000)
    b.add_argument("--seeds", type=int, default=1)
    args = p.parse_args()
    {"timings": cmd_timings, "latent256": cmd_latent256, "bmi": cmd_bmi}[args.cmd](args)


if __name__ == "__main__":
    main()
