"""The contracts: what an estimator and a scenario are, the errors, input validation, and the
helpers a plugin may need (canonical JSON keys, Monte-Carlo ground truth, atomic file writes).

A leaf package: nothing here imports from the rest of mibench, so every layer of the engine and
every plugin may depend on it without import cycles. Plugins import the public names from
``mibench`` itself.
"""

from mibench.contracts.base import Capabilities, DensityScenario, Estimate, Estimator, Scenario, TrueMI
from mibench.contracts.constraints import (
    Boolean,
    Interval,
    OneOf,
    Satisfies,
    validate_parameter_constraints,
)
from mibench.contracts.errors import (
    CONTINUOUS,
    DISCRETE,
    KINDS,
    EstimatorFailure,
    InputError,
    InputTypeError,
    MibenchError,
    UnavailableError,
    UnknownNameError,
)
from mibench.contracts.validation import as_2d, check_constant, check_xy, required_n

__all__ = [
    "CONTINUOUS", "DISCRETE", "KINDS", "Capabilities", "DensityScenario", "Estimate", "Estimator",
    "EstimatorFailure", "InputError", "InputTypeError", "MibenchError", "Scenario", "TrueMI",
    "UnavailableError", "UnknownNameError", "Boolean", "Interval", "OneOf", "Satisfies",
    "validate_parameter_constraints", "as_2d", "check_constant", "check_xy", "required_n",
]
