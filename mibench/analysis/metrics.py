"""Per-cell metrics from trial rows: bias, spread, RMSE, coverage, runtime, failures.

A cell is (scenario, scenario parameters, estimator, estimator parameters, n); the rows of a
cell differ only by seed. Everything is in nats (MI), seconds (time) and MiB (2^20 bytes;
memory).

Functions
---------
summarize(trials)            one row per cell (the numbers behind every table and figure)
log_relative_error(summary)  ln(mean estimate / true MI), clipped (bmi's heatmap colour)
sample_complexity(summary)   smallest n from which the mean estimate stays within a factor of
                             the truth (bmi's sample-complexity figure)
bound_ceilings(trials)       ln(n) and ln(batch) ceilings of the lower-bound estimators
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

CELL = ["scenario", "scenario_params", "estimator", "estimator_params", "n"]
#: a (scenario, parameters) pair: a task, independent of n and the estimator
TASK = ["scenario", "scenario_params"]
#: an estimator with its hyperparameters
METHOD = ["estimator", "estimator_params"]


#: flags that mark one trial's *value* as unusable (a divergence, not a caveat of the method):
#: such trials are left out of a cell's numbers by default (``summarize(include_flagged=False)``)
#: and counted in its ``excluded`` column. ``unstable``: the neural bounds' test batches disagree
#: by more than 1 nat of standard error (NWJ on a Student-t task gave -47.9 +- 47.9, and one such
#: seed moved the cell's mean to -16). Caveat flags (``misfit``, ``sparse_cells``, ``saturated``,
#: ...) stay in the numbers and are counted in ``flags``.
EXCLUDING_FLAGS = frozenset({"unstable"})


def _excluded(infos) -> np.ndarray:
    """Boolean mask: the trial's ``info["flags"]`` holds one of :data:`EXCLUDING_FLAGS`."""
    out = np.zeros(len(infos), dtype=bool)
    for i, value in enumerate(infos):
        if isinstance(value, str) and '"flags"' not in value:
            continue
        out[i] = bool(EXCLUDING_FLAGS.intersection(_parse_info(value).get("flags") or []))
    return out


def _cell_metrics(g: pd.DataFrame, include_flagged: bool = False) -> pd.Series:
    ok = g[g["status"] == "ok"]
    flag_text = _flag_counts(ok["info"]) if "info" in ok else ""
    excluded = _excluded(list(ok["info"])) if "info" in ok else np.zeros(len(ok), dtype=bool)
    if not include_flagged:
        ok = ok[~excluded]
    est = ok["mi"].to_numpy(float)
    truth = float(g["true_mi"].iloc[0])
    n_ok = len(est)
    mean = est.mean() if n_ok else np.nan
    err = est - truth
    own = ok["std"].to_numpy(float)
    with_std = np.isfinite(own)   # coverage over the seeds that reported a std
    has_std = bool(with_std.any())
    own, err_own = own[with_std], err[with_std]
    q25, q75 = (np.percentile(est, [25, 75]) if n_ok else (np.nan, np.nan))
    wall = ok["wall_s"].to_numpy(float)
    out = {
        "true_mi": truth,
        "true_mi_stderr": float(g["true_mi_stderr"].iloc[0]),
        "trials": len(g),
        "ok": n_ok,
        "excluded": int(excluded.sum()) if not include_flagged else 0,
        "failed": int((g["status"] == "failed").sum()),
        "timeout": int((g["status"] == "timeout").sum()),
        "mean": mean,
        "bias": mean - truth,
        "rel_bias": (mean - truth) / truth if truth != 0 else np.nan,
        "std": est.std(ddof=1) if n_ok > 1 else np.nan,
        "sem": est.std(ddof=1) / np.sqrt(n_ok) if n_ok > 1 else np.nan,
        "rmse": float(np.sqrt(np.mean(err ** 2))) if n_ok else np.nan,
        "median": float(np.median(est)) if n_ok else np.nan,
        "iqr": q75 - q25,
        "with_std": int(with_std.sum()),
        "mean_reported_std": own.mean() if has_std else np.nan,
        "coverage_1std": float(np.mean(np.abs(err_own) <= own)) if has_std else np.nan,
        "coverage_2std": float(np.mean(np.abs(err_own) <= 2 * own)) if has_std else np.nan,
        **_calibration(est[with_std], own, mean, est.std(ddof=1) if n_ok > 1 else np.nan, n_ok),
        "mean_wall_s": wall.mean() if n_ok else np.nan,
        "median_wall_s": float(np.median(wall)) if n_ok else np.nan,
        "mean_cpu_s": ok["cpu_s"].to_numpy(float).mean() if n_ok else np.nan,
    }
    mem = ok["peak_mem_mb"].to_numpy(float) if "peak_mem_mb" in ok else np.array([])
    out["peak_mem_mb"] = float(np.nanmax(mem)) if np.isfinite(mem).any() else np.nan
    # what the estimate call added at its peak (stores from before mem_base_mb give NaN)
    if "peak_mem_mb" in ok and "mem_base_mb" in ok:
        added = ok["peak_mem_mb"].to_numpy(float) - ok["mem_base_mb"].to_numpy(float)
    else:
        added = np.array([])
    # the median over seeds: the first trial of a worker also pays one-time library set-up
    # (importing torch: ~85 MiB), and which seed that is depends on scheduling
    out["mem_increase_mb"] = float(np.nanmedian(added)) if np.isfinite(added).any() else np.nan
    out["flags"] = flag_text
    return pd.Series(out)


#: two-sided normal quantile of the std_ratio interval (95 %)
_Z95 = 1.959963984540054


def _calibration(est: np.ndarray, own: np.ndarray, mean: float, spread: float, n_ok: int) -> dict:
    """Calibration of the reported std in one cell (see :func:`summarize`): ``est`` and ``own``
    are the estimates and stds of the seeds that reported one, ``spread`` the std over all
    ``n_ok`` successful seeds."""
    m = len(own)
    out = {"std_ratio": np.nan, "std_ratio_lo": np.nan, "std_ratio_hi": np.nan,
           "coverage_mean_1std": np.nan, "coverage_mean_2std": np.nan}
    if m == 0:
        return out
    dev = np.abs(est - mean)
    out["coverage_mean_1std"] = float(np.mean(dev <= own))
    out["coverage_mean_2std"] = float(np.mean(dev <= 2 * own))
    mean_own = float(own.mean())
    if n_ok < 2 or not spread > 0 or not mean_own > 0:
        return out
    ratio = mean_own / spread
    # relative standard errors, combined on the log scale: the std over the seeds (normal
    # errors: 1 / sqrt(2 (m - 1))) and the mean of the reported stds (their spread / sqrt(m))
    rel_spread = 1.0 / np.sqrt(2.0 * (n_ok - 1))
    rel_own = float(own.std(ddof=1) / np.sqrt(m) / mean_own) if m > 1 else 0.0
    se_log = float(np.hypot(rel_spread, rel_own))
    out.update(std_ratio=float(ratio), std_ratio_lo=float(ratio * np.exp(-_Z95 * se_log)),
               std_ratio_hi=float(ratio * np.exp(_Z95 * se_log)))
    return out


def _flag_counts(infos) -> str:
    """How many trials raised each warning flag (``info["flags"]``, e.g. the neural bounds'
    ``saturated`` or ``still_improving``): "saturated 8; negative 2", "" when none did."""
    counts: dict[str, int] = {}
    for value in infos:
        if isinstance(value, str) and '"flags"' not in value:
            continue  # most rows: skip the JSON parse
        for name in set(_parse_info(value).get("flags") or []):
            counts[str(name)] = counts.get(str(name), 0) + 1
    return "; ".join(f"{name} {count}" for name, count in sorted(counts.items()))


def summarize(trials: pd.DataFrame, include_flagged: bool = False) -> pd.DataFrame:
    """One row per cell, sorted by scenario, parameters, estimator, n.

    By default the successful trials whose ``info["flags"]`` hold one of
    :data:`EXCLUDING_FLAGS` (a diverged value, e.g. ``unstable``) are left out of every number
    of their cell and counted in ``excluded``; ``include_flagged=True`` keeps them (``excluded``
    is then 0). ``ok`` counts the trials the numbers are over.

    Columns: the cell keys, ``true_mi`` and its MC ``true_mi_stderr``, counts (``trials``,
    ``ok``, ``excluded``, ``failed``, ``timeout``), over the successful seeds: ``mean``,
    ``bias`` = mean - true,
    ``rel_bias`` = bias / true (NaN when the truth is 0), ``std`` (ddof=1) and ``sem`` of the
    estimates, ``rmse`` = sqrt(mean((est - true)^2)), ``median``, ``iqr`` (75th - 25th
    percentile), ``with_std`` (successful seeds that reported a std), and over those seeds
    ``mean_reported_std`` (the estimator's own std) and ``coverage_1std`` / ``coverage_2std``
    (fraction with |est - true| <= 1 / 2 reported std; NaN when no seed reported one),
    ``coverage_mean_1std`` / ``coverage_mean_2std`` (the same around the seeds' mean instead of
    the truth: low coverage around the truth but not around the mean is bias, low coverage around
    both is a too-small error bar), ``std_ratio`` = mean reported std / std of the estimates over
    the seeds (1 for an honest error bar; > 1 too wide, < 1 too narrow) with ``std_ratio_lo`` and
    ``std_ratio_hi``, its 95 % interval from the sampling error of both stds (normal errors:
    relative s.e. 1 / sqrt(2 (m - 1)) for a std over m seeds, combined on the log scale),
    ``mean_wall_s``, ``median_wall_s``, ``mean_cpu_s`` (seconds), ``peak_mem_mb`` (the
    maximum over seeds of the process's peak resident memory during the trial, MiB; includes
    the interpreter, loaded libraries and the data, so it does not compare estimators) and
    ``mem_increase_mb`` (the median over seeds of peak_mem_mb - mem_base_mb, the peak memory
    the estimate call added to the process, MiB; the median leaves out the one-time library
    set-up a worker's first trial pays; NaN when no seed recorded both, as in stores written
    before ``mem_base_mb`` existed), and ``flags`` (how many successful seeds raised each warning
    flag an estimator lists in ``info["flags"]``, excluded ones included, e.g. "saturated 8;
    still_improving 1").
    """
    if trials.empty:
        return pd.DataFrame(columns=CELL)
    summary = (trials.groupby(CELL, sort=True, dropna=False)[list(trials.columns)]
               .apply(_cell_metrics, include_flagged=bool(include_flagged)).reset_index())
    for col in ("trials", "ok", "excluded", "failed", "timeout", "with_std"):
        summary[col] = summary[col].astype(int)
    # parameters in numeric order (rho=0.9 before rho=0.99), not in JSON-text order
    order = {p: i for i, p in enumerate(sorted(
        set(summary["scenario_params"]) | set(summary["estimator_params"]), key=_params_sort_key))}
    summary = summary.assign(_s=summary["scenario_params"].map(order),
                             _e=summary["estimator_params"].map(order))
    return (summary.sort_values(["scenario", "_s", "estimator", "_e", "n"], kind="stable")
            .drop(columns=["_s", "_e"]).reset_index(drop=True))


def _params_sort_key(params_json: str):
    try:
        params = json.loads(params_json) if params_json else {}
    except (TypeError, ValueError):
        return ((str(params_json), (1, 0.0, "")),)
    if not isinstance(params, dict):
        return ((str(params_json), (1, 0.0, "")),)
    key = []
    for k, v in params.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            key.append((k, (0, float(v), "")))
        else:
            key.append((k, (1, 0.0, json.dumps(v, sort_keys=True))))
    return tuple(key)


def log_relative_error(summary: pd.DataFrame, clip: float = 1.0) -> pd.Series:
    """ln(mean / true MI) per cell, clipped to [-clip, clip].

    A non-positive mean with a positive truth maps to -clip (a total underestimate); a zero
    truth, or a cell without successful trials, gives NaN.
    """
    mean = summary["mean"].to_numpy(float)
    truth = summary["true_mi"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((truth > 0) & np.isfinite(mean), np.log(np.maximum(mean, 1e-300) / truth),
                         np.nan)
    return pd.Series(np.clip(ratio, -clip, clip), index=summary.index, name="log_rel_error")


def sample_complexity(summary: pd.DataFrame, factor: float = 1.5) -> pd.DataFrame:
    """Smallest n from which the mean estimate stays within a factor of the truth.

    For each task and method, with the sample sizes n_1 < ... < n_m of the summary, returns the
    smallest n_j such that truth / factor <= mean(n_k) <= truth * factor for every k >= j; NaN
    if even the largest n misses (or the truth is not positive). Columns: TASK + METHOD +
    ``true_mi``, ``n_min``, ``n_max`` (the largest n tried).
    """
    rows = []
    for key, g in summary.groupby(TASK + METHOD, sort=True, dropna=False):
        g = g.sort_values("n")
        truth = float(g["true_mi"].iloc[0])
        mean = g["mean"].to_numpy(float)
        ok = (truth > 0) & np.isfinite(mean) & (mean >= truth / factor) & (mean <= truth * factor)
        # suffix-all: position j qualifies if every later position is ok
        tail_ok = np.flip(np.cumprod(np.flip(ok)).astype(bool))
        ns = g["n"].to_numpy()
        n_min = float(ns[np.argmax(tail_ok)]) if tail_ok.any() else np.nan
        rows.append(dict(zip(TASK + METHOD, key, strict=False)) | {"true_mi": truth, "n_min": n_min,
                                                     "n_max": int(ns.max())})
    return pd.DataFrame(rows, columns=TASK + METHOD + ["true_mi", "n_min", "n_max"])


def bound_ceilings(trials: pd.DataFrame) -> pd.DataFrame:
    """Ceilings of the lower-bound estimators, per method and n.

    An estimator is a variational lower bound when its ``info`` has a ``bound`` entry (the
    neural estimators set it). Any such bound evaluated on m samples cannot certify more than
    about ln(m) nats (McAllester and Stratos 2020). The neural estimators evaluate on a held-out
    test split and record its size as ``info["n_test"]``: ``n_eval`` is its mean over the cell's
    trials (n when absent) and ``log_n`` = ln(n_eval). An estimator with a ceiling of its own
    reports it as ``info["ceiling"]`` (InfoNCE: ln of its batch size): ``ceiling`` is its mean
    (NaN for the others). Returns METHOD + ``n``, ``n_eval``, ``log_n``, ``ceiling``; empty when
    no trial is a bound.
    """
    cols = METHOD + ["n", "n_eval", "log_n", "ceiling"]
    if trials.empty or "info" not in trials:
        return pd.DataFrame(columns=cols)
    rows = []
    ok = trials[trials["status"] == "ok"]
    for (est, eparams, n), g in ok.groupby(METHOD + ["n"], sort=True):
        infos = [_parse_info(v) for v in g["info"]]
        if not any("bound" in i for i in infos):
            continue
        # rows stored before the generic key have the ceiling as "infonce_ceiling"
        ceil = [float(i.get("ceiling", i.get("infonce_ceiling"))) for i in infos
                if "ceiling" in i or "infonce_ceiling" in i]
        n_eval = float(np.mean([float(i.get("n_test", n)) for i in infos]))
        rows.append({"estimator": est, "estimator_params": eparams, "n": int(n), "n_eval": n_eval,
                     "log_n": float(np.log(n_eval)),
                     "ceiling": float(np.mean(ceil)) if ceil else np.nan})
    return pd.DataFrame(rows, columns=cols)


def _parse_info(value) -> dict:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value:
        return {}
    try:
        out = json.loads(value)
    except ValueError:
        return {}
    return out if isinstance(out, dict) else {}


def coverage_curve(trials: pd.DataFrame, levels=(0.5, 0.6, 0.683, 0.8, 0.9, 0.954, 0.99)
                   ) -> pd.DataFrame:
    """Observed vs nominal coverage of the estimators' own normal intervals, per method and n.

    For each nominal level p, the interval is est ± z_p std with z_p the two-sided normal
    quantile; ``coverage`` is the fraction of the successful trials reporting a finite std
    (pooled over tasks) whose interval holds the true MI, ``coverage_mean`` the fraction holding
    their cell's mean estimate (separates a bad error bar from bias). Columns: METHOD + ``n``,
    ``nominal``, ``coverage``, ``coverage_mean``, ``trials``; empty when no trial reports a std.
    """
    from scipy.stats import norm

    cols = METHOD + ["n", "nominal", "coverage", "coverage_mean", "trials"]
    if trials.empty or "std" not in trials:
        return pd.DataFrame(columns=cols)
    ok = trials[(trials["status"] == "ok")].copy()
    ok["std"] = pd.to_numeric(ok["std"], errors="coerce")
    ok["mi"] = pd.to_numeric(ok["mi"], errors="coerce")
    ok["_mean"] = ok.groupby(CELL, dropna=False)["mi"].transform("mean")
    ok = ok[np.isfinite(ok["std"].to_numpy(float))]
    rows = []
    for (est, params, n), g in ok.groupby(METHOD + ["n"], sort=True):
        mi, sd = g["mi"].to_numpy(float), g["std"].to_numpy(float)
        err, dev = np.abs(mi - g["true_mi"].to_numpy(float)), np.abs(mi - g["_mean"].to_numpy(float))
        for p in levels:
            z = float(norm.ppf(0.5 + p / 2))
            rows.append({"estimator": est, "estimator_params": params, "n": int(n),
                         "nominal": float(p), "coverage": float(np.mean(err <= z * sd)),
                         "coverage_mean": float(np.mean(dev <= z * sd)), "trials": len(g)})
    return pd.DataFrame(rows, columns=cols)


#: the issue-15 goal: this share of cells with std_ratio in the band
GOAL_FRACTION = 0.8


def calibration_goal(summary: pd.DataFrame, *, min_n: int = 2000, low: float = 0.75,
                     high: float = 1.33) -> pd.DataFrame:
    """Per method: the fraction of tasks (over cells with n >= ``min_n``) whose ``std_ratio``
    lies in [low, high], the issue-15 goal (>= 80 %). Columns: METHOD + ``cells``,
    ``in_range``, ``too_narrow`` (std_ratio < low), ``too_wide`` (> high), ``fraction``,
    ``median_std_ratio``, ``seeds`` (median successful seeds per cell) and ``goal`` ("met" when
    the fraction is at least 80 %, else "not met"). Cells without a std_ratio (no reported std)
    are left out.
    """
    cols = METHOD + ["cells", "in_range", "too_narrow", "too_wide", "fraction",
                     "median_std_ratio", "seeds", "goal"]
    if summary.empty or "std_ratio" not in summary:
        return pd.DataFrame(columns=cols)
    s = summary[(summary["n"] >= min_n) & summary["std_ratio"].notna()]
    rows = []
    for (est, params), g in s.groupby(METHOD, sort=True):
        r = g["std_ratio"].to_numpy(float)
        inside = int(np.sum((r >= low) & (r <= high)))
        rows.append({"estimator": est, "estimator_params": params, "cells": len(g),
                     "in_range": inside, "too_narrow": int(np.sum(r < low)),
                     "too_wide": int(np.sum(r > high)), "fraction": inside / len(g),
                     "median_std_ratio": float(np.median(r)),
                     "seeds": int(np.median(g["with_std"])),
                     "goal": "met" if inside >= GOAL_FRACTION * len(g) else "not met"})
    return pd.DataFrame(rows, columns=cols)
