"""High dimension (issue 17): the ``hd`` suite's estimators swept over dimension at a fixed MI and
over the true MI at a fixed dimension; two figures of the error (mean estimate - true MI, with the
standard error over seeds as error bars).

The suite's entries are labelled ``SWEEP/FAMILY`` (``dim/normal``, ``dim/embedded-mlp``,
``mi/student``, ...): ``dim/*`` entries give one panel each of the error against the dimension
of X (= of Y; pixels for images), ``mi/*`` entries one panel each of the error against the true
MI. Trials go through the store, so a re-run recomputes nothing. Estimator/scenario pairs that
planning skipped (the Gaussian and KDE estimators need n > dim_x + dim_y) are listed in
``high_dimension_skipped.csv`` and absent from the panels; failed trials are counted in the CSV.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from mibench.analysis.metrics import summarize
from mibench.figures._common import label_quick, run_cached, write_csv

log = logging.getLogger(__name__)

SUITE = "hd"
FULL = dict(seeds=3, n=1000)
QUICK = dict(seeds=1, n=500)


def suite_entries(max_dim: int | None = None):
    """[(label, scenario name, params)] of the ``hd`` suite, one per expanded grid point (in the
    dimension sweep only those with dim_x <= ``max_dim`` when given), and the suite's estimators."""
    from mibench import registry as _registry
    from mibench.planning.suites import load_suite
    from mibench.planning.trials import expand_grid

    suite = load_suite(SUITE)
    out = []
    for spec in suite.scenarios:
        for params in expand_grid(spec.params):
            if (max_dim is not None and str(spec.label).startswith("dim/")
                    and int(_registry.make_scenario(spec.name, **params).dim_x) > max_dim):
                continue
            out.append((spec.label or spec.name, spec.name, params))
    estimators = [(e.name, {k: v[0] for k, v in e.params.items()}) for e in suite.estimators]
    return out, estimators


def _skipped_table(entries, estimators, n: int) -> pd.DataFrame:
    from mibench.planning.plan import plan

    _, skipped = plan([(name, params) for _, name, params in entries], None, estimators, [n], [0])
    return pd.DataFrame([{"scenario": s.scenario, "scenario_params": str(s.scenario_params),
                          "estimator": s.estimator, "reason": s.reason} for s in skipped],
                        columns=["scenario", "scenario_params", "estimator", "reason"])


def labelled(trials: pd.DataFrame, entries) -> pd.DataFrame:
    """Summary with ``label``, ``sweep``, ``family`` and ``dim`` (of X) columns; a cell that two
    entries share (the MI sweep's 2-nat point is also the dimension sweep's dim-16 point) appears
    once under each label."""
    from mibench import registry as _registry
    from mibench.contracts.canonical import canonical_json

    keys: dict = {}
    for label, name, params in entries:
        cls = _registry.scenario_class(name)
        coerced = _registry.coerce_params(cls, params, name)
        keys.setdefault((name, canonical_json(coerced)), []).append((label, int(cls(**coerced).dim_x)))
    s = summarize(trials)
    s["_info"] = [keys.get((a, b), [(None, np.nan)])
                  for a, b in zip(s["scenario"], s["scenario_params"], strict=True)]
    s = s.explode("_info", ignore_index=True)
    s["label"] = [i[0] for i in s["_info"]]
    s["dim"] = [i[1] for i in s["_info"]]
    s = s.drop(columns="_info")
    order = {label: i for i, label in enumerate(dict.fromkeys(e[0] for e in entries))}
    s["_order"] = s["label"].map(order)
    s = s[s["label"].notna()].copy()
    s["sweep"] = s["label"].str.split("/").str[0]
    s["family"] = s["label"].str.split("/").str[1]
    return s.reset_index(drop=True)


def _panels(summary: pd.DataFrame, sweep: str, x: str, xlabel: str, title: str, logx: bool,
            symlog: bool = False):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    part = summary[summary["sweep"] == sweep]
    families = list(dict.fromkeys(part.sort_values("_order", kind="stable")["family"]))
    methods = sorted(set(part["estimator"]))
    ncol = min(3, max(1, len(families)))
    nrow = int(np.ceil(len(families) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.3 * nrow), squeeze=False, sharey=False)
    colors = dict(zip(methods, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for ax, fam in zip(axes.ravel(), families, strict=False):
        sub = part[part["family"] == fam]
        for m in methods:
            rows = sub[(sub["estimator"] == m) & (sub["ok"] > 0)].sort_values(x)
            if rows.empty:
                continue
            ax.errorbar(rows[x], rows["bias"], yerr=rows["sem"].fillna(0.0), marker="o", ms=3.5,
                        capsize=2, lw=1.2, label=m, color=colors[m])
        ax.axhline(0.0, color="0.3", lw=0.8, ls="--")
        if logx:
            ax.set_xscale("log", base=2)
            ax.set_xlim(part[x].min() / 1.5, part[x].max() * 1.5)
        if symlog:  # errors from -10 to +400 nats: linear within +-1 nat, logarithmic beyond
            ax.set_yscale("symlog", linthresh=1.0)
            shown = sub.loc[sub["ok"] > 0, "bias"]
            if len(shown):
                ax.set_ylim(min(-1.5, 2.0 * shown.min()), max(1.5, 2.0 * shown.max()))
        ax.set_title(fam, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("mean estimate - true MI (nats)")
    for ax in axes.ravel()[len(families):]:
        ax.set_visible(False)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(methods), frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def make(out: Path, *, quick: bool = False, options=None, jobs: int | None = None, store=None,
         seeds: int | None = None, ns: list[int] | None = None, estimators=None,
         complexity_estimators=None, progress: bool = False, stored_only: bool = False,
         max_dim: int | None = None) -> list[Path]:
    """Run the ``hd`` suite through the store and draw error vs dimension and error vs true MI.

    ``estimators`` replace the suite's; ``max_dim`` drops the suite's points above that dimension
    (a cheap preview); ``stored_only``: run nothing, draw the trials the store holds."""
    from mibench.analysis.reports import figures as rf
    from mibench.contracts import InputError
    from mibench.execution.options import options_from

    options = options_from(options, jobs=jobs, store=store)

    if complexity_estimators:
        raise InputError("--complexity-estimator applies to beyond-normal only")
    if ns is not None and len(ns) != 1:
        raise InputError("high-dimension runs at one sample size: give one --n")
    s = dict(QUICK if quick else FULL)
    if seeds is not None:
        s["seeds"] = seeds
    if ns:
        s["n"] = int(ns[0])
    out = Path(out)
    entries, suite_estimators = suite_entries(max_dim)
    est = estimators or suite_estimators
    trials = run_cached([(name, params) for _, name, params in entries], est, [s["n"]],
                        list(range(s["seeds"])), options=options,
                        progress="high-dimension" if progress else None, stored_only=stored_only)
    summary = labelled(trials, entries)
    written = [write_csv(summary, out / "high_dimension_summary.csv")]
    skipped = _skipped_table(entries, est, s["n"])
    written.append(write_csv(skipped, out / "high_dimension_skipped.csv"))
    reduced = "; ".join(r for r in (
        "" if s["seeds"] >= FULL["seeds"] else f"{s['seeds']} of {FULL['seeds']} seeds",
        "" if max_dim is None else f"dimension sweep <= {max_dim}") if r)
    fig = _panels(summary, "dim", "dim", "dimension of X and of Y (pixels for images)",
                  label_quick(f"Error vs dimension at 2 nats (n = {s['n']}, {s['seeds']} seeds; "
                              "bars: standard error over seeds)", quick, reduced), logx=True, symlog=True)
    written += rf.save(fig, out / "high_dimension_error_vs_dimension")
    fig = _panels(summary, "mi", "true_mi", "true MI (nats)",
                  label_quick(f"Error vs true MI at dimension 16 (n = {s['n']}, {s['seeds']} seeds)",
                              quick, reduced), logx=False)
    written += rf.save(fig, out / "high_dimension_error_vs_mi")
    return written
