"""Baselines of the accuracy regression check (``mibench check``): the cells of a run, the
baseline file, and the comparison of each cell with the baseline and with the ground truth.

A *cell* is (scenario, scenario parameters, estimator, estimator parameters, n); its rows differ
only by seed. The baseline is a CSV file with one row per cell (the mean estimate over seeds, its
standard error, the failure count, the truth). Two checks per cell:

**Relative (against the baseline).** The cell fails when its mean estimate moved by more than

    tolerance = z * sqrt(sem_baseline**2 + sem_current**2) + floor

(``z = 4``, ``floor = 0.02`` nats by default), or when its number of failed or timed-out trials
rose. With the same seeds on the same machine every built-in estimator reproduces its numbers
exactly, so the tolerance only has to absorb legitimate differences: floating-point differences
between machines (BLAS kernels, torch's CPU kernels), which at worst send an iterative fit (EM,
neural training) down a different path. That makes the run at most an independent draw of the
estimator's own randomness on the same data, whose mean differs from the baseline's by a
difference of two means of ``seeds`` draws: its sd is at most ``sqrt(sem_b**2 + sem_c**2)``
(the sem over seeds includes the data's spread, which is shared here), so ``z = 4`` leaves a
false-alarm rate below 1e-4 per cell under normality, and the floor covers cells whose spread
is near zero. A change of an estimator's bias by more than the tolerance is caught.

**Absolute (against the truth).** The cell fails when

    |mean - true_mi| > atol + rtol * |true_mi| + 3 * sqrt(sem**2 + true_mi_stderr**2)

with generous per-estimator ``(atol, rtol)`` (the suite's ``bound`` entries: data, in
``mibench/suites/ci.toml`` for the built-ins), so that a baseline that is
updated a little at a time cannot drift into nonsense (a unit error, a sign error, a collapse to
zero). Cells whose trials all failed fail this check.

Cells in the baseline that the run did not produce fail ("missing"), except those of estimators
the run reported as unavailable (an optional dependency not installed), which are listed as
"skipped". Cells the baseline does not hold are listed as "new" and do not fail; ``update``
writes them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mibench import registry as _registry
from mibench.analysis.metrics import CELL
from mibench.contracts import InputError, MibenchError
from mibench.contracts.canonical import canonical_json, params_label
from mibench.contracts.files import atomic_write_text

DEFAULT_BASELINE = Path("results") / "baselines" / "ci.csv"

#: columns of a baseline file, in order
BASELINE_COLUMNS = CELL + ["trials", "failed", "true_mi", "true_mi_stderr", "mean", "sem", "std"]

#: statuses of a compared cell; the first four fail the check
FAILING = ("moved", "more failures", "off truth", "missing")


@dataclass(frozen=True)
class Tolerance:
    """Relative check: a cell moved when ``|mean - baseline mean| > z * sqrt(sem_b^2 + sem_c^2)
    + floor`` (nats)."""

    z: float = 4.0
    floor: float = 0.02

    def of(self, sem_base: float, sem_cur: float) -> float:
        s_b = 0.0 if not math.isfinite(sem_base) else sem_base
        s_c = 0.0 if not math.isfinite(sem_cur) else sem_cur
        return self.z * math.hypot(s_b, s_c) + self.floor


@dataclass(frozen=True)
class Bound:
    """Absolute check: ``|mean - truth| <= atol + rtol * |truth| + 3 * sqrt(sem^2 + stderr^2)``."""

    atol: float
    rtol: float

    def of(self, truth: float, sem: float, truth_stderr: float) -> float:
        s = 0.0 if not math.isfinite(sem) else sem
        t = 0.0 if not math.isfinite(truth_stderr) else truth_stderr
        return self.atol + self.rtol * abs(truth) + 3.0 * math.hypot(s, t)


#: bound for estimators not listed above (third-party plugins); ``--bound`` overrides it
DEFAULT_BOUND = Bound(0.15, 0.50)


# --------------------------------------------------------------------------- cells
def cells(trials: pd.DataFrame) -> pd.DataFrame:
    """Per-cell summary of trial rows in the baseline's columns (one row per cell, sorted).

    ``failed`` counts failed and timed-out trials; ``mean``, ``sem`` (standard error of the
    mean) and ``std`` are over the successful seeds, in nats.
    """
    if trials.empty:
        return pd.DataFrame(columns=BASELINE_COLUMNS)
    rows = []
    for key, g in trials.groupby(CELL, sort=True, dropna=False):
        ok = g[g["status"] == "ok"]["mi"].to_numpy(float)
        k = len(ok)
        sd = float(ok.std(ddof=1)) if k > 1 else math.nan
        rows.append(dict(zip(CELL, key, strict=True), trials=len(g), failed=int((g["status"] != "ok").sum()),
                         true_mi=float(g["true_mi"].iloc[0]),
                         true_mi_stderr=float(g["true_mi_stderr"].iloc[0]),
                         mean=float(ok.mean()) if k else math.nan,
                         sem=sd / math.sqrt(k) if k > 1 else math.nan, std=sd))
    out = pd.DataFrame(rows, columns=BASELINE_COLUMNS)
    out["n"] = out["n"].astype(int)
    return out.sort_values(CELL, kind="stable").reset_index(drop=True)


def read_baseline(path: str | Path) -> pd.DataFrame:
    """Read a baseline CSV written by :func:`write_baseline`."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"baseline {path} does not exist; create it with `mibench check --update "
                         f"--baseline {path}` (and commit it)")
    try:
        df = pd.read_csv(path, dtype={"scenario": str, "scenario_params": str, "estimator": str,
                                      "estimator_params": str}, keep_default_na=False,
                         na_values={c: ["", "nan", "NaN"] for c in BASELINE_COLUMNS[5:]})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"baseline {path} is not a readable CSV file: {exc}") from None
    missing = [c for c in BASELINE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"baseline {path} lacks column(s) {', '.join(missing)}; "
                         f"expected {', '.join(BASELINE_COLUMNS)}")
    for col in BASELINE_COLUMNS[5:]:
        df[col] = pd.to_numeric(df[col], errors="coerce")
    df["n"] = df["n"].astype(int)
    df["estimator_params"] = [_canonical_params(e, p)
                              for e, p in zip(df["estimator"], df["estimator_params"], strict=True)]
    if df.duplicated(CELL).any():
        dup = df[df.duplicated(CELL)].iloc[0]
        raise InputError(f"baseline {path} lists cell {_cell_name(dup)} twice")
    return df[BASELINE_COLUMNS].sort_values(CELL, kind="stable").reset_index(drop=True)


def _canonical_params(estimator: str, text: str) -> str:
    """Estimator parameters as trials store them (defaults dropped), so a baseline that spells out a
    default still names the cell a run produces; as written for an estimator not installed."""
    try:
        cls = _registry.estimator_class(estimator)
        params = json.loads(text) if text else {}
    except (MibenchError, ImportError, json.JSONDecodeError):
        return text
    return canonical_json(_registry.drop_defaults(cls, params)) if isinstance(params, dict) else text


def write_baseline(table: pd.DataFrame, path: str | Path) -> Path:
    """Write cells as a baseline CSV (sorted, floats in round-trip precision), atomically."""

    path = Path(path)
    table = table[BASELINE_COLUMNS].sort_values(CELL, kind="stable").reset_index(drop=True)
    atomic_write_text(path, table.to_csv(index=False, lineterminator="\n"))
    return path


def _cell_name(row) -> str:
    sp, ep = params_label(row["scenario_params"], ","), params_label(row["estimator_params"], ",")
    return (f"{row['estimator']}" + (f"[{ep}]" if ep else "") + f" on {row['scenario']}"
            + (f"[{sp}]" if sp else "") + f" n={int(row['n'])}")


# --------------------------------------------------------------------------- comparison
def bound_for(estimator: str, scenario: str | None = None, bounds: dict[str, Bound] | None = None,
              default: Bound | None = None) -> Bound:
    """The absolute bound of an estimator on a scenario in ``bounds`` (a suite's): its
    ``"estimator@scenario"`` entry, else ``"estimator"``, else ``default`` (else
    :data:`DEFAULT_BOUND`)."""
    table = bounds or {}
    if scenario is not None and f"{estimator}@{scenario}" in table:
        return table[f"{estimator}@{scenario}"]
    return table.get(estimator, default or DEFAULT_BOUND)


def compare(current: pd.DataFrame, baseline: pd.DataFrame, *, tolerance: Tolerance = Tolerance(),
            bounds: dict[str, Bound] | None = None, default_bound: Bound | None = None,
            skipped_estimators: Sequence[str] = ()) -> pd.DataFrame:
    """Compare current cells with baseline cells (both as returned by :func:`cells`).

    Returns one row per cell of either table with the baseline and current means, the move
    ``delta`` and its ``tolerance``, the failure counts, the distance to the truth ``abs_err``
    and its ``bound``, and a ``status``: "ok", "moved", "more failures", "off truth",
    "missing" (in the baseline, not run), "skipped" (not run: estimator unavailable) or "new"
    (not in the baseline). A cell with several problems reports the first in that order, with
    all of them in ``reason``.
    """
    merged = pd.merge(baseline[BASELINE_COLUMNS], current[BASELINE_COLUMNS], on=CELL, how="outer",
                      suffixes=("_base", ""), indicator=True)
    rows = []
    skipped = set(skipped_estimators)
    for _, r in merged.iterrows():
        out = {c: r[c] for c in CELL}
        out.update(true_mi=r["true_mi"] if r["_merge"] != "left_only" else r["true_mi_base"],
                   base_mean=r["mean_base"], mean=r["mean"], delta=math.nan, tolerance=math.nan,
                   base_failed=r["failed_base"], failed=r["failed"], abs_err=math.nan,
                   bound=math.nan)
        reasons = []
        if r["_merge"] == "left_only":
            if r["estimator"] in skipped:
                out.update(status="skipped", reason="estimator unavailable in this environment")
            else:
                out.update(status="missing", reason="in the baseline but not produced by this run")
            rows.append(out)
            continue
        bound = bound_for(r["estimator"], r["scenario"], bounds, default_bound)
        out["bound"] = bound.of(r["true_mi"], r["sem"], r["true_mi_stderr"])
        out["abs_err"] = abs(r["mean"] - r["true_mi"]) if math.isfinite(r["mean"]) else math.nan
        statuses = []
        if r["_merge"] == "both":
            out["tolerance"] = tolerance.of(r["sem_base"], r["sem"])
            both_nan = not math.isfinite(r["mean"]) and not math.isfinite(r["mean_base"])
            if not both_nan:
                out["delta"] = r["mean"] - r["mean_base"]
                if not (abs(out["delta"]) <= out["tolerance"]):  # NaN on one side counts as moved
                    statuses.append("moved")
                    reasons.append(f"mean moved by {out['delta']:+.4f} > {out['tolerance']:.4f}")
            if r["failed"] > r["failed_base"]:
                statuses.append("more failures")
                reasons.append(f"failed trials {int(r['failed_base'])} -> {int(r['failed'])}")
        if not (out["abs_err"] <= out["bound"]):
            statuses.append("off truth")
            reasons.append("every trial failed" if not math.isfinite(r["mean"]) else
                           f"|mean - truth| = {out['abs_err']:.4f} > bound {out['bound']:.4f}")
        if r["_merge"] == "right_only":
            statuses.insert(0, "new") if not statuses else statuses.append("new")
            reasons.append("not in the baseline")
        out["status"] = statuses[0] if statuses else "ok"
        out["reason"] = "; ".join(reasons)
        rows.append(out)
    cols = CELL + ["true_mi", "base_mean", "mean", "delta", "tolerance", "base_failed", "failed",
                   "abs_err", "bound", "status", "reason"]
    diff = pd.DataFrame(rows, columns=cols)
    return diff.sort_values(CELL, kind="stable").reset_index(drop=True)


def failing(diff: pd.DataFrame) -> pd.DataFrame:
    """The rows of a comparison that fail the check."""
    return diff[diff["status"].isin(FAILING)]


def format_diff(diff: pd.DataFrame, *, show_all: bool = False) -> str:
    """Plain-text diff table: every cell with ``show_all``, else the cells that are not "ok".

    Estimator hyperparameters are shown only for estimators with several configurations.
    """
    shown = diff if show_all else diff[diff["status"] != "ok"]
    if shown.empty:
        return "(no differences)"

    def num(v, fmt="{:.4f}"):
        return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else fmt.format(v)

    configs = diff.groupby("estimator")["estimator_params"].nunique()
    table = pd.DataFrame({
        "estimator": [r["estimator"] + (f"[{params_label(r['estimator_params'], ',')}]"
                                        if configs.get(r["estimator"], 1) > 1 else "")
                      for _, r in shown.iterrows()],
        "scenario": [r["scenario"] + (f"[{params_label(r['scenario_params'], ',')}]"
                                      if params_label(r["scenario_params"], ",") else "")
                     for _, r in shown.iterrows()],
        "n": shown["n"].astype(int).to_list(),
        "truth": [num(v) for v in shown["true_mi"]],
        "baseline": [num(v) for v in shown["base_mean"]],
        "now": [num(v) for v in shown["mean"]],
        "delta": [num(v, "{:+.4f}") for v in shown["delta"]],
        "tol": [num(v) for v in shown["tolerance"]],
        "|err|": [num(v) for v in shown["abs_err"]],
        "bound": [num(v) for v in shown["bound"]],
        "failed": [f"{num(b, '{:.0f}')}->{num(c, '{:.0f}')}"
                   for b, c in zip(shown["base_failed"], shown["failed"], strict=True)],
        "status": shown["status"].to_list(),
    })
    return _left_table(table)


def _left_table(table: pd.DataFrame) -> str:
    cols = [[str(c)] + [str(v) for v in table[c]] for c in table.columns]
    widths = [max(len(v) for v in col) for col in cols]
    lines = ["  ".join(col[i].ljust(w) for col, w in zip(cols, widths, strict=True)).rstrip()
             for i in range(len(table) + 1)]
    return "\n".join(lines)
