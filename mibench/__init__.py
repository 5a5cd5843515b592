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
    required_n,
)
from mibench._registry import register, unregister
from mibench._validation import as_2d, check_xy

# The heavier APIs (pandas, scipy.stats) load on first use, so `import mibench` stays light.
_LAZY = {
    "run": "mibench._runner", "load_run": "mibench._runner", "run_suite": "mibench._runner",
    "load_suite": "mibench._suites", "Suite": "mibench._suites",
    "estimate": "mibench._userdata", "read_data": "mibench._userdata",
    "mi_matrix": "mibench._matrix", "MIMatrix": "mibench._matrix",
    "recommend": "mibench._recommend",
    "summarize": "mibench._metrics", "write_report": "mibench.reports",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mibench' has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = [
    "CONTINUOUS", "DISCRETE", "Capabilities", "Estimate", "Estimator", "EstimatorFailure",
    "InputError", "InputTypeError", "MibenchError", "Scenario", "TrueMI", "UnavailableError",
    "UnknownNameError", "as_2d", "check_xy", "required_n", "register", "unregister", "run", "load_run",
    "run_suite", "load_suite", "Suite",
    "estimate", "read_data", "mi_matrix", "MIMatrix", "recommend", "summarize", "write_report",
    "__version__",
]
