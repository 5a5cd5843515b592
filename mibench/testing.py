"""Conformance kits for plugins, in the spirit of scikit-learn's ``check_estimator``.

>>> from mibench.testing import check_estimator, check_scenario
>>> check_estimator(MyEstimator, params={"k": 5})          # raises ConformanceError if broken
>>> check_scenario(MyScenario, params={"rho": 0.5})

In a test suite, one test per check::

    @parametrize_with_checks([MyEstimator, MyScenario])
    def test_contract(estimator, check):
        check(estimator)

The checks are listed in :mod:`mibench.checking.conformance` (estimators) and
:mod:`mibench.checking.scenario_checks` (scenarios).
"""

from mibench.checking.conformance import (
    CHECKS,
    CheckOutcome,
    ConformanceError,
    ConformanceReport,
    check_estimator,
    make_pair,
    parametrize_with_checks,
)
from mibench.checking.scenario_checks import SCENARIO_CHECKS, check_scenario

__all__ = ["ConformanceError", "ConformanceReport", "CheckOutcome", "check_estimator", "CHECKS",
           "make_pair", "parametrize_with_checks", "check_scenario", "SCENARIO_CHECKS"]
