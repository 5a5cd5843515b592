"""Trials: one (scenario + params, estimator + params, n, seed) cell of a benchmark grid.

A trial's identity is a content hash of everything that determines its result, including the
mibench version and the estimator's own ``version`` when it declares one, so a store can skip
what it already holds. Seeds for the data and for the estimator are separate streams derived
from the trial seed: every estimator in a cell sees byte-identical data, and the spread over
seeds includes the estimator's own randomness.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from dataclasses import dataclass, field

import numpy as np

from mibench import registry as _registry
from mibench._version import __version__
from mibench.contracts import InputError, required_n
from mibench.contracts.canonical import canonical_json, seed_int, seed_sequence, spec_label, stable_int

DATA_STREAM = 0
ESTIMATOR_STREAM = 1


def code_version() -> str:
    return f"mibench-{__version__}"


@dataclass(frozen=True)
class Trial:
    scenario: str
    scenario_params: dict = field(hash=False)
    estimator: str
    estimator_params: dict = field(hash=False)
    n: int
    seed: int
    #: the estimator class's ``version`` (None: not versioned, not in the key)
    estimator_version: int | str | None = None
    #: spawn keys of the (data, estimator) seed streams, when not the default
    #: ``(stable_int(scenario_id), n, stream)`` (user-data work keeps its own streams)
    seed_keys: tuple[tuple[int, ...], tuple[int, ...]] | None = field(default=None, hash=False,
                                                                      compare=False)
    #: measure the estimate's peak memory (resetting the kernel's peak counter costs ~1 ms per
    #: trial; user-data replicates, many and small, leave it out: their peak_mem_mb is NaN)
    measure_memory: bool = field(default=True, hash=False, compare=False)

    @functools.cached_property
    def scenario_id(self) -> str:
        """The data cell without n and seed: scenario name and its parameters."""
        return f"{self.scenario}{canonical_json(self.scenario_params)}"

    @functools.cached_property
    def estimator_id(self) -> str:
        version = "" if self.estimator_version is None else f"@{self.estimator_version}"
        return f"{self.estimator}{version}{canonical_json(self.estimator_params)}"

    @functools.cached_property
    def key(self) -> str:
        payload = canonical_json([self.scenario_id, self.estimator_id, int(self.n), int(self.seed),
                                  code_version()])
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def _stream(self, stream: int) -> np.random.SeedSequence:
        if self.seed_keys is not None:
            return seed_sequence(self.seed, self.seed_keys[stream])
        return seed_sequence(self.seed, (stable_int(self.scenario_id), int(self.n), stream))

    def data_rng(self) -> np.random.Generator:
        """Generator for the data; independent of the estimator, so a cell's data is shared."""
        return np.random.default_rng(self._stream(DATA_STREAM))

    @property
    def estimator_seed(self) -> int:
        return seed_int(self._stream(ESTIMATOR_STREAM))

    def as_dict(self) -> dict:
        return {"key": self.key, "scenario": self.scenario,
                "scenario_params": canonical_json(self.scenario_params),
                "estimator": self.estimator, "estimator_params": canonical_json(self.estimator_params),
                "n": int(self.n), "seed": int(self.seed),
                "version": code_version() + ("" if self.estimator_version is None
                                             else f" {self.estimator}@{self.estimator_version}")}


@dataclass
class Skipped:
    scenario: str
    scenario_params: dict
    estimator: str
    reason: str


def expand_grid(grid: dict[str, list]) -> list[dict]:
    """{'rho': [0.1, 0.2], 'd': [1]} -> [{'rho': 0.1, 'd': 1}, {'rho': 0.2, 'd': 1}]."""
    if not grid:
        return [{}]
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(grid[k] for k in keys))]


def build_trials(scenarios: list[tuple[str, dict]], estimators: list[tuple[str, dict]],
                 ns: list[int], seeds: list[int]) -> tuple[list[Trial], list[Skipped]]:
    """The full grid, keeping only estimator/scenario pairs the estimator's capabilities accept.

    ``scenarios`` and ``estimators`` are (registered name, params) pairs; params are already
    expanded (one value each). Estimator parameters equal to their defaults are dropped
    (:func:`mibench.registry.drop_defaults`), so spelling out a default names the same trial.
    Returns the trials and the skipped pairs with their reasons.
    """
    if not ns:
        raise InputError("no sample sizes given")
    for n in ns:
        if int(n) != n or n < 1:
            raise InputError(f"sample size must be a positive integer, got {n}")
    trials, skipped = [], []
    too_small: dict[str, int] = {}  # estimator label -> its minimum n, for an n below it
    for sname, sparams in scenarios:
        scenario = _registry.make_scenario(sname, **sparams)
        sparams = _registry.coerce_params(type(scenario), sparams, f"scenario {sname!r}")
        _ = scenario.true_mi  # validates the parameters up front (and computes a cached MC truth)
        for ename, eparams in estimators:
            estimator = _registry.make_estimator(ename, **eparams)
            given = _registry.coerce_params(type(estimator), eparams, f"estimator {ename!r}")
            eparams = _registry.drop_defaults(type(estimator), given)
            _check_estimator(ename, estimator)
            ok, _, reason = estimator.capabilities.match(
                scenario.x_kind, scenario.y_kind, int(scenario.dim_x), int(scenario.dim_y))
            if not ok:
                skipped.append(Skipped(sname, sparams, ename, reason))
                continue
            need = required_n(estimator)
            if min(ns) < need:
                too_small[spec_label(ename, eparams)] = need
            dim_need = _dimension_need(estimator, scenario)
            for n in ns:
                if need <= n < dim_need:  # enough in general, too few at these dimensions
                    skipped.append(Skipped(sname, sparams, ename,
                                           f"n={n} < {dim_need} samples it needs at dims "
                                           f"({int(scenario.dim_x)}, {int(scenario.dim_y)})"))
                    continue
                for seed in seeds:
                    trials.append(Trial(sname, sparams, ename, eparams, int(n), int(seed),
                                        getattr(type(estimator), "version", None)))
    if too_small:
        worst = ", ".join(f"{label} needs n >= {need}" for label, need in too_small.items())
        raise InputError(f"n={min(ns)} is too small: {worst} (below that its value is noise); "
                         "choose larger sample sizes or leave those estimators out")
    return unique_trials(trials), skipped


def _dimension_need(estimator, scenario) -> int:
    """The n ``estimator`` needs at the scenario's dimensions (``min_samples_for``; 0 for a
    duck-typed plugin without it). Planning skips, with the reason, the n below it."""
    fn = getattr(estimator, "min_samples_for", None)
    return 0 if fn is None else int(fn(int(scenario.dim_x), int(scenario.dim_y)))


def _check_estimator(name: str, estimator) -> None:
    """The estimator's own hyperparameter checks, at planning (before any trial runs)."""
    validate = getattr(estimator, "validate_params", None)
    if validate is None:
        return
    try:
        validate()
    except InputError as exc:
        raise type(exc)(f"estimator {name!r}: {exc}") from None


def unique_trials(trials: list[Trial]) -> list[Trial]:
    """One trial per key, in first-seen order (``ksg`` and ``ksg:k=3``, the default, are one)."""
    out: dict[str, Trial] = {}
    for t in trials:
        out.setdefault(t.key, t)
    return list(out.values())
