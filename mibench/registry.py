"""Plugin registry: estimators and scenarios found through Python entry points.

Groups ``mibench.estimators`` and ``mibench.scenarios``. Built-in plugins register exactly as a
third-party package would. A plugin that fails to import is listed as unavailable with its
reason; nothing else breaks.
"""

from __future__ import annotations

import difflib
import functools
import logging
import numbers
from importlib.metadata import entry_points
from typing import Any

from mibench.contracts import (
    Estimator,
    InputError,
    InputTypeError,
    Scenario,
    UnavailableError,
    UnknownNameError,
)
from mibench.contracts.canonical import parse_params

log = logging.getLogger(__name__)

ESTIMATORS = "mibench.estimators"
SCENARIOS = "mibench.scenarios"
#: paper figure sets: a module (or object) with ``make(out, *, quick, options, progress, ...)``
FIGURES = "mibench.figures"
KINDS = {ESTIMATORS: "estimator", SCENARIOS: "scenario", FIGURES: "figure set"}


class Plugin:
    """One registered plugin: its name, where it points, and its class or why it is unavailable.

    The entry point is imported on first use of ``cls`` / ``error`` / ``available``, so a command
    that needs one estimator does not import every plugin (torch, for instance).
    """

    def __init__(self, name: str, group: str, target: str, entry_point=None, cls: type | None = None):
        self.name = name
        self.group = group
        self.target = target
        self._entry_point = entry_point
        self._cls = cls
        self._error: str | None = None
        self._loaded = entry_point is None

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            obj = self._entry_point.load()
        except UnavailableError as exc:
            self._error = str(exc)
        except Exception as exc:  # a broken plugin must not break the others
            self._error = f"{type(exc).__name__}: {exc}"
            log.info("plugin %s (%s) failed to load: %s", self.name, self.target, self._error)
        else:
            if self.group == FIGURES:
                if callable(getattr(obj, "make", None)):
                    self._cls = obj
                else:
                    self._error = f"{self.target} has no make(out, ...) function"
                return
            base = Estimator if self.group == ESTIMATORS else Scenario
            if isinstance(obj, type) and (issubclass(obj, base) or _duck_typed(obj, self.group)):
                self._cls = obj
            else:
                self._error = f"{self.target} is not a mibench {base.__name__} class"

    @property
    def cls(self) -> type | None:
        self._ensure_loaded()
        return self._cls

    @property
    def error(self) -> str | None:
        self._ensure_loaded()
        return self._error

    @property
    def available(self) -> bool:
        return self.cls is not None

    def load(self) -> type:
        if self.cls is None:
            raise UnavailableError(f"{self.kind} {self.name!r} is unavailable: {self.error}")
        return self.cls

    @property
    def kind(self) -> str:
        return KINDS[self.group]

    def __repr__(self) -> str:
        return f"Plugin({self.name!r}, {self.target!r})"


def _load_group(group: str) -> dict[str, Plugin]:
    plugins: dict[str, Plugin] = {}
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        if ep.name in plugins:
            if plugins[ep.name].target != ep.value:
                log.warning("plugin name %s registered twice; keeping %s", ep.name, plugins[ep.name].target)
            continue
        plugins[ep.name] = Plugin(ep.name, group, ep.value, entry_point=ep)
    return plugins


def _duck_typed(cls: type, group: str) -> bool:
    needed = ("estimate", "get_params") if group == ESTIMATORS else ("sample", "true_mi", "get_params")
    return all(hasattr(cls, a) for a in needed)


@functools.cache
def _group(group: str) -> dict[str, Plugin]:
    return _load_group(group)


def estimators() -> dict[str, Plugin]:
    """All registered estimators (available or not), by name."""
    return _group(ESTIMATORS)


def scenarios() -> dict[str, Plugin]:
    """All registered scenarios (available or not), by name."""
    return _group(SCENARIOS)


def figure_sets() -> dict[str, Plugin]:
    """All registered paper figure sets (``mibench figures NAME``), by name."""
    return _group(FIGURES)


def figure_set(name: str):
    """The module (or object) drawing figure set ``name``: its ``make(out, ...)`` draws it."""
    return _lookup(FIGURES, name).load()


def refresh() -> None:
    """Forget the loaded entry points (after installing a plugin in the same process)."""
    _group.cache_clear()


def _lookup(group: str, name: str) -> Plugin:
    table = _group(group)
    if name in table:
        return table[name]
    kind = KINDS[group]
    close = difflib.get_close_matches(name, list(table), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(table) or '(none)'}"
    raise UnknownNameError(f"unknown {kind} {name!r}{hint}")


def estimator_class(name: str) -> type:
    return _lookup(ESTIMATORS, name).load()


def scenario_class(name: str) -> type:
    return _lookup(SCENARIOS, name).load()


def coerce_params(cls: type, params: dict[str, Any], what: str) -> dict[str, Any]:
    """Check names against ``cls``'s parameters and convert strings (from the CLI) to the type of
    each default value."""
    defaults = cls.param_defaults() if hasattr(cls, "param_defaults") else {}
    out = {}
    for key, value in params.items():
        if key not in defaults:
            close = difflib.get_close_matches(key, list(defaults), n=2)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownNameError(
                f"{what} has no parameter {key!r}{hint} (parameters: {', '.join(defaults) or 'none'})")
        out[key] = convert_value(value, defaults[key], f"{what} parameter {key}")
    return out


def drop_defaults(cls: type, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` without the entries equal to ``cls``'s defaults (a list equals a tuple default,
    0 equals 0.0): the canonical form of a configuration.

    An estimator's trials are keyed and labelled by this form, so ``("mine", {})`` and
    ``("mine", {"threads": 1})`` (the default) are the same trial and share one stored result.
    Scenario parameters are not canonicalised: they seed the data.
    """
    from mibench.contracts.canonical import canonical_json

    def same(v, d) -> bool:
        if canonical_json(v) == canonical_json(d):
            return True
        numeric = [isinstance(a, numbers.Real) and not isinstance(a, bool) for a in (v, d)]
        return all(numeric) and v == d

    defaults = cls.param_defaults() if hasattr(cls, "param_defaults") else {}
    return {k: v for k, v in params.items() if k not in defaults or not same(v, defaults[k])}


def convert_value(value: Any, default: Any, what: str) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.lower() in ("none", "null"):
        # a text default keeps the word: uncertainty="none" is a method name, not a missing value
        return "none" if isinstance(default, str) and text.lower() == "none" else None
    try:
        if isinstance(default, bool):
            if text.lower() in ("true", "1", "yes", "on"):
                return True
            if text.lower() in ("false", "0", "no", "off"):
                return False
            raise ValueError
        if isinstance(default, int):
            f = float(text)
            return int(f) if f.is_integer() else f
        if isinstance(default, float):
            return float(text)
    except ValueError:
        raise InputTypeError(f"{what}: cannot read {value!r} as {type(default).__name__}") from None
    # a None, sequence or string default (e.g. bins="auto", which also takes a number) reads a
    # number as a number, so `binning:bins=5` and bins=5 are the same setting and the same trial
    if default is None or isinstance(default, (tuple, list, str)):
        for conv in (int, float):
            try:
                return conv(text)
            except ValueError:
                pass
    return text


def make_estimator(name: str, **params) -> Estimator:
    cls = estimator_class(name)
    return cls(**coerce_params(cls, params, f"estimator {name!r}"))


def make_scenario(name: str, **params) -> Scenario:
    cls = scenario_class(name)
    scenario = cls(**coerce_params(cls, params, f"scenario {name!r}"))
    return scenario


def check_name(kind: str, name: str) -> None:
    if kind not in ("estimator", "scenario"):
        raise InputError(f"unknown plugin kind {kind!r}")
    _lookup(ESTIMATORS if kind == "estimator" else SCENARIOS, name)


def register(kind: str, name: str, cls: type) -> None:
    """Register a plugin class at run time (a notebook, a test), next to the entry points.

    Worker processes inherit it where they are forked (the default on Linux); on other platforms
    register through an entry point so workers find it.
    """
    group = {"estimator": ESTIMATORS, "scenario": SCENARIOS}.get(kind)
    if group is None:
        raise InputError(f"kind must be 'estimator' or 'scenario', got {kind!r}")
    _group(group)[name] = Plugin(name, group, f"{cls.__module__}:{cls.__qualname__}", cls=cls)


def unregister(kind: str, name: str) -> None:
    group = {"estimator": ESTIMATORS, "scenario": SCENARIOS}[kind]
    _group(group).pop(name, None)


def estimator_specs(estimators) -> list[tuple[str, dict]]:
    """Normalise estimator choices to ``(name, params)`` pairs.

    Accepts a name, a ``"name:key=value:key=value"`` string (the CLI form), a ``(name, params)``
    pair, a list of any of these, or a ``{name: params}`` mapping. ``None`` gives ``[]``.
    Parameter values stay strings here; ``make_estimator`` converts them to each default's type.
    """
    if estimators is None:
        return []
    if isinstance(estimators, dict):
        return [(str(n), dict(p or {})) for n, p in estimators.items()]
    if isinstance(estimators, (str, tuple)):
        estimators = [estimators]
    out = []
    for item in estimators:
        if isinstance(item, str):
            name, _, settings = item.partition(":")
            params = parse_params(settings, ":", what=f"estimator {item!r}", form="NAME[:key=value...]")
            out.append((name.strip(), params))
        else:
            name, params = item
            out.append((str(name), dict(params or {})))
    return out
