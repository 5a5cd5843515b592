"""Classifier-based MI (CCMI / DEMI) with a scikit-learn MLP, held out."""

import numpy as np
import pytest

import mibench
from estimators.classifier import ClassifierMI
from tests.estimators._data import gaussian_pair as _gauss


@pytest.mark.parametrize("rho, d", [(0.9, 1), (0.8, 2)])
def test_close_to_gaussian_truth(rho, d):
    # held-out DV is a lower bound in expectation: above truth - (4 std + 0.1 nats of the
    # critic's approximation gap), and not above truth + 3 std (sampling error only)
    x, y, truth = _gauss(2000, rho, d, seed=5)
    est = ClassifierMI().estimate(x, y, seed=0)
    assert truth - 4 * est.std - 0.1 < est.mi < truth + 3 * est.std, (est.mi, est.std, truth)
    assert est.info["bound"] == "dv" and np.isfinite(est.info["demi"])


def test_independent_is_zero_within_its_std():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((2000, 2)), rng.standard_normal((2000, 1))
    est = ClassifierMI().estimate(x, y, seed=1)
    assert abs(est.mi) < 3 * est.std + 0.01


def test_demi_bound_and_bad_params():
    x, y, _ = _gauss(600, 0.9, 1, seed=0)
    dv = ClassifierMI().estimate(x, y, seed=3)
    demi = ClassifierMI(bound="demi").estimate(x, y, seed=3)
    assert demi.mi == pytest.approx(dv.info["demi"]) and dv.mi == pytest.approx(demi.info["dv"])
    for bad, match in (({"bound": "nce"}, "bound"), ({"hidden": "a/b"}, "hidden"),
                       ({"test_fraction": 0.99}, "test_fraction"), ({"clip": 0.7}, "clip")):
        with pytest.raises(mibench.InputError, match=match):
            ClassifierMI(**bad).estimate(x, y, seed=0)


@pytest.mark.slow
def test_heldout_std_against_spread_over_seeds():
    # the held-out standard error leaves out training randomness: it may be smaller than the
    # spread over independent data sets, but not by more than a factor 3 (n = 2000, 20 seeds)
    vals, stds = [], []
    for s in range(20):
        x, y, _ = _gauss(2000, 0.8, 1, seed=200 + s)
        e = ClassifierMI().estimate(x, y, seed=s)
        vals.append(e.mi)
        stds.append(e.std)
    ratio = np.mean(stds) / np.std(vals, ddof=1)
    assert 0.33 < ratio < 1.5, ratio
