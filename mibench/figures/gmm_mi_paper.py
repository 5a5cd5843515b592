"""The GMM-MI paper's toy comparisons (Piras et al. 2023), redrawn with mibench's estimators.

Settings follow /work/shared/reference/gmm-mi-algorithm.md section 13 and scenarios.md
section 15:

- Fig. 1 (``gmm_mi_fig1_sweeps``): N = 200, one dataset per parameter value, 20 values:
  bivariate Gaussian rho in linspace(-0.99, 0.99, 20); gamma-exponential and ordered Weinman
  (beta = 0.5) alpha in logspace(-1, 2, 20), both log-transformed. GMM-MI with threshold_fit
  1e-5, reg_covar 1e-12, 3 inits, 2 folds, B = 100 bootstrap fits, M = 1e4 MC samples, band
  +-2 std; against KSG (k = 1) and MINE (concat critic 100-100 ReLU, Donsker-Varadhan with no
  moving-average smoothing, Adam 1e-3, batch 32, about 50 epochs).
- Fig. 2 (``gmm_mi_fig2_invariance``): rho = 0.6 and the transforms identity, y + 0.1 y^2,
  y + 0.5 y^3, ln(y + 5) of the second coordinate (MI unchanged, 0.2231 nats), N in {200,
  2000, 20000}, 500 realisations; GMM-MI (5 inits, 3 folds, B = 100, M = 1e5) and KSG (k = 1);
  bias and spread over realisations vs N.
- Fig. 3 (``gmm_mi_fig3_bootstrap``): rho = 0.6, one dataset of N = 200; GMM-MI's own B = 20
  bootstrap replicates against KSG (k = 3) and MINE on 20 bootstrap resamples (the
  ``resampled`` scenario, seeds 0..19, through the store);
  error bars +-1 std.

Differences from the paper (by design): datasets come from mibench's seed streams (the paper's
legacy Mersenne-Twister draws are not emulated), every estimator of a cell sees the same data,
GMM-MI uses mibench's independent MC seeds per bootstrap replicate (``mc_seeding``), our KSG
does not clip negative estimates to 0, and MINE keeps mibench's train/validation/test split
(60/20/20) and reports the bound on the held-out test split instead of on training data.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from mibench.analysis.metrics import summarize
from mibench.analysis.reports import figures as rf
from mibench.execution.options import RunOptions, options_from
from mibench.figures._common import label_quick, param, run_cached, write_csv

log = logging.getLogger(__name__)

#: the paper's component selection: the original's random start, stuck CV fits scored as they
#: are (mibench's defaults since issue 20 use a k-means start and restart stuck fits)
GMM_ORIGINAL_SELECTION = dict(init_type="random_sklearn", stuck_fits="count")
GMM_FIG1 = dict(threshold_fit=1e-5, reg_covar=1e-12, n_inits=3, n_folds=2, n_bootstrap=100,
                mc_samples=10_000, **GMM_ORIGINAL_SELECTION)
GMM_INV = dict(threshold_fit=1e-5, reg_covar=1e-12, n_inits=5, n_folds=3, n_bootstrap=100,
               mc_samples=100_000, **GMM_ORIGINAL_SELECTION)
#: MINE as in the notebooks: 2 -> 100 -> 100 -> 1 ReLU, DV bound, moving-average rate 1.0 (no
#: smoothing: ema_decay 0), Adam 1e-3, batch 32; 50 epochs of the 120 training points = 200 steps;
#: trained once, as the notebooks (``uncertainty="test-batches"``; the cross-fitted default trains 5x).
MINE = dict(critic="joint", hidden=(100, 100), activation="relu", learning_rate=1e-3, batch_size=32,
            max_steps=200, eval_every=20, patience=1000, ema_decay=0.0, threads=1,
            uncertainty="test-batches")
TRANSFORMS = ["identity", "square", "cube", "log"]
PARTS = ("sweeps", "invariance", "bootstrap")
N_SWEEP = 200

FULL = dict(n_values=20, gmm1=GMM_FIG1, gmm_inv=GMM_INV, mine=MINE, inv_ns=[200, 2000, 20000],
            realisations=500, n_boot=20)
QUICK = dict(n_values=8, gmm1=GMM_FIG1 | dict(n_bootstrap=20, mc_samples=2000),
             gmm_inv=GMM_INV | dict(n_inits=3, n_folds=2, n_bootstrap=20, mc_samples=10_000),
             mine=MINE | dict(max_steps=100), inv_ns=[200, 2000], realisations=10, n_boot=20)


def settings(quick: bool = False, **overrides) -> dict:
    s = dict(QUICK if quick else FULL)
    s.update({k: v for k, v in overrides.items() if v is not None})
    return s


def sweep_scenarios(n_values: int) -> dict[str, list[tuple[str, dict]]]:
    """Fig. 1's three sweeps as (scenario, params) lists."""
    rhos = np.linspace(-0.99, 0.99, n_values)
    alphas = np.logspace(-1, 2, n_values)
    return {
        "gaussian-correlated": [("gaussian-correlated", {"rho": float(r)}) for r in rhos],
        "gamma-exponential": [("gamma-exponential", {"alpha": float(a), "log": True}) for a in alphas],
        "weinman-exponential": [("weinman-exponential", {"alpha": float(a), "beta": 0.5, "log": True})
                                for a in alphas],
    }


def invariance_scenarios() -> list[tuple[str, dict]]:
    return [("transformed", {"base": "gaussian-correlated", "base_params": "rho=0.6", "transform": t,
                             "apply_to": "y"}) for t in TRANSFORMS]


# ------------------------------------------------------------------ compute
def compute_sweeps(s: dict, *, options: RunOptions = RunOptions(), on_result=None,
                   progress=False) -> pd.DataFrame:
    scen = [p for v in sweep_scenarios(s["n_values"]).values() for p in v]
    ests = [("gmm-mi", s["gmm1"]), ("ksg", {"k": 1}), ("mine", s["mine"])]
    return run_cached(scen, ests, [N_SWEEP], [0], options=options, on_result=on_result,
                      progress="Fig. 1 sweeps" if progress else None)


def compute_invariance(s: dict, *, options: RunOptions = RunOptions(), progress=False) -> pd.DataFrame:
    ests = [("gmm-mi", s["gmm_inv"]), ("ksg", {"k": 1})]
    return run_cached(invariance_scenarios(), ests, s["inv_ns"], list(range(s["realisations"])),
                      options=options, progress="Fig. 2 invariance" if progress else None)


def compute_bootstrap(s: dict, rho: float = 0.6, n: int = N_SWEEP, data_seed: int = 13, *,
                      options: RunOptions = RunOptions(), progress=False) -> pd.DataFrame:
    """GMM-MI's own bootstrap replicates (B = n_boot) on one dataset, and KSG (k = 3) and MINE on
    n_boot bootstrap resamples of it (the ``resampled`` scenario, seeds 0..B-1), through the
    store. Columns: estimator, replicate, mi (nats); a failed MINE run is left out (logged)."""
    base = dict(base="gaussian-correlated", base_params=f"rho={rho}", data_seed=data_seed)
    B = int(s["n_boot"])
    own = run_cached([("resampled", base | {"bootstrap": False})],
                     [("gmm-mi", s["gmm1"] | {"n_bootstrap": B})], [n], [0], options=options,
                     progress="Fig. 3 GMM-MI" if progress else None)
    if (own["status"] != "ok").any():
        raise RuntimeError(f"GMM-MI failed on the Fig. 3 dataset: {own['error'].iloc[0]}")
    info = json.loads(own["info"].iloc[0])
    rows = [{"estimator": "GMM-MI (own bootstrap)", "replicate": b, "mi": float(v)}
            for b, v in enumerate(info["bootstrap_mi"])]
    res = run_cached([("resampled", base | {"bootstrap": True})],
                     [("ksg", {"k": 3}), ("mine", s["mine"])], [n], list(range(B)), options=options,
                     progress="Fig. 3 resamples" if progress else None)
    labels = {"ksg": "KSG (k=3) on resamples", "mine": "MINE on resamples"}
    for r in res.sort_values(["estimator", "seed"]).itertuples():
        if r.status == "ok":
            rows.append({"estimator": labels[r.estimator], "replicate": int(r.seed), "mi": float(r.mi)})
        else:  # a diverging MINE run is part of the picture, not a crash
            log.warning("%s failed on resample %d: %s", r.estimator, r.seed, r.error)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ draw
LABELS = {"gmm-mi": "GMM-MI", "ksg": "KSG", "mine": "MINE"}
SWEEP_X = {"gaussian-correlated": ("rho", "correlation ρ", False),
           "gamma-exponential": ("alpha", "α (gamma shape)", True),
           "weinman-exponential": ("alpha", "α (Weinman, β = 0.5)", True)}


def sweep_data(trials: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, parameter value and estimator: estimate, own std, true MI."""
    s = summarize(trials)
    s = s[s["scenario"].isin(list(SWEEP_X))].copy()
    s["x"] = [param(p, SWEEP_X[sc][0]) for sc, p in zip(s["scenario"], s["scenario_params"], strict=False)]
    return s[["scenario", "x", "estimator", "true_mi", "mean", "mean_reported_std", "ok"]] \
        .sort_values(["scenario", "estimator", "x"]).reset_index(drop=True)


def plot_sweeps(data: pd.DataFrame, quick: bool = False):
    plt = rf._plt()
    pal = rf.palette(["gmm-mi", "ksg", "mine"])
    with rf.style():
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.9))
        for ax, (scen, (_, xlabel, logx)) in zip(axes, SWEEP_X.items(), strict=False):
            d = data[data["scenario"] == scen]
            truth = d.drop_duplicates("x").sort_values("x")
            ax.plot(truth["x"], truth["true_mi"], color="black", lw=1.5, label="true MI")
            g = d[(d["estimator"] == "gmm-mi") & (d["ok"] > 0)]
            ax.plot(g["x"], g["mean"], color=pal["gmm-mi"], marker="o", ms=3.5, label="GMM-MI")
            sd = g["mean_reported_std"].fillna(0.0)
            ax.fill_between(g["x"], g["mean"] - 2 * sd, g["mean"] + 2 * sd, color=pal["gmm-mi"],
                            alpha=0.25, lw=0, label="GMM-MI ± 2 std (bootstrap)")
            for est, mk in (("ksg", "s"), ("mine", "^")):
                g = d[(d["estimator"] == est) & (d["ok"] > 0)]
                ax.plot(g["x"], g["mean"], ls="none", marker=mk, ms=4.5, color=pal[est],
                        label=LABELS[est] + (" (k=1)" if est == "ksg" else ""))
            if logx:
                ax.set_xscale("log")
            ax.set_xlabel(xlabel)
            ax.set_title(scen + (" (log-transformed)" if logx else ""), fontsize=10)
        axes[0].set_ylabel("MI [nats]")
        fig.suptitle(label_quick(f"GMM-MI paper Fig. 1: N = {N_SWEEP}, one dataset per value", quick),
                     fontsize=11)
        fig.tight_layout()
        rf._legend_right(fig)
    return fig


def invariance_data(trials: pd.DataFrame) -> pd.DataFrame:
    s = summarize(trials)
    s["transform"] = [param(p, "transform") for p in s["scenario_params"]]
    return s[["transform", "estimator", "n", "true_mi", "mean", "bias", "std", "rmse", "ok", "failed"]] \
        .sort_values(["estimator", "transform", "n"]).reset_index(drop=True)


TRANSFORM_LABELS = {"identity": "identity y", "square": "y + 0.1 y²", "cube": "y + 0.5 y³",
                    "log": "ln(y + 5)"}


def plot_invariance(data: pd.DataFrame, realisations: int, quick: bool = False):
    plt = rf._plt()
    ests = [e for e in ("gmm-mi", "ksg") if e in set(data["estimator"])]
    pal = rf.palette(TRANSFORMS)
    mk = rf.markers(TRANSFORMS)
    offsets = dict(zip(TRANSFORMS, [0.9, 0.96, 1.04, 1.1], strict=False))
    with rf.style():
        fig, axes = plt.subplots(2, len(ests), figsize=(5.2 * len(ests), 7), squeeze=False,
                                 sharex=True, sharey="row")
        for j, est in enumerate(ests):
            d = data[(data["estimator"] == est) & (data["ok"] > 0)]
            ax = axes[0][j]
            ax.axhline(0, color="0.3", ls="--", lw=1)
            for t in TRANSFORMS:
                g = d[d["transform"] == t]
                ax.errorbar(g["n"] * offsets[t], g["bias"], yerr=g["std"], color=pal[t], marker=mk[t],
                            capsize=3, lw=1.3, label=TRANSFORM_LABELS[t])
            rf.n_axis(ax, d["n"])
            ax.set_title(f"{LABELS[est]}" + (" (k=1)" if est == "ksg" else ""))
            ax = axes[1][j]
            for t in TRANSFORMS:
                g = d[d["transform"] == t]
                ax.plot(g["n"], g["std"], color=pal[t], marker=mk[t], lw=1.3, label=TRANSFORM_LABELS[t])
            ns = np.array(sorted(d["n"].unique()), float)
            ident = d[d["transform"] == "identity"].sort_values("n")
            if len(ident) and len(ns) > 1:
                ref = float(ident["std"].iloc[0]) * np.sqrt(ns[0] / ns)
                ax.plot(ns, ref, color="0.5", ls=":", lw=1, label="∝ N^(-1/2)")
            rf.n_axis(ax, d["n"])
            ax.set_yscale("log")
            ax.set_xlabel("N (samples, log scale)")
        axes[0][0].set_ylabel("bias [nats] (mean − true MI)\nerror bars: ±1 std over realisations")
        axes[1][0].set_ylabel("std over realisations [nats]")
        reduced = (f"{realisations} of 500 realisations" if realisations < FULL["realisations"] else "")
        fig.suptitle(label_quick(f"GMM-MI paper Fig. 2: invariance under transforms of y, ρ = 0.6 "
                                 f"(true MI 0.2231 nats), {realisations} realisations", quick, reduced),
                     fontsize=11)
        fig.tight_layout()
        rf._legend_right(fig)
    return fig


def plot_bootstrap(data: pd.DataFrame, truth: float, quick: bool = False):
    plt = rf._plt()
    import seaborn as sns

    names = list(dict.fromkeys(data["estimator"]))
    pal = dict(zip(names, sns.color_palette("colorblind", len(names)), strict=False))
    with rf.style():
        fig, ax = plt.subplots(figsize=(7, 3.4))
        ax.axvline(truth, color="black", lw=1.5, label="true MI")
        for i, name in enumerate(names):
            v = data.loc[data["estimator"] == name, "mi"].to_numpy(float)
            jitter = np.random.default_rng(i).uniform(-0.12, 0.12, len(v))
            ax.plot(v, i + jitter, ls="none", marker="o", ms=4, alpha=0.6, color=pal[name])
            ax.errorbar(v.mean(), i + 0.3, xerr=v.std(ddof=1), color=pal[name], marker="D", capsize=4,
                        lw=2, ms=6)
        ax.set_yticks(range(len(names)), names)
        ax.set_ylim(len(names) - 0.4, -0.6)
        ax.set_xlabel("MI [nats] (dots: replicates; diamond: mean ± 1 std)")
        ax.set_title(label_quick("GMM-MI paper Fig. 3: bootstrap distributions, ρ = 0.6, N = 200, "
                                 "one dataset", quick), fontsize=10)
        ax.legend(loc="lower right", frameon=False)
        fig.tight_layout()
    return fig


def make(out: Path, *, quick: bool = False, options: RunOptions | None = None,
         jobs: int | None = None, store=None, realisations: int | None = None,
         parts=PARTS, overrides: dict | None = None, progress: bool = False) -> list[Path]:
    """Run (through the store) and draw the GMM-MI paper figures into ``out``; returns the files.

    ``overrides`` replaces entries of the settings (FULL / QUICK: n_values, gmm1, gmm_inv, mine,
    inv_ns, realisations, n_boot), e.g. for tests. ``progress``: report each run's progress on
    stderr.
    """
    options = options_from(options, jobs=jobs, store=store)
    out = Path(out)
    s = settings(quick, **({"realisations": realisations} | (overrides or {})))
    written: list[Path] = []
    if "sweeps" in parts:
        data = sweep_data(compute_sweeps(s, options=options, progress=progress))
        written.append(write_csv(data, out / "gmm_mi_fig1_sweeps.csv"))
        written += rf.save(plot_sweeps(data, quick), out / "gmm_mi_fig1_sweeps")
    if "invariance" in parts:
        data = invariance_data(compute_invariance(s, options=options, progress=progress))
        written.append(write_csv(data, out / "gmm_mi_fig2_invariance.csv"))
        written += rf.save(plot_invariance(data, s["realisations"], quick), out / "gmm_mi_fig2_invariance")
    if "bootstrap" in parts:
        from mibench import registry as _registry

        data = compute_bootstrap(s, options=options, progress=progress)
        truth = _registry.make_scenario("gaussian-correlated", rho=0.6).true_mi.value
        written.append(write_csv(data, out / "gmm_mi_fig3_bootstrap.csv"))
        written += rf.save(plot_bootstrap(data, truth, quick), out / "gmm_mi_fig3_bootstrap")
    return written
