"""Hyperparameter checks shared by the built-in estimators (called from ``validate_params``).

Each raises ``mibench.InputError`` naming the parameter and the bad value.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from mibench import InputError


def check_bool(est, name: str) -> None:
    value = getattr(est, name)
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be True or False, got {value!r}")


def check_int(est, name: str, minimum: int = 1) -> None:
    value = getattr(est, name)
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_nonnegative(est, name: str) -> None:
    value = getattr(est, name)
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a finite number >= 0, got {value!r}")


def neighbours_min_samples(k) -> int:
    """k-NN estimators need k + 1 points (2 while k itself is invalid; validation reports k)."""
    return int(k) + 1 if isinstance(k, Integral) and not isinstance(k, bool) and k >= 1 else 2


def is_int(v) -> bool:
    """An integer that is not a bool."""
    return isinstance(v, Integral) and not isinstance(v, bool)


def is_real(v) -> bool:
    """A finite real number that is not a bool."""
    return isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(float(v))


#: what a ``device`` parameter accepts, for messages
DEVICE_HINT = "'auto', 'cpu', 'cuda' or 'cuda:<index>'"


def is_device(v) -> bool:
    """A torch device name the torch estimators accept: "auto", "cpu", "cuda" or "cuda:<i>"."""
    return isinstance(v, str) and (v in ("auto", "cpu", "cuda")
                                   or (v.startswith("cuda:") and v[5:].isdigit()))


def hidden_tuple(v) -> tuple[int, ...] | None:
    """Hidden layer widths as a tuple of ints: a sequence, a single int, or text like "64/32" or
    "64,32" (the CLI form). None when it is not readable."""
    if is_int(v):
        v = (v,)
    elif isinstance(v, str):
        parts = v.replace(",", "/").split("/")
        if not all(p.strip().isdigit() for p in parts):
            return None
        v = tuple(int(p) for p in parts)
    try:
        v = tuple(v)
    except TypeError:
        return None
    if not v or not all(is_int(h) and h >= 1 for h in v):
        return None
    return tuple(int(h) for h in v)
