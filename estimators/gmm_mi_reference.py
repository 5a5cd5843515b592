"""Optional plugin ``gmm-mi-reference``: the original GMM-MI package (PyPI ``gmm-mi``) as a mibench
estimator, to compare it side by side with mibench's clean-room ``gmm-mi``.

Only the package's public API is used (``gmm_mi.mi.EstimateMI`` and its parameter holders); none
of its code is copied here. The package is GPL-3 with a non-commercial clause and is not a
dependency of mibench: when it is not importable (or the installed scikit-learn is too new for it,
it needs scikit-learn < 1.6), importing this module raises ``mibench.UnavailableError`` with the
install hint, and the registry lists the plugin as unavailable.
"""

from __future__ import annotations

from mibench import Capabilities, Estimate, Estimator, UnavailableError

INSTALL_HINT = 'pip install gmm-mi "scikit-learn<1.6"  (gmm-mi needs scikit-learn<1.6)'

try:
    import sklearn
    from gmm_mi.mi import EstimateMI
    from gmm_mi.param_holders import (
        GMMFitParamHolder,
        MIDistParamHolder,
        SelectComponentsParamHolder,
    )
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise UnavailableError(f"gmm-mi-reference needs the original GMM-MI package: {INSTALL_HINT} "
                           f"({exc})") from exc

_major_minor = tuple(int(p) for p in sklearn.__version__.split(".")[:2] if p.isdigit())
if _major_minor >= (1, 6):  # pragma: no cover - depends on the environment
    raise UnavailableError(f"gmm-mi 0.8.2 breaks on scikit-learn {sklearn.__version__} (it uses "
                           f"private estimator internals removed in 1.6): {INSTALL_HINT}")


class GMMMIReference(Estimator):
    """The original GMM-MI (Piras et al. 2023), through its public ``EstimateMI`` API.

    Parameters have the names of :class:`estimators.gmm_mi.GMMMI` and the original's defaults;
    ``fixed_components`` maps to the original's ``fixed_components_number`` and ``mc_samples`` to
    ``MC_samples``. The original seeds everything itself (init seeds 0..n_inits-1, fold split 42,
    bootstrap seeds 0..n_bootstrap-1, MC seed = best init seed), so ``seed`` is ignored: the same
    data always give the same result. x and y must be one column each. Returns the bootstrap mean
    and standard deviation in nats.
    """

    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}), max_dx=1, max_dy=1)
    reports_std = True
    fallbacks = ("gmm-mi-categorical",)

    def __init__(self, init_type: str = "random_sklearn", scale: float | None = None,
                 threshold_fit: float = 1e-5, reg_covar: float = 1e-15, max_iter: int = 10000,
                 n_inits: int = 3, n_folds: int = 2, metric_method: str = "valid",
                 threshold_components: float = 1e-5, patience: int = 1,
                 max_components: int = 50, fixed_components: int = 0, n_bootstrap: int = 50,
                 mc_samples: int = 100_000):
        self.init_type = init_type
        self.scale = scale
        self.threshold_fit = threshold_fit
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_inits = n_inits
        self.n_folds = n_folds
        self.metric_method = metric_method
        self.threshold_components = threshold_components
        self.patience = patience
        self.max_components = max_components
        self.fixed_components = fixed_components
        self.n_bootstrap = n_bootstrap
        self.mc_samples = mc_samples

    def min_samples(self) -> int:
        return 5 * int(self.n_folds)

    def _estimate(self, x, y, *, seed):
        est = EstimateMI(
            gmm_fit_params=GMMFitParamHolder(
                init_type=self.init_type, scale=self.scale, threshold_fit=self.threshold_fit,
                reg_covar=self.reg_covar, max_iter=int(self.max_iter)),
            select_components_params=SelectComponentsParamHolder(
                n_inits=int(self.n_inits), n_folds=int(self.n_folds),
                metric_method=self.metric_method,
                threshold_components=self.threshold_components, patience=int(self.patience),
                max_components=int(self.max_components),
                fixed_components_number=int(self.fixed_components)))
        mi, std = est.fit_estimate(
            x[:, 0], y[:, 0],
            mi_dist_params=MIDistParamHolder(n_bootstrap=int(self.n_bootstrap),
                                             MC_samples=int(self.mc_samples)))
        std = None if std is None or int(self.n_bootstrap) < 2 else float(std)
        return Estimate(float(mi), std, {"seed_ignored": True})
