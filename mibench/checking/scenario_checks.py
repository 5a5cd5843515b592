"""The scenario conformance kit: ``check_scenario(cls)`` tells a scenario author whether the
scenario contract holds (see ``mibench.Scenario``), one check per clause:

- ``api``: a ``mibench.Scenario`` whose ``x_kind`` / ``y_kind`` are "continuous" or "discrete",
  ``dim_x`` / ``dim_y`` positive ints, and a ``default_grid`` whose keys are ``__init__``
  parameters with non-empty lists of values.
- ``params_round_trip``: every ``__init__`` argument stored under its own name; ``get_params()``
  returns exactly them and ``cls(**get_params())`` reproduces them.
- ``sample_shapes``: ``sample(n, rng)`` returns float64 arrays of shapes (n, dim_x), (n, dim_y),
  finite; a discrete side is one column of integer values.
- ``deterministic``: the same generator seed gives the same data; another seed other data.
- ``true_mi``: a ``TrueMI`` with a finite value >= 0 (nats) and a finite stderr >= 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mibench.checking.kit import (
    ConformanceReport,
    _Fail,
    resolve,
    run_checks,
)
from mibench.contracts import DISCRETE, KINDS, Scenario, TrueMI


class _ScenarioContext:
    def __init__(self, cls: type, params: dict, n: int, seed: int):
        self.cls, self.params, self.n, self.seed = cls, params, n, seed

    def make(self) -> Scenario:
        return self.cls(**self.params)


def check_api(ctx: _ScenarioContext) -> None:
    if not (isinstance(ctx.cls, type) and issubclass(ctx.cls, Scenario)):
        raise _Fail(f"{ctx.cls!r} is not a subclass of mibench.Scenario")
    s = ctx.make()
    for side in ("x", "y"):
        kind, dim = getattr(s, f"{side}_kind"), getattr(s, f"dim_{side}")
        if kind not in KINDS:
            raise _Fail(f"{side}_kind is {kind!r}; expected one of {KINDS}")
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
            raise _Fail(f"dim_{side} is {dim!r}; expected a positive int")
    names = set(ctx.cls._param_names())
    for key, values in (getattr(ctx.cls, "default_grid", {}) or {}).items():
        if key not in names:
            raise _Fail(f"default_grid names {key!r}, which is not an __init__ parameter")
        if not isinstance(values, (list, tuple)) or not values:
            raise _Fail(f"default_grid[{key!r}] must be a non-empty list of values")


def check_params_round_trip(ctx: _ScenarioContext) -> None:
    s = ctx.make()
    params = s.get_params()
    if set(params) != set(ctx.cls._param_names()):
        raise _Fail(f"get_params() returned {sorted(params)}; expected {sorted(ctx.cls._param_names())}")
    for key, value in ctx.params.items():
        if params[key] is not value and params[key] != value:
            raise _Fail(f"parameter {key!r} was stored as {params[key]!r}, not as given ({value!r})")
    again = ctx.cls(**params).get_params()
    if set(again) != set(params) or any(again[k] is not v and again[k] != v for k, v in params.items()):
        raise _Fail("cls(**get_params()) does not reproduce the parameters")


def check_sample_shapes(ctx: _ScenarioContext) -> None:
    s = ctx.make()
    out = s.sample(ctx.n, np.random.default_rng(ctx.seed))
    if not (isinstance(out, tuple) and len(out) == 2):
        raise _Fail(f"sample() must return a tuple (x, y), got {type(out).__name__}")
    for side, a in zip(("x", "y"), out, strict=True):
        dim, kind = getattr(s, f"dim_{side}"), getattr(s, f"{side}_kind")
        if not isinstance(a, np.ndarray) or a.dtype != np.float64:
            raise _Fail(f"{side} must be a float64 numpy array, got {getattr(a, 'dtype', type(a))}")
        if a.shape != (ctx.n, dim):
            raise _Fail(f"{side} has shape {a.shape}; expected (n, dim_{side}) = {(ctx.n, dim)}")
        if not np.isfinite(a).all():
            raise _Fail(f"{side} has NaN or inf values")
        if kind == DISCRETE and (dim != 1 or not np.array_equal(a, np.round(a))):
            raise _Fail(f"discrete {side} must be one column of integer values")


def check_deterministic(ctx: _ScenarioContext) -> None:
    s = ctx.make()
    a = s.sample(ctx.n, np.random.default_rng(ctx.seed))
    b = s.sample(ctx.n, np.random.default_rng(ctx.seed))
    if not all(np.array_equal(u, v) for u, v in zip(a, b, strict=True)):
        raise _Fail("the same generator seed gave different data (randomness outside rng?)")
    c = s.sample(ctx.n, np.random.default_rng(ctx.seed + 1))
    if all(np.array_equal(u, v) for u, v in zip(a, c, strict=True)):
        raise _Fail("another generator seed gave the same data (is rng used?)")


def check_true_mi(ctx: _ScenarioContext) -> None:
    truth = ctx.make().true_mi
    if not isinstance(truth, TrueMI):
        raise _Fail(f"true_mi must be a mibench.TrueMI, got {type(truth).__name__}")
    value, stderr = float(truth.value), float(truth.stderr)
    if not math.isfinite(value) or value < 0:
        raise _Fail(f"true_mi.value is {value}; expected a finite MI >= 0 in nats")
    if not math.isfinite(stderr) or stderr < 0:
        raise _Fail(f"true_mi.stderr is {stderr}; expected a finite value >= 0")


#: the scenario checks, in the order they run
SCENARIO_CHECKS: dict[str, Callable[[_ScenarioContext], None]] = {
    "api": check_api,
    "params_round_trip": check_params_round_trip,
    "sample_shapes": check_sample_shapes,
    "deterministic": check_deterministic,
    "true_mi": check_true_mi,
}


def check_scenario(scenario: type | Scenario, params: dict[str, Any] | None = None, *, n: int = 200,
                   seed: int = 0, checks: list[str] | None = None,
                   raise_on_failure: bool = True) -> ConformanceReport:
    """Check a scenario class (or instance: its class and ``get_params()``) against the contract.

    ``params`` are the constructor arguments of every instance the kit builds (default: the
    scenario's defaults). Returns a ConformanceReport; raises ConformanceError when a check fails
    and ``raise_on_failure``.
    """
    cls, params, names = resolve(scenario, params, checks, SCENARIO_CHECKS)
    ctx = _ScenarioContext(cls, params, int(n), int(seed))
    report = ConformanceReport(getattr(cls, "__name__", repr(cls)), dict(params),
                               checker="check_scenario")
    return run_checks(report, names, SCENARIO_CHECKS, ctx, set(SCENARIO_CHECKS) - {"api"},
                      raise_on_failure)
