"""GMM-MI estimators (clean-room reimplementation of Piras et al. 2023).

Public classes: :class:`GMMMI` (continuous X, Y; conditional MI through
:meth:`GMMMI.estimate_conditional`) and :class:`GMMMICategorical` (continuous X, discrete Y).
"""

from estimators.gmm_mi._categorical import GMMMICategorical
from estimators.gmm_mi._estimator import GMMMI

__all__ = ["GMMMI", "GMMMICategorical"]
