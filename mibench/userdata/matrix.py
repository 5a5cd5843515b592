"""Pairwise MI matrices on the user's data (e.g. latent variables x physical quantities, or
latent x latent for disentanglement), with error bars, permutation p-values, CSV files and an
annotated heatmap.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mibench.contracts import InputError
from mibench.contracts.files import new_file_mode, stage_text
from mibench.execution.options import Callbacks, RunOptions, options_from
from mibench.userdata.choose import choose_estimator, normalise_specs
from mibench.userdata.columns import MAX_LEVELS, Table, prepare, select_columns, variable
from mibench.userdata.defaults import defaults
from mibench.userdata.pairs import RESAMPLES, check_counts, make_work, run_pairs
from mibench.userdata.read import read_data

log = logging.getLogger(__name__)

DEFAULT_ESTIMATOR = defaults()["matrix"]["estimator"]
#: the modules :meth:`MIMatrix.plot` imports (about 0.35 s): a caller that waits for worker
#: processes can import them meanwhile (see :mod:`mibench.commands.matrix`)
PLOT_MODULES = ("matplotlib.backends.backend_agg", "matplotlib.colors", "matplotlib.figure")


@dataclass
class MIMatrix:
    """A pairwise MI matrix.

    Attributes
    ----------
    mi, std : DataFrames (rows x cols) in nats; NaN where a pair is not computed (the diagonal
        and the lower triangle of a latent x latent matrix) or failed.
    p_value : DataFrame of permutation p-values, or None without a permutation test.
    pairs : long DataFrame, one row per computed pair: ``row, col, row_kind, col_kind,
        estimator, params, mi, std, std_source, p_value, permutations, n, wall_s, status, error``.
    kinds : kind of every selected column; n : rows used; dropped : rows dropped (NaN/inf).
    symmetric : True for a latent x latent matrix (upper triangle only).
    """

    mi: pd.DataFrame
    std: pd.DataFrame
    p_value: pd.DataFrame | None
    pairs: pd.DataFrame
    kinds: dict
    n: int
    dropped: int = 0
    symmetric: bool = False
    meta: dict = field(default_factory=dict)

    def format(self, digits: int = 3) -> str:
        """The matrix as text, each cell ``value ± std`` (and ``p=`` with a permutation test)."""
        cells = pd.DataFrame("", index=self.mi.index, columns=self.mi.columns, dtype=object)
        for r in self.mi.index:
            for c in self.mi.columns:
                v = self.mi.at[r, c]
                if not np.isfinite(v):
                    continue
                s = self.std.at[r, c]
                text = f"{v:.{digits}f}" + (f" ± {s:.{digits}f}" if np.isfinite(s) else "")
                if self.p_value is not None and np.isfinite(self.p_value.at[r, c]):
                    text += f" (p={self.p_value.at[r, c]:.3g})"
                cells.at[r, c] = text
        return cells.to_string() + self.fallback_note()

    def fallback_pairs(self) -> pd.DataFrame:
        """Rows of :attr:`pairs` whose estimator is not one of the requested ones (a fallback)."""
        requested = {n for n, _ in self.meta.get("estimator_preferences", [])}
        if not requested or self.pairs.empty or "estimator" not in self.pairs:
            return self.pairs.iloc[:0]
        return self.pairs[~self.pairs["estimator"].isin(requested)]

    def fallback_note(self) -> str:
        """Text naming the estimator each fallback pair used ('' when none fell back)."""
        fb = self.fallback_pairs()
        if fb.empty:
            return ""
        requested = ", ".join(n for n, _ in self.meta.get("estimator_preferences", []))
        lines = [f"\nfallback estimators (pair kinds not accepted by {requested}):"]
        for (name, rk, ck), grp in fb.groupby(["estimator", "row_kind", "col_kind"], sort=False):
            shown = ", ".join(f"({r}, {c})" for r, c in zip(grp["row"], grp["col"], strict=True))
            lines.append(f"  {name} [{rk}-{ck}]: {shown}")
        return "\n".join(lines)

    def plot(self, ax=None, digits: int = 3):
        """Annotated heatmap (value ± std per cell); returns the matplotlib Figure.

        Drawn with matplotlib's object API (no pyplot, no seaborn): a new figure is not
        registered with pyplot, and the command spends no start-up time importing seaborn's
        dependencies (scipy.stats) for one picture.
        """
        from matplotlib import colormaps
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.colors import Normalize
        from matplotlib.figure import Figure

        nr, nc = self.mi.shape
        own_figure = ax is None
        if ax is None:
            fig = Figure(figsize=(1.3 + 1.05 * nc, 1.0 + 0.7 * nr))
            FigureCanvasAgg(fig)  # an Agg canvas, as pyplot's Agg backend gave (draw, get_renderer)
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        values = np.ma.masked_invalid(self.mi.to_numpy(float))
        vmax = float(values.max()) if values.count() else 1.0
        cmap = colormaps["viridis"]
        norm = Normalize(vmin=0.0, vmax=vmax if vmax > 0 else 1.0)
        mesh = ax.pcolormesh(values, cmap=cmap, norm=norm, edgecolors="white", linewidth=0.5)
        fig.colorbar(mesh, ax=ax, label="MI [nats]")
        for i, r in enumerate(self.mi.index):
            for j, c in enumerate(self.mi.columns):
                v = self.mi.at[r, c]
                if not np.isfinite(v):
                    continue
                s = self.std.at[r, c]
                text = f"{v:.{digits}f}" + (f"\n±{s:.{digits}f}" if np.isfinite(s) else "")
                if self.p_value is not None and np.isfinite(self.p_value.at[r, c]) \
                        and self.p_value.at[r, c] <= 0.05:
                    text += "*"
                red, green, blue, _ = cmap(norm(v))  # dark text on light cells (WCAG luminance)
                dark = 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.408
                ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=7,
                        color="black" if dark else "white")
        ax.set_xlim(0, nc)
        ax.set_ylim(nr, 0)  # first row at the top
        ax.set_xticks(np.arange(nc) + 0.5)
        ax.set_yticks(np.arange(nr) + 0.5)
        long_names = max(len(str(c)) for c in self.mi.columns) > 4
        ax.set_xticklabels([str(c) for c in self.mi.columns], rotation=90 if long_names else 0)
        ax.set_yticklabels([str(r) for r in self.mi.index], rotation=0)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        title = f"MI matrix (n = {self.n})"
        if self.p_value is not None:
            title += "\n* p <= 0.05 (permutation)"
        if own_figure:  # the title over the whole figure, so a narrow matrix does not clip it
            fig.suptitle(title, fontsize=9)
        else:
            ax.set_title(title, fontsize=9)
        fig.tight_layout()
        if own_figure:
            # tight_layout leaves a placeholder layout engine, for which savefig lays the figure
            # out once more (a draw pass over every text); the layout is final here
            fig.set_layout_engine(None)
        return fig

    def to_files(self, out: str | Path) -> dict[str, Path]:
        """Write ``mi.csv``, ``mi_std.csv``, ``p_values.csv`` (with a permutation test),
        ``pairs.csv``, ``matrix.json`` and ``mi_matrix.png`` to ``out``.

        Every file is rendered first and then moved into place (temporary file + os.replace), so
        an error never leaves a half-written file.
        """
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} exists and is not a directory")
        texts = {"mi.csv": self.mi.to_csv(), "mi_std.csv": self.std.to_csv(),
                 "pairs.csv": self.pairs.to_csv(index=False),
                 "matrix.json": json.dumps(self.meta, indent=1, default=str)}
        if self.p_value is not None:
            texts["p_values.csv"] = self.p_value.to_csv()
        out.mkdir(parents=True, exist_ok=True)
        staged: list[tuple[str, Path]] = []
        try:
            for name, text in texts.items():
                staged.append((stage_text(out, name, text), out / name))
            fig = self.plot()
            fd, png = tempfile.mkstemp(dir=out, prefix=".mi_matrix.", suffix=".png")
            os.close(fd)
            staged.append((png, out / "mi_matrix.png"))
            fig.savefig(png, dpi=150)
            os.chmod(png, new_file_mode())
            for tmp, final in staged:
                os.replace(tmp, final)
        except BaseException:
            for tmp, _ in staged:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            raise
        return {final.name: final for _, final in staged}


def _pairs(rows: list[str], cols: list[str] | None) -> tuple[list[tuple[str, str]], bool]:
    if cols is None:
        if len(rows) < 2:
            raise InputError("a latent x latent matrix needs at least 2 row columns (or give cols)")
        return [(rows[i], rows[j]) for i in range(len(rows)) for j in range(i + 1, len(rows))], True
    seen, out = set(), []
    for r in rows:
        for c in cols:
            if r == c or frozenset((r, c)) in seen:
                continue
            seen.add(frozenset((r, c)))
            out.append((r, c))
    if not out:
        raise InputError("rows and cols select the same single column: no pair to compute")
    return out, False


def mi_matrix(data, rows, cols=None, *, estimator=DEFAULT_ESTIMATOR, discrete=None,
              continuous=None, max_levels: int = MAX_LEVELS, permutations: int = 0,
              resamples: int = RESAMPLES, dropna: bool = False, jobs: int | None = None, seed: int = 0,
              on_progress: Callable[[int, int], None] | None = None,
              options: RunOptions | None = None) -> MIMatrix:
    """Pairwise MI between columns of a table, in nats.

    Parameters
    ----------
    data : DataFrame, 2-D array (columns named "0", "1", ...), mapping of column arrays, or a
        file path (CSV, Parquet, NPY, NPZ; see :func:`mibench.read_data`).
    rows : column selection (names, NPZ array names, glob patterns, or a comma-separated string).
    cols : column selection, or None for the latent x latent matrix of ``rows`` (upper triangle;
        the diagonal and lower triangle are left empty).
    estimator : estimator name (``"gmm-mi"``, ``"ksg:k=5"``), (name, params), or a list of them in
        order of preference. Each pair gets the first one whose declared capabilities accept the
        pair's kinds; otherwise a fallback of the same family when one accepts them (``ksg`` ->
        ``ksg-mixed``, ``gmm-mi`` -> ``gmm-mi-categorical``, ``binning`` -> ``plugin-discrete``
        for two discrete columns), else ``gmm-mi-categorical`` / ``ksg-mixed``
        (continuous-discrete) or ``plugin-discrete`` / ``ksg-mixed`` (discrete). The pairs that
        used a fallback are listed under the printed matrix (:meth:`MIMatrix.format`) and in
        ``meta["fallback_pairs"]``; ``pairs["estimator"]`` names the estimator of every pair.
    discrete, continuous : column selections overriding the automatic kinds (a column is discrete
        when integer-valued with at most ``max_levels`` levels and about 5+ rows per level).
    permutations : permutation-test replicates per pair (0: none); p = (1 + #{perm >= obs}) / (1 + N).
    resamples : half-samples for the std of estimators that do not report one.
    dropna : drop rows with NaN/inf in the selected columns (else they are refused).
    seed : base seed. on_progress : called with (done, total) as the estimates finish.
    options : how the estimates run (a :class:`mibench.RunOptions`: jobs, executor, timeout,
        store, ...; default serial, in a temporary store); ``jobs`` overrides its field. The
        result does not depend on how it runs.

    Returns
    -------
    :class:`MIMatrix`
    """
    options = options_from(options, jobs=jobs)
    check_counts(resamples, permutations)
    source = "data"
    if isinstance(data, (str, os.PathLike)):
        source = str(data)
        df = read_data(data)
    elif isinstance(data, pd.DataFrame):
        df = data.copy()
        df.columns = [str(c) for c in df.columns]
    elif isinstance(data, dict):
        df = pd.DataFrame({str(k): np.asarray(v) for k, v in data.items()})
    else:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise InputError(f"data must be a 2-D array, a DataFrame or a file, got shape {arr.shape}")
        df = pd.DataFrame(arr, columns=[str(j) for j in range(arr.shape[1])])
    row_cols = select_columns(df, rows, "rows")
    col_cols = select_columns(df, cols, "cols") if cols is not None else None
    selected = list(dict.fromkeys(row_cols + (col_cols or [])))
    table = prepare(df, selected, dropna=dropna, discrete=discrete, continuous=continuous,
                    max_levels=max_levels, source=source)
    return matrix_from_table(table, row_cols, col_cols, estimator=estimator,
                             permutations=permutations, resamples=resamples, options=options, seed=seed,
                             on_progress=on_progress)


def matrix_from_table(table: Table, rows: Sequence[str], cols: Sequence[str] | None, *,
                      estimator=DEFAULT_ESTIMATOR, permutations: int = 0,
                      resamples: int = RESAMPLES, options: RunOptions = RunOptions(), seed: int = 0,
                      on_progress: Callable[[int, int], None] | None = None,
                      callbacks: Callbacks | None = None) -> MIMatrix:
    """:func:`mi_matrix` on a prepared :class:`Table` (used by the CLI)."""
    rows = list(rows)
    cols = list(cols) if cols is not None else None
    pairs, symmetric = _pairs(rows, cols)
    prefs = normalise_specs(estimator) or [(DEFAULT_ESTIMATOR, {})]
    work, kinds_of = [], {}
    # one array per column, shared by all its pairs (no copy per pair)
    columns = {c: variable(table, [c]) for c in dict.fromkeys(rows + (cols or []))}
    for r, c in pairs:
        xv, xk = columns[r]
        yv, yk = columns[c]
        name, params, swap = choose_estimator(prefs, xk, yk, 1, 1)
        work.append(make_work(f"{r}|{c}", xv, xk, yv, yk, name, params, swap,
                              resamples=resamples, permutations=permutations))
        kinds_of[(r, c)] = (xk, yk)
    results = run_pairs(work, seed=seed, options=options, on_progress=on_progress, callbacks=callbacks)
    col_labels = rows if symmetric else cols
    mi = pd.DataFrame(np.nan, index=pd.Index(rows, name="row"), columns=pd.Index(col_labels, name="col"))
    std = mi.copy()
    pv = mi.copy() if permutations else None
    records = []
    for (r, c), w, res in zip(pairs, work, results, strict=True):
        for a, b in ((r, c), (c, r)):
            if a in mi.index and b in mi.columns and not (symmetric and rows.index(a) > rows.index(b)):
                mi.at[a, b] = res.mi
                std.at[a, b] = res.std
                if pv is not None:
                    pv.at[a, b] = res.p_value
        records.append({
            "row": r, "col": c, "row_kind": kinds_of[(r, c)][0], "col_kind": kinds_of[(r, c)][1],
            "estimator": res.estimator, "params": json.dumps(w.params, sort_keys=True),
            "mi": res.mi, "std": res.std, "std_source": res.std_source, "p_value": res.p_value,
            "permutations": res.permutations, "n": res.n, "wall_s": res.wall_s,
            "status": res.status, "error": res.error,
        })
    failed = [rec for rec in records if rec["status"] != "ok"]
    for rec in failed:
        log.warning("pair (%s, %s) failed: %s", rec["row"], rec["col"], rec["error"])
    meta = {
        "source": table.source, "n": table.n, "dropped_rows": table.dropped,
        "rows": rows, "cols": cols, "symmetric": symmetric,
        "kinds": {c: table.kinds[c] for c in table.columns},
        "estimator_preferences": [[n, p] for n, p in prefs], "permutations": permutations,
        "resamples": resamples, "seed": seed, "units": "nats",
        "failed_pairs": len(failed),
    }
    requested = {n for n, _ in prefs}
    meta["fallback_pairs"] = [{"row": rec["row"], "col": rec["col"], "estimator": rec["estimator"]}
                              for rec in records if rec["estimator"] not in requested]
    return MIMatrix(mi, std, pv, pd.DataFrame(records), dict(meta["kinds"]), table.n,
                    table.dropped, symmetric, meta)


def failed_summary(m: MIMatrix) -> str:
    bad = m.pairs[m.pairs["status"] != "ok"]
    if bad.empty:
        return ""
    first = bad.iloc[0]
    return (f"{len(bad)} pair(s) failed; first ({first['row']}, {first['col']}) with "
            f"{first['estimator']}: {str(first['error']).splitlines()[0]}")
