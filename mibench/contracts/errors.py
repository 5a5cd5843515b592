"""Variable kinds and the errors mibench raises on purpose (a leaf: imports nothing)."""

from __future__ import annotations

CONTINUOUS = "continuous"
DISCRETE = "discrete"
KINDS = (CONTINUOUS, DISCRETE)


# --------------------------------------------------------------------------- errors
class MibenchError(Exception):
    """Base class of every error mibench raises on purpose."""


class InputError(MibenchError, ValueError):
    """Bad input values: NaN, wrong shape, too few samples, constant column, bad parameter."""


class InputTypeError(MibenchError, TypeError):
    """Input of the wrong type (non-numeric data, a string where a number is expected)."""


class UnknownNameError(InputError):
    """An unknown scenario, estimator, suite or parameter name."""


class UnavailableError(MibenchError, ImportError):
    """A plugin whose optional dependency is missing."""


class EstimatorFailure(MibenchError, RuntimeError):
    """The estimator ran but could not produce a value (divergence, degenerate fit)."""
