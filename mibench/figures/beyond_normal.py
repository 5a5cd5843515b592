"""bmi's "Beyond Normal" figures (Czyz et al., NeurIPS 2023) on the bmi-v1 suite: the task x
estimator heatmap of the mean estimate (coloured by ln(mean / true MI) clipped to +-1) and the
sample-complexity heatmap (smallest n from which the mean estimate stays within a factor 1.5
of the truth).

Settings follow scenarios.md sections 13 and 15: the 40 bmi v1 tasks, n in {100, 500, 1000,
3000, 5000, 10000}, seeds 0-9; the heatmap is drawn at n = 5000 (the v1 suite's n). The tasks
come from the ``bmi-v1`` suite file (its scenario labels are the bmi task ids).

Estimators (estimators.md sections 1.5, 4.2 and 7.2): bmi's KSG-10 (k = 10, Euclidean marginal
norms, standardised, no jitter: bmi's ``KSGEnsembleFirstEstimator(neighborhoods=(10,))``) and
histogram (5 equal-width bins per dimension, no bias correction), the Gaussian (CCA) baseline, and
mibench's
KDE and neural bounds (MINE, NWJ, InfoNCE, SMILE). Deliberate difference: the neural bounds run
at mibench's defaults (64-32 critic, Adam 1e-3, batch 64, early stopping on a validation split,
the bound reported on a held-out test split), not bmi's (10-5 critic, Adam 0.1, batch 256, up to
10 000 steps, the maximum over test evaluations, seed 42): bmi's selection on the test data is
optimistic (landscape.md), and its settings cost 4-9x more CPU per trial (measured at n = 5000:
6-12 s against 1-2 s).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from mibench.analysis.metrics import summarize
from mibench.analysis.reports import figures as rf
from mibench.analysis.reports._labels import add_labels
from mibench.contracts.canonical import canonical_json
from mibench.execution.options import RunOptions, options_from
from mibench.figures._common import label_quick, run_cached, write_csv

log = logging.getLogger(__name__)

#: neural estimators trained once (one torch thread each: the runner's processes already use
#: every core), as bmi does and as the committed figures were made; their default error bar
#: (``uncertainty="crossfit"``) trains 5 times: ``--estimator mine`` runs that instead
NEURAL: dict = {"uncertainty": "test-batches"}
#: bmi's KSG-10 (``KSGEnsembleFirstEstimator(neighborhoods=(10,))``: KSG algorithm 1, Euclidean
#: marginal norms, standardised, no jitter) and histogram (5 equal-width bins per dimension, no
#: correction)
KSG_BMI = ("ksg", {"k": 10, "metric": "euclidean", "noise": 0.0})
#: the KSG column of the paper's benchmark (bmi's ``workflows/benchmark/v1/config.py``:
#: ``R-KSG-I-10`` = ``RKSGEstimator(variant=1, neighbors=5)``, the R package rmi's KSG1, whose
#: neighbour search and marginal counts use the max-norm): ``ksg`` with k = 5, Chebyshev, no jitter,
#: on standardised data as bmi's rescaled tasks; no resampling std (the figure shows the spread
#: over seeds, and it halves the cost of the 50 x 50 tasks)
KSG_PAPER = ("ksg", {"k": 5, "noise": 0.0, "uncertainty": "none"})
HIST_BMI = ("binning", {"bins": 5, "strategy": "uniform", "miller_madow": False})
#: bmi's families (KSG, histogram, CCA/Gaussian, MINE, NWJ, InfoNCE) plus KDE and SMILE. GMM-MI is
#: left out of the default: full-covariance mixtures on the 25x25 and 50x50 tasks take hours;
#: add it with ``--estimator gmm-mi`` for a run restricted to low-dimensional tasks.
CLASSIC = [KSG_PAPER, KSG_BMI, HIST_BMI, ("gaussian", {}), ("kde", {}),
           ("mine", NEURAL), ("nwj", NEURAL), ("infonce", NEURAL), ("smile", NEURAL)]
#: the modern families (issue 16) join the heatmap at their defaults, as the bmi-v1 suite names
#: them (flow and doe take no "test-batches": flow's default error bar is analytic, one training;
#: doe's is "crossfit", 5 trainings); lnc and ksg-ensemble are skipped (with the reason) on the
#: tasks beyond their 5x5 limit, flow and doe when torch or zuko is missing
MODERN = [("lnc", {}), ("ksg-ensemble", {}), ("classifier", {}), ("latent-ksg", {}), ("flow", {}),
          ("doe", {})]
ESTIMATORS = CLASSIC + MODERN
#: the sample-complexity figure (every n of ``ns``, 6x the heatmap's cost) keeps the classic set
#: unless estimators are named: the trained modern estimators at n = 10 000 on 40 tasks x 10 seeds
#: would add many hours on 2 cores
FULL = dict(ns=[100, 500, 1000, 3000, 5000, 10000], seeds=10, heatmap_n=5000, estimators=ESTIMATORS,
            complexity_estimators=None)
QUICK = dict(ns=[100, 500, 1000], seeds=3, heatmap_n=1000,
             estimators=[KSG_BMI, HIST_BMI, ("gaussian", {})], complexity_estimators=None)


def settings(quick: bool = False, **overrides) -> dict:
    """Settings; ``estimators`` draw the heatmap (at ``heatmap_n``), ``complexity_estimators``
    (default: the same when estimators are named or ``quick``, else :data:`CLASSIC`; ``[]``:
    none run, only those reused) the sample-complexity figure over every n of ``ns``."""
    s = dict(QUICK if quick else FULL)
    s.update({k: v for k, v in overrides.items() if v is not None})
    if s["heatmap_n"] not in s["ns"]:
        s["heatmap_n"] = max(s["ns"])
    if s["complexity_estimators"] is None:
        named = overrides.get("estimators") is not None
        s["complexity_estimators"] = CLASSIC if not (quick or named) else s["estimators"]
    return s


def _reduced(s: dict, estimators, ns) -> str:
    """How one figure's settings fall short of the paper's ('' if they do not)."""
    out = []
    if s["seeds"] < FULL["seeds"]:
        out.append(f"{s['seeds']} of {FULL['seeds']} seeds")
    missing = [n for n in ns if n not in s["ns"]]
    if missing:
        out.append("no n = " + ", ".join(map(str, missing)))
    names = {e for e, _ in estimators}
    if not {e for e, _ in FULL["estimators"]} <= names:
        out.append(f"{len(names)} estimators ({', '.join(sorted(names))})")
    return "; ".join(out)


def bmi_v1_tasks() -> list[tuple[str, str, dict]]:
    """[(bmi task id, scenario name, params)] in bmi's order, from the bmi-v1 suite file."""
    from mibench.planning.suites import load_suite

    suite = load_suite("bmi-v1")
    return [(spec.label or spec.name, spec.name,
             {k: (v[0] if isinstance(v, list) else v) for k, v in spec.params.items()})
            for spec in suite.scenarios]


def task_names(tasks) -> dict[tuple[str, str], str]:
    """(scenario, canonical params JSON as stored) -> bmi task id."""
    from mibench import registry as _registry

    out = {}
    for task, name, params in tasks:
        cls = _registry.scenario_class(name)
        out[(name, canonical_json(_registry.coerce_params(cls, params, name)))] = task
    return out


def compute(s: dict, tasks, *, options: RunOptions = RunOptions(), progress=False,
            stored_only: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trials of the heatmap (``estimators`` at ``heatmap_n``) and of the sample-complexity figure
    (``complexity_estimators`` at every n; empty with a single n). Shared trials run once.
    ``stored_only``: the sample-complexity trials the store holds, none run."""
    scen = [(name, params) for _, name, params in tasks]
    seeds = list(range(s["seeds"]))
    trials = run_cached(scen, s["estimators"], [int(s["heatmap_n"])], seeds, options=options,
                        progress="heatmap" if progress else None)
    cx = (run_cached(scen, s["complexity_estimators"], s["ns"], seeds, options=options,
                     progress="sample complexity" if progress else None, stored_only=stored_only)
          if len(s["ns"]) > 1 and s["complexity_estimators"] else trials.iloc[:0])
    return trials, cx


def labelled_summary(trials: pd.DataFrame, tasks) -> pd.DataFrame:
    """Summary with bmi task ids as ``task`` labels, rows in bmi's task order."""
    names = task_names(tasks)
    s = add_labels(summarize(trials), names)
    order = {t: i for i, (t, _, _) in enumerate(tasks)}
    s["_order"] = s["task"].map(order).fillna(len(order))
    return s.sort_values(["_order", "method", "n"], kind="stable").drop(columns="_order") \
        .reset_index(drop=True)


def _config_key(name: str, params: dict) -> tuple[str, str]:
    """(estimator, canonical params JSON) as a summary stores them (defaults dropped)."""
    from mibench import registry as _registry

    cls = _registry.estimator_class(name)
    given = _registry.coerce_params(cls, dict(params), f"estimator {name!r}")
    return name, canonical_json(_registry.drop_defaults(cls, given))


def reused_rows(path: Path, s: dict, tasks, fresh) -> tuple[pd.DataFrame, list]:
    """Rows of an earlier ``beyond_normal_summary.csv`` for the default estimators of the figure
    set that are not run now (``fresh``), restricted to ``tasks`` and to the settings' n and seed
    count. Returns (rows, [(name, params)] of the configurations found)."""
    old = pd.read_csv(path, dtype={"scenario_params": str, "estimator_params": str})
    if "trials" in old and (old["trials"] != s["seeds"]).any():
        bad = old.loc[old["trials"] != s["seeds"], "trials"].unique()
        log.warning("reused summary %s has cells of %s trials (settings: %d seeds)", path,
                    ", ".join(map(str, bad)), s["seeds"])
    fresh_keys = {_config_key(n, p) for n, p in fresh}
    wanted = [(n, p) for n, p in (QUICK if s.get("quick") else FULL)["estimators"]
              if _config_key(n, p) not in fresh_keys]
    keys = list(zip(old["estimator"], old["estimator_params"], strict=True))
    found, parts = [], []
    for name, params in wanted:
        key = _config_key(name, params)
        rows = old[[k == key for k in keys]]
        rows = rows[rows["task"].isin({t for t, _, _ in tasks})
                    & rows["n"].isin(set(s["ns"]) | {int(s["heatmap_n"])})]
        if len(rows):
            found.append((name, params))
            parts.append(rows)
    reused = pd.concat(parts, ignore_index=True) if parts else old.iloc[:0]
    return reused, found


def in_figure_order(summary: pd.DataFrame, tasks) -> pd.DataFrame:
    """Rows ordered by the estimator's place in :data:`ESTIMATORS` (fresh and reused columns
    mixed as in a from-scratch run; other configurations after, in their order), then by bmi's
    task order."""
    from mibench.analysis.reports._labels import ordered

    rank = {_config_key(n, p): i for i, (n, p) in enumerate(ESTIMATORS)}
    extra = ordered(zip(summary["estimator"], summary["estimator_params"], strict=True))
    keys = list(zip(summary["estimator"], summary["estimator_params"], strict=True))
    order = {t: i for i, (t, _, _) in enumerate(tasks)}
    return summary.assign(
        _rank=[rank.get(k, len(rank) + extra.index(k)) for k in keys],
        _order=summary["task"].map(order).fillna(len(order)),
    ).sort_values(["_rank", "_order"], kind="stable").drop(columns=["_rank", "_order"]) \
        .reset_index(drop=True)


def fewer_seeds(summary: pd.DataFrame, seeds: int) -> str:
    """'doe: 2 seeds, ...' for the methods with cells of fewer than ``seeds`` trials (a reused
    summary may hold a costly estimator run on fewer seeds); '' if none."""
    if "trials" not in summary:
        return ""
    short = summary.groupby("method", sort=False)["trials"].agg(["min", "max"])
    short = short[short["min"] < seeds]
    return ", ".join(f"{m}: {lo}{'' if lo == hi else f'-{hi}'} seeds"
                     for m, (lo, hi) in short[["min", "max"]].iterrows())


def _complete(summary: pd.DataFrame, ns) -> pd.DataFrame:
    """Only the (task, method) pairs with a cell at every n (the sample complexity needs them
    all; a pair left out is drawn "not run")."""
    have = summary.groupby(["task", "method"])["n"].agg(lambda v: set(ns) <= set(v))
    partial = have.index[~have]
    if len(partial):
        log.warning("sample complexity: %d task x method pairs left out (cells missing at some "
                    "n): %s", len(partial), ", ".join(sorted({m for _, m in partial})))
    keep = pd.MultiIndex.from_frame(summary[["task", "method"]]).isin(have.index[have])
    return summary[keep]


def make(out: Path, *, quick: bool = False, options: RunOptions | None = None,
         jobs: int | None = None, store=None, seeds: int | None = None,
         ns: list[int] | None = None, estimators=None, complexity_estimators=None,
         task_ids: list[str] | None = None, progress: bool = False,
         reuse: Path | None = None, stored_only: bool = False) -> list[Path]:
    """Run the bmi-v1 tasks (through the store) and draw the heatmap and sample-complexity figure.

    ``estimators`` draw the heatmap; ``complexity_estimators`` (default: the same, or
    :data:`CLASSIC` for the default estimators) the sample-complexity figure, which needs every
    n and so costs len(ns) times more.
    ``task_ids`` restricts the run to some bmi task ids (default: all 40). ``progress``: report
    each run's progress on stderr.

    ``reuse``: an earlier ``beyond_normal_summary.csv``. Only ``estimators`` (and
    ``complexity_estimators``) are run; the figures also draw every other estimator of the
    default set from that file's per-cell statistics (same tasks, n and seeds), and their titles
    say so. A task and method without a cell at every n is drawn "not run" in the
    sample-complexity figure. ``stored_only``: the sample-complexity figure runs no trial and
    draws the ``complexity_estimators`` trials the store already holds (a partial run).
    """
    options = options_from(options, jobs=jobs, store=store)
    out = Path(out)
    s = settings(quick, seeds=seeds, ns=ns, estimators=estimators,
                 complexity_estimators=complexity_estimators)
    s["quick"] = quick
    tasks = bmi_v1_tasks()
    if task_ids is not None:
        unknown = set(task_ids) - {t for t, _, _ in tasks}
        if unknown:
            from mibench.contracts import UnknownNameError

            raise UnknownNameError(f"unknown bmi-v1 task(s): {', '.join(sorted(unknown))}")
        tasks = [t for t in tasks if t[0] in set(task_ids)]
    reused, found, note, cx_note, heat_note = None, [], "", "", ""
    if reuse is not None:  # read before anything is written (it may be the file replaced)
        fresh = list(s["estimators"]) + [e for e in s["complexity_estimators"]
                                         if e not in s["estimators"]]
        reused, found = reused_rows(Path(reuse), s, tasks, fresh)

        def reuse_note(run_now) -> str:
            names = ", ".join(sorted({e for e, _ in run_now})) or "none"
            return (f"\n[run now: {names}; other estimators' cells reused from an earlier "
                    f"{Path(reuse).name}]")

        note, cx_note = reuse_note(s["estimators"]), reuse_note(s["complexity_estimators"])
    heat_trials, cx_trials = compute(s, tasks, options=options, progress=progress,
                                     stored_only=stored_only)
    heat = labelled_summary(heat_trials, tasks)
    n = int(s["heatmap_n"])
    cx = labelled_summary(cx_trials, tasks) if len(cx_trials) else None
    if reused is not None and len(reused):
        heat = in_figure_order(pd.concat([heat, reused[reused["n"] == n]], ignore_index=True),
                               tasks)
        if len(s["ns"]) > 1:
            cx = pd.concat([cx, reused], ignore_index=True)
        short = fewer_seeds(heat, s["seeds"])
        if short:  # a cell is never drawn as if it had every seed
            heat_note = f"\n[fewer seeds: {short}]"
    both = heat if cx is None else pd.concat([heat, cx]).drop_duplicates(["task", "method", "n"])
    if cx is not None and (reused is not None or stored_only):
        cx = _complete(cx, s["ns"])  # the summary keeps every cell; the figure only full pairs
    written = [write_csv(both, out / "beyond_normal_summary.csv")]
    mean, err = rf.heatmap_data(heat, n)
    written.append(write_csv(mean.join(err.add_prefix("log_rel_error: ")).reset_index(),
                             out / "beyond_normal_heatmap.csv"))
    title = label_quick(f"bmi v1 tasks: mean MI estimate over {s['seeds']} seeds, n = {n}", quick,
                        _reduced(s, list(s["estimators"]) + found, [FULL["heatmap_n"]]))
    title += note + heat_note
    written += rf.save(rf.plot_heatmap(heat, n, title=title), out / "beyond_normal_heatmap")
    if cx is not None:
        table = rf.sample_complexity_data(cx)
        written.append(write_csv(table.reset_index(), out / "beyond_normal_sample_complexity.csv"))
        drawn = [(e, {}) for e in cx["estimator"].unique()]
        title = label_quick(f"bmi v1 sample complexity ({s['seeds']} seeds)", quick,
                            _reduced(s, drawn, FULL["ns"])) + cx_note
        written += rf.save(rf.plot_sample_complexity(cx, title=title),
                           out / "beyond_normal_sample_complexity")
    return written
