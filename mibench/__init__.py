"""mibench: benchmark mutual-information estimators on scenarios with known MI."""

from mibench._version import __version__
from mibench.contracts import (
    CONTINUOUS,
    DISCRETE,
    Boolean,
    Capabilities,
    DensityScenario,
    Estimate,
    Estimator,
    EstimatorFailure,
    InputError,
    InputTypeError,
    Interval,
    MibenchError,
    OneOf,
    Satisfies,
    Scenario,
    TrueMI,
    UnavailableError,
    UnknownNameError,
    as_2d,
    check_xy,
    required_n,
)
from mibench.contracts.canonical import params_label, parse_params
from mibench.registry import make_estimator, make_scenario, register, unregister

# The heavier APIs (pandas, scipy.stats) load on first use, so `import mibench` stays light.
_LAZY = {
    "run": "mibench.benchmark", "load_run": "mibench.execution.runner", "run_suite": "mibench.benchmark",
    "load_suite": "mibench.planning.suites", "Suite": "mibench.planning.suites",
    "estimate": "mibench.userdata.estimate", "read_data": "mibench.userdata.read",
    "mi_matrix": "mibench.userdata.matrix", "MIMatrix": "mibench.userdata.matrix",
    "recommend": "mibench.userdata.recommend",
    "consistency": "mibench.userdata.consistency", "plot_consistency": "mibench.userdata.consistency",
    "summarize": "mibench.analysis.metrics", "write_report": "mibench.analysis.reports",
    "RunOptions": "mibench.execution.options",
    "monte_carlo_mi": "mibench.contracts.groundtruth",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mibench' has no attribute {name!r}")


__all__ = [
    "CONTINUOUS", "DISCRETE", "Capabilities", "DensityScenario", "Estimate", "Estimator", "EstimatorFailure",
    "InputError", "InputTypeError", "MibenchError", "Scenario", "TrueMI", "UnavailableError",
    "UnknownNameError", "as_2d", "check_xy", "required_n", "register", "unregister", "run", "load_run",
    "run_suite", "load_suite", "Suite",
    "estimate", "read_data", "mi_matrix", "MIMatrix", "recommend", "summarize", "write_report",
    "consistency", "plot_consistency",
    "Boolean", "Interval", "OneOf", "Satisfies",
    "RunOptions", "make_estimator", "make_scenario", "monte_carlo_mi", "parse_params", "params_label",
    "__version__",
]
