"""Time and peak memory of ``estimate`` per estimator family, at n = 1e3, 1e4, 1e5.

One class per family; ``setup`` builds the data and the estimator (default hyperparameters)
outside the timing. BLAS and torch run on one thread (asv's runner inherits OMP_NUM_THREADS
etc. from the environment; the tox ``bench`` env sets them to 1) so numbers compare across
commits rather than across machine loads.
"""

from __future__ import annotations

from ._data import discrete_pair, gaussian_pair, labelled_pair, make

N = [1_000, 10_000, 100_000]


class _Family:
    params = (N,)
    param_names = ["n"]
    names: tuple[str, ...] = ()
    estimator = ""
    estimator_params: dict = {}
    timeout = 600
    data = staticmethod(gaussian_pair)

    def setup(self, n):
        self.est = make(self.estimator, **self.estimator_params)
        self.x, self.y = self.data(n)

    def time_estimate(self, n):
        self.est.estimate(self.x, self.y, seed=0)

    def peakmem_estimate(self, n):
        self.est.estimate(self.x, self.y, seed=0)


class KSG(_Family):
    """KSG algorithm 1, k = 3 (sorted-window / tree neighbour counts)."""

    estimator = "ksg"


class MixedKSG(_Family):
    """Gao et al.'s mixed KSG on continuous data, and Ross's estimator on labelled data."""

    params = (N, ["ksg-mixed", "ksg-ross"])
    param_names = ["n", "estimator"]

    def setup(self, n, estimator):
        self.est = make(estimator)
        self.x, self.y = (gaussian_pair if estimator == "ksg-mixed" else labelled_pair)(n)

    def time_estimate(self, n, estimator):
        self.est.estimate(self.x, self.y, seed=0)

    def peakmem_estimate(self, n, estimator):
        self.est.estimate(self.x, self.y, seed=0)


class Binning(_Family):
    """Equal-width histogram plug-in with Miller-Madow correction (automatic bin rule)."""

    estimator = "binning"


class KDE(_Family):
    """Leave-one-out Gaussian KDE (O(n^2) in blocks)."""

    estimator = "kde"


class Gaussian(_Family):
    """Log-determinant Gaussian baseline."""

    estimator = "gaussian"


class Discrete(_Family):
    """Plug-in MI of two label columns (8 classes)."""

    estimator = "plugin-discrete"
    data = staticmethod(discrete_pair)


class GMMMI(_Family):
    """GMM-MI with its default protocol (CV choice of K, 50 bootstrap refits, MC integration)."""

    estimator = "gmm-mi"
    timeout = 1800


class GMMMICategorical(_Family):
    """GMM-MI per class of a 4-class label."""

    estimator = "gmm-mi-categorical"
    timeout = 1800
    data = staticmethod(labelled_pair)


class Neural:
    """MINE, NWJ, InfoNCE and SMILE with their default training budget (n = 1e3 and 1e4 only)."""

    params = ([1_000, 10_000], ["mine", "nwj", "infonce", "smile"])
    param_names = ["n", "estimator"]
    timeout = 1200

    def setup(self, n, estimator):
        self.est = make(estimator, threads=1)
        self.x, self.y = gaussian_pair(n)

    def time_estimate(self, n, estimator):
        self.est.estimate(self.x, self.y, seed=0)

    def peakmem_estimate(self, n, estimator):
        self.est.estimate(self.x, self.y, seed=0)
