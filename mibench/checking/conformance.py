"""Conformance kit for estimator plugins, in the spirit of scikit-learn's ``check_estimator``.

>>> from mibench.testing import check_estimator
>>> check_estimator(MyEstimator, params={"k": 5})          # raises ConformanceError if broken
ConformanceReport(MyEstimator: 12 passed)

Each check exercises one clause of the estimator contract (see ``mibench.Estimator``):

- ``api``: a ``mibench.Estimator`` with valid ``capabilities``, ``reports_std`` and ``version``, and a
  ``min_samples()`` and a class attribute ``min_n`` that are positive ints.
- ``params_round_trip``: every ``__init__`` argument is stored unchanged under its own name;
  ``get_params()`` returns exactly them; ``cls(**get_params())`` reproduces them; ``set_params``
  sets them.
- ``init_does_no_work``: ``__init__`` accepts any value without validating it and sets no other
  attribute (hyperparameters are validated in ``validate_params`` when the work starts).
- ``output_types``: ``estimate`` returns an ``Estimate`` with a finite float ``mi``, ``std`` a finite
  float >= 0 when ``reports_std`` and None otherwise, and a JSON-serialisable ``info``. An estimator
  that declares an ``uncertainty`` hyperparameter (the shared spelling of the error-bar method)
  must report a finite std >= 0 with every value but ``"none"``, and None with ``"none"``.
- ``accepts_shapes``: 1-D arrays, ``(n, 1)`` arrays and lists give the same estimate; ``(n, d)`` with
  ``d = 2`` works where the capabilities allow it.
- ``rejects_bad_input``: NaN, inf, mismatched lengths, non-numeric data, 3-D arrays, ``None``, a
  constant column and n below the minimum (``mibench.required_n``: ``min_n`` and
  ``min_samples()``) raise ``mibench.InputError`` / ``InputTypeError``.
- ``rejects_bad_params``: a non-numeric value for a numeric (or boolean) hyperparameter raises
  ``InputError`` / ``InputTypeError`` naming the parameter; so does an unknown ``uncertainty``
  method, whose message also lists the supported ones (at least ``"none"``).
- ``deterministic``: the same seed gives the same result, and the input arrays are not modified.
- ``independent_small``: independent data gives ``|mi| < independent_max`` (default 0.15 nats).
- ``dependent_large``: a strongly dependent pair (about 1.4-1.6 nats) gives ``mi > dependent_min``
  (default 0.5 nats) and well above the independent estimate.
- ``capabilities_honoured``: data of every declared kind pair gives a finite estimate; more columns
  than ``max_dx`` / ``max_dy`` are rejected with ``InputError``; without a limit, 3 columns work.

The data are small (``n`` = 400 by default) and seeded, so the kit runs in seconds for the
classical estimators; pass cheap hyperparameters (few training steps) for expensive ones.
"""

from __future__ import annotations

from typing import Any

from mibench.contracts import (
    Estimator,
)

__all__ = ["ConformanceError", "ConformanceReport", "CheckOutcome", "check_estimator", "CHECKS"]
from mibench.checking.estimator_checks import _NEEDS_API, CHECKS
from mibench.checking.kit import (
    CheckOutcome,
    ConformanceError,
    ConformanceReport,
    _Context,
    make_pair,
    resolve,
    run_checks,
)

__all__ = ["ConformanceError", "ConformanceReport", "CheckOutcome", "check_estimator", "CHECKS",
           "make_pair", "parametrize_with_checks"]


def check_estimator(estimator: type | Estimator, params: dict[str, Any] | None = None, *,
                    n: int = 400, seed: int = 0, independent_max: float = 0.15,
                    dependent_min: float = 0.5, checks: list[str] | None = None,
                    raise_on_failure: bool = True) -> ConformanceReport:
    """Check an estimator class against the mibench contract.

    Parameters
    ----------
    estimator : Estimator subclass (or an instance: its class and ``get_params()`` are used).
    params : hyperparameters for every instance the kit builds (e.g. few training steps).
    n : sample size of the test data. seed : the seed passed to ``estimate``.
    independent_max : largest ``|mi|`` (nats) accepted on independent data.
    dependent_min : smallest ``mi`` (nats) accepted on the strongly dependent pair.
    checks : names of the checks to run (default: all of :data:`CHECKS`).
    raise_on_failure : raise :class:`ConformanceError` (an AssertionError whose message is the
        readable report) when a check fails; otherwise return the report.

    Returns
    -------
    ConformanceReport listing every check as passed, failed (with the reason) or skipped.
    """
    cls, params, names = resolve(estimator, params, checks, CHECKS)
    ctx = _Context(cls, params, int(n), int(seed), float(independent_max), float(dependent_min))
    report = ConformanceReport(getattr(cls, "__name__", repr(cls)), dict(params))
    return run_checks(report, names, CHECKS, ctx, _NEEDS_API, raise_on_failure)


def parametrize_with_checks(estimators, *, params: dict[str, Any] | None = None, **kit):
    """A ``pytest.mark.parametrize`` over (plugin, check) pairs: one test id per plugin class and
    check (``KSG-deterministic``), as scikit-learn's ``parametrize_with_checks``::

        @parametrize_with_checks([MyEstimator, MyScenario])
        def test_contract(estimator, check):
            check(estimator)

    ``check(plugin)`` runs that one check (``params`` and the keyword arguments of
    :func:`check_estimator` or ``check_scenario`` apply), raises ConformanceError when it fails
    and skips the test when the check does not apply.
    """
    import pytest

    from mibench.checking.scenario_checks import SCENARIO_CHECKS, check_scenario
    from mibench.contracts import Scenario

    def runner(checker, name):
        def check(obj):
            report = checker(obj, params, checks=[name], raise_on_failure=True, **kit)
            skipped = [o for o in report.outcomes if o.status == "skipped"]
            if skipped:
                pytest.skip(skipped[0].message)
        check.__name__ = name
        return check

    cases, ids = [], []
    for obj in estimators:
        cls = obj if isinstance(obj, type) else type(obj)
        scenario = issubclass(cls, Scenario)
        for name in (SCENARIO_CHECKS if scenario else CHECKS):
            cases.append((obj, runner(check_scenario if scenario else check_estimator, name)))
            ids.append(f"{cls.__name__}-{name}")
    return pytest.mark.parametrize(("estimator", "check"), cases, ids=ids)
