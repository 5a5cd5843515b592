"""Suites: declarative TOML files naming scenarios with parameter grids, estimators with
hyperparameters, sample sizes and seeds.

Format (every key except ``name``, ``[[scenario]]`` and ``[[estimator]]`` is optional)::

    name = "quick"
    description = "A one-minute smoke run"
    seeds = 3              # a count (seeds 0..2) or an explicit list [0, 5, 7]
    n = [200, 1000]        # a sample size or a list of them
    timeout = 60           # default per-trial timeout in seconds (the CLI's --timeout overrides)

    [[scenario]]
    name = "gaussian-correlated"           # a registered scenario
    params = { rho = [0.3, 0.9] }          # a list is a grid; a scalar is a single value
    # label = "..."   n = [...]   seeds = ...   (optional overrides for this entry)

    [[estimator]]
    name = "ksg"
    params = { k = [3, 5] }                # hyperparameter grid, same rules
    # optional = true   (skip, instead of failing, when the estimator is unavailable)
    # bound = [0.08, 0.25]    (mibench check: |mean - truth| <= atol + rtol*|truth| + 3 se)
    # bound_on = { multinormal-dense = [1.0, 1.0] }   (per-scenario overrides of bound)

A list value is a grid axis; a parameter whose single value is itself a list is written as a
list of one list (``weights = [[0.5, 0.5]]``). Each ``[[scenario]]`` entry is expanded on its own
(so several entries with the same name give arbitrary, non-product sets of parameters), and every
estimator runs on every scenario it accepts (capabilities decide; the rest is skipped with a
reason). Errors name the file, the line and the offending key.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from mibench import registry as _registry
from mibench.contracts import InputError, MibenchError, UnavailableError, UnknownNameError
from mibench.planning.trials import Skipped, Trial, build_trials, canonical_json, expand_grid, unique_trials

TOP_KEYS = {"name", "description", "seeds", "n", "timeout", "scenario", "estimator"}
SCENARIO_KEYS = {"name", "params", "label", "n", "seeds"}
ESTIMATOR_KEYS = {"name", "params", "optional", "bound", "bound_on"}


class SuiteError(InputError):
    """A suite file that does not parse or does not follow the schema (names file, line, key)."""


@dataclass
class ScenarioSpec:
    name: str
    params: dict[str, list]
    label: str | None = None
    n: list[int] | None = None
    seeds: list[int] | None = None
    index: int = 0


@dataclass
class EstimatorSpec:
    name: str
    params: dict[str, list]
    optional: bool = False
    index: int = 0
    #: the accuracy bound (atol, rtol) of ``mibench check`` for this estimator, and per scenario
    bound: tuple[float, float] | None = None
    bound_on: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass
class Suite:
    """A parsed, schema-checked suite. ``plan()`` expands it into trials."""

    name: str
    description: str
    seeds: list[int]
    n: list[int]
    scenarios: list[ScenarioSpec]
    estimators: list[EstimatorSpec]
    timeout: float | None = None
    source: str = "<string>"
    text: str = field(default="", repr=False)
    #: (scenario name, canonical params JSON) -> the entry's ``label``, filled by ``plan()``
    labels: dict = field(default_factory=dict, repr=False)

    #: ``source`` of a suite built in memory from a grid (the CLI's and :func:`mibench.run`'s
    #: ``--scenario``/``--estimator``): its errors are raised as they are, without a file location
    IN_MEMORY = "<grid>"

    @property
    def in_memory(self) -> bool:
        return self.source == self.IN_MEMORY

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """The estimators' accuracy bounds: ``{"name": (atol, rtol), "name@scenario": ...}``."""
        out = {}
        for spec in self.estimators:
            if spec.bound is not None:
                out[spec.name] = spec.bound
            out.update({f"{spec.name}@{scenario}": b for scenario, b in spec.bound_on.items()})
        return out

    def _where(self, table: str | None, index: int, key: str | None) -> str:
        return _location(self.source, self.text, table, index, key)

    def select(self, labels) -> Suite:
        """A copy keeping only the scenario entries with these labels (bmi task ids, ``dim/normal``);
        UnknownNameError, with close matches, for a label no entry has."""
        import dataclasses

        wanted = list(dict.fromkeys(labels))
        known = [s.label for s in self.scenarios if s.label]
        for label in wanted:
            if label not in known:
                close = difflib.get_close_matches(label, known, n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise UnknownNameError(f"suite {self.name!r} has no entry labelled {label!r}{hint}")
        return dataclasses.replace(self, scenarios=[s for s in self.scenarios if s.label in wanted],
                                   labels={})

    def plan(self) -> tuple[list[Trial], list[Skipped]]:
        """All trials of the suite (without duplicates) and the skipped estimator/scenario pairs.

        Unknown names, unknown parameters and invalid values raise SuiteError naming the line.
        """
        estimators: list[tuple[str, dict]] = []
        skipped: list[Skipped] = []
        unavailable: list[str] = []
        for spec in self.estimators:
            try:
                plugin = _registry._lookup(_registry.ESTIMATORS, spec.name)
                if not plugin.available:
                    if spec.optional:
                        unavailable.append(f"{spec.name} ({plugin.error})")
                        continue
                    plugin.load()
                for params in expand_grid(spec.params):
                    if not self.in_memory:  # a grid's estimators are checked by build_trials
                        _registry.make_estimator(spec.name, **params).validate_params()
                    estimators.append((spec.name, params))
            except MibenchError as exc:
                raise self._error("estimator", spec.index, _param_key(exc, spec.params), exc) from None
        if unavailable:
            for u in unavailable:
                skipped.append(Skipped("*", {}, u.split(" ")[0], f"unavailable: {u}"))
        trials: list[Trial] = []
        for spec in self.scenarios:
            try:
                pairs = [(spec.name, p) for p in expand_grid(spec.params)]
                got, skip = build_trials(pairs, estimators, spec.n or self.n,
                                         spec.seeds if spec.seeds is not None else self.seeds)
            except MibenchError as exc:
                raise self._error("scenario", spec.index, _param_key(exc, spec.params), exc) from None
            trials.extend(got)
            skipped.extend(skip)
            if spec.label:
                for t in got:
                    self.labels[(t.scenario, canonical_json(t.scenario_params))] = spec.label
        return unique_trials(trials), skipped

    def _error(self, table, index, key, exc) -> MibenchError:
        if self.in_memory:
            return exc
        where = self._where(table, index, key)
        path = f"{table}[{index + 1}]" + (f".{key}" if key else "")
        return SuiteError(f"{where}: {path}: {exc}")


# --------------------------------------------------------------------------- loading
def suites_dir():
    return resources.files("mibench") / "suites"


def builtin_suites() -> dict[str, Path]:
    """Built-in suite names -> files (mibench/suites/*.toml)."""
    out = {}
    for entry in sorted(suites_dir().iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            out[entry.name[:-5]] = Path(str(entry))
    return out


def load_suite(name_or_path: str | Path) -> Suite:
    """A built-in suite by name (``quick``, ``ci``, ...) or a suite file by path."""
    text_arg = str(name_or_path)
    builtin = builtin_suites()
    path = Path(text_arg)
    if text_arg in builtin and not (path.suffix == ".toml" and path.exists()):
        path = builtin[text_arg]
    elif not path.exists():
        close = difflib.get_close_matches(text_arg, list(builtin), n=2)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; built-in: {', '.join(builtin)}"
        raise UnknownNameError(f"no suite {text_arg!r} (neither a built-in suite nor a file){hint}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"cannot read suite file {path}: {exc}") from None
    return parse_suite(text, source=str(path))


def parse_suite(text: str, source: str = "<string>") -> Suite:
    """Parse and schema-check a suite's TOML text (registry names are checked by ``plan``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        where = f"{source}:{m.group(1)}" if m else source
        raise SuiteError(f"{where}: TOML syntax error: {msg}") from None

    def fail(table, index, key, message) -> SuiteError:
        where = _location(source, text, table, index, key)
        path = (f"{table}[{index + 1}]." if table else "") + (key or "")
        return SuiteError(f"{where}: {path}: {message}" if path else f"{where}: {message}")

    _unknown_keys(data, TOP_KEYS, lambda k, m: fail(None, 0, k, m))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail(None, 0, "name", "required; a non-empty string naming the suite")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise fail(None, 0, "description", "must be a string")
    seeds = _seeds(data.get("seeds", 5), lambda m: fail(None, 0, "seeds", m))
    ns = _ns(data.get("n", [200, 1000]), lambda m: fail(None, 0, "n", m))
    timeout = data.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or timeout <= 0):
        raise fail(None, 0, "timeout", f"must be a positive number of seconds, got {timeout!r}")

    def entries(table: str, keys: set[str]):
        """(index, entry, its fail(key, message), its name) of each ``[[table]]``, keys checked."""
        for i, entry in enumerate(_tables(data, table, lambda k, m: fail(None, 0, k, m))):
            def efail(key, message, i=i):
                return fail(table, i, key, message)
            _unknown_keys(entry, keys, efail)
            yield i, entry, efail, _name(entry, efail)

    scenarios = []
    for i, entry, sfail, sname in entries("scenario", SCENARIO_KEYS):
        label = entry.get("label")
        if label is not None and not isinstance(label, str):
            raise sfail("label", "must be a string")
        sn = _ns(entry["n"], partial(sfail, "n")) if "n" in entry else None
        sseeds = _seeds(entry["seeds"], partial(sfail, "seeds")) if "seeds" in entry else None
        scenarios.append(ScenarioSpec(sname, _grid(entry.get("params", {}), sfail), label, sn, sseeds, i))
    estimators = []
    for i, entry, efail, ename in entries("estimator", ESTIMATOR_KEYS):
        optional = entry.get("optional", False)
        if not isinstance(optional, bool):
            raise efail("optional", "must be true or false")
        bound = _bound(entry["bound"], partial(efail, "bound")) if "bound" in entry else None
        bound_on = entry.get("bound_on", {})
        if not isinstance(bound_on, dict):
            raise efail("bound_on", "must be a table { scenario = [atol, rtol] }")
        bound_on = {str(k): _bound(v, partial(efail, f"bound_on.{k}")) for k, v in bound_on.items()}
        estimators.append(EstimatorSpec(ename, _grid(entry.get("params", {}), efail), optional, i,
                                        bound, bound_on))
    return Suite(name=name.strip(), description=description, seeds=seeds, n=ns, scenarios=scenarios,
                 estimators=estimators, timeout=None if timeout is None else float(timeout),
                 source=source, text=text)


# --------------------------------------------------------------------------- schema helpers
def _unknown_keys(table: dict, allowed: set[str], fail) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise fail(key, f"unknown key; {hint}(allowed: {', '.join(sorted(allowed))})")


def _tables(data: dict, key: str, fail) -> list[dict]:
    value = data.get(key)
    if value is None:
        raise fail(key, f"required; add at least one [[{key}]] table")
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise fail(key, f"must be an array of tables written [[{key}]]")
    if not value:
        raise fail(key, f"add at least one [[{key}]] table")
    return value


def _name(entry: dict, fail) -> str:
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "required; a registered plugin name (see `mibench list`)")
    return name.strip()


def _grid(params: Any, fail) -> dict[str, list]:
    if not isinstance(params, dict):
        raise fail("params", "must be a table, e.g. params = { rho = [0.3, 0.9] }")
    grid = {}
    for key, value in params.items():
        if isinstance(value, dict):
            raise fail(f"params.{key}", "a value must be a scalar or a list of values, not a table")
        values = value if isinstance(value, list) else [value]
        if not values:
            raise fail(f"params.{key}", "empty list of values")
        grid[key] = values
    return grid


def _bound(value: Any, fail) -> tuple[float, float]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in value)):
        raise fail(f"must be [atol, rtol], two numbers >= 0; got {value!r}")
    return float(value[0]), float(value[1])


def _ns(value: Any, fail) -> list[int]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise fail("empty list of sample sizes")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise fail(f"sample sizes must be positive integers, got {v!r}")
    return [int(v) for v in values]


def _seeds(value: Any, fail) -> list[int]:
    if isinstance(value, bool):
        raise fail(f"must be a count or a list of integers, got {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise fail(f"the number of seeds must be >= 1, got {value}")
        return list(range(value))
    if isinstance(value, list) and value and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        if len(set(value)) != len(value):
            raise fail("repeated seed in the list")
        return [int(v) for v in value]
    raise fail(f"must be a count or a non-empty list of non-negative integers, got {value!r}")


def _param_key(exc: Exception, params: dict) -> str | None:
    """The parameter an error message talks about, if it names one of ``params``."""
    msg = str(exc)
    for key in params:  # a quoted name first ("has no parameter 'rh' (parameters: rho, ...)")
        if f"'{key}'" in msg:
            return f"params.{key}"
    for key in params:
        if re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", msg):
            return f"params.{key}"
    if isinstance(exc, UnknownNameError | UnavailableError) and "parameter" not in msg:
        return "name"
    return "params" if params and "parameter" in msg else None


# --------------------------------------------------------------------------- line numbers
_HEADER = re.compile(r"^\s*\[")


def _location(source: str, text: str, table: str | None, index: int, key: str | None) -> str:
    line = _find_line(text, table, index, key)
    return f"{source}:{line}" if line else source


def _find_line(text: str, table: str | None, index: int, key: str | None) -> int | None:
    """1-based line of ``key`` (dotted, e.g. ``params.rho``) in the ``index``-th ``[[table]]`` (or
    at the top level), found in the text; falls back to the table header. Best effort."""
    lines = text.splitlines()
    if table is None:
        start, end = 0, next((i for i, s in enumerate(lines) if _HEADER.match(s)), len(lines))
        header = None
    else:
        pat = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
        starts = [i for i, s in enumerate(lines) if pat.match(s)]
        if index >= len(starts):
            return None
        start = header = starts[index]
        end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])
                    and not re.match(rf"^\s*\[\s*{re.escape(table)}\.", lines[i])), len(lines))
        start += 1
    if not key:
        return None if header is None else header + 1
    parts = key.split(".")
    pos = start
    found = None
    for depth, part in enumerate(parts):
        word = re.escape(part)
        pat = re.compile(rf'(^|[\s{{,.]|"){word}"?\s*=' if depth else rf'^\s*"?{word}"?\s*[=.]')
        # a sub-table header `[scenario.params]` also counts for the first part
        sub = re.compile(rf"^\s*\[\s*{re.escape(table)}\.{word}\s*\]") if table and not depth else None
        hit = None
        for i in range(pos, end):
            if pat.search(lines[i]) or (sub is not None and sub.match(lines[i])):
                hit = i
                break
        if hit is None:
            break
        found = pos = hit
    if found is not None:
        return found + 1
    return None if header is None else header + 1
