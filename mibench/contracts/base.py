"""The two contracts of mibench: Estimator and Scenario, with their small value types.

The contracts package is a leaf: it imports nothing from the rest of mibench, so every other
module (and every plugin) may depend on it without import cycles.

Array conventions: ``x`` is ``(n_samples, dim_x)``, ``y`` is ``(n_samples, dim_y)``,
float64, C-contiguous. MI is in nats.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np

from mibench.contracts.canonical import params_label
from mibench.contracts.constraints import validate_parameter_constraints
from mibench.contracts.errors import CONTINUOUS, UnknownNameError
from mibench.contracts.validation import check_xy


# --------------------------------------------------------------------------- values
@dataclass(frozen=True)
class Estimate:
    """Result of one estimate: ``mi`` in nats, the estimator's own ``std`` if it has one,
    and free-form diagnostics in ``info`` (JSON-serialisable values)."""

    mi: float
    std: float | None = None
    info: dict[str, Any] = field(default_factory=dict)


class TrueMI(NamedTuple):
    """Ground truth in nats; ``stderr`` is 0 for closed forms, the Monte-Carlo standard error
    otherwise."""

    value: float
    stderr: float = 0.0


@dataclass(frozen=True)
class Capabilities:
    """What an estimator accepts, declared rather than discovered by trial.

    ``kinds`` lists the accepted ``(x_kind, y_kind)`` pairs. MI is symmetric, so the runner
    may swap x and y to match a declared pair (a Ross-type estimator declares
    ``(continuous, discrete)`` and still serves a scenario with a discrete x).
    ``max_dx`` / ``max_dy`` bound the dimensions (None: any).
    """

    kinds: frozenset = frozenset({(CONTINUOUS, CONTINUOUS)})
    max_dx: int | None = None
    max_dy: int | None = None

    def match(self, x_kind: str, y_kind: str, dx: int, dy: int) -> tuple[bool, bool, str]:
        """Return ``(accepted, swap_xy, reason)`` for data of these kinds and dimensions."""
        reasons = []
        for swap, (kx, ky, ddx, ddy) in ((False, (x_kind, y_kind, dx, dy)),
                                         (True, (y_kind, x_kind, dy, dx))):
            if (kx, ky) not in self.kinds:
                reasons.append(f"kinds ({kx}, {ky}) not supported")
                continue
            if self.max_dx is not None and ddx > self.max_dx:
                reasons.append(f"dim_x={ddx} > max {self.max_dx}")
                continue
            if self.max_dy is not None and ddy > self.max_dy:
                reasons.append(f"dim_y={ddy} > max {self.max_dy}")
                continue
            return True, swap, ""
        accepted = ", ".join(f"({a}, {b})" for a, b in sorted(self.kinds))
        limits = "".join(f" {name}<={v}" for name, v in (("dim_x", self.max_dx), ("dim_y", self.max_dy)) if v)
        return False, False, (f"accepts {accepted}{' with' + limits if limits else ''}; "
                              f"got ({x_kind}, {y_kind}), dims ({dx}, {dy})")


# --------------------------------------------------------------------------- params
class _Params:
    """scikit-learn style parameters: every ``__init__`` argument stored under its own name."""

    @classmethod
    def _param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        sig = _signature(init)
        names = []
        for p in sig.parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must not take *args or **kwargs")
            names.append(p.name)
        return names

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        sig = _signature(cls.__init__)
        return {n: sig.parameters[n].default for n in cls._param_names()}

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise UnknownNameError(
                    f"{type(self).__name__} has no parameter {key!r}; "
                    f"valid parameters: {', '.join(sorted(valid)) or '(none)'}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        defaults = self.param_defaults()
        shown = {k: v for k, v in self.get_params().items() if v is not defaults.get(k)
                 and not _equal(v, defaults.get(k))}
        return f"{type(self).__name__}({params_label(shown, repr_values=True)})"


@functools.lru_cache(maxsize=1024)
def _signature(init) -> inspect.Signature:
    """The signature of an ``__init__`` (read once: trials read it for every estimate)."""
    return inspect.signature(init)


def _equal(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


# --------------------------------------------------------------------------- estimator
class Estimator(_Params):
    """Base class of MI estimators.

    Subclasses store every hyperparameter as an ``__init__`` argument of the same name, do no
    work in ``__init__``, declare ``capabilities``, and implement ``_estimate`` on clean input
    (float64, 2-D, finite, validated). ``estimate`` validates and converts, then calls it.
    """

    capabilities: ClassVar[Capabilities] = Capabilities()
    #: True when ``Estimate.std`` is filled (the estimator has its own error bar)
    reports_std: ClassVar[bool] = False
    #: version of the estimator's code, part of each trial's key when set: raise it (1, 2, ...)
    #: in a change that alters results, including a changed default value (trials key only the
    #: parameters that differ from the defaults), so stored trials of the old code are
    #: recomputed, not reused. None (the default) keys trials without it.
    version: ClassVar[int | str | None] = None
    #: registered names of estimators of the same family to try, in order, when this one does
    #: not accept the kinds of a pair of the user's variables (``ksg`` -> ``ksg-mixed``)
    fallbacks: ClassVar[tuple[str, ...]] = ()
    #: largest n at which the estimator is practical (its cost grows fast); the calibration of
    #: ``--recommend`` leaves it out above (None: no limit)
    max_n: ClassVar[int | None] = None
    #: True when the default configuration costs seconds per estimate (several trainings:
    #: the neural bounds' cross-fitted error bar; a reference package's full training):
    #: ``mibench run`` without ``--estimator``
    #: (and ``benchmark(estimators=None)``) leaves it out, naming it; ``--estimator all`` or
    #: its name runs it
    costly: ClassVar[bool] = False

    #: smallest sample size at which this estimator's value means anything, whatever its
    #: hyperparameters (below it a number comes out but it is noise: the Gaussian estimator gives
    #: 4.1 nats at n = 3 for a true 0.05). ``min_samples()`` may ask more of a configuration
    #: (k-NN: k + 1); the engine enforces the larger of the two, ``required_n(estimator)``, when
    #: a run is planned and when data are validated.
    min_n: ClassVar[int] = 10

    def min_samples(self) -> int:
        """Smallest n this configuration can work with (validated before ``_estimate``); the
        class-wide floor ``min_n`` applies on top of it."""
        return 2

    def min_samples_for(self, dim_x: int, dim_y: int) -> int:
        """Smallest n this configuration needs at these dimensions (default ``min_samples()``).

        Planning skips, with the reason, the trials whose n is below it (e.g. a covariance-based
        estimator needs n > dim_x + dim_y), so a dimension sweep does not record them as failures.
        """
        return self.min_samples()

    #: what each hyperparameter may be (:mod:`mibench.contracts.constraints`), checked by the
    #: default ``validate_params``: ``{"k": [Interval(int, 1, None)]}``
    _parameter_constraints: ClassVar[dict[str, list]] = {}

    def validate_params(self) -> None:
        """Raise InputError for invalid hyperparameters (called when the work starts). The
        default checks ``_parameter_constraints``; an override adds the checks that tie several
        parameters together after ``super().validate_params()``."""
        validate_parameter_constraints(self)

    def estimate(self, x, y, *, seed: int | None = None) -> Estimate:
        """Estimate I(X;Y) in nats. ``x``: (n, dim_x), ``y``: (n, dim_y); 1-D is one column."""
        self.validate_params()
        x, y, swap = check_xy(x, y, estimator=self)
        if swap:
            x, y = y, x
        est = self._estimate(x, y, seed=seed)
        if not isinstance(est, Estimate):
            raise TypeError(f"{type(self).__name__}._estimate must return an Estimate")
        return est

    def _estimate(self, x: np.ndarray, y: np.ndarray, *, seed: int | None) -> Estimate:
        raise NotImplementedError


# --------------------------------------------------------------------------- scenario
class Scenario(_Params):
    """Base class of scenarios: a frozen distribution with known MI.

    Parameters go to ``__init__``; ``sample(n, rng)`` returns ``(x, y)`` float64 arrays of
    shapes (n, dim_x), (n, dim_y); ``true_mi`` returns a ``TrueMI(value, stderr)`` in nats.
    ``default_grid`` maps parameter names to the values the CLI sweeps by default.
    """

    default_grid: ClassVar[dict[str, list]] = {}
    x_kind: ClassVar[str] = CONTINUOUS
    y_kind: ClassVar[str] = CONTINUOUS

    #: dimensions of x and y; a class attribute, an instance attribute or a property
    dim_x: int = 1
    dim_y: int = 1

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    @property
    def true_mi(self) -> TrueMI:
        raise NotImplementedError


class DensityScenario(Scenario):
    """A scenario whose densities are known exactly (the density API).

    A subclass implements three natural-log densities, each returning an array of shape (n,):
    ``logpdf_joint(x, y)`` for ``x`` (n, dim_x) and ``y`` (n, dim_y), and ``logpdf_x(x)``,
    ``logpdf_y(y)`` of the marginals. For a discrete variable the density is the probability
    mass (counting measure); for a mixed pair it is the density with respect to the product of
    counting and Lebesgue measure, so that ``pmi(x, y) = log p(x, y) - log p(x) - log p(y)`` is
    the pointwise mutual information in every case and ``E[pmi(X, Y)] = I(X; Y)`` in nats.

    A subclass may override ``pmi`` with a numerically stabler form (e.g. a conditional density
    ``log p(y|x) - log p(y)``); ``pmi`` is the one method the ground-truth checks
    (:func:`mibench.testing.check_scenario`) and Monte-Carlo truths
    (:func:`mibench.monte_carlo_mi`) use. These methods accept the values ``sample`` returns.
    """

    def logpdf_joint(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def logpdf_x(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def logpdf_y(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def pmi(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Pointwise MI in nats, shape (n,): log p(x,y) - log p(x) - log p(y)."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        return self.logpdf_joint(x, y) - self.logpdf_x(x) - self.logpdf_y(y)
