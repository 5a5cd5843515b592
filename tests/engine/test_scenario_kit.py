"""mibench.testing for scenarios (check_scenario) and the one-test-per-check helper."""

from __future__ import annotations

import numpy as np
import pytest

import mibench
from mibench import TrueMI
from mibench.testing import ConformanceError, check_scenario, parametrize_with_checks
from tests.conftest import PearsonMI


class Shifted(mibench.Scenario):
    """y = x + noise, a closed-form Gaussian truth (a well-behaved scenario)."""

    default_grid = {"rho": [0.5]}

    def __init__(self, rho: float = 0.5):
        self.rho = rho

    def sample(self, n, rng):
        x = rng.standard_normal((n, 1))
        y = self.rho * x + np.sqrt(1 - self.rho**2) * rng.standard_normal((n, 1))
        return x, y

    @property
    def true_mi(self):
        return TrueMI(-0.5 * np.log1p(-self.rho**2), 0.0)


class Broken(Shifted):
    """Integer-typed output, randomness outside rng and a negative truth."""

    default_grid = {"scale": [1.0]}

    def sample(self, n, rng):
        noise = np.random.default_rng().standard_normal((n, 1))  # not from rng
        return noise.astype(np.float32), noise

    @property
    def true_mi(self):
        return TrueMI(-0.1, 0.0)


@parametrize_with_checks([Shifted, mibench.registry.estimator_class("gaussian"),
                          mibench.registry.scenario_class("gaussian-correlated")])
def test_contract(estimator, check):
    check(estimator)


def test_one_test_id_per_check():
    mark = parametrize_with_checks([Shifted, PearsonMI])
    ids = mark.kwargs["ids"]
    assert "Shifted-sample_shapes" in ids and "PearsonMI-deterministic" in ids
    assert len(ids) == len(set(ids)) == 5 + len(mibench.testing.CHECKS)


def test_check_scenario_names_each_broken_clause():
    report = check_scenario(Broken, raise_on_failure=False)
    failed = {o.name: o.message for o in report.failed}
    assert set(failed) == {"api"}  # the other checks are skipped after it
    assert "default_grid names 'scale'" in failed["api"]
    assert {o.name for o in report.outcomes if o.status == "skipped"} == {
        "params_round_trip", "sample_shapes", "deterministic", "true_mi"}
    with pytest.raises(ConformanceError, match=r"check_scenario\(Broken"):
        check_scenario(Broken, checks=["true_mi"])
    report = check_scenario(Broken, checks=["sample_shapes", "deterministic", "true_mi"],
                            raise_on_failure=False)
    msgs = {o.name: o.message for o in report.failed}
    assert "float64" in msgs["sample_shapes"] and "same generator seed" in msgs["deterministic"]
    assert ">= 0" in msgs["true_mi"]
    assert check_scenario(Shifted, {"rho": 0.9}).passed
