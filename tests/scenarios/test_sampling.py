"""Every registered built-in scenario: registration, reproducible sampling, shapes, kinds,
CLI-friendly parameters, and a working ``true_mi`` at its defaults."""

import importlib
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest

from mibench import DISCRETE, Scenario, TrueMI
from mibench.contracts import KINDS

#: the built-in scenarios, as pyproject.toml registers them
BUILTIN_SCENARIOS = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())[
    "project"]["entry-points"]["mibench.scenarios"]


def _load(path):
    mod, attr = path.split(":")
    return getattr(importlib.import_module(mod), attr)


@pytest.fixture
def cheap_mc(monkeypatch):
    """Monte-Carlo truths at 20 000 draws: this test checks that true_mi works, not its accuracy."""
    from scenarios import mixtures
    for cls in (mixtures.GaussianMixtureScenario, mixtures.ConcentricGaussians, mixtures.SparseInliers):
        monkeypatch.setattr(cls, "mc_n", 20_000)


def test_entry_points_register_every_builtin():
    eps = {ep.name: ep.value for ep in entry_points(group="mibench.scenarios")}
    for name, path in BUILTIN_SCENARIOS.items():
        assert eps.get(name) == path, f"{name} missing from pyproject (reinstall?)"


@pytest.mark.parametrize("name", sorted(BUILTIN_SCENARIOS))
def test_defaults_sample_reproducibly_with_declared_shapes_and_kinds(name, cheap_mc):
    cls = _load(BUILTIN_SCENARIOS[name])
    assert issubclass(cls, Scenario)
    sc = cls()
    params = sc.get_params()
    assert all(v is None or isinstance(v, bool | int | float | str) for v in params.values()), params
    assert set(cls.default_grid) <= set(params)
    assert sc.x_kind in KINDS and sc.y_kind in KINDS
    n = 64
    x1, y1 = sc.sample(n, np.random.default_rng(2024))
    x2, y2 = sc.sample(n, np.random.default_rng(2024))
    x3, _ = sc.sample(n, np.random.default_rng(2025))
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    for a, d, kind in ((x1, sc.dim_x, sc.x_kind), (y1, sc.dim_y, sc.y_kind)):
        assert a.shape == (n, int(d)) and a.dtype == np.float64 and a.flags.c_contiguous
        assert np.all(np.isfinite(a))
        if kind == DISCRETE:
            assert a.shape[1] == 1 and np.array_equal(a, np.round(a))
    truth = sc.true_mi
    assert isinstance(truth, TrueMI)
    assert isinstance(truth.value, float) and isinstance(truth.stderr, float)
    assert np.isfinite(truth.value) and truth.value >= -4 * truth.stderr and truth.stderr >= 0


@pytest.mark.parametrize("name", sorted(BUILTIN_SCENARIOS))
def test_default_grid_values_construct(name, cheap_mc):
    cls = _load(BUILTIN_SCENARIOS[name])
    for key, values in cls.default_grid.items():
        assert values, f"{name}: empty grid for {key}"
        for v in values:
            sc = cls(**{key: v})
            assert sc.get_params()[key] == v
            if getattr(cls, "mc_n", None) is None:  # closed forms: cheap, check them all
                assert np.isfinite(sc.true_mi.value)


def test_discrete_kinds_declared():
    from scenarios.discrete import (
        CategoricalGaussian,
        CategoricalUniform,
        DiscreteTable,
        SymmetricChannel,
        ZeroInflatedPoisson,
    )
    assert (CategoricalUniform.x_kind, CategoricalUniform.y_kind) == ("discrete", "continuous")
    assert (ZeroInflatedPoisson.x_kind, ZeroInflatedPoisson.y_kind) == ("continuous", "discrete")
    assert CategoricalGaussian.x_kind == "discrete"
    for cls in (SymmetricChannel, DiscreteTable):
        assert (cls.x_kind, cls.y_kind) == ("discrete", "discrete")
