"""Trials: one (scenario + params, estimator + params, n, seed) cell of a benchmark grid.

A trial's identity is a content hash of everything that determines its result, including the
mibench version and the estimator's own ``version`` when it declares one, so a store can skip
what it already holds. Seeds for the data and for the estimator are separate streams derived
from the trial seed: every estimator in a cell sees byte-identical data, and the spread over
seeds includes the estimator's own randomness.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from dataclasses import dataclass, field

import numpy as np

from mibench import registry as _registry
from mibench._version import __version__
from mibench.contracts import InputError
from mibench.contracts.canonical import canonical_json, stable_int

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
    #: the parameters as given, each spelling that spelled out defaults ``estimator_params``
    #: drops (stores written before 2026-11-27 keyed trials by them: see ``legacy_keys``)
    given_params: tuple[dict, ...] = field(default=(), hash=False, compare=False)

    @property
    def scenario_id(self) -> str:
        """The data cell without n and seed: scenario name and its parameters."""
        return f"{self.scenario}{canonical_json(self.scenario_params)}"

    @property
    def estimator_id(self) -> str:
        version = "" if self.estimator_version is None else f"@{self.estimator_version}"
        return f"{self.estimator}{version}{canonical_json(self.estimator_params)}"

    @property
    def key(self) -> str:
        return self._hash(self.estimator_id)

    @property
    def legacy_keys(self) -> list[str]:
        """The keys an older mibench gave this trial, which hashed the parameters as given
        (defaults spelled out included); none for a versioned estimator."""
        if self.estimator_version is not None:
            return []
        return [self._hash(f"{self.estimator}{canonical_json(p)}") for p in self.given_params]

    def _hash(self, estimator_id: str) -> str:
        payload = canonical_json([self.scenario_id, estimator_id, int(self.n), int(self.seed),
                                  code_version()])
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def data_rng(self) -> np.random.Generator:
        """Generator for the data; independent of the estimator, so a cell's data is shared."""
        ss = np.random.SeedSequence(int(self.seed),
                                    spawn_key=(stable_int(self.scenario_id), int(self.n), DATA_STREAM))
        return np.random.default_rng(ss)

    @property
    def estimator_seed(self) -> int:
        ss = np.random.SeedSequence(int(self.seed),
                                    spawn_key=(stable_int(self.scenario_id), int(self.n), ESTIMATOR_STREAM))
        return int(ss.generate_state(1, dtype=np.uint32)[0] >> 1)

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
    for sname, sparams in scenarios:
        scenario = _registry.make_scenario(sname, **sparams)
        sparams = _registry.coerce_params(type(scenario), sparams, f"scenario {sname!r}")
        _ = scenario.true_mi  # validates the parameters up front (and computes a cached MC truth)
        for ename, eparams in estimators:
            estimator = _registry.make_estimator(ename, **eparams)
            given = _registry.coerce_params(type(estimator), eparams, f"estimator {ename!r}")
            eparams = _registry.drop_defaults(type(estimator), given)
            ok, _, reason = estimator.capabilities.match(
                scenario.x_kind, scenario.y_kind, int(scenario.dim_x), int(scenario.dim_y))
            if not ok:
                skipped.append(Skipped(sname, sparams, ename, reason))
                continue
            for n in ns:
                for seed in seeds:
                    trials.append(Trial(sname, sparams, ename, eparams, int(n), int(seed),
                                        getattr(type(estimator), "version", None),
                                        (given,) if given != eparams else ()))
    return unique_trials(trials), skipped


def unique_trials(trials: list[Trial]) -> list[Trial]:
    """One trial per key, in first-seen order; the spellings of merged duplicates (e.g. ``ksg``
    and ``ksg:k=3``, the default) are kept for their legacy keys."""
    out: dict[str, Trial] = {}
    for t in trials:
        first = out.setdefault(t.key, t)
        if first is not t and t.given_params:
            spellings = first.given_params + tuple(p for p in t.given_params if p not in first.given_params)
            out[t.key] = dataclasses.replace(first, given_params=spellings)
    return list(out.values())
