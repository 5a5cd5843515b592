"""The scenarios of issue 17 pass mibench.testing.check_scenario (the scenario contract)."""

import pytest

from mibench.testing import check_scenario
from scenarios.embedded import Embedded
from scenarios.images import Images
from scenarios.mixtures import BmiAI, Galaxy, GaussianMixtureScenario, Waves
from scenarios.target_mi import TargetMI


@pytest.mark.parametrize("scenario", [
    TargetMI(1.0, 3), TargetMI(1.0, 3, "uniform"), TargetMI(1.0, 3, "student"),
    TargetMI(1.0, 3, "log-gamma-exponential"), TargetMI(0.0, 2, "uniform"),
    Embedded(dim_x=16, dim_y=8), Embedded(dim_x=16, dim_y=8, embedding="mlp"),
    Images(size=8), Images(size=8, shape="rectangle"), BmiAI(), Galaxy(), Waves(),
], ids=repr)
def test_contract(scenario, monkeypatch):
    monkeypatch.setattr(GaussianMixtureScenario, "mc_n", 5_000)  # the contract, not the accuracy
    report = check_scenario(scenario, n=100)
    assert report.passed, report
