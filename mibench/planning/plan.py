"""Planning a run: a scenario grid (or a list of scenarios) and estimator specs become an
in-memory :class:`~mibench.planning.suites.Suite` (:func:`grid_suite`), planned by the same
:meth:`Suite.plan` as the suite files: one planning path for the CLI, the Python API and suites."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from mibench import registry as _registry
from mibench.contracts import InputError
from mibench.planning.suites import EstimatorSpec, ScenarioSpec, Suite
from mibench.planning.trials import Skipped, Trial

DEFAULT_NS = (200, 1000)
DEFAULT_SEEDS = 5


def available_estimators(*, costly: bool = True) -> list[str]:
    """Names of the estimators that load; ``costly=False`` leaves out those whose class sets
    ``costly`` (the default set of a run without ``--estimator``)."""
    return [name for name, p in _registry.estimators().items()
            if p.available and (costly or not getattr(p.cls, "costly", False))]


def costly_estimators() -> list[str]:
    """Available estimators left out of the default set (``Estimator.costly``)."""
    return [name for name in available_estimators() if name not in available_estimators(costly=False)]


def unavailable_estimators() -> dict[str, list[str]]:
    """Registered estimators that cannot load, grouped by the reason (with its install hint)."""
    out: dict[str, list[str]] = {}
    for name, p in _registry.estimators().items():
        if not p.available:
            out.setdefault(p.error or "unavailable", []).append(name)
    return out


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, dict, tuple, numbers.Number)):  # one value: n=1000, seeds as given
        return [value]
    return list(value)


def _normalise_estimators(estimators) -> list[tuple[str, dict]]:
    """Names, ``name:k=v`` strings, (name, params) pairs or {name: params}; None: every available
    one except the ``costly`` ones; the name ``all``: every available one."""
    if estimators is None:
        names = available_estimators(costly=False)
        if not names:
            raise InputError("no estimator is available; check `mibench list estimators`")
        return [(n, {}) for n in names]
    specs = _registry.estimator_specs(estimators)
    if any(name == "all" for name, _ in specs):
        if any(name == "all" and params for name, params in specs):
            raise InputError("--estimator all takes no parameters (name the estimator to set them)")
        named = {name for name, _ in specs}
        specs = [s for name, p in specs
                 for s in ([(a, {}) for a in available_estimators() if a not in named]
                           if name == "all" else [(name, p)])]
    return specs


def grid_suite(scenario: str | Sequence[tuple[str, dict]], params: dict[str, list] | None = None,
               estimators=None, n: Sequence[int] | int | None = None,
               seeds: int | Sequence[int] = DEFAULT_SEEDS, *, name: str | None = None) -> Suite:
    """The in-memory suite of a grid. ``scenario`` is a registered name (its grid is ``params``,
    default the scenario's ``default_grid``) or a list of (name, params) pairs already expanded;
    ``estimators`` as for :func:`mibench.run` (None: every available one but the costly ones)."""
    if isinstance(scenario, str):
        cls = _registry.scenario_class(scenario)
        grid = dict(getattr(cls, "default_grid", {}) or {})
        for key, values in (params or {}).items():
            grid[key] = _as_list(values)
        _registry.coerce_params(cls, {k: v[0] for k, v in grid.items() if v}, f"scenario {scenario!r}")
        specs = [ScenarioSpec(scenario, grid)]
    else:
        specs = [ScenarioSpec(sname, {k: [v] for k, v in p.items()}, index=i)
                 for i, (sname, p) in enumerate(scenario)]
    ns = _as_list(n) or list(DEFAULT_NS)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise InputError("no seeds given")
    estimator_specs = [EstimatorSpec(ename, {k: [v] for k, v in p.items()}, index=i)
                       for i, (ename, p) in enumerate(_normalise_estimators(estimators))]
    label = name or (scenario if isinstance(scenario, str) else "grid")
    return Suite(name=label, description="", seeds=seed_list, n=[int(v) for v in ns],
                 scenarios=specs, estimators=estimator_specs, source=Suite.IN_MEMORY)


def plan(scenario: str | Sequence[tuple[str, dict]], params: dict[str, list] | None = None,
         estimators=None, n: Sequence[int] | int | None = None,
         seeds: int | Sequence[int] = DEFAULT_SEEDS) -> tuple[list[Trial], list[Skipped]]:
    """The trials of a run and the skipped estimator/scenario pairs: ``grid_suite(...).plan()``
    (see :func:`grid_suite` for the arguments)."""
    return grid_suite(scenario, params, estimators, n, seeds).plan()
