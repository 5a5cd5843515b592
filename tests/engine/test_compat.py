"""What the engine's restructuring (issues 14 and 21) must not change: trial keys and seed
streams (so existing stores and baselines keep working) and the public names."""

from __future__ import annotations

import importlib

import pytest

import mibench
from mibench.planning.trials import Trial

# computed by the code before the restructuring (commit a72588c)
KEYS = [
    (Trial("gaussian-correlated", {"rho": 0.3}, "ksg", {}, 200, 0),
     "651c8aa617f94e9cfd254e8c9046c045", 1538514297, 628292829),
    (Trial("gaussian-correlated", {"rho": 0.3}, "ksg", {"k": 5}, 1000, 7),
     "6f5a1465375bb6bb8f9bcb3afa2062c0", 1651556371, 930419201),
    (Trial("student-t", {"df": 3, "dim": 2}, "gmm-mi", {"n_init": 2}, 500, 3, 2),
     "db5534e479a4533f62f06f2117aa6064", 355324722, 328447661),
]


@pytest.mark.parametrize(("trial", "key", "estimator_seed", "first_draw"), KEYS)
def test_trial_keys_and_seeds_are_unchanged(trial, key, estimator_seed, first_draw):
    assert trial.key == key
    assert trial.estimator_seed == estimator_seed
    assert trial.data_rng().integers(1 << 30) == first_draw


def test_public_names_are_kept():
    assert set(mibench.__all__) >= set([
        "CONTINUOUS", "Capabilities", "DISCRETE", "Estimate", "Estimator", "EstimatorFailure",
        "InputError", "InputTypeError", "MIMatrix", "MibenchError", "Scenario", "Suite", "TrueMI",
        "UnavailableError", "UnknownNameError", "__version__", "as_2d", "check_xy", "estimate",
        "consistency", "plot_consistency",  # added by issue 17
        "load_run", "load_suite", "mi_matrix", "read_data", "recommend", "register", "required_n",
        "run", "run_suite", "summarize", "unregister", "write_report"])  # required_n: issue 19
    for name in mibench.__all__:
        assert getattr(mibench, name) is not None


@pytest.mark.parametrize("old", ["mibench._contracts", "mibench._groundtruth", "mibench._registry",
                                 "mibench._runner", "mibench._userdata", "mibench.reports"])
def test_the_old_private_paths_are_gone(old):
    """Issue 21 deleted mibench/_aliases.py: plugins import the public names from ``mibench``
    (test_layout checks it), so the pre-restructuring module paths no longer import."""
    with pytest.raises(ImportError):
        importlib.import_module(old)


# issue 21: the CLI and `plan()` go through an in-memory suite (one planning path); the keys of
# these grids were computed by the two-path code before (commit 0e5002c)
PLANNED = [
    (("gaussian-correlated", None, ["ksg", "gaussian"], None, 2), 40, "f317b3499f837a23"),
    (("gaussian-correlated", {"rho": ["0.3", "0.6"]}, ["ksg:k=5", "binning"], [200, 500], 3),
     24, "46ff0cd71c85e927"),
    (([("student-t", {"df": 3, "dim_x": 2}), ("gaussian-correlated", {"rho": 0.5})], None,
      {"ksg": {"k": 3}, "gaussian": {}}, 300, [0, 4]), 8, "a47b94402ca92cc4"),
]


@pytest.fixture
def versions_of_0e5002c(monkeypatch):
    """The estimator versions the pinned keys were computed with: a version bump changes a key
    on purpose (stored trials are not reused), which is not what these tests are about."""
    from estimators.binning import Binning
    from estimators.gaussian import Gaussian
    from estimators.ksg import KSG

    monkeypatch.setattr(KSG, "version", 2)  # 3: issue 20's checks
    monkeypatch.setattr(Gaussian, "version", 1)  # 3: issue 20's flags
    monkeypatch.setattr(Binning, "version", 2)  # 3: issue 15's grid term in the error bar


@pytest.mark.usefixtures("versions_of_0e5002c")
@pytest.mark.parametrize(("args", "count", "digest"), PLANNED)
def test_planned_keys_are_unchanged(args, count, digest):
    import hashlib

    from mibench.planning.plan import plan

    trials, skipped = plan(*args)
    assert len(trials) == count and skipped == []
    assert hashlib.sha256(" ".join(t.key for t in trials).encode()).hexdigest()[:16] == digest


@pytest.mark.usefixtures("versions_of_0e5002c")
def test_cli_run_plans_through_an_in_memory_suite(tmp_path, monkeypatch):
    import json

    from mibench.cli import main
    from mibench.planning.suites import Suite

    seen = []
    original = Suite.plan

    def spy(self):
        seen.append(self)
        return original(self)

    monkeypatch.setattr(Suite, "plan", spy)
    code = main(["run", "--scenario", "gaussian-correlated", "--param", "rho=0.3,0.5",
                 "--estimator", "gaussian,ksg:k=5", "--n", "200", "--seeds", "2", "--quiet",
                 "--out", str(tmp_path / "out"), "--store", str(tmp_path / "s.sqlite")])
    assert code == 0 and len(seen) == 1 and seen[0].in_memory
    manifest = json.loads((tmp_path / "out" / "run.json").read_text())
    assert "suite" not in manifest
    assert manifest["keys"] == [
        "245392a663c25e4b12c5bd83753a1797", "3b47dc4dc5c41edd8cdf86ed374c9b0b",
        "7de0b50a32c1437419585bb6e305f93b", "8d6e2197d5651bde43475a8d00397b67",
        "398944d0fd9d4e1e7bb259ee133110c1", "1c4f57f051e42f22df7f3d60e938df25",
        "c5d9f89e7fc70a7a7d443d2a45083f18", "48d04feea3dd53ddd2b77d462eae7e00"]
