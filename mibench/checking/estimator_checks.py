"""The estimator checks of the conformance kit, one per clause of the contract (listed in
:mod:`mibench.checking.conformance`)."""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable

import numpy as np

from mibench.checking.kit import (
    _Context,
    _Fail,
    _first_line,
    _raises,
    _Skip,
)
from mibench.contracts import (
    CONTINUOUS,
    DISCRETE,
    KINDS,
    Capabilities,
    Estimate,
    Estimator,
    InputError,
    InputTypeError,
    required_n,
)


def check_api(ctx: _Context) -> None:
    cls = ctx.cls
    if not (isinstance(cls, type) and issubclass(cls, Estimator)):
        raise _Fail(f"{getattr(cls, '__name__', cls)!r} is not a subclass of mibench.Estimator")
    overrides = cls.estimate is not Estimator.estimate
    if cls._estimate is Estimator._estimate and not overrides:
        raise _Fail("_estimate(self, x, y, *, seed) is not implemented")
    est = ctx.make()
    caps = est.capabilities
    if not isinstance(caps, Capabilities):
        raise _Fail(f"capabilities is {type(caps).__name__}, not mibench.Capabilities")
    if not caps.kinds:
        raise _Fail("capabilities.kinds is empty: declare the (x_kind, y_kind) pairs accepted")
    for pair in caps.kinds:
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(k in KINDS for k in pair)):
            raise _Fail(f"capabilities.kinds has {pair!r}; each entry must be a pair of {KINDS}")
    for name in ("max_dx", "max_dy"):
        v = getattr(caps, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise _Fail(f"capabilities.{name} = {v!r}; expected None or a positive int")
    if not isinstance(type(est).reports_std, bool):
        raise _Fail(f"reports_std = {type(est).reports_std!r}; expected True or False")
    version = getattr(type(est), "version", None)
    if version is not None and (isinstance(version, bool) or not isinstance(version, (int, str))):
        raise _Fail(f"version = {version!r}; expected None, an int or a str")
    m = est.min_samples()
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
        raise _Fail(f"min_samples() returned {m!r}; expected a positive int")
    floor = type(est).min_n
    if isinstance(floor, bool) or not isinstance(floor, int | np.integer) or floor < 1:
        raise _Fail(f"min_n = {floor!r}; expected a positive int")
    m = required_n(est)
    if m > ctx.n // 2:
        raise _Fail(f"the minimum n = {m} (min_n, min_samples()) is larger than half the kit's "
                    f"n = {ctx.n}; pass a larger n")
    if overrides:
        ctx.fatal = False
        raise _Fail("estimate() is overridden: implement _estimate(x, y, *, seed) instead and let "
                    "mibench validate and convert the input")


def check_params_round_trip(ctx: _Context) -> None:
    cls = ctx.cls
    sig = inspect.signature(cls.__init__)
    names = [p for p in sig.parameters if p != "self"]
    missing_default = [p for p in names if sig.parameters[p].default is inspect.Parameter.empty
                       and p not in ctx.params]
    if missing_default:
        raise _Fail(f"__init__ arguments without a default: {', '.join(missing_default)} "
                    "(give every hyperparameter a default, or pass it in params)")
    est = ctx.make()
    got = est.get_params()
    if list(got) != names:
        raise _Fail(f"get_params() keys {list(got)} differ from the __init__ arguments {names}")
    for name, value in ctx.params.items():
        if got[name] is not value:
            raise _Fail(f"{name}: __init__ received {value!r} but get_params() returns {got[name]!r}; "
                        "store each argument unchanged under its own name")
    for name in names:
        if name not in ctx.params and not _same(got[name], sig.parameters[name].default):
            raise _Fail(f"{name}: default {sig.parameters[name].default!r} but get_params() returns "
                        f"{got[name]!r}; store each argument unchanged")
    clone = cls(**got)
    if not all(_same(a, b) for a, b in zip(clone.get_params().values(), got.values(), strict=True)):
        raise _Fail(f"cls(**get_params()) has parameters {clone.get_params()}, not {got}")
    first = names[0] if names else None
    if first is not None:
        marker = object()
        out = est.set_params(**{first: marker})
        if out is not est:
            raise _Fail("set_params() must return self")
        if est.get_params()[first] is not marker:
            raise _Fail(f"set_params({first}=...) did not change get_params()[{first!r}]")
    repr(ctx.make())


def _same(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


def check_init_does_no_work(ctx: _Context) -> None:
    names = [p for p in inspect.signature(ctx.cls.__init__).parameters if p != "self"]
    sentinels = {name: _Sentinel(name) for name in names}
    try:
        est = ctx.cls(**sentinels)
    except Exception as exc:
        raise _Fail(f"__init__ raised {type(exc).__name__} ({_first_line(exc)}) on values it should "
                    "only store; validate hyperparameters in validate_params(), not __init__") from None
    got = est.get_params()
    changed = [n for n in names if got.get(n) is not sentinels[n]]
    if changed:
        raise _Fail(f"__init__ changed or did not store argument(s) {', '.join(changed)}")
    extra = sorted(set(vars(est)) - set(names))
    if extra:
        raise _Fail(f"__init__ set attribute(s) {', '.join(extra)} besides the hyperparameters; "
                    "do the work in _estimate (or validate_params), not __init__")


class _Sentinel:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<sentinel for {self.name}>"


def check_output_types(ctx: _Context) -> None:
    x, y = ctx.data(dependent=True)
    est = ctx.make()
    res = ctx.cached(("dep", ctx.seed), lambda: ctx.estimate(x, y))
    if not isinstance(res, Estimate):
        raise _Fail(f"estimate() returned {type(res).__name__}, not mibench.Estimate")
    if isinstance(res.mi, bool) or not isinstance(res.mi, float):
        raise _Fail(f"mi is {type(res.mi).__name__} ({res.mi!r}); return a python float in nats")
    if not math.isfinite(res.mi):
        raise _Fail(f"mi is {res.mi!r} on clean, strongly dependent data")
    if "uncertainty" in est.get_params():
        _check_declared_uncertainty(ctx, x, y, res)
    elif type(est).reports_std:
        if res.std is None or isinstance(res.std, bool) or not isinstance(res.std, float):
            raise _Fail(f"reports_std is True but std is {res.std!r}; return a python float")
        if not (math.isfinite(res.std) and res.std >= 0):
            raise _Fail(f"std = {res.std!r}; expected a finite float >= 0")
    elif res.std is not None:
        raise _Fail(f"reports_std is False but std = {res.std!r}; return None (or set reports_std)")
    if not isinstance(res.info, dict):
        raise _Fail(f"info is {type(res.info).__name__}; expected a dict")
    try:
        json.dumps(res.info, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise _Fail(f"info is not JSON-serialisable ({exc}); use python ints/floats/str/lists, "
                    "not numpy scalars or arrays") from None


def _check_declared_uncertainty(ctx: _Context, x, y, res: Estimate) -> None:
    """``uncertainty`` other than "none": a finite std >= 0; "none": std None."""
    method = ctx.make().get_params()["uncertainty"]
    if method != "none":
        if res.std is None or isinstance(res.std, bool) or not isinstance(res.std, float) \
                or not (math.isfinite(res.std) and res.std >= 0):
            raise _Fail(f"uncertainty={method!r} but std = {res.std!r}; an estimator declaring "
                        "uncertainty must report a finite python float >= 0")
    plain = ctx.estimate(x, y, est=ctx.make(uncertainty="none"))
    if plain.std is not None:
        raise _Fail(f"uncertainty='none' but std = {plain.std!r}; return None")


def check_accepts_shapes(ctx: _Context) -> None:
    x, y = ctx.data(dependent=True)
    ref = ctx.cached(("dep", ctx.seed), lambda: ctx.estimate(x, y))
    variants = {
        "1-D arrays (n,)": (x[:, 0].copy(), y[:, 0].copy()),
        "lists": (x[:, 0].tolist(), y[:, 0].tolist()),
        "lists of rows (n, 1)": (x.tolist(), y.tolist()),
    }
    if ctx.kinds[0] == DISCRETE:
        variants["integer labels"] = (x[:, 0].astype(np.int64), y if ctx.kinds[1] == CONTINUOUS
                                      else y[:, 0].astype(np.int64))
    for what, (a, b) in variants.items():
        try:
            res = ctx.estimate(a, b)
        except Exception as exc:
            raise _Fail(f"{what}: {type(exc).__name__}: {_first_line(exc)}") from None
        if not _same_float(res.mi, ref.mi):
            raise _Fail(f"{what} give mi = {res.mi!r}, (n, 1) arrays give {ref.mi!r} (same data, seed)")
    caps = ctx.make().capabilities
    kx, ky = ctx.kinds
    dx = 2 if kx == CONTINUOUS and (caps.max_dx is None or caps.max_dx >= 2) else 1
    dy = 2 if ky == CONTINUOUS and (caps.max_dy is None or caps.max_dy >= 2) else 1
    if (dx, dy) == (1, 1):
        return
    a, b = ctx.data(dependent=True, dx=dx, dy=dy)
    _finite_estimate(ctx, a, b, f"(n, {dx}) and (n, {dy}) arrays")


def _same_float(a, b) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def check_rejects_bad_input(ctx: _Context) -> None:
    x, y = ctx.data(dependent=True)
    est = ctx.make()
    bad_x = x.copy()
    bad_x[5, 0] = np.nan
    _raises(lambda: ctx.estimate(bad_x, y), (InputError,), "x with a NaN")
    inf_y = y.copy()
    inf_y[3, 0] = np.inf
    _raises(lambda: ctx.estimate(x, inf_y), (InputError,), "y with an inf")
    _raises(lambda: ctx.estimate(x, y[:-1]), (InputError,), "x and y of different lengths")
    _raises(lambda: ctx.estimate(np.array(["a"] * len(x)), y), (InputTypeError,), "non-numeric x")
    _raises(lambda: ctx.estimate(x[:, :, None], y), (InputError,), "3-D x")
    _raises(lambda: ctx.estimate(None, y), (InputTypeError,), "x = None")
    const = np.ones_like(x)
    _raises(lambda: ctx.estimate(const, y), (InputError,), "a constant x column")
    m = required_n(est)
    if m > 2:
        small = slice(0, m - 1)
        xs, ys = x[small].copy(), y[small].copy()
        if ctx.kinds[0] == DISCRETE:
            xs[:, 0] = np.arange(m - 1) % 2
        if ctx.kinds[1] == DISCRETE:
            ys[:, 0] = (np.arange(m - 1) + 1) % 2
        _raises(lambda: ctx.estimate(xs, ys), (InputError,), f"n = {m - 1} < the minimum n = {m}")


def check_rejects_bad_params(ctx: _Context) -> None:
    x, y = ctx.data(dependent=True, n=min(ctx.n, 200))
    sig = inspect.signature(ctx.cls.__init__)
    tried = []
    for name, p in sig.parameters.items():
        if name == "self":
            continue
        value = ctx.params.get(name, p.default)
        if not isinstance(value, bool | int | float | np.number):
            continue
        tried.append(name)
        est = ctx.make(**{name: "not-a-number"})
        _raises(lambda est=est: ctx.estimate(x, y, est=est), (InputError, InputTypeError),
                f"{name}='not-a-number'", must_mention=name)
    if "uncertainty" in sig.parameters:
        tried.append("uncertainty")
        est = ctx.make(uncertainty="no-such-method")
        _raises(lambda est=est: ctx.estimate(x, y, est=est), (InputError,),
                "uncertainty='no-such-method'", must_mention="uncertainty")
        _raises(lambda est=est: ctx.estimate(x, y, est=est), (InputError,),
                "uncertainty='no-such-method'", must_mention="'none'")
    if not tried:
        raise _Skip("no numeric or boolean hyperparameter")


def check_deterministic(ctx: _Context) -> None:
    x, y = ctx.data(dependent=True)
    x0, y0 = x.copy(), y.copy()
    first = ctx.estimate(x, y)
    second = ctx.estimate(x, y)
    if not (np.array_equal(x, x0) and np.array_equal(y, y0)):
        raise _Fail("estimate() modified its input arrays in place; work on a copy")
    if not _same_float(first.mi, second.mi) or (first.std != second.std and not (
            first.std is not None and second.std is not None
            and math.isnan(first.std) and math.isnan(second.std))):
        raise _Fail(f"the same data and seed gave mi = {first.mi!r} then {second.mi!r} (std "
                    f"{first.std!r}, {second.std!r}); derive all randomness from "
                    "np.random.default_rng(seed), never from global state")
    ctx._cache[("dep", ctx.seed)] = first


def check_independent_small(ctx: _Context) -> None:
    x, y = ctx.data(dependent=False)
    res = ctx.cached(("ind", ctx.seed), lambda: ctx.estimate(x, y))
    if not (abs(res.mi) < ctx.independent_max):
        raise _Fail(f"independent data (n={ctx.n}) gave mi = {res.mi:.4f} nats; expected |mi| < "
                    f"{ctx.independent_max}")


def check_dependent_large(ctx: _Context) -> None:
    x, y = ctx.data(dependent=True)
    dep = ctx.cached(("dep", ctx.seed), lambda: ctx.estimate(x, y))
    xi, yi = ctx.data(dependent=False)
    ind = ctx.cached(("ind", ctx.seed), lambda: ctx.estimate(xi, yi))
    truth = {(CONTINUOUS, CONTINUOUS): "about 1.63", (DISCRETE, DISCRETE): "about 1.0"}.get(
        ctx.kinds, "about 1.39")
    if not (dep.mi > ctx.dependent_min and dep.mi > ind.mi + 0.5 * ctx.dependent_min):
        raise _Fail(f"a strongly dependent pair (true MI {truth} nats, n={ctx.n}) gave mi = "
                    f"{dep.mi:.4f}; independent data gave {ind.mi:.4f}; expected mi > "
                    f"{ctx.dependent_min} and well above the independent estimate")


def _finite_estimate(ctx: _Context, x, y, what: str):
    """The estimate on (x, y), failing the check when it raises or is not finite."""
    try:
        res = ctx.estimate(x, y)
    except Exception as exc:
        raise _Fail(f"{what}: raised {type(exc).__name__}: {_first_line(exc)}") from None
    if not math.isfinite(res.mi):
        raise _Fail(f"{what}: gave mi = {res.mi!r}")
    return res


def check_capabilities_honoured(ctx: _Context) -> None:
    est = ctx.make()
    caps = est.capabilities
    for kinds in sorted(caps.kinds):
        x, y = ctx.data(dependent=True, kinds=kinds, n=min(ctx.n, 300))
        _finite_estimate(ctx, x, y, f"declared kinds {kinds} but data of those kinds")
    kx, ky = ctx.kinds
    for side, limit in (("x", caps.max_dx), ("y", caps.max_dy)):
        kind = kx if side == "x" else ky
        if kind == DISCRETE:
            continue
        if limit is not None:
            d = limit + 1
            dims = {"dx": d, "dy": 1} if side == "x" else {"dx": 1, "dy": d}
            x, y = ctx.data(dependent=True, n=min(ctx.n, 300), **dims)
            _raises(lambda x=x, y=y: ctx.estimate(x, y), (InputError,),
                    f"{side} with {d} columns (max_d{side} = {limit})")
        else:
            dims = {"dx": 3, "dy": 1} if side == "x" else {"dx": 1, "dy": 3}
            x, y = ctx.data(dependent=True, n=min(ctx.n, 300), **dims)
            _finite_estimate(ctx, x, y, f"max_d{side} is None (any dimension) but {side} with 3 columns")


#: the checks, in the order they run
CHECKS: dict[str, Callable[[_Context], None]] = {
    "api": check_api,
    "params_round_trip": check_params_round_trip,
    "init_does_no_work": check_init_does_no_work,
    "output_types": check_output_types,
    "deterministic": check_deterministic,
    "accepts_shapes": check_accepts_shapes,
    "rejects_bad_input": check_rejects_bad_input,
    "rejects_bad_params": check_rejects_bad_params,
    "independent_small": check_independent_small,
    "dependent_large": check_dependent_large,
    "capabilities_honoured": check_capabilities_honoured,
}
#: checks that need a working estimate(); skipped when ``api`` fails
_NEEDS_API = set(CHECKS) - {"api", "params_round_trip", "init_does_no_work"}
