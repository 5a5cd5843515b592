"""The conformance kit's machinery: the report types, the context a check runs in, and the
seeded test data (``make_pair``)."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mibench.contracts import (
    CONTINUOUS,
    DISCRETE,
    Estimate,
    Estimator,
    InputError,
    MibenchError,
)
from mibench.contracts.canonical import params_label


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
    #: the function that made the report (``check_estimator`` or ``check_scenario``)
    checker: str = "check_estimator"

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
        params = params_label(self.params, repr_values=True)
        head = (f"{self.checker}({self.estimator}({params})): "
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


def resolve(plugin, params: dict | None, checks, known: dict) -> tuple[type, dict, list[str]]:
    """(class, parameters, check names) of a kit call: ``plugin`` is a class or an instance (its
    ``get_params()`` under ``params``); ``checks`` default to every one of ``known``."""
    if isinstance(plugin, type):
        cls, base = plugin, {}
    else:
        cls, base = type(plugin), dict(plugin.get_params())
    names = list(known) if checks is None else list(checks)
    unknown = [c for c in names if c not in known]
    if unknown:
        raise InputError(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return cls, {**base, **(params or {})}, names


def run_checks(report: ConformanceReport, names: list[str], checks: dict[str, Callable], ctx,
               needs_api: set[str], raise_on_failure: bool) -> ConformanceReport:
    """Run the named ``checks`` on ``ctx`` into ``report``: each passes, fails (with the reason;
    an unexpected exception with the line it came from) or is skipped (``_Skip``, or a check of
    ``needs_api`` after a fatal ``api`` failure). Raises ConformanceError when one failed and
    ``raise_on_failure``."""
    api_ok = True
    for name in names:
        if name in needs_api and not api_ok:
            report.outcomes.append(CheckOutcome(name, "skipped", "the api check failed"))
            continue
        try:
            checks[name](ctx)
        except _Skip as exc:
            report.outcomes.append(CheckOutcome(name, "skipped", str(exc)))
        except _Fail as exc:
            report.outcomes.append(CheckOutcome(name, "failed", str(exc)))
            api_ok = api_ok and not (name == "api" and getattr(ctx, "fatal", True))
        except Exception as exc:
            where = ""
            if not isinstance(exc, MibenchError):
                tb = traceback.format_exc(limit=-2).strip().splitlines()
                where = next((s.strip() for s in reversed(tb) if s.strip().startswith("File")), "")
            report.outcomes.append(CheckOutcome(
                name, "failed", f"unexpected {type(exc).__name__}: {_first_line(exc)}"
                + (f"\n{where}" if where else "")))
            api_ok = api_ok and name != "api"
        else:
            report.outcomes.append(CheckOutcome(name, "passed"))
    if raise_on_failure and not report.passed:
        raise ConformanceError(report)
    return report
