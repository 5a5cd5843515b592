"""Shared helpers of the built-in scenarios: parsing of string parameters and small numeric
utilities. The density API (``logpdf_joint``, ``logpdf_x``, ``logpdf_y``, ``pmi``) is the public
base class :class:`mibench.DensityScenario`."""

from __future__ import annotations

import re

import numpy as np

from mibench import InputError


# --------------------------------------------------------------------------- helpers
def as_int(obj, name: str, minimum: int | None = None) -> int:
    """Read an integer parameter (accepts integral floats and strings from the CLI)."""
    try:
        value = float(getattr(obj, name))
    except (TypeError, ValueError):
        raise InputError(f"{name} must be an integer, got {getattr(obj, name)!r}") from None
    if not np.isfinite(value) or value != int(value):
        raise InputError(f"{name} must be an integer, got {getattr(obj, name)!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise InputError(f"{name} must be >= {minimum}, got {value}")
    return value


def as_float(obj, name: str, low: float | None = None, high: float | None = None,
             low_open: bool = True, high_open: bool = True) -> float:
    """Read a float parameter and check it lies in the interval (open ends by default)."""
    raw = getattr(obj, name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {raw!r}") from None
    if not np.isfinite(value):
        raise InputError(f"{name} must be finite, got {raw!r}")
    bad = (low is not None and (value <= low if low_open else value < low)) or \
          (high is not None and (value >= high if high_open else value > high))
    if bad:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise InputError(f"{name} must lie in {lo}{low if low is not None else '-inf'}, "
                         f"{high if high is not None else 'inf'}{hi}, got {raw!r}")
    return value


def as_bool(obj, name: str) -> bool:
    raw = getattr(obj, name)
    if isinstance(raw, bool | np.bool_):
        return bool(raw)
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
        return raw.strip().lower() in ("true", "1", "yes", "on")
    raise InputError(f"{name} must be a boolean (true/false), got {raw!r}")


def parse_vector(text, name: str) -> np.ndarray:
    """Parse ``"0.7/0.2/0.1"`` (or ``"0.7,0.2,0.1"``, or a list of numbers) into a 1-D float array.

    ``/`` is the separator to use on the command line, where ``--param key=a,b`` means two
    values of ``key``.
    """
    if isinstance(text, str):
        parts = [p for p in re.split(r"[,/\s]+", text.strip()) if p]
        try:
            return np.array([float(p) for p in parts], dtype=np.float64)
        except ValueError:
            raise InputError(f"{name} must be comma-separated numbers, got {text!r}") from None
    try:
        return np.asarray(text, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a list of numbers, got {text!r}") from None


def parse_matrix(text, name: str) -> np.ndarray:
    """Parse ``"0.4/0.1;0.1/0.4"`` (rows separated by ``;``, entries by ``/`` or ``,``)."""
    if isinstance(text, str):
        rows = [r for r in text.replace(" ", "").split(";") if r]
        mat = [parse_vector(r, name) for r in rows]
        if not mat or len({len(r) for r in mat}) != 1:
            raise InputError(f"{name} must be rows of equal length separated by ';', got {text!r}")
        return np.vstack(mat)
    try:
        arr = np.asarray(text, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a 2-D table of numbers, got {text!r}") from None
    if arr.ndim != 2:
        raise InputError(f"{name} must be 2-D, got shape {arr.shape}")
    return arr


def gaussian_mi_from_cov(cov: np.ndarray, dim_x: int) -> float:
    """I = 0.5 [ln det S_xx + ln det S_yy - ln det S] in nats (clipped at 0 for round-off)."""
    _, ld = np.linalg.slogdet(cov)
    _, ldx = np.linalg.slogdet(cov[:dim_x, :dim_x])
    _, ldy = np.linalg.slogdet(cov[dim_x:, dim_x:])
    return float(max(0.0, 0.5 * (ldx + ldy - ld)))


def mvn_logpdf(z: np.ndarray, cov: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """Log-density of N(mean, cov) at the rows of ``z`` (n, d), via a Cholesky factor."""
    z = np.asarray(z, dtype=np.float64)
    d = cov.shape[0]
    if mean is not None:
        z = z - mean
    chol = np.linalg.cholesky(cov)
    from scipy.linalg import solve_triangular
    sol = solve_triangular(chol, z.T, lower=True)
    maha = np.einsum("ij,ij->j", sol, sol)
    logdet = 2.0 * np.sum(np.log(np.diag(chol)))
    return -0.5 * (maha + logdet + d * np.log(2.0 * np.pi))


def c2(a: np.ndarray) -> np.ndarray:
    """Float64, C-contiguous, 2-D copy-if-needed."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    return np.ascontiguousarray(a)
