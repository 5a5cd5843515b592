"""Which estimator to trust on data like yours: a short calibration on a scenario matched to the
data (its n, its dimensions, its marginals and its rank dependence), whose true MI is known.

The matched scenario is a Gaussian copula with the data's own margins:

1. normal scores: each column is ranked (average ranks for ties) and mapped to
   ``s = Phi^-1(rank / (n + 1))``; ``R`` is the correlation matrix of the scores of all
   columns of x and y (for a 1-D pair, the normal-scores correlation rho, a rank-based,
   Spearman-like measure);
2. sampling: ``z ~ N(0, R)``, ``u = Phi(z)``, and each column is mapped back through the data's
   empirical quantile function (linear interpolation between the order statistics, made
   strictly increasing, with linear tails), so the samples have the data's margins;
3. truth: a strictly increasing map of each margin leaves MI unchanged, so the true MI is the
   Gaussian MI of ``R``: ``0.5 (ln det R_xx + ln det R_yy - ln det R)`` nats, which is
   ``-0.5 ln(1 - rho^2)`` for a 1-D pair (closed form, stderr 0).

The scenario's parameters are arrays (the quantile grids), not scalars, so it is not an entry
point; :func:`matched_scenario` builds a subclass holding the arrays, and :func:`calibrate`
registers it at run time under a content-hashed name, runs :func:`mibench.run` on it, and
unregisters it.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import special, stats

from mibench import registry as _registry
from mibench.contracts import CONTINUOUS, InputError, Scenario, TrueMI
from mibench.contracts.canonical import spec_label
from mibench.execution.options import Callbacks, RunOptions, options_from
from mibench.userdata.defaults import defaults

log = logging.getLogger(__name__)

#: estimators calibrated by default (those available and accepting the data)
DEFAULT_CANDIDATES = list(defaults()["recommend"]["candidates"])
#: number of quantile points kept per margin
MAX_GRID = 4096
DEFAULT_SEEDS = 5


def normal_scores(a: np.ndarray) -> np.ndarray:
    """Van der Waerden normal scores ``Phi^-1(rank / (n + 1))`` of each column of (n, d) ``a``."""
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    ranks = stats.rankdata(a, axis=0, method="average")
    return special.ndtri(ranks / (a.shape[0] + 1.0))


def _quantile_grid(v: np.ndarray) -> np.ndarray:
    """Strictly increasing quantile values of ``v`` at probabilities (k + 0.5) / m."""
    v = np.sort(np.asarray(v, dtype=np.float64))
    m = v.size
    if m > MAX_GRID:
        m = MAX_GRID
        v = np.quantile(v, (np.arange(m) + 0.5) / m)
    span = float(v[-1] - v[0]) or 1.0
    # ties become near-ties (1e-9 of the range apart): the map stays strictly increasing, so the
    # copula and the MI are preserved exactly, while the samples keep the data's clusters
    return v + np.arange(m) * (1e-9 * span / m)


def _apply_quantile(u: np.ndarray, grid: np.ndarray) -> np.ndarray:
    m = grid.size
    p = (np.arange(m) + 0.5) / m
    out = np.interp(u, p, grid)
    lo, hi = u < p[0], u > p[-1]
    slope_lo = (grid[1] - grid[0]) / (p[1] - p[0])
    slope_hi = (grid[-1] - grid[-2]) / (p[-1] - p[-2])
    out[lo] = grid[0] + (u[lo] - p[0]) * slope_lo
    out[hi] = grid[-1] + (u[hi] - p[-1]) * slope_hi
    return out


def gaussian_mi(corr: np.ndarray, dx: int) -> float:
    """MI in nats between the first ``dx`` and the other coordinates of N(0, corr)."""
    def logdet(a):
        sign, value = np.linalg.slogdet(a)
        if sign <= 0:
            raise InputError("the data's normal-scores correlation matrix is singular (columns with "
                             "identical ranks?); cannot build a matched scenario")
        return value

    return float(0.5 * (logdet(corr[:dx, :dx]) + logdet(corr[dx:, dx:]) - logdet(corr)))


class GaussianCopulaMatched(Scenario):
    """Gaussian copula with the normal-scores correlation and the empirical margins of a data set
    (see the module docstring). Build one with :func:`matched_scenario`; the base class holds no
    data. x is (n, dim_x), y is (n, dim_y), both continuous; the truth is closed-form."""

    corr: ClassVar[np.ndarray | None] = None
    grids: ClassVar[tuple[np.ndarray, ...]] = ()
    n_dim_x: ClassVar[int] = 1
    data_n: ClassVar[int] = 0
    x_kind = CONTINUOUS
    y_kind = CONTINUOUS

    def __init__(self):
        pass

    @property
    def dim_x(self) -> int:
        return int(type(self).n_dim_x)

    @property
    def dim_y(self) -> int:
        return len(type(self).grids) - int(type(self).n_dim_x)

    def _check(self):
        if type(self).corr is None:
            raise InputError("GaussianCopulaMatched holds no data; build it with matched_scenario(x, y)")

    def sample(self, n, rng):
        self._check()
        corr = type(self).corr
        chol = np.linalg.cholesky(corr)
        z = rng.standard_normal((int(n), corr.shape[0])) @ chol.T
        u = special.ndtr(z)
        cols = [_apply_quantile(u[:, j], g) for j, g in enumerate(type(self).grids)]
        data = np.column_stack(cols)
        dx = self.dim_x
        return np.ascontiguousarray(data[:, :dx]), np.ascontiguousarray(data[:, dx:])

    @property
    def true_mi(self) -> TrueMI:
        self._check()
        return TrueMI(gaussian_mi(type(self).corr, self.dim_x), 0.0)

    @property
    def rho(self) -> float | None:
        """The normal-scores correlation of a 1-D pair (None otherwise)."""
        corr = type(self).corr
        return float(corr[0, 1]) if corr is not None and corr.shape == (2, 2) else None


def matched_scenario(x, y) -> type[GaussianCopulaMatched]:
    """A :class:`GaussianCopulaMatched` subclass matched to continuous data ``x`` (n, dx) and
    ``y`` (n, dy): same dimensions, margins and normal-scores correlation. Its ``name`` class
    attribute is a content hash, unique per data set."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    if x.shape[0] != y.shape[0]:
        raise InputError(f"x and y have different numbers of rows: {x.shape[0]} != {y.shape[0]}")
    data = np.hstack([x, y])
    if data.shape[0] < 3:
        raise InputError("need at least 3 rows to match a scenario")
    if not np.isfinite(data).all():
        raise InputError("x and y must be finite to match a scenario")
    scores = normal_scores(data)
    corr = np.atleast_2d(np.corrcoef(scores, rowvar=False))
    if not np.isfinite(corr).all():
        raise InputError("a column is constant; cannot build a matched scenario")
    grids = tuple(_quantile_grid(data[:, j]) for j in range(data.shape[1]))
    gaussian_mi(corr, x.shape[1])  # refuses a singular correlation
    digest = hashlib.sha256(corr.tobytes() + b"".join(g.tobytes() for g in grids)).hexdigest()[:12]
    name = f"gaussian-copula-matched-{digest}"
    cls = type(f"GaussianCopulaMatched_{digest}", (GaussianCopulaMatched,), {
        "corr": corr, "grids": grids, "n_dim_x": int(x.shape[1]), "data_n": int(data.shape[0]),
        "name": name, "__module__": __name__,
        "__doc__": f"Gaussian copula matched to a data set (n={data.shape[0]}, dims "
                   f"{x.shape[1]}, {y.shape[1]}).",
    })
    return cls


def default_candidates(n: int, dx: int, dy: int) -> list[tuple[str, dict]]:
    """The available default candidates that accept continuous data of these dimensions, but
    the ``costly`` ones (:func:`costly_candidates`: calibrated when named, as ``mibench run``
    runs them when named)."""
    out = []
    for name in DEFAULT_CANDIDATES:
        plugin = _registry.estimators().get(name)
        if plugin is None or not plugin.available or getattr(plugin.cls, "costly", False):
            continue
        max_n = getattr(plugin.cls, "max_n", None)
        if max_n is not None and n > max_n:
            log.info("%s left out of the calibration at n=%d (> its max_n %d)", name, n, max_n)
            continue
        ok, _, _ = plugin.cls.capabilities.match(CONTINUOUS, CONTINUOUS, dx, dy)
        if ok:
            out.append((name, {}))
    return out


def costly_candidates(named=None) -> list[str]:
    """Available default candidates left out of the calibration unless named (``costly``:
    ``doe``'s 5 cross-fitted trainings and 5 for its learning curve took 194 s per estimate at
    32 + 32 columns and n = 3000, 16 of the 19 minutes of a default calibration on such data);
    ``named``: the user's estimators, which are not left out."""
    from mibench.planning.plan import costly_estimators
    from mibench.userdata.choose import normalise_specs

    left_out = set(costly_estimators()) - {name for name, _ in normalise_specs(named)}
    return [name for name in DEFAULT_CANDIDATES if name in left_out]


def candidates_with(named, n: int, dx: int, dy: int) -> list[tuple[str, dict]]:
    """The default candidates plus the estimators the user named (the CLI's calibration set)."""
    from mibench.userdata.choose import normalise_specs

    out = default_candidates(n, dx, dy)
    for spec in normalise_specs(named):
        if spec not in out:
            out.append(spec)
    return out


def calibrate(datasets: Sequence[tuple[np.ndarray, np.ndarray]], estimators=None, *,
              seeds: int = DEFAULT_SEEDS, jobs: int | None = None,
              options: RunOptions | None = None,
              callbacks: Callbacks | None = None) -> pd.DataFrame:
    """Run estimators on scenarios matched to each (x, y) data set and rank them.

    Parameters
    ----------
    datasets : (x, y) pairs of continuous data, x (n, dx), y (n, dy), all with the same n.
    estimators : names, (name, params) pairs or {name: params}; default
        :data:`DEFAULT_CANDIDATES` (those available that accept the data).
    seeds : data sets sampled per scenario (and estimator seeds), ``0..seeds-1``.
    options : how the trials run (a :class:`mibench.RunOptions`; ``jobs`` overrides its field);
        they always go to a temporary store.
    callbacks : progress hooks of the calibration run (a :class:`mibench.execution.progress.Progress`'s
        ``callbacks()``; it can take minutes: 11 estimators x 5 seeds).

    Returns
    -------
    DataFrame, one row per estimator (index ``estimator``; with parameters when given): ``rmse``,
    ``bias``, ``std`` (pooled spread over seeds), ``mean_wall_s``, ``ok``, ``failed``, ``flags``
    (runs that raised each of :data:`DISQUALIFYING_FLAGS`, e.g. GMM-MI's ``misfit``) and
    ``flagged`` (one of them in at least half of the runs: not ranked while an unflagged
    estimator without failures exists); RMSE and bias in nats over all scenarios and seeds.
    ``attrs``: ``most_accurate``, ``fastest`` (names or None), ``scenarios`` (one dict per
    matched scenario: n, dims, rho, true MI) and ``trials``.
    """
    from mibench.benchmark import run
    from mibench.userdata.choose import normalise_specs

    if not datasets:
        raise InputError("no continuous data to calibrate on")
    if isinstance(seeds, bool) or int(seeds) != seeds or seeds < 1:
        raise InputError(f"seeds must be an integer >= 1, got {seeds!r}")
    ns = {np.asarray(x).shape[0] for x, _ in datasets}
    if len(ns) != 1:
        raise InputError("all calibration data sets must have the same n")
    n = ns.pop()
    classes = [matched_scenario(x, y) for x, y in datasets]
    dx, dy = classes[0]().dim_x, classes[0]().dim_y
    specs = normalise_specs(estimators) or default_candidates(n, dx, dy)
    if not specs:
        raise InputError("no available estimator to calibrate")
    names = []
    for cls in classes:
        if cls.name not in names:
            _registry.register("scenario", cls.name, cls)
            names.append(cls.name)
    try:
        with tempfile.TemporaryDirectory(prefix="mibench-calibrate-") as tmp:
            cb = callbacks or Callbacks()
            trials = run([(name, {}) for name in names], estimators=specs, n=[n], seeds=int(seeds),
                         options=options_from(options, jobs=jobs, store=Path(tmp) / "calibration.sqlite"),
                         on_plan=cb.on_plan, on_cached=cb.on_cached, on_result=cb.on_result)
        scenarios = []
        for name in names:
            s = _registry.make_scenario(name)
            scenarios.append({"scenario": name, "n": n, "dim_x": s.dim_x, "dim_y": s.dim_y,
                              "rho": s.rho, "true_mi": s.true_mi.value})
    finally:
        for name in names:
            _registry.unregister("scenario", name)
    summary = _rank(trials, specs)
    summary.attrs["scenarios"] = scenarios
    summary.attrs["trials"] = trials
    summary.attrs["skipped"] = trials.attrs.get("skipped", [])
    return summary


#: flags that say an estimate is not trustworthy on this kind of data (a misfit of the method,
#: not a warning about one run): an estimator that raised one in at least half of its calibration
#: runs is not recommended while an estimator without it is available. ``non_gaussian`` and
#: ``plugin_bias`` (the Gaussian estimator on data far from jointly Gaussian, or its plug-in bias
#: beyond 3 std), ``surrogate_bias`` and ``heavy_tails`` (the k-NN estimators' bias regime and
#: heavy tails; ``below_summary``: below the MI of a summary of the data, ``unconverged``: still
#: moving with n), ``smoothing_bias`` (KDE), ``coarse_bins`` and ``concentrated`` (binning) and
#: ``overfit`` (a neural critic that fits noise in its training rows), ``below_ksg``,
#: ``below_copula`` and ``below_ensemble`` (an estimate well below plain KSG, the
#: Gaussian-copula MI or the two-point KSG ensemble, on the same rows) are issue 20's goal flags
#: (docs/estimator-defaults.md)
DISQUALIFYING_FLAGS = ("misfit", "sparse_cells", "negative", "unstable", "non_gaussian",
                       "plugin_bias", "surrogate_bias", "heavy_tails", "below_summary",
                       "unconverged", "smoothing_bias", "coarse_bins", "concentrated", "overfit",
                       "below_ksg", "below_copula", "below_ensemble")


def _disqualifying(ok: pd.DataFrame) -> dict[str, int]:
    """Runs (of ``ok``) that raised each of :data:`DISQUALIFYING_FLAGS`."""
    from mibench.analysis.metrics import _parse_info

    counts: dict[str, int] = {}
    for value in ok["info"] if "info" in ok else []:
        for f in set(_parse_info(value).get("flags") or []) & set(DISQUALIFYING_FLAGS):
            counts[f] = counts.get(f, 0) + 1
    return counts


def _rank(trials: pd.DataFrame, specs) -> pd.DataFrame:
    rows = []
    for (name, params), g in trials.groupby(["estimator", "estimator_params"], sort=False):
        ok = g[g["status"] == "ok"]
        flags = _disqualifying(ok)
        err = (ok["mi"] - ok["true_mi"]).to_numpy(float)
        # spread over seeds within each scenario, pooled over scenarios
        spread = ok.groupby("scenario")["mi"].var(ddof=1)
        rows.append({
            "estimator": spec_label(name, params),
            "rmse": float(np.sqrt(np.mean(err ** 2))) if err.size else np.nan,
            "bias": float(np.mean(err)) if err.size else np.nan,
            "std": float(np.sqrt(spread.mean())) if spread.notna().any() else np.nan,
            "mean_wall_s": float(ok["wall_s"].mean()) if len(ok) else np.nan,
            "ok": int(len(ok)), "failed": int(len(g) - len(ok)),
            "flags": "; ".join(f"{k} {v}" for k, v in sorted(flags.items())),
            "flagged": bool(flags) and 2 * max(flags.values()) >= len(ok),
        })
    out = pd.DataFrame(rows).set_index("estimator")
    out = out.sort_values(["rmse", "mean_wall_s"], na_position="last")
    usable = out[(out["ok"] > 0) & (out["failed"] == 0) & ~out["flagged"]]
    if usable.empty:
        usable = out[(out["ok"] > 0) & (out["failed"] == 0)]
    if usable.empty:
        usable = out[out["ok"] > 0]
    out.attrs["most_accurate"] = usable["rmse"].idxmin() if len(usable) else None
    out.attrs["fastest"] = usable["mean_wall_s"].idxmin() if len(usable) else None
    return out


def recommend(x, y, estimators=None, *, seeds: int = DEFAULT_SEEDS, jobs: int | None = None,
              options: RunOptions | None = None) -> pd.DataFrame:
    """Calibrate estimators on a Gaussian-copula scenario matched to continuous ``x``, ``y``
    (arrays (n,) or (n, d), Series or DataFrames) and report RMSE, bias, spread and runtime.
    See :func:`calibrate` for the returned table; ``attrs["most_accurate"]`` and
    ``attrs["fastest"]`` name the winners."""
    from mibench.contracts.validation import as_2d

    return calibrate([(as_2d(x, "x"), as_2d(y, "y"))], estimators, seeds=seeds, jobs=jobs,
                     options=options)


def representative_pairs(table, pairs: Sequence[tuple[str, str]], limit: int = 3) -> list[tuple[str, str]]:
    """Up to ``limit`` continuous pairs spanning the dependence of a matrix: the weakest, the
    median and the strongest normal-scores |rho|."""
    cont = [(r, c) for r, c in pairs if table.kinds[r] == CONTINUOUS and table.kinds[c] == CONTINUOUS]
    if not cont:
        return []
    scores = {c: normal_scores(table.column(c))[:, 0] for pair in cont for c in pair}
    rho = np.array([abs(np.corrcoef(scores[r], scores[c])[0, 1]) for r, c in cont])
    order = np.argsort(rho, kind="stable")
    picks = [order[0], order[len(order) // 2], order[-1]][:limit] if len(order) > 2 else list(order)
    out = []
    for i in picks:
        if cont[i] not in out:
            out.append(cont[i])
    return out[:limit]


def format_recommendation(summary: pd.DataFrame) -> str:
    """Plain-text table and the winners."""
    scen = summary.attrs.get("scenarios", [])
    lines = []
    for s in scen:
        rho = f", normal-scores rho {s['rho']:+.3f}" if s.get("rho") is not None else ""
        lines.append(f"  matched scenario: Gaussian copula, n={s['n']}, dims ({s['dim_x']}, {s['dim_y']})"
                     f"{rho}, true MI {s['true_mi']:.4f} nats")
    cols = ["rmse", "bias", "std", "mean_wall_s", "ok", "failed"]
    if "flags" in summary and summary["flags"].astype(bool).any():
        cols.append("flags")
    table = summary[cols].rename(columns={
        "rmse": "RMSE [nats]", "bias": "bias", "std": "std", "mean_wall_s": "time [s]"})
    lines.append(table.to_string(float_format=lambda v: f"{v:.4f}"))
    best, fast = summary.attrs.get("most_accurate"), summary.attrs.get("fastest")
    if best is not None:
        lines.append(f"most accurate: {best} (RMSE {summary.at[best, 'rmse']:.4f} nats, "
                     f"{summary.at[best, 'mean_wall_s']:.3g} s per estimate)")
        lines.append(f"fastest:       {fast} ({summary.at[fast, 'mean_wall_s']:.3g} s per estimate, "
                     f"RMSE {summary.at[fast, 'rmse']:.4f} nats)")
        better = summary[(summary["failed"] > 0) & (summary["rmse"] < summary.at[best, "rmse"])]
        for name, row in better.iterrows():
            lines.append(f"  ({name} had a lower RMSE, {row['rmse']:.4f}, but failed {int(row['failed'])} of "
                         f"{int(row['ok'] + row['failed'])} runs, so it is not ranked)")
        if "flagged" in summary:
            flagged = summary[summary["flagged"] & (summary["failed"] == 0)
                              & (summary["rmse"] < summary.at[best, "rmse"])]
            for name, row in flagged.iterrows():
                lines.append(f"  ({name} had a lower RMSE, {row['rmse']:.4f}, but flagged its estimates "
                             f"({row['flags']} of {int(row['ok'])} runs: the method does not fit "
                             "data like these, e.g. misfit: the mixture misses their tails), so it "
                             "is not ranked)")
    else:
        lines.append("no estimator succeeded on the matched scenario")
    return "\n".join(lines)
