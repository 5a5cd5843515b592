"""MI on the user's own data: reading files, selecting columns, variable kinds, and the work of
one pair (estimate, its uncertainty, a permutation test), run serially or in local processes.

Formats (chosen by suffix, or by the file's magic bytes when the suffix is unknown):

- CSV / TSV (``.csv``, ``.tsv``, optionally compressed ``.gz``, ``.bz2``, ``.xz``, ``.zip``),
  with a header row;
- Parquet (``.parquet``, ``.pq``; needs pyarrow);
- NPY: a 1-D array (one column ``"0"``), a 2-D array (columns ``"0"``, ``"1"``, ...) or a
  structured array (its field names);
- NPZ: each 1-D array is a column named by its key; each 2-D array ``z`` of shape (n, d) gives
  columns ``"z:0"`` ... ``"z:{d-1}"``, and the name ``z`` selects all of them.

NPY and NPZ are read with ``np.load(allow_pickle=False)``: pickled objects are never loaded.

Column selections are lists of names (or one comma-separated string). Each item is an exact
column name, an NPZ array name (all its columns), or a glob pattern (``z*``, ``z:*``).

Variable kinds: a column is *discrete* when it is boolean, or integer-valued with at most
``max_levels`` distinct values (default 20) and at most n/5 of them (about five rows or more
per level); otherwise it is *continuous*. ``discrete=`` / ``continuous=`` override the rule.
Discrete columns are passed to estimators as integer codes 0..L-1 (float64); a group of
several discrete columns is one discrete variable (its joint code).
"""

from __future__ import annotations

import fnmatch
import json
import logging
import math
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mibench import _registry
from mibench._contracts import (
    CONTINUOUS,
    DISCRETE,
    InputError,
    InputTypeError,
    MibenchError,
    UnavailableError,
)
from mibench._trials import canonical_json, stable_int

log = logging.getLogger(__name__)

#: fewest rows accepted from a user's table (estimators may need more)
MIN_ROWS = 10
#: default upper bound on the number of levels of an auto-detected discrete column
MAX_LEVELS = 20
#: default number of half-samples for estimators without their own error bar
RESAMPLES = 20

_CSV_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_COMPRESSION = {".gz", ".bz2", ".xz", ".zip", ".zst"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}

#: estimators tried, in this order, for each pair of kinds when the user's choice does not fit
#: (acceptance is always decided by the estimator's declared capabilities)
FALLBACK = {
    (CONTINUOUS, CONTINUOUS): ["gmm-mi", "ksg", "gaussian"],
    (CONTINUOUS, DISCRETE): ["gmm-mi-categorical", "ksg-mixed", "ksg-ross"],
    (DISCRETE, DISCRETE): ["plugin-discrete", "ksg-mixed"],
}
#: fallbacks of the same family, tried first (in this order) when a requested estimator does not
#: accept a pair's kinds, before the generic :data:`FALLBACK` order (``ksg`` on a
#: continuous-discrete pair -> ``ksg-mixed``, not a density-fit estimator of another family)
FAMILY_FALLBACK = {
    "ksg": ["ksg-mixed"],
    "ksg-ross": ["ksg", "ksg-mixed"],
    "ksg-mixed": ["ksg"],
    "gmm-mi": ["gmm-mi-categorical"],
    "gmm-mi-reference": ["gmm-mi-categorical"],
    "gmm-mi-categorical": ["gmm-mi"],
    "binning": ["plugin-discrete"],
    "plugin-discrete": ["binning"],
}
#: defaults of ``estimate`` (several estimators side by side) for each pair of kinds
ESTIMATE_DEFAULTS = {
    (CONTINUOUS, CONTINUOUS): ["ksg", "gmm-mi"],
    (CONTINUOUS, DISCRETE): ["gmm-mi-categorical", "ksg-mixed"],
    (DISCRETE, DISCRETE): ["plugin-discrete", "ksg-mixed"],
}


# =========================================================================== reading
def _sniff(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "npz"
    return None


def file_format(path: str | Path) -> str:
    """The format of ``path``: ``"csv"``, ``"parquet"``, ``"npy"`` or ``"npz"`` (InputError if none)."""
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in _CSV_SUFFIXES:
        return "csv"
    if last in _PARQUET_SUFFIXES:
        return "parquet"
    if last in (".npy", ".npz"):
        return last[1:]
    sniffed = _sniff(path)
    if sniffed:
        return sniffed
    hint = " (pickles are never read: save arrays with np.save / np.savez)" if last in (
        ".pkl", ".pickle", ".joblib") else ""
    raise InputError(f"{path}: not a supported data file (CSV, TSV, Parquet, NPY or NPZ){hint}")


def read_data(path: str | Path) -> pd.DataFrame:
    """Read a user's table from CSV/TSV, Parquet, NPY or NPZ into a DataFrame.

    Parameters
    ----------
    path : file name; the format comes from the suffix (or the magic bytes).

    Returns
    -------
    DataFrame with string column names; for NPZ files ``df.attrs["groups"]`` maps each 2-D
    array's key to its columns. Columns are not yet checked to be numeric (see
    :func:`select_columns`).

    Raises
    ------
    InputError : missing file, unsupported or unreadable format, pickled content, ragged arrays.
    UnavailableError : Parquet without pyarrow.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a data file")
    fmt = file_format(path)
    try:
        if fmt == "csv":
            df = _read_csv(path)
        elif fmt == "parquet":
            df = _read_parquet(path)
        elif fmt == "npy":
            df = _from_array(_np_load(path, "NPY"), path)
        else:
            df = _read_npz(path)
    except MibenchError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read as {fmt.upper()}: {_first_line(exc)}") from None
    df.columns = [str(c) for c in df.columns]
    dupes = df.columns[df.columns.duplicated()].unique().tolist()
    if dupes:
        raise InputError(f"{path}: duplicate column name(s) {', '.join(map(repr, dupes[:5]))}")
    if len(df.columns) == 0:
        raise InputError(f"{path}: no columns")
    return df


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _read_csv(path: Path) -> pd.DataFrame:
    suffixes = [s.lower() for s in path.suffixes]
    core = [s for s in suffixes if s not in _COMPRESSION]
    sep = _CSV_SUFFIXES.get(core[-1] if core else ".csv", ",")
    try:
        df = pd.read_csv(path, sep=sep)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty") from None
    if df.shape[1] == 1 and sep == "," and isinstance(df.columns[0], str) and "\t" in df.columns[0]:
        df = pd.read_csv(path, sep="\t")
    return df


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise UnavailableError("reading Parquet needs pyarrow: pip install 'mibench[parquet]'") from None
    return pd.read_parquet(path)


def _np_load(path: Path, what: str):
    with open(path, "rb") as fh:
        head = fh.read(8)
    magic = b"\x93NUMPY" if what == "NPY" else b"PK\x03\x04"
    if not head.startswith(magic):
        if head.startswith(b"\x80"):
            raise InputError(f"{path}: holds pickled data; mibench never reads pickles "
                             "(save arrays with np.save / np.savez)")
        raise InputError(f"{path}: cannot read as {what}: not a valid {what} file")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise InputError(f"{path}: the {what} file holds Python objects (pickled data); mibench "
                             "reads plain numeric arrays only (np.load(allow_pickle=False))") from None
        raise


def _from_array(arr: np.ndarray, path: Path, prefix: str | None = None) -> pd.DataFrame:
    if arr.dtype.names:  # structured array
        if arr.ndim != 1:
            raise InputError(f"{path}: structured array must be 1-D, got shape {arr.shape}")
        return pd.DataFrame({name: arr[name] for name in arr.dtype.names})
    if arr.dtype == object:
        raise InputError(f"{path}: object arrays are not read (allow_pickle=False)")
    if arr.ndim == 0:
        raise InputError(f"{path}: holds a scalar, not a table")
    if arr.ndim == 1:
        return pd.DataFrame({prefix or "0": arr})
    if arr.ndim > 2:
        where = f" array {prefix!r}" if prefix else ""
        raise InputError(f"{path}:{where} has {arr.ndim} dimensions {arr.shape}; "
                         "expected (n_rows, n_columns)")
    names = [f"{prefix}:{j}" if prefix else str(j) for j in range(arr.shape[1])]
    return pd.DataFrame(arr, columns=names)


def _read_npz(path: Path) -> pd.DataFrame:
    with _np_load(path, "NPZ") as npz:
        keys = list(npz.files)
        if not keys:
            raise InputError(f"{path}: the NPZ archive holds no arrays")
        parts, groups, lengths = [], {}, {}
        for key in keys:
            try:
                arr = npz[key]
            except ValueError as exc:
                if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
                    raise InputError(f"{path}: array {key!r} holds Python objects (pickled data); "
                                     "mibench reads plain numeric arrays only") from None
                raise
            part = _from_array(arr, path, prefix=key)
            lengths[key] = len(part)
            if arr.ndim == 2 and not arr.dtype.names:
                groups[key] = list(part.columns)
            parts.append(part)
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}: {v}" for k, v in lengths.items())
        raise InputError(f"{path}: arrays have different numbers of rows ({shown})")
    df = pd.concat(parts, axis=1)
    df.attrs["groups"] = groups
    return df


# =========================================================================== columns
def _tokens(spec) -> list[str]:
    if spec is None:
        return []
    if isinstance(spec, str):
        spec = [spec]
    out = []
    for item in spec:
        if isinstance(item, str):
            out.extend(t.strip() for t in item.split(",") if t.strip())
        else:
            out.append(str(item))
    return out


def select_columns(df: pd.DataFrame, spec, option: str = "columns") -> list[str]:
    """Resolve a column selection (names, NPZ array names, glob patterns) to column names.

    Raises InputError naming the option and the missing column (with close matches).
    """
    import difflib

    names = list(df.columns)
    groups = df.attrs.get("groups", {}) or {}
    out: list[str] = []
    tokens = _tokens(spec)
    if not tokens:
        raise InputError(f"{option}: no columns given")
    for tok in tokens:
        if tok in names:
            found = [tok]
        elif tok in groups:
            found = list(groups[tok])
        elif any(c in tok for c in "*?["):
            found = [c for c in names if fnmatch.fnmatchcase(c, tok)]
            if not found:
                raise InputError(f"{option}: pattern {tok!r} matches no column")
        else:
            close = difflib.get_close_matches(tok, names, n=3, cutoff=0.5)
            hint = (f"; did you mean {', '.join(map(repr, close))}?" if close else
                    f"; columns: {_short_list(names)}")
            raise InputError(f"{option}: no column {tok!r}{hint}")
        for c in found:
            if c not in out:
                out.append(c)
    return out


def _short_list(names: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(map(repr, names[:limit]))
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def numeric_block(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The selected columns as a float64 (n, k) array; InputTypeError for a non-numeric column."""
    arrays = []
    for c in columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            arrays.append(s.to_numpy(dtype=np.float64))
            continue
        if not pd.api.types.is_numeric_dtype(s):
            bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
            example = f" (e.g. {bad.iloc[0]!r} in row {bad.index[0]})" if len(bad) else ""
            raise InputTypeError(f"column {c!r} is not numeric{example}; encode it as numbers "
                                 "(integer codes are detected as discrete)")
        arrays.append(s.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.ascontiguousarray(np.column_stack(arrays)) if arrays else np.empty((len(df), 0))


@dataclass
class Table:
    """Clean numeric columns of a user's table: ``values`` (n, k) float64, finite."""

    columns: list[str]
    values: np.ndarray
    kinds: dict[str, str]
    dropped: int = 0
    source: str = ""

    @property
    def n(self) -> int:
        return self.values.shape[0]

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.columns.index(name)]


def prepare(df: pd.DataFrame, columns: Sequence[str], *, dropna: bool = False,
            discrete=None, continuous=None, max_levels: int = MAX_LEVELS,
            min_rows: int = MIN_ROWS, source: str = "data") -> Table:
    """Numeric check, NaN/inf rows (refused with their count, or dropped with ``dropna``),
    too-few-rows and constant-column checks, and the kind of each column.

    ``discrete`` / ``continuous`` are column selections that override the automatic kinds.
    """
    columns = list(columns)
    values = numeric_block(df, columns)
    bad = ~np.isfinite(values).all(axis=1)
    n_bad = int(bad.sum())
    dropped = 0
    if n_bad:
        per_col = {c: int((~np.isfinite(values[:, j])).sum()) for j, c in enumerate(columns)}
        cols = ", ".join(f"{c!r} ({k})" for c, k in per_col.items() if k)
        if not dropna:
            first = int(np.flatnonzero(bad)[0])
            raise InputError(f"{source}: {n_bad} row(s) have NaN or inf in the selected columns "
                             f"[{cols}] (first: row {first}); pass --dropna (dropna=True) to drop them")
        values = np.ascontiguousarray(values[~bad])
        dropped = n_bad
        log.info("dropped %d row(s) with NaN or inf in %s", n_bad, cols)
    n = values.shape[0]
    if n < min_rows:
        after = f" after dropping {dropped} with NaN/inf" if dropped else ""
        raise InputError(f"{source}: only {n} usable row(s){after}; need at least {min_rows}")
    for j, c in enumerate(columns):
        if n and np.all(values[:, j] == values[0, j]):
            raise InputError(f"{source}: column {c!r} is constant ({values[0, j]:g}); MI with a constant "
                             "is 0: leave it out")
    kinds = {c: detect_kind(values[:, j], max_levels) for j, c in enumerate(columns)}
    for c in df.columns:
        if c in kinds and pd.api.types.is_bool_dtype(df[c]):
            kinds[c] = DISCRETE
    forced_d = select_columns(df, discrete, "--discrete") if _tokens(discrete) else []
    forced_c = select_columns(df, continuous, "--continuous") if _tokens(continuous) else []
    both = sorted(set(forced_d) & set(forced_c))
    if both:
        raise InputError(f"column(s) {', '.join(map(repr, both))} given as both --discrete and --continuous")
    for c in forced_d + forced_c:
        if c not in kinds:
            raise InputError(f"column {c!r} is marked --discrete/--continuous but is not selected")
    for c in forced_d:
        kinds[c] = DISCRETE
    for c in forced_c:
        kinds[c] = CONTINUOUS
    return Table(columns, values, kinds, dropped, source)


def detect_kind(v: np.ndarray, max_levels: int = MAX_LEVELS) -> str:
    """``"discrete"`` for an integer-valued column with few levels (at most ``max_levels`` and
    at most n/5), else ``"continuous"``."""
    v = np.asarray(v, dtype=np.float64)
    if v.size == 0 or not np.all(v == np.round(v)):
        return CONTINUOUS
    levels = np.unique(v).size
    return DISCRETE if levels <= min(int(max_levels), max(2, v.size // 5)) else CONTINUOUS


def encode_discrete(block: np.ndarray) -> np.ndarray:
    """Integer codes 0..L-1 (as a float64 (n, 1) column) of a discrete variable; several
    columns give their joint code."""
    block = np.asarray(block, dtype=np.float64).reshape(len(block), -1)
    if block.shape[1] == 1:
        codes = np.unique(block[:, 0], return_inverse=True)[1]
    else:
        codes = np.unique(block, axis=0, return_inverse=True)[1]
    return np.ascontiguousarray(codes.reshape(-1, 1), dtype=np.float64)


def variable(table: Table, columns: Sequence[str]) -> tuple[np.ndarray, str]:
    """The block of ``columns`` as the estimator sees it, and its kind: discrete when every
    column is discrete (then encoded, see :func:`encode_discrete`), else continuous."""
    idx = [table.columns.index(c) for c in columns]
    block = np.ascontiguousarray(table.values[:, idx])
    kinds = {table.kinds[c] for c in columns}
    if kinds == {DISCRETE}:
        return encode_discrete(block), DISCRETE
    if DISCRETE in kinds:
        log.info("columns %s mix discrete and continuous kinds: treated as one continuous variable",
                 list(columns))
    return block, CONTINUOUS


# =========================================================================== estimators
EstimatorSpec = tuple[str, dict]


normalise_specs = _registry.estimator_specs


def _accepts(name: str, params: dict, x_kind: str, y_kind: str, dx: int, dy: int):
    """(accepted, swap, reason, estimator instance or None)."""
    plugin = _registry.estimators().get(name)
    if plugin is None:
        _registry.check_name("estimator", name)  # raises UnknownNameError with a hint
    if not plugin.available:
        return False, False, f"unavailable: {plugin.error}", None
    est = _registry.make_estimator(name, **params)
    ok, swap, reason = est.capabilities.match(x_kind, y_kind, dx, dy)
    return ok, swap, reason, est


def _kinds_key(x_kind: str, y_kind: str) -> tuple[str, str]:
    return tuple(sorted((x_kind, y_kind)))  # type: ignore[return-value]


def choose_estimator(preferences: Sequence[EstimatorSpec], x_kind: str, y_kind: str,
                     dx: int, dy: int) -> tuple[str, dict, bool]:
    """The estimator for one pair: the first of ``preferences`` whose declared capabilities
    accept the kinds and dimensions, else a fallback: first the same-family fallbacks of each
    preference in turn (:data:`FAMILY_FALLBACK`: ``ksg`` -> ``ksg-mixed``, ``gmm-mi`` ->
    ``gmm-mi-categorical``, ``binning`` -> ``plugin-discrete``, ...), then the first of
    :data:`FALLBACK` for the kinds, then any available estimator that accepts them. Parameters
    of the preference a family fallback stems from (of the first preference for the others)
    carry over when the fallback has parameters of the same names (``ksg:k=5`` -> ``ksg-mixed``
    with k=5).

    Returns ``(name, params, swap)``; raises InputError when no estimator accepts the pair.
    """
    for name, params in preferences:
        ok, swap, _, _ = _accepts(name, params, x_kind, y_kind, dx, dy)
        if ok:
            return name, params, swap
    first = dict(preferences[0][1]) if preferences else {}
    tried = {name for name, _ in preferences}
    candidates: list[tuple[str, dict]] = []
    for pref, pref_params in preferences:
        candidates += [(n, dict(pref_params)) for n in FAMILY_FALLBACK.get(pref, [])
                       if n not in tried and n not in {c for c, _ in candidates}]
    seen = tried | {c for c, _ in candidates}
    candidates += [(n, first) for n in FALLBACK.get(_kinds_key(x_kind, y_kind), []) if n not in seen]
    seen |= {c for c, _ in candidates}
    candidates += [(n, first) for n, p in sorted(_registry.estimators().items())
                   if p.available and n not in seen]
    for name, carry in candidates:
        plugin = _registry.estimators().get(name)
        if plugin is None or not plugin.available:
            continue
        defaults = plugin.cls.param_defaults() if hasattr(plugin.cls, "param_defaults") else {}
        params = {k: v for k, v in carry.items() if k in defaults}
        try:
            ok, swap, _, _ = _accepts(name, params, x_kind, y_kind, dx, dy)
        except MibenchError:
            continue
        if ok:
            return name, params, swap
    raise InputError(f"no available estimator accepts ({x_kind}, {y_kind}) variables of dimensions "
                     f"({dx}, {dy}); see `mibench list estimators`")


# =========================================================================== pair work
@dataclass
class PairWork:
    """One pair to estimate: data as the estimator sees it (already swapped to its kinds)."""

    label: str
    x: np.ndarray
    y: np.ndarray
    estimator: str
    params: dict
    resamples: int = 0
    permutations: int = 0
    own_std: bool = True


@dataclass
class PairResult:
    label: str
    estimator: str
    params: dict
    n: int
    mi: float = math.nan
    std: float = math.nan
    std_source: str = ""
    p_value: float = math.nan
    permutations: int = 0
    resamples: int = 0
    wall_s: float = math.nan
    status: str = "ok"
    error: str = ""
    info: dict = field(default_factory=dict)
    _half: list = field(default_factory=list, repr=False)
    _perm: list = field(default_factory=list, repr=False)
    _errors: list = field(default_factory=list, repr=False)


_ROLES = {"obs": 0, "half": 1, "perm": 2}


def _seeds(base: int, label: str, role: str, r: int) -> tuple[int, np.random.Generator]:
    """Estimator seed and a data-resampling generator for replicate ``r`` of ``role``; they
    depend only on (base seed, pair label, role, r), never on the order of execution."""
    key = (stable_int(label), _ROLES[role], int(r))
    est_seed = int(np.random.SeedSequence(int(base), spawn_key=key + (0,))
                   .generate_state(1, dtype=np.uint32)[0] >> 1)
    rng = np.random.default_rng(np.random.SeedSequence(int(base), spawn_key=key + (1,)))
    return est_seed, rng


def _one(work: PairWork, role: str, r: int, base_seed: int):
    est = _registry.make_estimator(work.estimator, **work.params)
    if role != "obs" and "uncertainty" in est.get_params():
        est.set_params(uncertainty="none")  # replicates need the point estimate only
    seed, rng = _seeds(base_seed, work.label, role, r)
    x, y = work.x, work.y
    n = x.shape[0]
    if role == "half":
        idx = np.sort(rng.choice(n, size=n // 2, replace=False))
        x, y = x[idx], y[idx]
    elif role == "perm":
        y = y[rng.permutation(n)]
    t0 = time.perf_counter()
    res = est.estimate(x, y, seed=seed)
    wall = time.perf_counter() - t0
    if not math.isfinite(float(res.mi)):
        raise InputError(f"non-finite estimate {res.mi}")
    std = None if res.std is None else float(res.std)
    return float(res.mi), std, (res.info if role == "obs" else {}), wall


def run_task(work_list: Sequence[PairWork], task: tuple[int, str, list[int]], base_seed: int):
    """Run one task: ``(pair index, role, replicate indices)``. Never raises for estimator
    errors: each replicate gives ``(r, value tuple or None, error text)``."""
    i, role, reps = task
    out = []
    for r in reps:
        try:
            out.append((r, _one(work_list[i], role, r, base_seed), ""))
        except MibenchError as exc:
            out.append((r, None, f"{type(exc).__name__}: {exc}"))
        except Exception as exc:  # a plugin bug must not stop the other pairs
            log.debug("pair %s %s %d failed", work_list[i].label, role, r, exc_info=True)
            out.append((r, None, f"{type(exc).__name__}: {exc}"))
    return i, role, out


_WORKER_STATE: dict[str, Any] = {}


def _init_worker(work_list, base_seed):
    from mibench._executors import pin_threads

    pin_threads(1)
    _WORKER_STATE["work"] = work_list
    _WORKER_STATE["seed"] = base_seed


def _worker_task(task):
    return run_task(_WORKER_STATE["work"], task, _WORKER_STATE["seed"])


def _tasks(work_list: Sequence[PairWork], jobs: int) -> list[tuple[int, str, list[int]]]:
    """Tasks ``(pair index, role, replicates)``: serially one per role and pair; in parallel the
    replicates go in chunks of 8 so the workers share a slow pair's permutations."""
    tasks = []
    chunk = 1 << 30 if jobs <= 1 else 8
    for i, w in enumerate(work_list):
        tasks.append((i, "obs", [0]))
        for role, count in (("half", w.resamples if not w.own_std else 0), ("perm", w.permutations)):
            for start in range(0, count, chunk):
                tasks.append((i, role, list(range(start, min(count, start + chunk)))))
    return tasks


def run_pairs(work_list: Sequence[PairWork], *, seed: int = 0, jobs: int = 1,
              on_progress: Callable[[int, int], None] | None = None) -> list[PairResult]:
    """Estimate every pair, with its uncertainty and permutation p-value.

    Uncertainty: the estimator's own ``std`` when it reports one; otherwise the delete-half
    jackknife over ``resamples`` random half-samples (without replacement): for an estimator whose
    variance scales as 1/n, the spread of estimates on subsamples of size n/2 around their mean
    estimates the variance at n (the delete-d jackknife factor (n - d)/d is 1 at d = n/2).

    Permutation test: y is permuted ``permutations`` times (each with its own estimator seed);
    p = (1 + #{perm >= observed}) / (1 + N), computed from the permutations that succeeded.

    The results depend on ``seed`` only, not on ``jobs``.
    """
    if jobs < 1:
        raise InputError(f"jobs must be >= 1, got {jobs}")
    results = [PairResult(w.label, w.estimator, dict(w.params), int(w.x.shape[0])) for w in work_list]
    tasks = _tasks(work_list, jobs)
    total, done = len(tasks), 0

    def absorb(i, role, out):
        res = results[i]
        for r, val, err in out:
            if val is None:
                if role == "obs":
                    res.status, res.error = "failed", err
                else:
                    res._errors.append(err)
                continue
            mi, std, info, wall = val
            if role == "obs":
                res.mi, res.info, res.wall_s = mi, info, wall
                if std is not None and math.isfinite(std):
                    # the method's name when the estimator says it ("subsample", ...)
                    res.std, res.std_source = std, str(info.get("uncertainty") or "estimator")
            elif role == "half":
                res._half.append((r, mi))
            else:
                res._perm.append((r, mi))

    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            absorb(*run_task(work_list, task, seed))
            done += 1
            if on_progress:
                on_progress(done, total)
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                 initargs=(list(work_list), seed)) as pool:
            pending = {pool.submit(_worker_task, t) for t in tasks}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    absorb(*fut.result())
                    done += 1
                    if on_progress:
                        on_progress(done, total)
    for w, res in zip(work_list, results, strict=True):
        _finish(w, res)
    return results


def _finish(w: PairWork, res: PairResult) -> None:
    if res.status != "ok":
        res.mi = math.nan
        return
    half = [v for _, v in sorted(res._half)]
    res.resamples = len(half)
    if res.std_source != "estimator" and len(half) >= 2:
        res.std = float(np.std(half, ddof=1))
        res.std_source = f"half-sampling ({len(half)})"
    perm = np.array([v for _, v in sorted(res._perm)], dtype=float)
    res.permutations = int(perm.size)
    if perm.size:
        res.p_value = float((1 + np.sum(perm >= res.mi)) / (1 + perm.size))
    if res._errors:
        res.info = dict(res.info, replicate_failures=len(res._errors), first_failure=res._errors[0])
        log.warning("%s: %d resample/permutation estimate(s) failed; first: %s", res.label,
                    len(res._errors), res._errors[0])


def make_work(label: str, x: np.ndarray, x_kind: str, y: np.ndarray, y_kind: str,
              name: str, params: dict, swap: bool, *, resamples: int, permutations: int) -> PairWork:
    """A :class:`PairWork` for estimator ``name`` (swapping x and y if its kinds say so) after
    checking n against the estimator's minimum."""
    est = _registry.make_estimator(name, **params)
    est.validate_params()
    params = _registry.coerce_params(type(est), params, f"estimator {name!r}")
    if swap:
        x, y = y, x
    n = x.shape[0]
    need = est.min_samples()
    if n < need:
        raise InputError(f"{label}: {n} rows are too few for {name} (it needs at least {need})")
    half_ok = n // 2 >= need
    if resamples and not half_ok and not type(est).reports_std:
        log.info("%s: n/2=%d is below %s's minimum %d; no half-sampling error bar", label, n // 2,
                 name, need)
    return PairWork(label, x, y, name, params, resamples=resamples if half_ok else 0,
                    permutations=permutations,
                    own_std=bool(getattr(type(est), "reports_std", False))
                    and est.get_params().get("uncertainty") != "none")


def check_counts(resamples: int, permutations: int, jobs: int) -> None:
    for value, what in ((resamples, "resamples"), (permutations, "permutations")):
        if isinstance(value, bool) or int(value) != value or value < 0:
            raise InputError(f"{what} must be an integer >= 0, got {value!r}")
    if isinstance(jobs, bool) or int(jobs) != jobs or jobs < 1:
        raise InputError(f"jobs must be an integer >= 1, got {jobs!r}")


# =========================================================================== estimate API
def _as_frame(a, prefix: str) -> pd.DataFrame:
    if isinstance(a, pd.DataFrame):
        df = a.copy()
        df.columns = [str(c) for c in df.columns]
        return df.reset_index(drop=True)
    if isinstance(a, pd.Series):
        return pd.DataFrame({str(a.name) if a.name is not None else prefix: a.to_numpy()})
    arr = np.asarray(a)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise InputTypeError(f"{prefix} contains non-numeric values; encode them as numbers") from None
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
             seed: int = 0, jobs: int = 1, dropna: bool = False) -> pd.DataFrame:
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
    seed : base seed; jobs : local worker processes; dropna : drop rows with NaN/inf.

    Returns
    -------
    DataFrame, one row per estimator: ``estimator, params, mi, std, std_source, p_value,
    permutations, n, x_kind, y_kind, dim_x, dim_y, wall_s, status, error, info`` (mi and std in
    nats). ``df.attrs`` holds ``dropped`` (rows dropped), ``skipped`` and ``kinds``.
    """
    check_counts(resamples, permutations, jobs)
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
    return estimate_table(table, xcols, ycols, estimators, permutations=permutations,
                          resamples=resamples, seed=seed, jobs=jobs)


def estimate_table(table: Table, xcols: Sequence[str], ycols: Sequence[str], estimators=None, *,
                   permutations: int = 0, resamples: int = RESAMPLES, seed: int = 0,
                   jobs: int = 1) -> pd.DataFrame:
    """:func:`estimate` on a prepared :class:`Table` (used by the CLI)."""
    check_counts(resamples, permutations, jobs)
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
    results = run_pairs(work, seed=seed, jobs=jobs)
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
