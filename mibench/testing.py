"""Conformance kit for estimator plugins, in the spirit of scikit-learn's ``check_estimator``.

>>> from mibench.testing import check_estimator
>>> check_estimator(MyEstimator, params={"k": 5})          # raises ConformanceError if broken

The checks are listed in :mod:`mibench.checking.conformance`.
"""

from mibench.checking.conformance import (
    CHECKS,
    CheckOutcome,
    ConformanceError,
    ConformanceReport,
    check_estimator,
    make_pair,
)

__all__ = ["ConformanceError", "ConformanceReport", "CheckOutcome", "check_estimator", "CHECKS",
           "make_pair"]
