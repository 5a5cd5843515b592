"""Invariance transforms: injective per-variable maps that wrap any base scenario and keep its MI.

One registered scenario family, ``transformed``, wraps any registered scenario by name::

    mibench run --scenario transformed --param base=gaussian-correlated \\
        --param base_params="rho=0.6" --param transform=cube
    mibench run --scenario transformed --param base=multinormal-sparse \\
        --param base_params="dim_x=5;dim_y=5" --param transform=spiral-normal_cdf

Parameters
----------
base : str
    Registered name of the base scenario (entry-point group ``mibench.scenarios``; may itself
    be ``transformed``).
base_params : str
    The base's parameters as ``"key=value;key=value"`` (values parsed as int, float, bool
    or left as strings). Empty: the base's defaults.
transform : str
    A transform name, or a chain joined by ``-`` read like function composition and exactly
    like bmi task ids: ``"spiral-normal_cdf"`` is spiral(normal_cdf(base)) (bmi
    ``spiral-normal_cdf-multinormal-...``). (``,`` also separates from Python; on the CLI a
    comma makes a grid of separate transforms.)
apply_to : {"auto", "x", "y", "xy"}
    Which variables each transform acts on. "auto": the GMM-MI maps (square, cube, log) act on
    Y only (the paper transforms the second coordinate), ``swissroll_x`` on X only, all others
    on both.
speed : float
    Spiral speed s (applied as s/d_x to X in plane (0, 1) and s/d_y to Y in plane (1, 2), or
    plane (0, 1) when d_y = 2), as in bmi's benchmark.
power : float
    Exponent alpha of ``power``: sign(x)|x|^alpha.

Transforms: ``identity``; GMM-MI ``square`` (y + 0.1 y^2, monotone only for y > -5),
``cube`` (y + 0.5 y^3), ``log`` (ln(y + 5); a realisation containing y <= -5 is redrawn whole
from the same generator, as the paper does with new seeds); bmi ``normal_cdf`` (Phi),
``half_cube`` (x sqrt|x|), ``asinh``, ``wiggly`` (different increasing maps for X and Y),
``power``, ``spiral`` (norm-preserving rotation by an angle proportional to |x|^2),
``swissroll_x`` (1-D X in (0, 1) to 2-D; use after normal_cdf), ``bimodal`` (Phi then the
inverse CDF of 0.3 N(0,1) + 0.7 N(5,1) for X and 0.5 N(-1,1) + 0.5 N(3,1) for Y, by
bisection on [-10, 10] to 1e-12).

The ground truth is the base's (MI is invariant under injective per-variable maps), with
the base's standard error when it is a Monte-Carlo value.
"""

from __future__ import annotations

import logging
import re

import numpy as np
from scipy.special import ndtr

from mibench import CONTINUOUS, InputError, MibenchError, Scenario, make_scenario, parse_params

logger = logging.getLogger(__name__)

_GMM_MAPS = ("square", "cube", "log")


# --------------------------------------------------------------------------- element maps
def _square(v):
    return v + 0.1 * v * v


def _cube(v):
    return v + 0.5 * v ** 3


def _log(v):
    return np.log(v + 5.0)


def _half_cube(v):
    return v * np.sqrt(np.abs(v))


def _wiggly_x(v):
    return v + 0.4 * np.sin(v) + 0.2 * np.sin(1.7 * v + 1.0) + 0.03 * np.sin(3.3 * v - 2.5)


def _wiggly_y(v):
    return v - 0.4 * np.sin(0.4 * v) + 0.17 * np.sin(1.3 * v + 3.5) + 0.02 * np.sin(4.3 * v - 2.5)


def _mixture_cdf(v, means, weights):
    return sum(w * ndtr(v - m) for m, w in zip(means, weights, strict=True))


def inverse_cdf_bisect(u: np.ndarray, means, weights, lo=-10.0, hi=10.0, tol=1e-12) -> np.ndarray:
    """Vectorised bisection for F^-1(u) of a unit-variance Gaussian mixture on [lo, hi]."""
    a = np.full(u.shape, lo)
    b = np.full(u.shape, hi)
    for _ in range(int(np.ceil(np.log2((hi - lo) / tol)))):
        mid = 0.5 * (a + b)
        below = _mixture_cdf(mid, means, weights) < u
        a = np.where(below, mid, a)
        b = np.where(below, b, mid)
    return 0.5 * (a + b)


def _bimodal_x(v):
    return inverse_cdf_bisect(ndtr(v), (0.0, 5.0), (0.3, 0.7))


def _bimodal_y(v):
    return inverse_cdf_bisect(ndtr(v), (-1.0, 3.0), (0.5, 0.5))


def spiral(a: np.ndarray, speed: float, plane: tuple[int, int], inverse: bool = False) -> np.ndarray:
    """Rotate coordinates ``plane`` of each row by theta = speed |row|^2 (norm preserved)."""
    i, j = plane
    theta = speed * np.einsum("ij,ij->i", a, a)
    if inverse:
        theta = -theta
    c, s = np.cos(theta), np.sin(theta)
    out = a.copy()
    out[:, i] = c * a[:, i] - s * a[:, j]
    out[:, j] = s * a[:, i] + c * a[:, j]
    return out


def swissroll(u: np.ndarray) -> np.ndarray:
    """u in (0, 1), shape (n, 1) -> (t cos t, t sin t)/21 with t = 1.5 pi (1 + 2u); shape (n, 2)."""
    if np.any((u < 0) | (u > 1)):
        raise InputError("swissroll_x needs X in [0, 1]: apply normal_cdf first "
                         "(transform='swissroll_x-normal_cdf')")
    t = 1.5 * np.pi * (1.0 + 2.0 * u[:, 0])
    return np.column_stack([t * np.cos(t), t * np.sin(t)]) / 21.0


#: element-wise maps: name -> (map for X, map for Y)
ELEMENTWISE = {
    "identity": (lambda v: v, lambda v: v),
    "square": (_square, _square),
    "cube": (_cube, _cube),
    "log": (_log, _log),
    "normal_cdf": (ndtr, ndtr),
    "half_cube": (_half_cube, _half_cube),
    "asinh": (np.arcsinh, np.arcsinh),
    "wiggly": (_wiggly_x, _wiggly_y),
    "bimodal": (_bimodal_x, _bimodal_y),
}
TRANSFORMS = tuple(ELEMENTWISE) + ("power", "spiral", "swissroll_x")


class WrapsBase:
    """Mixin of the scenarios that wrap another one named by ``base`` and ``base_params``: the
    base instance, whose variable kinds they keep."""

    base: str
    base_params: str

    def base_scenario(self) -> Scenario:
        """The wrapped base scenario instance (found through the registry, as any scenario)."""
        make_scenario(self.base)  # an unknown name: UnknownNameError with the known names
        params = parse_params(self.base_params, ";", what="base_params")
        try:
            return make_scenario(self.base, **params)
        except (MibenchError, TypeError) as exc:
            raise InputError(f"bad base_params {self.base_params!r} for {self.base!r}: {exc}") from None

    @property
    def x_kind(self):
        return self.base_scenario().x_kind

    @property
    def y_kind(self):
        return self.base_scenario().y_kind


class Transformed(WrapsBase, Scenario):
    """A base scenario pushed through injective per-variable maps; MI = the base's MI.

    See the module docstring for the parameters and the transform names.
    """

    default_grid = {"base": ["gaussian-correlated"], "base_params": ["rho=0.6"],
                    "transform": ["identity", "square", "cube", "log"]}

    def __init__(self, base: str = "gaussian-correlated", base_params: str = "rho=0.6",
                 transform: str = "cube", apply_to: str = "auto", speed: float = 1.0,
                 power: float = 2.0):
        self.base = base
        self.base_params = base_params
        self.transform = transform
        self.apply_to = apply_to
        self.speed = speed
        self.power = power

    # ---------------------------------------------------------------- structure

    def chain(self) -> list[str]:
        """Transform names in the order they are applied (innermost first)."""
        names = [t.strip() for t in re.split(r"[-,]", str(self.transform)) if t.strip()]
        if not names:
            raise InputError("transform is empty")
        for t in names:
            if t not in TRANSFORMS:
                raise InputError(f"unknown transform {t!r}; choose from {', '.join(TRANSFORMS)}")
        return names[::-1]

    def _targets(self, name: str) -> str:
        if self.apply_to not in ("auto", "x", "y", "xy"):
            raise InputError(f"apply_to must be 'auto', 'x', 'y' or 'xy', got {self.apply_to!r}")
        if self.apply_to != "auto":
            return self.apply_to
        if name in _GMM_MAPS:
            return "y"
        if name == "swissroll_x":
            return "x"
        return "xy"

    @property
    def dim_x(self):
        base = self.base_scenario()
        d = int(base.dim_x)
        for name in self.chain():
            if name == "swissroll_x" and "x" in self._targets(name):
                d = 2
        return d

    @property
    def dim_y(self):
        base = self.base_scenario()
        d = int(base.dim_y)
        for name in self.chain():
            if name == "swissroll_x" and "y" in self._targets(name):
                d = 2
        return d

    # ---------------------------------------------------------------- maps
    def apply(self, x: np.ndarray, y: np.ndarray, base: Scenario | None = None):
        """Push base samples ``x`` (n, dx), ``y`` (n, dy) through the chain."""
        base = base or self.base_scenario()
        kinds = {"x": base.x_kind, "y": base.y_kind}
        out = {"x": np.asarray(x, dtype=np.float64), "y": np.asarray(y, dtype=np.float64)}
        for name in self.chain():
            for var in self._targets(name):
                if kinds[var] != CONTINUOUS:
                    raise InputError(f"transform {name!r} cannot act on the discrete variable {var}")
                out[var] = self._map(name, var, out[var])
        return np.ascontiguousarray(out["x"]), np.ascontiguousarray(out["y"])

    def _map(self, name, var, a):
        d = a.shape[1]
        if name in ELEMENTWISE:
            return ELEMENTWISE[name][0 if var == "x" else 1](a)
        if name == "power":
            p = float(self.power)
            if not p > 0:
                raise InputError(f"power must be > 0, got {self.power!r}")
            return np.sign(a) * np.abs(a) ** p
        if name == "spiral":
            if d < 2:
                raise InputError(f"spiral needs dim_{var} >= 2, got {d}")
            plane = (0, 1) if var == "x" or d == 2 else (1, 2)
            return spiral(a, float(self.speed) / d, plane)
        if name == "swissroll_x":
            if d != 1:
                raise InputError(f"swissroll_x needs a 1-D variable, got dim_{var}={d}")
            return swissroll(a)
        raise InputError(f"unknown transform {name!r}")  # pragma: no cover

    # ---------------------------------------------------------------- contract
    def sample(self, n, rng):
        base = self.base_scenario()
        names = self.chain()
        needs_redraw = "log" in names
        for attempt in range(1000):
            x, y = base.sample(n, rng)
            with np.errstate(invalid="ignore", divide="ignore"):
                tx, ty = self.apply(x, y, base)
            if not needs_redraw or (np.all(np.isfinite(tx)) and np.all(np.isfinite(ty))):
                if attempt:
                    logger.info("transform 'log': realisation redrawn %d time(s)", attempt)
                return tx, ty
        raise InputError("transform 'log' produced invalid values in 1000 realisations")

    @property
    def true_mi(self):
        return self.base_scenario().true_mi
