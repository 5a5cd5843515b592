"""Every registered, available estimator and every built-in scenario passes the conformance kit
(scenarios one test per check, through parametrize_with_checks); broken toys fail it readably."""

from __future__ import annotations

import numpy as np
import pytest

from mibench import Capabilities, Estimate, Estimator, InputError
from mibench import registry as _registry
from mibench.testing import CHECKS, ConformanceError, check_estimator, make_pair, parametrize_with_checks

#: cheap hyperparameters for the expensive estimators (the kit's checks do not depend on them)
#: (the neural bounds and doe train 5 models per estimate by default, cross-fitting: 5 x 30 steps)
NEURAL = {"max_steps": 30, "eval_every": 10, "learning_rate": 0.01, "threads": 1}
CHEAP = {
    "gmm-mi": {"n_bootstrap": 5, "mc_samples": 5000},
    "gmm-mi-categorical": {"n_bootstrap": 5, "mc_samples": 5000},
    "gmm-mi-reference": {},
    "mine": NEURAL, "nwj": NEURAL, "infonce": NEURAL, "smile": NEURAL,
    "classifier": {"max_iter": 30, "patience": 2},
    "flow": {"max_epochs": 8, "hidden": (16,), "transforms": 1},
    "latent-ksg": {"max_epochs": 3, "hidden": 16},
    "latentmi-reference": {"epochs": 2, "patience": 1, "n_dims": 2},
    "torch-mist-reference": {"max_iterations": 300, "learning_rate": 0.005},
    "doe": {"max_epochs": 4, "batch_size": 32, "hidden": (16,), "transforms": 1},
}
#: sample size per estimator when not the kit's 400
SAMPLES: dict[str, int] = {}

#: reference plugins whose own code is slow even with a tiny budget (latentmi's 1024-wide
#: autoencoders: ~1 min per check on an idle core; torch-mist with a budget that passes the
#: dependent check: ~20 s): conformance runs with `tox -e slow`
SLOW = {"latentmi-reference", "torch-mist-reference"}

BUILTIN = [pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name
           for name in sorted(name for name, p in _registry.estimators().items()
                              if p.target.startswith("estimators."))]


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_estimator_conforms(name):
    plugin = _registry.estimators()[name]
    if not plugin.available:
        pytest.skip(f"{name} unavailable: {plugin.error}")
    report = check_estimator(plugin.cls, CHEAP.get(name, {}), n=SAMPLES.get(name, 400))
    assert report.passed and len(report.outcomes) == len(CHECKS)


#: built-in scenarios whose Monte-Carlo ground truth costs 3-60 s to compute the first time (the
#: test session's cache starts empty): their conformance runs with `tox -e slow`
SLOW_SCENARIOS = {"waves", "bmi-ai", "galaxy", "bmi-x", "concentric-gaussians", "gmm-synthetic",
                  "sparse-inliers"}
SCENARIOS = sorted(name for name, p in _registry.scenarios().items() if p.target.startswith("scenarios."))


@parametrize_with_checks([_registry.scenario_class(n) for n in SCENARIOS if n not in SLOW_SCENARIOS])
def test_builtin_scenario_conforms(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks([_registry.scenario_class(n) for n in sorted(SLOW_SCENARIOS)])
def test_builtin_scenario_with_a_costly_truth_conforms(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------- broken toys
class Broken(Estimator):
    """Breaks the contract in several ways: validates in __init__, keeps state, ignores the seed
    (global RNG), returns a numpy scalar and a non-JSON info, and always returns about 0.3."""

    def __init__(self, k=3):
        if k < 1:
            raise ValueError("k must be positive")
        self.k = k
        self.cache_ = {}

    def _estimate(self, x, y, *, seed):
        return Estimate(np.float32(0.3 + 0.01 * np.random.random()), info={"a": np.arange(2)})


class NoValidation(Estimator):
    """Skips mibench's validation by overriding estimate()."""

    def __init__(self, noise=0.0):
        self.noise = noise

    def estimate(self, x, y, *, seed=None):
        x = np.asarray(x, dtype=float).reshape(len(x), -1)
        y = np.asarray(y, dtype=float).reshape(len(y), -1)
        with np.errstate(all="ignore"):
            r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
        return Estimate(float(-0.5 * np.log1p(-r * r)))


class LiesAboutDims(Estimator):
    """Declares 1-D only but accepts anything, and reports a std it does not compute."""

    capabilities = Capabilities(max_dx=1, max_dy=1)
    reports_std = True

    def __init__(self):
        pass

    def validate_params(self):
        pass

    def min_samples(self):
        return 2

    def estimate(self, x, y, *, seed=None):
        from mibench import as_2d

        x, y = as_2d(x, "x"), as_2d(y, "y")
        if len(x) != len(y):
            raise InputError("lengths differ")
        with np.errstate(all="ignore"):
            r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
        return Estimate(float(-0.5 * np.log1p(-r * r)), std=None)


def test_broken_toy_fails_with_readable_report():
    with pytest.raises(ConformanceError) as info:
        check_estimator(Broken)
    report = info.value.report
    failed = {o.name for o in report.failed}
    assert {"init_does_no_work", "output_types", "deterministic", "independent_small",
            "dependent_large"} <= failed
    text = str(info.value)
    assert text.startswith("check_estimator(Broken()): ")
    assert "checks FAILED" in text
    assert "validate hyperparameters in validate_params(), not __init__" in text
    assert "np.random.default_rng(seed)" in text
    assert "[ok  ] params_round_trip" in text


def test_missing_validation_and_capabilities_are_reported():
    report = check_estimator(NoValidation, raise_on_failure=False)
    failed = {o.name: o.message for o in report.failed}
    assert "rejects_bad_input" in failed and "x with a NaN" in failed["rejects_bad_input"]
    assert "rejects_bad_params" in failed and "noise='not-a-number'" in failed["rejects_bad_params"]
    report = check_estimator(LiesAboutDims, raise_on_failure=False)
    failed = {o.name: o.message for o in report.failed}
    assert "reports_std is True but std is None" in failed["output_types"]
    assert "max_dx = 1" in failed["capabilities_honoured"]


def test_bad_version_attribute_is_reported():
    from tests.conftest import PearsonMI

    class BadVersion(PearsonMI):
        version = 1.5

    failed = {o.name: o.message for o in check_estimator(BadVersion, checks=["api"],
                                                         raise_on_failure=False).failed}
    assert "version = 1.5; expected None, an int or a str" in failed["api"]
    assert not check_estimator(type("Versioned", (PearsonMI,), {"version": 3}), checks=["api"],
                               raise_on_failure=False).failed


def test_kit_accepts_instances_and_selected_checks():
    from tests.conftest import PearsonMI

    report = check_estimator(PearsonMI(noise=0.0), checks=["params_round_trip", "dependent_large"])
    assert [o.name for o in report.outcomes] == ["params_round_trip", "dependent_large"]
    assert report.params == {"noise": 0.0, "fail_above": None}
    with pytest.raises(InputError, match="unknown check"):
        check_estimator(PearsonMI, checks=["nope"])


@pytest.mark.parametrize("kinds", [("continuous", "continuous"), ("continuous", "discrete"),
                                   ("discrete", "continuous"), ("discrete", "discrete")])
def test_kit_data_are_of_the_declared_kinds(kinds):
    x, y = make_pair(kinds, 200, dependent=True, dx=1, dy=1, seed=1)
    for arr, kind in zip((x, y), kinds, strict=True):
        assert arr.dtype == np.float64 and arr.shape == (200, 1)
        if kind == "discrete":
            assert set(np.unique(arr)) == {0.0, 1.0, 2.0, 3.0}
        else:
            assert len(np.unique(arr)) == 200
