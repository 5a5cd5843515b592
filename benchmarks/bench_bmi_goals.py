"""Issue 16's first goal on bmi's 40 v1 tasks at n = 5000, resumable.

Goal 1: ``flow`` within 10 % of the truth on every multinormal and transformed-normal task up to
25x25 (the tasks whose base is a multivariate normal: ``1v1-normal``, ``multinormal-*`` and their
``normal_cdf``, ``half_cube``, ``spiral``, ``wiggly``, ``bimodal``, ``swissroll`` transforms;
50x50 and Student-t / uniform-noise tasks are out of scope).
Goal 2: on the tasks where bmi's KSG-10 is off by more than 30 %, at least one new estimator
(``flow``, ``lnc``, ``ksg-ensemble``, ``classifier``, ``latent-ksg``, ``doe``) halves KSG-10's relative error.

Every trial goes through ``mibench.run`` and its store (default
``results/runs/bmi-goals.sqlite``): a killed run resumes where it stopped, and a finished trial is
never recomputed, so the table can be built up a few tasks at a time::

    nice -n 10 python benchmarks/bench_bmi_goals.py --tasks 1v1-normal-0.75 multinormal-dense-5-5-0.5
    nice -n 10 python benchmarks/bench_bmi_goals.py                      # all 40 tasks, 10 seeds
    python benchmarks/bench_bmi_goals.py --table-only                    # the table from the store
    python benchmarks/bench_bmi_goals.py --summary results/figures/beyond-normal/beyond_normal_summary.csv

The last form runs nothing: it reads the beyond-normal figure's per-cell statistics (the heatmap's
own trials, at n = 5000).

The table lists, per task, the truth, each estimator's mean over the seeds with its standard
error and its relative error, and the two verdicts, which compare the means (``flow <= 10 %``
where goal 1 applies; ``halved by`` where goal 2 applies; "-": not run, or skipped by the
estimator's capabilities, e.g. ``lnc`` beyond 5x5).
Estimators run with one thread each (the runner's ``--threads 1``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

import mibench
from mibench.figures.beyond_normal import KSG_BMI, bmi_v1_tasks

NEW = ["flow", "lnc", "ksg-ensemble", "classifier", "latent-ksg", "doe"]
STORE = Path("results/runs/bmi-goals.sqlite")


GAUSSIAN_BASES = {"gaussian-correlated", "multinormal-dense", "multinormal-sparse"}


def normal_based(task: str) -> bool:
    """Goal 1's scope: a multivariate-normal base (plain or transformed), at most 25 columns a
    side (the 50x50 task is out of scope)."""
    _, sname, params = {t: (t, s, p) for t, s, p in bmi_v1_tasks()}[task]
    base = params.get("base", sname) if sname == "transformed" else sname
    return base in GAUSSIAN_BASES and "-50-50-" not in task


def spec_label(name: str, params: dict) -> str:
    return "ksg-10" if (name, params) == tuple(KSG_BMI) else name


def run(tasks, estimators, n, seeds, store, jobs, stored_only=False):
    """Trials of these tasks through the store, task by task (each task's trials are stored as
    they finish); ``stored_only``: none run, only those the store holds."""
    from mibench.execution.options import options_from
    from mibench.figures._common import run_cached

    options = options_from(None, jobs=jobs, store=store, threads=1)
    frames = []
    for task, sname, params in [(t, s, p) for t, s, p in bmi_v1_tasks() if t in set(tasks)]:
        if not stored_only:
            print(f"{task}: {', '.join(spec_label(*e) for e in estimators)}", file=sys.stderr,
                  flush=True)
        df = run_cached([(sname, params)], estimators, [n], seeds, options=options,
                        stored_only=stored_only)
        if len(df):
            frames.append(df.assign(task=task))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _label(estimator: str, params: str) -> str:
    return "ksg-10" if estimator == "ksg" and json.loads(params).get("k") == 10 else estimator


def cells_from_trials(df: pd.DataFrame) -> pd.DataFrame:
    """Per (task, label): true MI, mean over the successful seeds, its standard error, seeds."""
    df = df[df["status"] == "ok"].copy()
    df["label"] = [_label(e, p) for e, p in zip(df["estimator"], df["estimator_params"], strict=True)]
    g = df.groupby(["task", "label"])
    return pd.DataFrame({"true_mi": g["true_mi"].first(), "mean": g["mi"].mean(),
                         "sem": g["mi"].sem(), "count": g["mi"].count()}).reset_index()


def cells_from_summary(path: Path, n: int) -> pd.DataFrame:
    """The same cells from a ``mibench figures beyond-normal`` summary CSV (its ``task``,
    ``mean``, ``sem`` and ``ok`` columns at sample size ``n``): the heatmap's own numbers."""
    s = pd.read_csv(path, dtype={"scenario_params": str, "estimator_params": str})
    s = s[(s["n"] == n) & (s["ok"] > 0)]
    return pd.DataFrame({
        "task": s["task"], "true_mi": s["true_mi"], "mean": s["mean"], "sem": s["sem"],
        "count": s["ok"].astype(int),
        "label": [_label(e, p) for e, p in zip(s["estimator"], s["estimator_params"], strict=True)],
    })


def table(cells: pd.DataFrame, order) -> str:
    """Markdown table of :func:`cells_from_trials` / :func:`cells_from_summary` cells; the
    verdicts compare the means (the standard errors are shown beside them)."""
    rows, goal1, goal2 = [], [], []
    cols = ["ksg-10"] + [e for e in NEW if e in set(cells["label"])]
    for task in order:
        sub = cells[cells["task"] == task].set_index("label")
        if sub.empty:
            continue
        truth = float(sub["true_mi"].iloc[0])
        rel = {lab: (sub.loc[lab, "mean"] - truth) / truth for lab in sub.index}
        out = []
        for c in cols:
            if c in sub.index:
                m, se, k = sub.loc[c, "mean"], sub.loc[c, "sem"], int(sub.loc[c, "count"])
                out.append(f"{m:.3f} ± {se:.3f} ({100 * rel[c]:+.1f} ± {100 * se / truth:.1f} %, {k})")
            else:
                out.append("-")
        v1 = v2 = ""
        if normal_based(task) and "flow" in rel:
            ok = abs(rel["flow"]) <= 0.10
            v1 = "yes" if ok else "NO"
            goal1.append(ok)
        if "ksg-10" in rel and abs(rel["ksg-10"]) > 0.30:
            halved = [e for e in NEW if e in rel and abs(rel[e]) <= abs(rel["ksg-10"]) / 2]
            v2 = ", ".join(halved) if halved else "none"
            goal2.append(bool(halved))
        rows.append(f"| {task} | {truth:.3f} | " + " | ".join(out) + f" | {v1} | {v2} |")
    head = ("| task | true MI | " + " | ".join(f"`{c}` mean ± s.e. (rel. error, seeds)"
                                             for c in cols)
            + " | flow within 10 % | KSG-10 error > 30 %: halved by |\n|"
            + "---|" * (len(cols) + 4))
    summary = (f"\ngoal 1 (flow within 10 %, normal-based tasks up to 25x25): "
               f"{sum(goal1)} of {len(goal1)} tasks measured\n"
               f"goal 2 (KSG-10 off by > 30 %: a new estimator halves the error): "
               f"{sum(goal2)} of {len(goal2)} tasks measured")
    return head + "\n" + "\n".join(rows) + "\n" + summary


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", nargs="*", help="bmi task ids (default: all 40)")
    p.add_argument("--estimators", nargs="*", default=NEW,
                   help="new estimators to run beside KSG-10 (default: all five)")
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--store", type=Path, default=STORE)
    p.add_argument("--table-only", action="store_true",
                   help="run nothing new: only the trials the store already holds")
    p.add_argument("--summary", type=Path, metavar="CSV",
                   help="run nothing: the table from a beyond_normal_summary.csv (e.g. "
                        "results/figures/beyond-normal/), its cells at --n")
    args = p.parse_args()
    all_tasks = [t for t, _, _ in bmi_v1_tasks()]
    tasks = args.tasks or all_tasks
    unknown = set(tasks) - set(all_tasks)
    if unknown:
        p.error(f"unknown bmi task(s): {', '.join(sorted(unknown))}")
    order = [t for t in all_tasks if t in set(tasks)]
    if args.summary is not None:
        print(table(cells_from_summary(args.summary, args.n), order))
        return
    plugins = mibench.registry.estimators()
    ests = [KSG_BMI] + [(e, {}) for e in args.estimators if plugins[e].available]
    args.store.parent.mkdir(parents=True, exist_ok=True)
    df = run(tasks, ests, args.n, args.seeds, args.store, args.jobs, stored_only=args.table_only)
    if df.empty:
        print("no trials in the store for these tasks")
        return
    print(table(cells_from_trials(df), order))


if __name__ == "__main__":
    main()
