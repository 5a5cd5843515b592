"""Input validation at the boundary: one clear error per problem, naming the argument."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mibench.contracts.errors import CONTINUOUS, DISCRETE, InputError, InputTypeError

if TYPE_CHECKING:
    from mibench.contracts.base import Estimator


def required_n(estimator) -> int:
    """The smallest n the engine lets ``estimator`` see: the larger of its class's ``min_n`` and
    its configuration's ``min_samples()`` (2 for a duck-typed plugin that declares neither)."""
    floor = getattr(type(estimator), "min_n", 2)
    per_config = estimator.min_samples() if hasattr(estimator, "min_samples") else 2
    return max(int(floor), int(per_config))




def to_array(a, name: str) -> np.ndarray:
    """Lists, arrays and pandas objects as a numpy array of real numbers (bool, int or float;
    NaN not yet checked). Ragged nested lists, complex and non-numeric values raise an error
    naming ``name``."""
    if a is None:
        raise InputTypeError(f"{name} is None; expected an array of shape (n_samples, dim)")
    if hasattr(a, "to_numpy"):  # pandas Series / DataFrame
        a = a.to_numpy()
    try:
        arr = np.asarray(a)
    except ValueError:  # ragged nested lists (numpy: "inhomogeneous shape")
        raise InputError(f"{name} is ragged: its rows have different lengths; "
                         "expected an array of shape (n_samples, dim)") from None
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            ragged = any(isinstance(v, (list, tuple, np.ndarray)) for v in arr.ravel()[:1000])
            if ragged:
                raise InputError(f"{name} is ragged: its rows have different lengths; "
                                 "expected an array of shape (n_samples, dim)") from None
            raise InputTypeError(
                f"{name} contains non-numeric values (dtype object); convert or encode them first"
            ) from None
    if arr.dtype.kind == "c":
        raise InputError(f"{name} is complex ({arr.dtype}); MI estimators take real numbers: "
                             "pass the real and imaginary parts as separate columns")
    if arr.dtype.kind not in "biuf":
        raise InputTypeError(f"{name} has non-numeric dtype {arr.dtype}; expected numbers")
    return arr


def as_2d(a, name: str) -> np.ndarray:
    """Convert lists, integer arrays and pandas objects to a C-contiguous float64 (n, d) array."""
    arr = to_array(a, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    elif arr.ndim == 0:
        raise InputError(f"{name} is a scalar; expected an array of shape (n_samples, dim)")
    elif arr.ndim > 2:
        raise InputError(f"{name} has {arr.ndim} dimensions {arr.shape}; expected (n_samples, dim)")
    if arr.shape[1] == 0:
        raise InputError(f"{name} has no columns")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(bad.sum()) - n_nan
        what = " and ".join(f"{count} {label}" for count, label in ((n_nan, "NaN"), (n_inf, "inf")) if count)
        rows = np.flatnonzero(bad.any(axis=1))
        raise InputError(f"{name} contains {what} value(s) (first in row {rows[0]}); "
                         "drop or impute them first")
    return arr


def check_constant(arr: np.ndarray, name: str) -> None:
    if arr.shape[0] > 1:
        const = np.flatnonzero(np.all(arr == arr[0], axis=0))
        if const.size:
            raise InputError(f"{name} column {int(const[0])} is constant; MI with a constant is 0 "
                             "and most estimators are undefined on it: drop the column")


def check_xy(x, y, *, estimator: Estimator | None = None, x_kind: str | None = None,
             y_kind: str | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Validate a pair for an estimator. Returns ``(x, y, swap)``.

    ``swap`` is True when the estimator's declared kinds match (y, x) rather than (x, y)
    (only possible when the kinds are given). Kinds default to the estimator's first
    declared pair, i.e. the estimator's own reading of its input.
    """
    x = as_2d(x, "x")
    y = as_2d(y, "y")
    if x.shape[0] != y.shape[0]:
        raise InputError(f"x and y have different numbers of samples: {x.shape[0]} != {y.shape[0]}")
    n = x.shape[0]
    swap = False
    if estimator is not None:
        caps = estimator.capabilities
        if x_kind is None or y_kind is None:
            x_kind, y_kind = sorted(caps.kinds)[0]
        ok, swap, reason = caps.match(x_kind, y_kind, x.shape[1], y.shape[1])
        if not ok:
            raise InputError(f"{type(estimator).__name__} {reason}")
        need = required_n(estimator)
        if n < need:
            raise InputError(f"n_samples={n} is too small for {estimator!r}: it needs at least {need}")
    elif n < 2:
        raise InputError(f"n_samples={n}; need at least 2")
    check_constant(x, "x")
    check_constant(y, "y")
    for arr, kind, name in ((x, x_kind, "x"), (y, y_kind, "y")):
        if kind == DISCRETE and arr.shape[1] != 1:
            raise InputError(f"discrete {name} must have one column, got {arr.shape[1]}")
        if kind not in (None, CONTINUOUS, DISCRETE):
            raise InputError(f"unknown variable kind {kind!r} for {name}")
    return x, y, swap
