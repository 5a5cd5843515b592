"""Self-consistency tests of an MI estimator on data without a known MI (after Song & Ermon,
"Understanding the limitations of variational mutual information estimators", ICLR 2020).

Three properties every MI holds, checked on the user's own x and y with one estimator:

``independence``
    Shuffling y breaks the pairing: I(x; shuffled y) = 0. Observed: the mean estimate over
    ``permutations`` shuffles; uncertainty: their standard error.
``data-processing``
    A lossy map f of one side cannot add information: I(x; y) >= I(f(x); y). f acts on the side
    with more columns (x on a tie): ``mask`` keeps the first half of its columns, ``pool`` averages
    adjacent pairs of columns, ``noise`` adds independent Gaussian noise of each column's standard
    deviation (a lossy channel for any dimension), and for a discrete side ``merge`` joins pairs of
    levels. ``auto``: mask with two or more columns, else noise (merge when discrete).
``additivity``
    Two independent copies carry twice the information: the rows are shuffled once and split into
    halves a and b; I([x_a, x_b]; [y_a, y_b]) = I(x_a; y_a) + I(x_b; y_b), all at n/2 rows, so the
    estimator's sample-size bias is the same on both sides.

Each estimate's uncertainty is the estimator's own std, else the half-sampling error bar of
``mibench.estimate`` (``resamples`` half-samples); a difference's standard error combines its
terms' in quadrature. A test passes when its violation is within the tolerance
``atol + rtol * |reference|`` plus two standard errors (reference: 0 for independence, I(x; y)
for data processing, I_a + I_b for additivity); ``margin`` is how far inside (> 0) or outside
(< 0) that allowance the result lies, in nats. The work runs through the user-data executor
(``userdata.pairs.run_pairs``: the trials of the run options' executor, ``--jobs``, Dask, the
store; results independent of the executor and the number of workers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mibench import registry as _registry
from mibench.contracts import DISCRETE, InputError
from mibench.contracts.canonical import canonical_json, seed_sequence
from mibench.execution.options import RunOptions, options_from
from mibench.userdata.choose import _accepts, choose_estimator, normalise_specs
from mibench.userdata.columns import MAX_LEVELS, Table, encode_discrete, variable
from mibench.userdata.estimate import table_from_xy
from mibench.userdata.pairs import RESAMPLES, check_counts, make_work, run_pairs

TESTS = ("independence", "data-processing", "additivity")
LOSSY = ("auto", "mask", "pool", "noise")
#: fewest rows the tests accept (the additivity test halves them)
MIN_ROWS = 20
COLUMNS = ["test", "claim", "observed", "expected", "difference", "se", "allowed", "margin",
           "passed", "detail"]


@dataclass
class _Plan:
    estimator: str
    params: dict
    swap: bool
    lossy: str
    side: str


def _lossy(block: np.ndarray, kind: str, how: str, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Apply the lossy map ``how`` to a variable; returns the new block and its description."""
    d = block.shape[1]
    if kind == DISCRETE:
        if how not in ("auto", "merge"):
            raise InputError(f"lossy={how!r} needs a continuous variable; a discrete side is merged "
                             "(lossy='auto')")
        return np.floor(block / 2.0), "levels merged in pairs"
    if how == "auto":
        how = "mask" if d >= 2 else "noise"
    if how in ("mask", "pool") and d < 2:
        raise InputError(f"lossy={how!r} needs a side with >= 2 columns; use lossy='noise'")
    if how == "mask":
        keep = (d + 1) // 2
        return np.ascontiguousarray(block[:, :keep]), f"first {keep} of {d} columns kept"
    if how == "pool":
        pairs = [block[:, j:j + 2].mean(axis=1) for j in range(0, d, 2)]
        return np.ascontiguousarray(np.column_stack(pairs)), f"{d} columns pooled in pairs"
    if how == "noise":
        sd = block.std(axis=0, ddof=1)
        return block + rng.standard_normal(block.shape) * sd, "Gaussian noise of each column's std added"
    raise InputError(f"lossy must be one of {', '.join(LOSSY)}, got {how!r}")


def _join(a: np.ndarray, b: np.ndarray, kind: str) -> np.ndarray:
    both = np.hstack([a, b])
    return encode_discrete(both) if kind == DISCRETE else np.ascontiguousarray(both)


def consistency_table(table: Table, xcols: Sequence[str], ycols: Sequence[str], estimator=None, *,
                      tests: Sequence[str] = TESTS, lossy: str = "auto", permutations: int = 20,
                      resamples: int = RESAMPLES, atol: float = 0.02, rtol: float = 0.1,
                      seed: int = 0, options: RunOptions | None = None,
                      jobs: int | None = None) -> pd.DataFrame:
    """:func:`consistency` on a prepared :class:`~mibench.userdata.columns.Table` (used by the CLI);
    the estimates run as trials of the executor of ``options`` (as ``mibench.estimate``'s)."""
    options = options_from(options, jobs=jobs)
    check_counts(resamples, permutations)
    tests = list(dict.fromkeys(tests))
    bad = [t for t in tests if t not in TESTS]
    if bad or not tests:
        raise InputError(f"tests must be among {', '.join(TESTS)}, got {', '.join(bad) or 'none'}")
    if lossy not in LOSSY + ("merge",):
        raise InputError(f"lossy must be one of {', '.join(LOSSY)}, got {lossy!r}")
    for name, v in (("atol", atol), ("rtol", rtol)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
            raise InputError(f"{name} must be a number >= 0, got {v!r}")
    if "independence" in tests and permutations < 2:
        raise InputError(f"the independence test needs permutations >= 2, got {permutations}")
    if table.n < MIN_ROWS:
        raise InputError(f"{table.source}: only {table.n} rows; the consistency tests need at least "
                         f"{MIN_ROWS} (the additivity test halves them)")
    xv, xk = variable(table, xcols)
    yv, yk = variable(table, ycols)
    specs = normalise_specs(estimator)
    if len(specs) > 1:
        raise InputError("the consistency tests take one estimator at a time")
    name, params, swap = choose_estimator(specs, xk, yk, xv.shape[1], yv.shape[1])
    ok, swap, _, est = _accepts(name, params, xk, yk, xv.shape[1], yv.shape[1])
    params = _registry.coerce_params(type(est), params, f"estimator {name!r}")
    rng = np.random.default_rng(seed_sequence(seed, (17,)))
    side = "x" if xv.shape[1] >= yv.shape[1] else "y"

    def work(label, a, ak, b, bk, perms=0):
        return make_work(label, a, ak, b, bk, name, params, swap, resamples=resamples, permutations=perms)

    items = {"xy": work("xy", xv, xk, yv, yk, permutations if "independence" in tests else 0)}
    detail_dpi = ""
    if "data-processing" in tests:
        if side == "x":
            fx, detail_dpi = _lossy(xv, xk, lossy, rng)
            items["fxy"] = work("f(x);y", fx, xk, yv, yk)
        else:
            fy, detail_dpi = _lossy(yv, yk, lossy, rng)
            items["fxy"] = work("x;f(y)", xv, xk, fy, yk)
    if "additivity" in tests:
        order = rng.permutation(table.n)
        m = table.n // 2
        a, b = order[:m], order[m:2 * m]
        items["a"] = work("a", xv[a], xk, yv[a], yk)
        items["b"] = work("b", xv[b], xk, yv[b], yk)
        items["ab"] = work("ab", _join(xv[a], xv[b], xk), xk, _join(yv[a], yv[b], yk), yk)
    keys = list(items)
    results = dict(zip(keys, run_pairs([items[k] for k in keys], seed=seed, options=options),
                       strict=True))
    failed = {k: r for k, r in results.items() if r.status != "ok"}
    if failed:
        k, r = next(iter(failed.items()))
        raise InputError(f"{name} failed on the {r.label!r} data of the consistency tests: {r.error}")

    def se(k):
        s = results[k].std
        return float(s) if s is not None and math.isfinite(s) else math.nan

    mi_xy = results["xy"].mi
    rows = []
    if "independence" in tests:
        null = np.asarray(results["xy"].null, dtype=float)
        if null.size < 2:
            raise InputError(f"{name} failed on the shuffled data: {results['xy'].info.get('first_failure')}")
        obs, s = float(null.mean()), float(null.std(ddof=1) / math.sqrt(null.size))
        rows.append(_row("independence", "I(x; shuffled y) = 0", obs, 0.0, s, atol, two_sided=True,
                         detail=f"mean over {null.size} shuffles of y"))
    if "data-processing" in tests:
        f = "I(f(x); y)" if side == "x" else "I(x; f(y))"
        obs = results["fxy"].mi
        rows.append(_row("data-processing", f"I(x; y) >= {f}", obs, mi_xy, math.hypot(se("xy"), se("fxy")),
                         atol + rtol * abs(mi_xy), two_sided=False, detail=f"f: {detail_dpi}"))
    if "additivity" in tests:
        exp = results["a"].mi + results["b"].mi
        s = math.sqrt(se("ab") ** 2 + se("a") ** 2 + se("b") ** 2)
        rows.append(_row("additivity", "I([x_a, x_b]; [y_a, y_b]) = I(x_a; y_a) + I(x_b; y_b)",
                         results["ab"].mi, exp, s, atol + rtol * abs(exp), two_sided=True,
                         detail=f"two halves of {table.n // 2} rows"))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs.update(estimator=name, params=canonical_json(params), mi=mi_xy, mi_std=se("xy"),
                     std_source=results["xy"].std_source, n=table.n, dim_x=int(xv.shape[1]),
                     dim_y=int(yv.shape[1]), x_kind=xk, y_kind=yk, dropped=table.dropped,
                     atol=atol, rtol=rtol)
    return out


def _row(test, claim, observed, expected, se, tol, *, two_sided: bool, detail: str) -> dict:
    """difference = observed - expected; allowed = tol + 2 se (se NaN: tol alone)."""
    diff = observed - expected
    allowed = tol + (2.0 * se if math.isfinite(se) else 0.0)
    violation = abs(diff) if two_sided else max(0.0, diff)  # data processing: observed > expected
    margin = allowed - violation
    return {"test": test, "claim": claim, "observed": observed, "expected": expected,
            "difference": diff, "se": se, "allowed": allowed, "margin": margin,
            "passed": bool(margin >= 0), "detail": detail}


def consistency(x, y, estimator=None, *, x_kind: str = "auto", y_kind: str = "auto",
                tests: Sequence[str] = TESTS, lossy: str = "auto", permutations: int = 20,
                resamples: int = RESAMPLES, atol: float = 0.02, rtol: float = 0.1, seed: int = 0,
                jobs: int | None = None, options: RunOptions | None = None, dropna: bool = False,
                max_levels: int = MAX_LEVELS) -> pd.DataFrame:
    """Self-consistency tests (independence, data processing, additivity) of one estimator on x, y.

    Parameters
    ----------
    x, y : arrays (n,) or (n, d), Series or DataFrames with the same number of rows (>= 20).
    estimator : a name (``"ksg"``, ``"ksg:k=5"``) or (name, params); default: the first of
        gmm-mi, ksg, gaussian that accepts the variables (``mibench.estimate``'s choice).
    tests : any of ``"independence"``, ``"data-processing"``, ``"additivity"``.
    lossy : the lossy map of the data-processing test: "auto", "mask", "pool" or "noise".
    permutations : shuffles of y for the independence test (>= 2).
    resamples : half-samples for the error bar of estimators without their own std.
    atol, rtol : tolerance in nats, absolute and relative to the test's reference value.
    seed, jobs, options, dropna, max_levels, x_kind, y_kind : as in :func:`mibench.estimate`
        (``options``: a :class:`mibench.RunOptions`, e.g. a Dask executor or a store).

    Returns
    -------
    DataFrame, one row per test: ``test, claim, observed, expected, difference, se, allowed,
    margin, passed, detail`` (nats); ``df.attrs`` has the estimator, its params, I(x; y) and its
    std, n and the dimensions. Draw it with :func:`plot_consistency`.
    """
    table, xcols, ycols = table_from_xy(x, y, x_kind=x_kind, y_kind=y_kind, dropna=dropna,
                                        max_levels=max_levels)
    return consistency_table(table, xcols, ycols, estimator, tests=tests, lossy=lossy,
                             permutations=permutations, resamples=resamples, atol=atol, rtol=rtol,
                             seed=seed, options=options, jobs=jobs)


def consistency_scenario(scenario: str, params: dict | None = None, n: int = 2000, estimator=None, *,
                         data_seed: int = 0, **kwargs) -> pd.DataFrame:
    """:func:`consistency` on ``n`` draws of a registered scenario (``attrs["true_mi"]`` is its truth)."""
    sc = _registry.make_scenario(scenario, **(params or {}))
    x, y = sc.sample(int(n), np.random.default_rng(data_seed))
    kinds = {"x_kind": sc.x_kind, "y_kind": sc.y_kind}
    out = consistency(x, y, estimator, **kinds, **kwargs)
    out.attrs["true_mi"] = float(sc.true_mi.value)
    return out


def plot_consistency(df: pd.DataFrame, ax=None):
    """Each test's difference (observed - expected) with +-2 se, against its allowed band."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 0.9 + 0.8 * len(df)))
    ys = np.arange(len(df))[::-1]
    for yy, (_, r) in zip(ys, df.iterrows(), strict=True):
        err = 2 * r["se"] if math.isfinite(r["se"]) else 0.0
        tol = r["allowed"] - err
        lo = -tol
        if r["test"] == "data-processing":  # one-sided: any decrease is allowed
            lo = min(r["difference"] - err, -tol) - 0.2 * (abs(r["difference"]) + err + tol)
        ax.fill_between([lo, tol], yy - 0.3, yy + 0.3, color="0.88", lw=0)
        color = "tab:green" if r["passed"] else "tab:red"
        ax.errorbar(r["difference"], yy, xerr=err, fmt="o", color=color, capsize=3)
        ax.annotate("pass" if r["passed"] else "FAIL", (r["difference"], yy + 0.32), ha="center",
                    fontsize=8, color=color)
    ax.axvline(0.0, color="0.3", lw=0.8, ls="--")
    ax.set_yticks(ys, [f"{r['test']}\n{r['claim']}" for _, r in df.iterrows()], fontsize=8)
    ax.set_xlabel("observed - expected (nats); grey: tolerance, bars: 2 standard errors")
    a = df.attrs
    if a:
        ax.set_title(f"{a.get('estimator')} self-consistency (n = {a.get('n')}, "
                     f"I(x; y) = {a.get('mi', math.nan):.3f} nats)", fontsize=10)
    return ax
