"""Synthetic images with known MI (after Butakov et al.): a latent pair with known MI rendered into
``size`` x ``size`` images by a fixed injective generator, so the images' MI is the latents' MI.
Images are generated, never downloaded.

``images``: the latent is ``target-mi`` (total MI ``mi`` nats, family ``latent``) in k dimensions
for X and for Y, mapped to [0, 1]^k by each coordinate's marginal CDF (injective), then drawn:

``shape="gaussian"`` (k = 3)
    a Gaussian blob exp(-|p - c|^2 / (2 sigma^2)) on the pixel grid p in {0..size-1}^2 (each
    profile's values below 1e-30 set to 0, beyond 11 sigma from the centre), centre
    c = (size - 1) u_0..1 (anywhere on the image), width sigma = 1 + u_2 (size/4 - 1) pixels.
    Injective: the log of the image's row sums is a parabola in the row index whose vertex and
    curvature give c_0 and sigma (likewise the columns give c_1).
``shape="rectangle"`` (k = 4)
    an axis-aligned rectangle with anti-aliased edges (pixel value = covered fraction of the
    pixel): width w = 2 + u_1 (size - 2) pixels, left edge x_0 = u_0 (size - w), likewise
    height and top edge from u_3, u_2 (every pixel, corners included, is covered with probability
    > 1%, so no pixel is constant in a sample of a few hundred images). Injective: with w >= 2
    some pixel is fully covered, so the
    row profile normalised by its maximum is the horizontal coverage, whose sum is w and whose
    first partial pixel gives x_0.

X and Y are flattened images, shape (n, size^2), values in [0, 1], float64; pixel (i, j) is column
i * size + j. ``Images.latent_unit(x, y)`` inverts the generator (used by the tests).
Rendering is separable (an outer product of two profiles written straight into the output), so
n = 10 000 images of 32 x 32 need little more memory than the two output arrays (2 x 82 MB).
"""

from __future__ import annotations

import numpy as np

from mibench import InputError, Scenario
from scenarios._base import as_float, as_int
from scenarios.target_mi import FAMILIES, TargetMI

SHAPES = {"gaussian": 3, "rectangle": 4}
MIN_SIZE = 8
_TINY = 1e-30


class Images(Scenario):
    """Pairs of ``size`` x ``size`` images (a blob or a rectangle) whose geometry is a latent pair
    with MI ``mi``. See the module docstring."""

    default_grid = {"mi": [0.5, 1.0, 2.0, 4.0], "size": [16, 32], "shape": ["gaussian", "rectangle"]}

    def __init__(self, mi: float = 1.0, size: int = 16, shape: str = "gaussian", latent: str = "normal"):
        self.mi = mi
        self.size = size
        self.shape = shape
        self.latent = latent

    def _size(self) -> int:
        s = as_int(self, "size", 1)
        if s < MIN_SIZE:
            raise InputError(f"size={s} is too small: images need size >= {MIN_SIZE} pixels")
        return s

    def _k(self) -> int:
        if self.shape not in SHAPES:
            raise InputError(f"shape must be one of {', '.join(SHAPES)}, got {self.shape!r}")
        return SHAPES[self.shape]

    @property
    def dim_x(self):
        return self._size() ** 2

    @property
    def dim_y(self):
        return self._size() ** 2

    def latent_scenario(self) -> TargetMI:
        """The latent pair (k + k dimensions) before the marginal CDFs."""
        if self.latent not in FAMILIES:
            raise InputError(f"latent must be one of {', '.join(FAMILIES)}, got {self.latent!r}")
        as_float(self, "mi", 0.0, low_open=False)
        return TargetMI(mi=self.mi, dim=self._k(), family=self.latent)

    # ---------------------------------------------------------------- rendering
    def _profiles(self, u: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Row and column profiles (n, size) of the images with unit latents ``u`` (n, k)."""
        grid = np.arange(size, dtype=np.float64)
        if self.shape == "gaussian":
            centre = (size - 1) * u[:, :2]
            sigma = 1.0 + u[:, 2:3] * (size / 4.0 - 1.0)
            rows = np.exp(-0.5 * ((grid - centre[:, :1]) / sigma) ** 2)
            cols = np.exp(-0.5 * ((grid - centre[:, 1:2]) / sigma) ** 2)
            # tails below 1e-30 set to 0: their products would be subnormal numbers (100x slower
            # arithmetic); the pixels within 11 sigma of the centre, which determine it, are kept
            rows[rows < _TINY] = 0.0
            cols[cols < _TINY] = 0.0
            return rows, cols

        def coverage(lo, width):
            w = 2.0 + width * (size - 2.0)
            start = lo * (size - w)
            return np.clip(np.minimum(grid + 1.0, start + w) - np.maximum(grid, start), 0.0, 1.0)

        return coverage(u[:, 0:1], u[:, 1:2]), coverage(u[:, 2:3], u[:, 3:4])

    def render(self, u: np.ndarray) -> np.ndarray:
        """Images (n, size^2) of unit latents ``u`` (n, k), written without temporaries of that size."""
        size = self._size()
        rows, cols = self._profiles(np.asarray(u, dtype=np.float64), size)
        out = np.empty((len(rows), size * size))
        np.multiply(rows[:, :, None], cols[:, None, :], out=out.reshape(len(rows), size, size))
        return out

    def sample(self, n, rng):
        lat = self.latent_scenario()
        self._size()
        u, v = lat.to_unit(*lat.sample(n, rng))
        return self.render(u), self.render(v)

    @property
    def true_mi(self):
        self._size()
        return self.latent_scenario().true_mi

    # ---------------------------------------------------------------- inverse (injectivity)
    def latent_unit(self, x: np.ndarray, y: np.ndarray | None = None):
        """Recover the unit latents (n, k) from images (n, size^2); with ``y``, a pair."""
        if y is not None:
            return self.latent_unit(x), self.latent_unit(y)
        size = self._size()
        img = np.asarray(x, dtype=np.float64).reshape(len(x), size, size)
        rows, cols = img.sum(axis=2), img.sum(axis=1)  # profile x the other profile's sum
        grid = np.arange(size, dtype=np.float64)
        if self.shape == "gaussian":
            out = np.empty((len(img), 3))
            for i in range(len(img)):
                # log row sum = -(g - c)^2 / (2 sigma^2) + const: fit on the 5 pixels around the peak
                fits = []
                for prof in (rows[i], cols[i]):
                    top = int(np.clip(np.argmax(prof), 2, size - 3))
                    g = grid[top - 2:top + 3]
                    a, b, _ = np.polyfit(g, np.log(prof[top - 2:top + 3]), 2)
                    fits.append((-1.0 / (2.0 * a), b))
                (s2, b0), (_, b1) = fits
                out[i] = [b0 * s2 / (size - 1), b1 * s2 / (size - 1),
                          (np.sqrt(s2) - 1.0) / (size / 4.0 - 1.0)]
            return out

        def edges(prof):
            cov = prof / prof.max(axis=1, keepdims=True)  # a fully covered pixel has coverage 1
            w = cov.sum(axis=1)
            first = np.argmax(cov > 0, axis=1)
            start = first + 1.0 - cov[np.arange(len(cov)), first]
            return start / (size - w), (w - 2.0) / (size - 2.0)

        # rows carry the first two latents (vertical position, height), columns the last two
        s0, w0 = edges(rows)
        s1, w1 = edges(cols)
        return np.column_stack([s0, w0, s1, w1])
