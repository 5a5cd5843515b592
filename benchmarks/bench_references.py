"""Side by side: mibench's estimators and the optional reference plugins on identical data.

For each (mibench estimator, reference) pair, every seed draws one data set that both estimators
see, and the table gives mean +- standard deviation over the seeds, the mean paired difference
with its standard error, and the true MI. Pairs whose reference plugin is unavailable are listed
as skipped with the install hint.

``ksg`` against ``ennemi-reference`` (1x1) and ``infomeasure-reference`` (KSG types I and II,
2x2) should agree to rounding (deterministic, same k and metric); the neural estimators against
``torch-mist-reference`` (same critic widths, batch size, step budget and split fractions) only
in distribution; ``latent-ksg`` against ``latentmi-reference`` (the authors' LMI: AECross
autoencoders, 300 epochs, then KSG on the held-out half) on a 4+4 Gaussian pair with 1 nat
embedded linearly in 16+16 columns (scenario ``embedded``) in distribution too (two different
compressions, the same KSG on n/2 rows). latentmi-reference costs about 85 s CPU per estimate
at n = 2000 (one thread).

Usage::

    python benchmarks/bench_references.py                  # all pairs, n = 5000, 5 seeds
    python benchmarks/bench_references.py --only ksg --seeds 3 --n 2000
    python benchmarks/bench_references.py --only latent --n 2000 --seeds 5

Timings are not reported (they depend on the load); run niced on a busy machine.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from mibench import registry  # noqa: E402

#: (group, ours, our params, reference, reference params, data): data is ("gaussian", d, rho),
#: a d+d Gaussian with rho per coordinate pair, or ("scenario", name, params), a registered one
EMBEDDED16 = ("scenario", "embedded", {"dim_x": 16, "dim_y": 16, "embedding": "linear"})
PAIRS = [
    ("ksg", "ksg", {"k": 3, "uncertainty": "none"}, "ennemi-reference", {"k": 3}, ("gaussian", 1, 0.9)),
    ("ksg", "ksg", {"k": 3, "uncertainty": "none"}, "infomeasure-reference", {"k": 3},
     ("gaussian", 2, 0.8)),
    ("ksg", "ksg", {"k": 3, "variant": 2, "uncertainty": "none"}, "infomeasure-reference",
     {"k": 3, "variant": 2}, ("gaussian", 2, 0.8)),
    ("neural", "infonce", {}, "torch-mist-reference", {"estimator": "infonce", "critic": "joint"},
     ("gaussian", 1, 0.9)),
    ("neural", "nwj", {}, "torch-mist-reference", {"estimator": "nwj"}, ("gaussian", 1, 0.9)),
    ("neural", "mine", {}, "torch-mist-reference", {"estimator": "mine"}, ("gaussian", 1, 0.9)),
    ("neural", "smile", {}, "torch-mist-reference", {"estimator": "smile"}, ("gaussian", 1, 0.9)),
    ("neural", "doe", {}, "torch-mist-reference", {"estimator": "doe"}, ("gaussian", 1, 0.9)),
    ("latent", "latent-ksg", {}, "latentmi-reference", {}, EMBEDDED16),
]


def gaussian(n, d, rho, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return x, y, -0.5 * d * np.log(1 - rho**2)


def draw(data, n, seed):
    """(x, y, true MI, label) of one data set."""
    if data[0] == "gaussian":
        _, d, rho = data
        return (*gaussian(n, d, rho, seed), f"{d}x{d}")
    _, name, params = data
    scen = registry.make_scenario(name, **params)
    x, y = scen.sample(n, np.random.default_rng(seed))
    return x, y, scen.true_mi.value, f"{name} {x.shape[1]}x{y.shape[1]}"


def spec(name, params):
    return name + "".join(f":{k}={v}" for k, v in params.items() if k != "uncertainty")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--only", nargs="*", help="pair groups to run: ksg, neural, latent (default: all)")
    args = p.parse_args()
    plugins = registry.estimators()
    rows = []
    for group, ours, oparams, ref, rparams, data in PAIRS:
        if args.only and group not in args.only:
            continue
        for name in (ours, ref):
            if not plugins[name].available:
                rows.append((spec(ours, oparams), spec(ref, rparams), draw(data, 50, 0)[3], None,
                             None, None, f"skipped: {plugins[name].error}"))
                break
        else:
            a = registry.make_estimator(ours, **oparams)
            b = registry.make_estimator(ref, **rparams)
            va, vb = [], []
            for seed in range(args.seeds):
                x, y, truth, where = draw(data, args.n, 1000 + seed)
                va.append(a.estimate(x, y, seed=seed).mi)
                vb.append(b.estimate(x, y, seed=seed).mi)
                print(f"{spec(ours, oparams)} vs {spec(ref, rparams)} seed {seed}: "
                      f"{va[-1]:.4f} {vb[-1]:.4f}", flush=True)
            rows.append((spec(ours, oparams), spec(ref, rparams), where, truth, np.array(va),
                         np.array(vb), ""))
    print(f"\n| mibench | reference | dims | true MI | mibench mean +- sd | reference mean +- sd "
          f"| paired difference +- se | (n = {args.n}, {args.seeds} seeds) |\n"
          "|---|---|---|---|---|---|---|---|")
    for a, b, d, truth, va, vb, note in rows:
        if va is None:
            print(f"| `{a}` | `{b}` | {d} | | {note} | | | |")
            continue
        diff = va - vb
        se = diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else float("nan")
        print(f"| `{a}` | `{b}` | {d} | {truth:.3f} | {va.mean():.4f} +- {va.std(ddof=1):.4f} "
              f"| {vb.mean():.4f} +- {vb.std(ddof=1):.4f} | {diff.mean():+.2g} +- {se:.2g} | |")


if __name__ == "__main__":
    main()
