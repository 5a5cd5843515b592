"""Conformance kit for estimator plugins, in the spirit of scikit-learn's ``check_estimator``.

>>> from mibench.testing import check_estimator
>>> check_estimator(MyEstimator, params={"k": 5})          # raises ConformanceError if broken
ConformanceReport(MyEstimator: 12 passed)

Each check exercises one clause of the estimator contract (see ``mibench.Estimator``):

- ``api``: a ``mibench.Estimator`` with valid ``capabilities``, ``reports_std`` and ``version``, and a
  ``min_samples()`` that is a positive int.
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
  constant column and ``n < min_samples()`` raise ``mibench.InputError`` / ``InputTypeError``.
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

import inspect
import json
import math
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mibench._contracts import (
    CONTINUOUS,
    DISCRETE,
    KINDS,
    Capabilities,
    Estimate,
    Estimator,
    InputError,
    InputTypeError,
    MibenchError,
)

__all__ = ["ConformanceError", "ConformanceReport", "CheckOutcome", "check_estimator", "CHECKS"]


class ConformanceError(AssertionError):
    """An estimator failed one or more conformance checks; the message is the readable report."""

    def __init__(self, report: ConformanceReport):
        super().__init__(str(report))
        self.report = report


@dataclass
class CheckOutcome:
    """One check: ``status`` is "passed", "failed" or "skipped"; ``message`` says why."""

    name: str
    status: str
    message: str = ""


@dataclass
class ConformanceReport:
    """All outcomes of :func:`check_estimator` for one estimator class and parameter set."""

    estimator: str
    params: dict
    outcomes: list[CheckOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def passed(self) -> bool:
        return not self.failed

    def __repr__(self) -> str:
        counts = {s: sum(o.status == s for o in self.outcomes) for s in ("passed", "failed", "skipped")}
        shown = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        return f"ConformanceReport({self.estimator}: {shown})"

    def __str__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        head = (f"check_estimator({self.estimator}({params})): "
                + (f"{len(self.failed)} of {len(self.outcomes)} checks FAILED" if self.failed
                   else f"all {len(self.outcomes)} checks passed"))
        mark = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}
        lines = [head]
        for o in self.outcomes:
            text = f"  [{mark[o.status]}] {o.name}"
            if o.message:
                first, *rest = o.message.splitlines()
                text += f": {first}" + "".join(f"\n           {r}" for r in rest)
            lines.append(text)
        return "\n".join(lines)


class _Fail(Exception):
    pass


class _Skip(Exception):
    pass


@dataclass
class _Context:
    cls: type
    params: dict
    n: int
    seed: int
    independent_max: float
    dependent_min: float
    _cache: dict = field(default_factory=dict)
    #: False when the api check failed but the other checks can still run
    fatal: bool = True

    def make(self, **overrides) -> Estimator:
        return self.cls(**{**self.params, **overrides})

    @property
    def kinds(self) -> tuple[str, str]:
        """The kind pair the estimator reads its input as (its first declared pair, as in
        ``Estimator.estimate``)."""
        return sorted(self.make().capabilities.kinds)[0]

    def data(self, dependent: bool, kinds: tuple[str, str] | None = None, dx: int = 1, dy: int = 1,
             n: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return make_pair(kinds or self.kinds, n or self.n, dependent=dependent, dx=dx, dy=dy,
                         seed=seed)

    def estimate(self, x, y, seed: int | None = None, est: Estimator | None = None) -> Estimate:
        est = est or self.make()
        return est.estimate(x, y, seed=self.seed if seed is None else seed)

    def cached(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]


# --------------------------------------------------------------------------- data
def make_pair(kinds: tuple[str, str], n: int, *, dependent: bool, dx: int = 1, dy: int = 1,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Test data of the given kinds: ``(x (n, dx), y (n, dy))`` float64.

    Dependent pairs: continuous-continuous ``y = x[:, :1] + 0.2 * noise`` in every column of y
    (the first columns have correlation 0.98, MI about 1.63 nats in 1-D); a discrete label on 4
    classes with a continuous partner ``3 * label + noise`` (MI close to ln 4 = 1.39 nats); two
    discrete labels equal with probability 0.9 (MI about 1.0 nats). Independent pairs draw the
    two sides separately. Discrete variables are one column of integer labels 0..3.
    """
    rng = np.random.default_rng(seed)
    kx, ky = kinds
    label = rng.integers(0, 4, size=n)
    # make sure every class is present (estimators may need several members per class)
    label[:8] = np.arange(8) % 4

    def side(kind, d, own_label):
        if kind == DISCRETE:
            return own_label[:, None].astype(np.float64)
        return rng.standard_normal((n, d))

    x = side(kx, dx, label)
    if not dependent:
        other = rng.integers(0, 4, size=n)
        other[:8] = (np.arange(8) * 3) % 4
        y = side(ky, dy, other)
        return np.ascontiguousarray(x), np.ascontiguousarray(y)
    if kx == CONTINUOUS and ky == CONTINUOUS:
        y = x[:, :1] + 0.2 * rng.standard_normal((n, dy))
    elif kx == DISCRETE and ky == DISCRETE:
        flip = rng.random(n) >= 0.9
        y_lab = np.where(flip, rng.integers(0, 4, size=n), label)
        y = y_lab[:, None].astype(np.float64)
    elif kx == DISCRETE:
        y = 3.0 * label[:, None] + rng.standard_normal((n, dy))
    else:
        x = 3.0 * label[:, None] + rng.standard_normal((n, dx))
        y = label[:, None].astype(np.float64)
    return np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64)


def _raises(fn: Callable, expected: tuple[type, ...], what: str, must_mention: str | None = None) -> None:
    try:
        fn()
    except expected as exc:
        if must_mention is not None and must_mention not in str(exc):
            raise _Fail(f"{what}: raised {type(exc).__name__} but the message does not name "
                        f"{must_mention!r}: {exc}") from None
        return
    except Exception as exc:  # the wrong error type
        raise _Fail(f"{what}: raised {type(exc).__name__}: {_first_line(exc)}; expected "
                    f"{' or '.join(e.__name__ for e in expected)} (mibench's errors)") from None
    raise _Fail(f"{what}: no error raised; expected {' or '.join(e.__name__ for e in expected)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else repr(exc)


# --------------------------------------------------------------------------- checks
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
    if m > ctx.n // 2:
        raise _Fail(f"min_samples() = {m} is larger than half the kit's n = {ctx.n}; pass a larger n")
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
    m = int(est.min_samples())
    if m > 2:
        small = slice(0, m - 1)
        xs, ys = x[small].copy(), y[small].copy()
        if ctx.kinds[0] == DISCRETE:
            xs[:, 0] = np.arange(m - 1) % 2
        if ctx.kinds[1] == DISCRETE:
            ys[:, 0] = (np.arange(m - 1) + 1) % 2
        _raises(lambda: ctx.estimate(xs, ys), (InputError,), f"n = {m - 1} < min_samples() = {m}")


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
    if isinstance(estimator, type):
        cls, base = estimator, {}
    else:
        cls, base = type(estimator), dict(estimator.get_params())
    params = {**base, **(params or {})}
    names = list(CHECKS) if checks is None else list(checks)
    unknown = [c for c in names if c not in CHECKS]
    if unknown:
        raise InputError(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(CHECKS)}")
    ctx = _Context(cls, params, int(n), int(seed), float(independent_max), float(dependent_min))
    report = ConformanceReport(getattr(cls, "__name__", repr(cls)), dict(params))
    api_ok = True
    for name in names:
        if name in _NEEDS_API and not api_ok:
            report.outcomes.append(CheckOutcome(name, "skipped", "the api check failed"))
            continue
        try:
            CHECKS[name](ctx)
        except _Skip as exc:
            report.outcomes.append(CheckOutcome(name, "skipped", str(exc)))
        except _Fail as exc:
            report.outcomes.append(CheckOutcome(name, "failed", str(exc)))
            api_ok = api_ok and not (name == "api" and ctx.fatal)
        except MibenchError as exc:
            report.outcomes.append(CheckOutcome(
                name, "failed", f"unexpected {type(exc).__name__}: {_first_line(exc)}"))
            api_ok = api_ok and name != "api"
        except Exception as exc:
            tb = traceback.format_exc(limit=-2).strip().splitlines()
            where = next((line.strip() for line in reversed(tb) if line.strip().startswith("File")), "")
            report.outcomes.append(CheckOutcome(
                name, "failed", f"unexpected {type(exc).__name__}: {_first_line(exc)}"
                + (f"\n{where}" if where else "")))
            api_ok = api_ok and name != "api"
        else:
            report.outcomes.append(CheckOutcome(name, "passed"))
    if raise_on_failure and not report.passed:
        raise ConformanceError(report)
    return report
