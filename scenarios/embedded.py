"""Embedded latents: a low-dimensional pair with known MI pushed through a fixed random injective
map into many dimensions (the case of latent-representation studies). MI = the latent's MI.

``embedded`` wraps any continuous registered scenario (``base``, ``base_params`` as in
``transformed``; default ``target-mi`` with 1 nat in 4 + 4 dimensions) and maps its X (dimension
k_x) into ``dim_x`` dimensions and its Y (k_y) into ``dim_y``:

``embedding="linear"``
    x -> x A with A a fixed k x D Gaussian matrix (entries N(0, 1/k)), of full column rank (checked:
    its smallest singular value is bounded away from 0), hence injective on R^k.
``embedding="mlp"``
    a fixed random leaky-ReLU network: k -> h -> ... -> h -> D with h = min(D, max(``width``, k)),
    ``depth`` hidden layers; each layer is x -> leaky(x W + b) with W of full column rank (the first
    a Gaussian k x h matrix, the square ones random orthogonal) and leaky(v) = v for v > 0,
    ``slope`` * v otherwise (a bijection of R); the last layer is linear, h x D, full column rank.
    A composition of injective maps is injective.

The maps are fixed by ``map_seed`` (X and Y get independent streams), so every sample of the
scenario uses the same map. The image of R^k is a k-dimensional manifold in R^D: the data are
degenerate in D dimensions, which is exactly what stresses estimators on learned representations.
``latent(x, y)`` inverts the maps (used by the tests to show injectivity numerically).

Bad input: ``dim_x`` (or ``dim_y``) below the latent dimension k (no injective linear-type map exists),
a discrete base, an unknown ``embedding``.
"""

from __future__ import annotations

import functools

import numpy as np

from mibench import CONTINUOUS, InputError, Scenario
from scenarios._base import as_float, as_int
from scenarios.transforms import WrapsBase

EMBEDDINGS = ("linear", "mlp")


def _full_rank(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """A rows x cols Gaussian matrix (rows <= cols) with entries N(0, 1/rows) and full row rank."""
    for _ in range(100):
        w = rng.standard_normal((rows, cols)) / np.sqrt(rows)
        ev = np.linalg.eigvalsh(w @ w.T)  # squared singular values, ascending
        if ev[0] > 1e-12 * ev[-1]:
            return w
    raise InputError(f"could not draw a full-rank {rows} x {cols} matrix")  # pragma: no cover


@functools.lru_cache(maxsize=64)
def embedding_layers(k: int, d: int, kind: str, seed: int, stream: int, width: int, depth: int):
    """The fixed layers [(W, b), ...] of an embedding R^k -> R^d (last layer has b = None)."""
    rng = np.random.default_rng([int(seed), int(stream), k, d])
    if kind == "linear":
        return ((_full_rank(rng, k, d), None),)
    h = min(d, max(width, k))
    layers = [(_full_rank(rng, k, h), 0.5 * rng.standard_normal(h))]
    for _ in range(depth - 1):
        q, r = np.linalg.qr(rng.standard_normal((h, h)))
        layers.append((q * np.sign(np.diag(r)), 0.5 * rng.standard_normal(h)))
    layers.append((_full_rank(rng, h, d), None))
    return tuple(layers)


class Embedded(WrapsBase, Scenario):
    """A base scenario's X and Y mapped injectively into ``dim_x`` and ``dim_y`` dimensions.

    See the module docstring. True MI = the base's (with its standard error when Monte Carlo).
    """

    default_grid = {"dim_x": [16, 256], "dim_y": [16, 256], "embedding": ["linear", "mlp"]}

    def __init__(self, base: str = "target-mi", base_params: str = "mi=1.0;dim=4", dim_x: int = 64,
                 dim_y: int = 64, embedding: str = "linear", map_seed: int = 0,
                 width: int = 32, depth: int = 2, slope: float = 0.2):
        self.base = base
        self.base_params = base_params
        self.dim_x = dim_x
        self.dim_y = dim_y
        self.embedding = embedding
        self.map_seed = map_seed
        self.width = width
        self.depth = depth
        self.slope = slope

    def _out_dims(self) -> tuple[int, int]:
        return as_int(self, "dim_x", 1), as_int(self, "dim_y", 1)

    def _setup(self):
        base = self.base_scenario()
        if base.x_kind != CONTINUOUS or base.y_kind != CONTINUOUS:
            raise InputError(f"embedded needs a continuous base; {self.base!r} has kinds "
                             f"({base.x_kind}, {base.y_kind})")
        if self.embedding not in EMBEDDINGS:
            raise InputError(f"embedding must be one of {', '.join(EMBEDDINGS)}, got {self.embedding!r}")
        kx, ky = int(base.dim_x), int(base.dim_y)
        dx, dy = self._out_dims()
        for name, d, k in (("dim_x", dx, kx), ("dim_y", dy, ky)):
            if d < k:
                raise InputError(f"{name}={d} is below the latent dimension {k} of {self.base!r}: "
                                 f"an injective map needs {name} >= {k}")
        seed = as_int(self, "map_seed", 0)
        width, depth = as_int(self, "width", 1), as_int(self, "depth", 1)
        slope = as_float(self, "slope", 0.0, 1.0, high_open=False)
        maps = (embedding_layers(kx, dx, self.embedding, seed, 0, width, depth),
                embedding_layers(ky, dy, self.embedding, seed, 1, width, depth))
        return base, maps, slope

    def _apply(self, a, layers, slope):
        for w, b in layers:
            a = a @ w
            if b is not None:
                a += b
                np.maximum(a, slope * a, out=a)  # leaky ReLU, slope in (0, 1]
        return np.ascontiguousarray(a)

    def sample(self, n, rng):
        base, (mx, my), slope = self._setup()
        x, y = base.sample(n, rng)
        return self._apply(x, mx, slope), self._apply(y, my, slope)

    @property
    def true_mi(self):
        base, _, _ = self._setup()
        return base.true_mi

    # -------------------------------------------------------------- inverse (injectivity)
    @staticmethod
    def _invert(a, layers, slope):
        for w, b in reversed(layers):
            if b is not None:
                a = np.where(a > 0, a, a / slope) - b
            # right inverse of w (full row rank): a w^T (w w^T)^-1, exact on the image
            a = np.linalg.solve(w @ w.T, (a @ w.T).T).T
        return a

    def latent(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Recover the base sample (x, y) from an embedded one (the maps are injective)."""
        _, (mx, my), slope = self._setup()
        return self._invert(np.asarray(x, float), mx, slope), self._invert(np.asarray(y, float), my, slope)
