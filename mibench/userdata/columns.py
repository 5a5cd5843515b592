"""Columns of the user's table: selections, the numeric check, NaN handling, variable kinds.

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
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mibench.contracts import CONTINUOUS, DISCRETE, InputError, InputTypeError

log = logging.getLogger(__name__)

#: fewest rows accepted from a user's table (estimators may need more)
MIN_ROWS = 10
#: default upper bound on the number of levels of an auto-detected discrete column
MAX_LEVELS = 20


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


def row_label(df: pd.DataFrame, row: int) -> str:
    """Where row ``row`` (counted from 0) is: the file's line number for a table read from a
    text file (what a user opens in an editor), else ``row N``."""
    first = df.attrs.get("first_line")
    return f"line {row + first}" if first is not None else f"row {row}"


def numeric_block(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The selected columns as a float64 (n, k) array; InputTypeError for a non-numeric column."""
    arrays = []
    for c in columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            arrays.append(s.to_numpy(dtype=np.float64))
            continue
        if pd.api.types.is_complex_dtype(s):
            raise InputError(f"column {c!r} is complex; MI estimators take real numbers: pass the "
                             "real and imaginary parts as separate columns")
        if not pd.api.types.is_numeric_dtype(s):
            bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
            example = f" (e.g. {bad.iloc[0]!r} in {row_label(df, int(bad.index[0]))})" if len(bad) else ""
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
                             f"[{cols}] (first: {row_label(df, first)}); pass --dropna (dropna=True) "
                             "to drop them")
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
