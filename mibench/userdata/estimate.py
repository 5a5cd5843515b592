"""``mibench.estimate``: MI on the user's own x and y with one or several estimators, each with
its uncertainty and an optional permutation test."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from mibench import registry as _registry
from mibench.contracts import CONTINUOUS, DISCRETE, InputError
from mibench.contracts.canonical import canonical_json
from mibench.contracts.validation import to_array
from mibench.execution.options import Callbacks, RunOptions, options_from
from mibench.userdata.choose import ESTIMATE_DEFAULTS, _accepts, _kinds_key, choose_estimator, normalise_specs
from mibench.userdata.columns import MAX_LEVELS, Table, prepare, variable
from mibench.userdata.pairs import RESAMPLES, check_counts, make_work, run_pairs


def _as_frame(a, prefix: str) -> pd.DataFrame:
    if isinstance(a, pd.DataFrame):
        df = a.copy()
        df.columns = [str(c) for c in df.columns]
        return df.reset_index(drop=True)
    if isinstance(a, pd.Series):
        return pd.DataFrame({str(a.name) if a.name is not None else prefix: a.to_numpy()})
    arr = to_array(a, prefix)
    if arr.ndim == 0:
        raise InputError(f"{prefix} is a scalar; expected an array of shape (n_samples, dim)")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim > 2:
        raise InputError(f"{prefix} has {arr.ndim} dimensions {arr.shape}; expected (n_samples, dim)")
    if arr.shape[1] == 1:
        return pd.DataFrame({prefix: arr[:, 0]})
    return pd.DataFrame(arr, columns=[f"{prefix}{j}" for j in range(arr.shape[1])])


def _kind_arg(kind, columns, what):
    if kind in (None, "auto"):
        return []
    if kind not in (CONTINUOUS, DISCRETE):
        raise InputError(f"{what} must be 'auto', 'continuous' or 'discrete', got {kind!r}")
    return list(columns)


def estimate(x, y, estimators=None, *, x_kind: str = "auto", y_kind: str = "auto",
             max_levels: int = MAX_LEVELS, permutations: int = 0, resamples: int = RESAMPLES,
             seed: int = 0, jobs: int | None = None, dropna: bool = False,
             options: RunOptions | None = None) -> pd.DataFrame:
    """Estimate I(X;Y) in nats on your own data with one or several estimators.

    Parameters
    ----------
    x, y : arrays of shape (n,) or (n, d), pandas Series or DataFrames (same number of rows).
    estimators : names (``"ksg"``, ``"ksg:k=5"``), (name, params) pairs or {name: params}.
        Default: for continuous x and y ``ksg`` and ``gmm-mi``; with a discrete side
        ``gmm-mi-categorical`` and ``ksg-mixed``; both discrete ``plugin-discrete`` and
        ``ksg-mixed`` (those available). An estimator whose declared capabilities do not
        accept the variables' kinds and dimensions is skipped (``df.attrs["skipped"]``).
    x_kind, y_kind : "auto" (detect: integer-valued with few levels is discrete),
        "continuous" or "discrete".
    max_levels : most levels of an auto-detected discrete column.
    permutations : permutation-test replicates per estimator (0: no test).
    resamples : half-samples for the error bar of estimators without their own std.
    seed : base seed; dropna : drop rows with NaN/inf.
    options : how the estimates run (a :class:`mibench.RunOptions`: jobs, executor, timeout,
        store, ...; default serial, in a temporary store); ``jobs`` overrides its field. The
        numbers depend on ``seed`` only, not on how they run.

    Returns
    -------
    DataFrame, one row per estimator: ``estimator, params, mi, std, std_source, p_value,
    permutations, n, x_kind, y_kind, dim_x, dim_y, wall_s, status, error, info`` (mi and std in
    nats). ``df.attrs`` holds ``dropped`` (rows dropped), ``skipped`` and ``kinds``.
    """
    options = options_from(options, jobs=jobs)
    check_counts(resamples, permutations)
    table, xcols, ycols = table_from_xy(x, y, x_kind=x_kind, y_kind=y_kind, dropna=dropna,
                                        max_levels=max_levels)
    return estimate_table(table, xcols, ycols, estimators, permutations=permutations,
                          resamples=resamples, seed=seed, options=options)


def table_from_xy(x, y, *, x_kind: str = "auto", y_kind: str = "auto", dropna: bool = False,
                  max_levels: int = MAX_LEVELS) -> tuple[Table, list[str], list[str]]:
    """The :class:`Table` of arrays or frames ``x`` and ``y`` (same rows) with the X and Y column
    names; kinds "auto", "continuous" or "discrete" for each side."""
    fx, fy = _as_frame(x, "x"), _as_frame(y, "y")
    if len(fx) != len(fy):
        raise InputError(f"x and y have different numbers of rows: {len(fx)} != {len(fy)}")
    overlap = set(fx.columns) & set(fy.columns)
    if overlap:
        fy = fy.rename(columns={c: f"y:{c}" for c in overlap})
    df = pd.concat([fx, fy], axis=1)
    xcols, ycols = list(fx.columns), list(fy.columns)
    disc = _kind_arg(x_kind, xcols, "x_kind") if x_kind == DISCRETE else []
    disc += _kind_arg(y_kind, ycols, "y_kind") if y_kind == DISCRETE else []
    cont = _kind_arg(x_kind, xcols, "x_kind") if x_kind == CONTINUOUS else []
    cont += _kind_arg(y_kind, ycols, "y_kind") if y_kind == CONTINUOUS else []
    table = prepare(df, xcols + ycols, dropna=dropna, discrete=disc or None, continuous=cont or None,
                    max_levels=max_levels, source="x, y")
    return table, xcols, ycols


def estimate_table(table: Table, xcols: Sequence[str], ycols: Sequence[str], estimators=None, *,
                   permutations: int = 0, resamples: int = RESAMPLES, seed: int = 0,
                   options: RunOptions = RunOptions(),
                   callbacks: Callbacks | None = None) -> pd.DataFrame:
    """:func:`estimate` on a prepared :class:`Table` (used by the CLI)."""
    check_counts(resamples, permutations)
    xv, xk = variable(table, xcols)
    yv, yk = variable(table, ycols)
    specs = normalise_specs(estimators)
    if not specs:
        names = [n for n in ESTIMATE_DEFAULTS[_kinds_key(xk, yk)]
                 if n in _registry.estimators() and _registry.estimators()[n].available]
        specs = [(n, {}) for n in names]
        if not specs:
            name, params, _ = choose_estimator([], xk, yk, xv.shape[1], yv.shape[1])
            specs = [(name, params)]
    work, skipped, meta = [], [], []
    for name, params in specs:
        ok, swap, reason, est = _accepts(name, params, xk, yk, xv.shape[1], yv.shape[1])
        if est is not None:
            params = _registry.coerce_params(type(est), params, f"estimator {name!r}")
        if not ok:
            skipped.append({"estimator": name, "reason": reason})
            continue
        label = f"{name}{canonical_json(params)}"
        w = make_work(label, xv, xk, yv, yk, name, params, swap, resamples=resamples,
                      permutations=permutations)
        work.append(w)
        meta.append(name)
    if not work:
        reasons = "; ".join(f"{s['estimator']}: {s['reason']}" for s in skipped)
        raise InputError(f"no estimator accepts these variables ({reasons})")
    results = run_pairs(work, seed=seed, options=options, callbacks=callbacks)
    rows = []
    for w, r in zip(work, results, strict=True):
        rows.append({
            "estimator": r.estimator, "params": canonical_json(w.params), "mi": r.mi,
            "std": r.std, "std_source": r.std_source, "p_value": r.p_value,
            "permutations": r.permutations, "n": r.n, "x_kind": xk, "y_kind": yk,
            "dim_x": int(xv.shape[1]), "dim_y": int(yv.shape[1]), "wall_s": r.wall_s,
            "status": r.status, "error": r.error, "info": json.loads(canonical_json(r.info)),
        })
    out = pd.DataFrame(rows)
    out.attrs.update(dropped=table.dropped, skipped=skipped,
                     kinds={c: table.kinds[c] for c in list(xcols) + list(ycols)})
    return out
