"""Reading the user's data files into a DataFrame.

Formats (chosen by suffix, or by the file's magic bytes when the suffix is unknown):

- CSV / TSV (``.csv``, ``.tsv``, optionally compressed ``.gz``, ``.bz2``, ``.xz``, ``.zip``),
  with a header row;
- Parquet (``.parquet``, ``.pq``; needs pyarrow);
- NPY: a 1-D array (one column ``"0"``), a 2-D array (columns ``"0"``, ``"1"``, ...) or a
  structured array (its field names);
- NPZ: each 1-D array is a column named by its key; each 2-D array ``z`` of shape (n, d) gives
  columns ``"z:0"`` ... ``"z:{d-1}"``, and the name ``z`` selects all of them.

NPY and NPZ are read with ``np.load(allow_pickle=False)``: pickled objects are never loaded.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from mibench.contracts import InputError, MibenchError, UnavailableError

_CSV_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_COMPRESSION = {".gz", ".bz2", ".xz", ".zip", ".zst"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}


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
    _check_text(path)
    try:
        df = pd.read_csv(path, sep=sep)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty") from None
    if df.shape[1] == 1 and sep == "," and isinstance(df.columns[0], str) and "\t" in df.columns[0]:
        sep = "\t"
        df = pd.read_csv(path, sep=sep)
    # pandas renames a repeated header name ("z0" -> "z0.1"): read the header as written
    header = [str(c) for c in pd.read_csv(path, sep=sep, header=None, nrows=1).iloc[0]]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise InputError(f"{path}: duplicate column name(s) {', '.join(map(repr, dupes[:5]))} in the "
                         "header; rename them so each column is selected unambiguously")
    if len(df) == 0:
        names = ", ".join(map(repr, list(df.columns)[:12])) + (", ..." if df.shape[1] > 12 else "")
        raise InputError(f"{path}: the file has a header ({names}) but no data rows")
    df.attrs["first_line"] = 2  # the file's line number of row 0 (line 1 is the header)
    return df


def _check_text(path: Path) -> None:
    """A CSV must be text: binary content (a pickle, an image) gets one clear error instead of
    a UTF-8 decoding error."""
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return  # the reader reports it
    if head.startswith(b"\x80") or b"\x00" in head:
        what = "pickled Python data" if head.startswith(b"\x80") else "binary data"
        raise InputError(f"{path}: is not a text (CSV) file; it holds {what}. mibench reads CSV/TSV "
                         "text, Parquet, NPY and NPZ (never pickles)")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the block
            raise InputError(f"{path}: is not UTF-8 text (byte {exc.start}: {head[exc.start]:#04x}); "
                             "save the CSV as UTF-8") from None


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
