"""mibench: benchmark mutual-information estimators on scenarios with known MI."""

from mibench._contracts import (
    CONTINUOUS,
    DISCRETE,
    Capabilities,
    Estimate,
    Estimator,
    EstimatorFailure,
    InputError,
    InputTypeError,
    MibenchError,
    Scenario,
    TrueMI,
    UnavailableError,
    UnknownNameError,
)
from mibench._validation import as_2d, check_xy
from mibench._registry import register, unregister
from mibench._runner import load_run, run

__version__ = "0.1.0"

__all__ = [
    "CONTINUOUS", "DISCRETE", "Capabilities", "Estimate", "Estimator", "EstimatorFailure",
    "InputError", "InputTypeError", "MibenchError", "Scenario", "TrueMI", "UnavailableError",
    "UnknownNameError", "as_2d", "check_xy", "register", "unregister", "run", "load_run",
    "__version__",
]
