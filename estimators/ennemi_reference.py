"""Optional plugin ``ennemi-reference``: ennemi's KSG (P. Laarne, M. A. Zaidan, T. Nieminen,
"ennemi: Non-linear correlation detection with mutual information", SoftwareX 14 (2021) 100686)
as a mibench estimator, to check ``ksg`` on identical data.

Only the public ``ennemi.estimate_mi`` is used. ennemi estimates the MI between a 1-D ``y`` and
each 1-D column of ``x`` (KSG algorithm 1, max-norm, Kraskov et al. 2004), so the plugin takes one
column a side. ennemi is not a dependency of mibench: when it is not importable, importing this
module raises ``mibench.UnavailableError`` with the install hint (``pip install 'mibench[ennemi]'``
or ``pip install ennemi``).
"""

from __future__ import annotations

from mibench import Boolean, Capabilities, Estimate, Estimator, Interval, UnavailableError

INSTALL_HINT = "pip install 'mibench[ennemi]'  (or: pip install ennemi)"

try:
    import ennemi
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise UnavailableError(f"ennemi-reference needs the ennemi package: {INSTALL_HINT} "
                           f"({exc})") from exc


class EnnemiReference(Estimator):
    """ennemi's KSG estimator (algorithm 1, max-norm) through ``ennemi.estimate_mi``.

    Parameters
    ----------
    k : int, default 3
        Neighbours (ennemi's default, as :class:`estimators.ksg.KSG`).
    preprocess : bool, default True
        ennemi's preprocessing: scale each variable to unit variance and add low-amplitude noise
        with ennemi's own fixed seed (mibench's ``ksg`` standardises and jitters by 1e-10 of the
        scale with the trial's seed; on continuous data the two agree to rounding).

    ``seed`` is ignored (ennemi seeds its noise itself). One column each for x and y; ``std`` is
    None. Runs single-threaded (``max_threads=1``).
    """

    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}), max_dx=1, max_dy=1)
    reports_std = False

    def __init__(self, k=3, preprocess=True):
        self.k = k
        self.preprocess = preprocess

    _parameter_constraints = {"k": [Interval(int, 1, None)], "preprocess": [Boolean()]}

    def min_samples(self) -> int:
        return int(self.k) + 2 if isinstance(self.k, int) else 5

    def _estimate(self, x, y, *, seed):
        mi = ennemi.estimate_mi(y[:, 0], x[:, 0], k=int(self.k), preprocess=bool(self.preprocess),
                                max_threads=1)
        return Estimate(float(mi[0, 0]), None, {"seed_ignored": True})
