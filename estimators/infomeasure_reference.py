"""Optional plugin ``infomeasure-reference``: the continuous MI estimators of infomeasure (C. Butz
et al., "infomeasure: a comprehensive Python package for information theory measures and
estimators", Scientific Reports 15 (2025); PyPI ``infomeasure``) as a mibench estimator, to check
``ksg`` (and ``kde``) on identical data.

Only the public ``infomeasure.mutual_information(x, y, approach=..., **options)`` is used, with
the estimator chosen by name: ``approach="ksg"`` (Kraskov et al. 2004, type I or II, any
Minkowski metric) or ``approach="kernel"`` (a resubstitution kernel density estimate with a box or
Gaussian kernel of fixed bandwidth). infomeasure is not a dependency of mibench (it brings numba
and sparse): when it is not importable, importing this module raises
``mibench.UnavailableError`` with the install hint.

Known packaging problem of infomeasure 0.6.3: its wheel installs its own test suite as a
top-level ``tests`` package in site-packages, which shadows a project's ``tests`` package in
subprocesses whose path puts site-packages first (mibench's Dask trial servers then fail with
``No module named 'tests.engine'`` in mibench's own test suite). Delete
``site-packages/tests`` after installing it (``pip show -f infomeasure`` lists the files).
"""

from __future__ import annotations

import math

from mibench import Boolean, Capabilities, Estimate, Estimator, Interval, OneOf, UnavailableError

INSTALL_HINT = "pip install 'mibench[infomeasure]'  (or: pip install infomeasure; brings numba)"

try:
    import infomeasure
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise UnavailableError(f"infomeasure-reference needs the infomeasure package: {INSTALL_HINT} "
                           f"({exc})") from exc

APPROACHES = ("ksg", "kernel")


class InfomeasureReference(Estimator):
    """infomeasure's KSG or kernel MI estimator, by name.

    Parameters
    ----------
    approach : {"ksg", "kernel"}, default "ksg"
        infomeasure's estimator name.
    k : int, default 3
        Neighbours ("ksg").
    variant : {1, 2}, default 1
        KSG algorithm (infomeasure's ``ksg_id``; "ksg").
    metric : {"chebyshev", "euclidean"}, default "chebyshev"
        Minkowski p = inf or 2 ("ksg"; infomeasure uses the same norm in the joint and the
        marginal spaces).
    noise : float, default 1e-10
        Standard deviation of the Gaussian jitter infomeasure adds before the neighbour search
        (its ``noise_level``; drawn from a generator seeded with the trial's seed; "ksg").
    bandwidth : float, default 0.5
        Kernel width on the standardised data ("kernel").
    kernel : {"gaussian", "box"}, default "gaussian"
        ("kernel").
    standardize : bool, default True
        Centre and scale each column before infomeasure sees the data (as mibench's ``ksg``
        does; infomeasure's own ``normalize`` maps to [0, 1] instead).

    ``std`` is None. Any dimensions of x and y.
    """

    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}))
    reports_std = False

    def __init__(self, approach="ksg", k=3, variant=1, metric="chebyshev", noise=1e-10,
                 bandwidth=0.5, kernel="gaussian", standardize=True):
        self.approach = approach
        self.k = k
        self.variant = variant
        self.metric = metric
        self.noise = noise
        self.bandwidth = bandwidth
        self.kernel = kernel
        self.standardize = standardize

    _parameter_constraints = {
        "approach": [OneOf(*APPROACHES)],
        "k": [Interval(int, 1, None)],
        "variant": [OneOf(1, 2)],
        "metric": [OneOf("chebyshev", "euclidean")],
        "noise": [Interval(float, 0, None)],
        "bandwidth": [Interval(float, 0, None, closed="neither")],
        "kernel": [OneOf("gaussian", "box")],
        "standardize": [Boolean()],
    }

    def min_samples(self) -> int:
        return int(self.k) + 2 if isinstance(self.k, int) else 5

    def _estimate(self, x, y, *, seed):
        if self.standardize:
            sx, sy = x.std(0), y.std(0)
            x = (x - x.mean(0)) / (sx + (sx == 0))
            y = (y - y.mean(0)) / (sy + (sy == 0))
        if self.approach == "ksg":
            opts = {"k": int(self.k), "ksg_id": int(self.variant), "noise_level": float(self.noise),
                    "minkowski_p": math.inf if self.metric == "chebyshev" else 2}
        else:
            opts = {"bandwidth": float(self.bandwidth), "kernel": self.kernel}
        mi = infomeasure.mutual_information(x, y, approach=self.approach, seed=seed, **opts)
        return Estimate(float(mi), None, {"approach": self.approach,
                                          "infomeasure_version": infomeasure.__version__})
