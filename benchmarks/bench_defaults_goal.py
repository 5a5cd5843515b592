"""Issue 20's goal: which built-in estimators, at their defaults, return a value far off the truth
on the bmi v1 tasks without a flag that says why.

Runs the 40 bmi v1 tasks (``scenarios/bmi_v1.py``) at n = 2000 and 10 000 for the chosen
estimators at their default hyperparameters (through ``mibench.run``, so trials are stored and a
re-run resumes), then prints every cell (task, estimator, n) whose mean estimate is off the truth
by more than ``--sigma`` (default 10) standard errors, where the standard error of the cell is
the larger of the estimator's own mean reported std and the spread of the estimates over seeds
(std, ddof = 1), combined with the truth's Monte-Carlo stderr. Means are over the unflagged
seeds as in the reports (a seed whose value diverged, flag ``unstable``, is left out and counted).
For each such cell: the flags raised (``info["flags"]``, seeds per flag) and ``flagged``: yes when
at least half of the cell's seeds carry a flag that explains the value.
Cells an estimator refuses (capabilities) are counted, not run: no value is returned there.
Last, for every flag raised: in how many successful trials it fired on cells within ``--sigma``
(its false-alarm rate there, as a fraction of those cells' trials of the estimators that raised
it at least once) and on the cells off.

Usage::

    python benchmarks/bench_defaults_goal.py                          # CPU-cheap estimators, 3 seeds
    python benchmarks/bench_defaults_goal.py --estimators mine nwj infonce smile --seeds 2 \\
        --tasks student-identity-5-5-3 asinh-student-identity-3-3-2   # neural on a subset
    python benchmarks/bench_defaults_goal.py --report-only            # table from the store

Run it from the repository root; the store is results/runs/defaults-goal.sqlite.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mibench import run  # noqa: E402
from mibench.analysis.metrics import summarize  # noqa: E402
from scenarios.bmi_v1 import BMI_V1_TASKS  # noqa: E402

CHEAP = ["gaussian", "ksg", "ksg-mixed", "binning", "kde", "gmm-mi"]
NEURAL = ["mine", "infonce", "nwj", "smile"]
STORE = ROOT / "results" / "runs" / "defaults-goal.sqlite"


def _task_of(scenario: str, params) -> str:
    want = params if isinstance(params, dict) else json.loads(params or "{}")
    for task, (name, p) in BMI_V1_TASKS.items():
        if name == scenario and {k: str(v) for k, v in p.items()} == {k: str(v) for k, v in want.items()}:
            return task
    return f"{scenario}{params}"


def off_table(trials: pd.DataFrame, sigma: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every cell with its z-score, the cells off by more than ``sigma``)."""
    s = summarize(trials)
    s = s[s["ok"] > 0].copy()
    own = s["mean_reported_std"].to_numpy(float)
    spread = s["std"].to_numpy(float)
    se = np.fmax(np.nan_to_num(own, nan=0.0), np.nan_to_num(spread, nan=0.0))
    se = np.sqrt(se ** 2 + s["true_mi_stderr"].to_numpy(float) ** 2)
    s["se"] = se
    with np.errstate(divide="ignore", invalid="ignore"):
        s["z"] = np.abs(s["mean"] - s["true_mi"]) / se
    s["task"] = [_task_of(a, b) for a, b in zip(s["scenario"], s["scenario_params"], strict=True)]

    def flagged(row) -> str:
        counts = [c.rsplit(" ", 1) for c in str(row["flags"]).split("; ") if c]
        return "yes" if any(int(k) * 2 >= row["ok"] for _, k in counts) else "no"

    s["flagged"] = [flagged(r) for _, r in s.iterrows()]
    off = s[(s["z"] > sigma) | ~np.isfinite(s["z"])]
    return s, off


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--estimators", nargs="+", default=CHEAP, help=f"default: {' '.join(CHEAP)}")
    ap.add_argument("--n", nargs="+", type=int, default=[2000, 10_000])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--tasks", nargs="+", help="bmi v1 task ids (default: all 40)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600, help="seconds per trial (default 600)")
    ap.add_argument("--sigma", type=float, default=10.0)
    ap.add_argument("--store", type=Path, default=STORE)
    ap.add_argument("--report-only", action="store_true",
                    help="no new trials: the table from what the store holds for this grid")
    ap.add_argument("--csv", type=Path, help="also write every cell with its z-score here")
    args = ap.parse_args(argv)
    tasks = args.tasks or list(BMI_V1_TASKS)
    unknown = [t for t in tasks if t not in BMI_V1_TASKS]
    if unknown:
        ap.error(f"unknown bmi v1 task(s): {', '.join(unknown)}")
    scen = [BMI_V1_TASKS[t] for t in tasks]
    args.store.parent.mkdir(parents=True, exist_ok=True)
    from mibench.planning.plan import plan

    trials_planned, skipped = plan(scen, None, args.estimators, args.n, args.seeds)
    if args.report_only:
        from mibench.execution.store import Store

        with Store(args.store) as st:
            trials = st.load([t.key for t in trials_planned])
        if trials.empty:
            ap.error(f"{args.store} holds none of these trials; run without --report-only")
    else:
        trials = run(scen, estimators=args.estimators, n=args.n, seeds=args.seeds, jobs=args.jobs,
                     store=args.store, timeout=args.timeout)
    cells, off = off_table(trials, args.sigma)
    status = trials["status"].value_counts().to_dict()
    print(f"trials: {len(trials)} ({', '.join(f'{k} {v}' for k, v in status.items())}); "
          f"cells with a value: {len(cells)}; (estimator, task) pairs refused by capabilities: "
          f"{len(skipped)}")
    refused = {}
    for sk in skipped:
        refused.setdefault(sk.estimator, set()).add(_task_of(sk.scenario, sk.scenario_params))
    for est, ts in sorted(refused.items()):
        print(f"  {est} refuses {len(ts)} task(s): {', '.join(sorted(ts))}")
    timeouts = trials[trials["status"] != "ok"].groupby(["estimator", "n", "status"]).size()
    if len(timeouts):
        print("not ok (no value returned):")
        print(timeouts.to_string())
    print(f"\ncounts per estimator and n (cells = tasks with a value; off = more than {args.sigma:g} "
          "standard errors off the truth):")
    planned = pd.DataFrame([{"estimator": t.estimator, "n": t.n,
                             "task": _task_of(t.scenario, t.scenario_params)} for t in trials_planned])
    rows = []
    for (est, n), g in planned.groupby(["estimator", "n"]):
        c = cells[(cells["estimator"] == est) & (cells["n"] == n)]
        o = off[(off["estimator"] == est) & (off["n"] == n)]
        rows.append({"estimator": est, "n": n, "tasks": g["task"].nunique(), "cells": len(c),
                     "no value": g["task"].nunique() - len(c), "off": len(o),
                     "flagged": int((o["flagged"] == "yes").sum()),
                     "unflagged": int((o["flagged"] == "no").sum())})
    print(pd.DataFrame(rows).to_string(index=False))
    cols = ["task", "estimator", "n", "ok", "excluded", "true_mi", "mean", "se", "z", "flagged", "flags"]
    print(f"\ncells off the truth by more than {args.sigma:g} standard errors "
          f"({len(off)} of {len(cells)}; unflagged: {int((off['flagged'] == 'no').sum())}):")
    with pd.option_context("display.width", 200, "display.max_rows", 500,
                           "display.max_colwidth", 40):
        print(off[cols].sort_values(["flagged", "estimator", "task", "n"]).to_string(
            index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"\nflags per trial, on cells within {args.sigma:g} SE / on cells off (trials of the "
          "estimators that raised the flag at all):")
    print(flag_rates(trials, off).to_string(index=False))
    if args.csv:
        cells.to_csv(args.csv, index=False)
    return 0


def flag_rates(trials: pd.DataFrame, off: pd.DataFrame) -> pd.DataFrame:
    """Per (estimator, flag): successful trials with the flag on the cells within the limit and
    on the cells off, each as "flagged / trials"."""
    from mibench.analysis.metrics import _parse_info

    ok = trials[trials["status"] == "ok"]
    off_keys = set(zip(off["estimator"], off["scenario"], off["scenario_params"], off["n"], strict=True))
    is_off = np.array([k in off_keys for k in zip(ok["estimator"], ok["scenario"],
                                                   ok["scenario_params"], ok["n"], strict=True)])
    flags = [set(_parse_info(v).get("flags") or []) for v in ok["info"]]
    rows = []
    for est in sorted(ok["estimator"].unique()):
        mine = (ok["estimator"] == est).to_numpy()
        for flag in sorted(set().union(*[f for f, m in zip(flags, mine, strict=True) if m])):
            has = np.array([flag in f for f in flags]) & mine
            rows.append({"estimator": est, "flag": flag,
                         "within": f"{int((has & ~is_off).sum())} / {int((mine & ~is_off).sum())}",
                         "off": f"{int((has & is_off).sum())} / {int((mine & is_off).sum())}"})
    return pd.DataFrame(rows, columns=["estimator", "flag", "within", "off"])


if __name__ == "__main__":
    raise SystemExit(main())
