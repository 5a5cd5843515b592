"""What the engine's restructuring (issue 14) must not change: trial keys and seed streams (so
existing stores and baselines keep working), the public names, and the old module paths that
plugins import until they move to the public API."""

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


@pytest.mark.parametrize(("old", "name", "new"), [
    ("mibench._contracts", "TrueMI", "mibench.contracts"),
    ("mibench._groundtruth", "monte_carlo_mi", "mibench.contracts.groundtruth"),
    ("mibench._registry", "make_estimator", "mibench.registry"),
    ("mibench._trials", "canonical_json", "mibench.contracts.canonical"),
    ("mibench._store", "Store", "mibench.execution.store"),
    ("mibench._runner", "execute", "mibench.execution.runner"),
    ("mibench._runner", "plan", "mibench.planning.plan"),
    ("mibench._userdata", "read_data", "mibench.userdata.read"),
    ("mibench._userdata", "run_pairs", "mibench.userdata.pairs"),
    ("mibench._check", "compare", "mibench.checking.baseline"),
    ("mibench.reports", "write_report", "mibench.analysis.reports"),
    ("mibench.reports._labels", "add_labels", "mibench.analysis.reports._labels"),
])
def test_old_module_paths_still_import(old, name, new):
    assert getattr(importlib.import_module(old), name) is getattr(importlib.import_module(new), name)


def test_a_moved_module_is_the_same_object_not_a_copy():
    import mibench._registry as old
    from mibench import registry

    assert old is registry
    assert registry.__spec__.name == "mibench.registry"


def test_unknown_name_in_a_split_module_is_an_attribute_error():
    with pytest.raises(ImportError):
        from mibench._runner import no_such_name  # noqa: F401
