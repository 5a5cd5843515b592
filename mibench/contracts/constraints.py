"""Declarative hyperparameter constraints, as scikit-learn's ``_parameter_constraints``.

An estimator lists what each hyperparameter may be, and the default
:meth:`mibench.Estimator.validate_params` checks them when the work starts::

    class MyMI(Estimator):
        _parameter_constraints = {
            "k": [Interval(int, 1, None)],
            "learning_rate": [Interval(float, 0, None, closed="neither")],
            "metric": [OneOf("euclidean", "chebyshev")],
            "hidden": [Satisfies(widths, "a non-empty tuple of positive ints")],
        }

A value is valid when any constraint of its list accepts it; otherwise
:func:`validate_parameter_constraints` raises one InputError naming the class, the parameter,
the value and what was expected (``MyMI: k=0 is invalid; expected an int >= 1``). Checks that
tie several parameters together stay in ``validate_params`` (call ``super().validate_params()``
first).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from mibench.contracts.errors import InputError


class Constraint:
    """What a hyperparameter may be: ``accepts(value)`` and a description for the error."""

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Interval(Constraint):
    """An int (``kind=int``, not a bool) or a finite real number (``kind=float``, ints included)
    between ``low`` and ``high`` (None: unbounded); ``closed`` is "both", "left", "right" or
    "neither"."""

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return False
        if self.kind is int:
            if not isinstance(value, Integral):
                return False
        elif not isinstance(value, Real) or not math.isfinite(float(value)):
            return False
        low_ok = self.low is None or (value >= self.low if self.closed in ("both", "left")
                                      else value > self.low)
        high_ok = self.high is None or (value <= self.high if self.closed in ("both", "right")
                                        else value < self.high)
        return low_ok and high_ok

    def __str__(self) -> str:
        what = "an int" if self.kind is int else "a finite number"
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")
        if self.high is None:
            return what if self.low is None else f"{what} {'>=' if left else '>'} {self.low:g}"
        if self.low is None:
            return f"{what} {'<=' if right else '<'} {self.high:g}"
        return f"{what} in {'[' if left else '('}{self.low:g}, {self.high:g}{']' if right else ')'}"


class OneOf(Constraint):
    """One of a fixed set of values (``OneOf("dv", "demi")``)."""

    def __init__(self, *values: Any):
        self.values = values

    def accepts(self, value: Any) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values)

    def __str__(self) -> str:
        shown = [repr(v) for v in self.values]
        return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


class Boolean(Constraint):
    """True or False (numpy's bool too)."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def __str__(self) -> str:
        return "True or False"


@dataclass(frozen=True)
class Satisfies(Constraint):
    """Any rule a function checks: ``Satisfies(fn, "a non-empty tuple of positive ints")``
    accepts a value when ``fn(value)`` is true (not None)."""

    check: Callable[[Any], Any]
    description: str

    def accepts(self, value: Any) -> bool:
        result = self.check(value)
        return result is not None and result is not False

    def __str__(self) -> str:
        return self.description


def validate_parameter_constraints(estimator, constraints: dict[str, list] | None = None) -> None:
    """Check ``estimator``'s hyperparameters against ``constraints`` (default: its class's
    ``_parameter_constraints``); raise InputError for the first one that no constraint accepts."""
    if constraints is None:
        constraints = getattr(type(estimator), "_parameter_constraints", {}) or {}
    for name, allowed in constraints.items():
        allowed = allowed if isinstance(allowed, (list, tuple)) else [allowed]
        value = getattr(estimator, name)
        if not any(c.accepts(value) for c in allowed):
            expected = " or ".join(str(c) for c in allowed)
            raise InputError(f"{type(estimator).__name__}: {name}={value!r} is invalid; "
                             f"expected {expected}")
