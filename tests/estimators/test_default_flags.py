"""Issue 20's goal flags: each fires where its estimator is far off and stays quiet where it is right.

``gaussian``: ``non_gaussian``, ``plugin_bias``; ``ksg`` / ``ksg-mixed``: ``surrogate_bias``,
``heavy_tails``.
Small n, CI-fast; the measured rates on the bmi v1 tasks are in docs/estimator-defaults.md.
"""

import numpy as np
import pytest

from estimators._knn_checks import gaussian_mi_of_cov, tail_index
from estimators.gaussian import Gaussian
from estimators.ksg import KSG
from estimators.ksg_mixed import MixedKSG
from mibench.registry import make_scenario
from tests.estimators._data import gaussian_pair


def _student(n, seed, dim=2, df=1, asinh=False):
    sc = make_scenario("student-t", dim_x=dim, dim_y=dim, df=df, dispersion="identity")
    x, y = sc.sample(n, np.random.default_rng(seed))
    if asinh:
        x, y = np.arcsinh(x), np.arcsinh(y)
    return x, y, sc.true_mi.value


# ------------------------------------------------------------------ gaussian: non_gaussian
@pytest.mark.parametrize("seed", range(3))
def test_non_gaussian_fires_where_the_gaussian_value_is_wrong(seed):
    # asinh of a Student-t (df 1) pair: uncorrelated columns, so the Gaussian reads ~0 with a
    # tiny std while the MI (invariant under asinh) is 0.43 nats
    x, y, truth = _student(600, seed, asinh=True)
    est = Gaussian().estimate(x, y)
    assert abs(est.mi - truth) > 10 * est.std
    assert est.info["flags"] == ["non_gaussian"]
    assert est.info["normality_p"] < 1e-4


def test_non_gaussian_fires_on_a_bent_relation_with_gaussian_marginals():
    # y = rotation of x by an angle growing with |x| (a spiral): every column stays N(0, 1), the
    # canonical-pair test sees the relation fan out
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2000, 2))
    y0 = 0.9 * x + np.sqrt(1 - 0.81) * rng.standard_normal((2000, 2))
    t = 1.2 * np.sqrt((y0 ** 2).sum(1))
    y = np.column_stack([np.cos(t) * y0[:, 0] - np.sin(t) * y0[:, 1],
                         np.sin(t) * y0[:, 0] + np.cos(t) * y0[:, 1]])
    est = Gaussian().estimate(x, y)
    assert est.mi < 0.5 * (-np.log(1 - 0.81))  # far below the truth (MI of (x, y0))
    assert "non_gaussian" in est.info["flags"]


def test_non_gaussian_quiet_and_unbiased_on_gaussian_data():
    # 20 Gaussian data sets in 3 + 3 dimensions: no flag (level 1e-4 per data set), and the
    # value within 4 of its std of the truth (the plug-in bias, 0.009, is a third of its std)
    for seed in range(20):
        x, y, truth = gaussian_pair(500, 0.5, 3, seed)
        est = Gaussian().estimate(x, y)
        assert est.info["flags"] == [], (seed, est.info["normality_p"])
        assert abs(est.mi - truth) < 4 * est.std
    assert "normality_p" not in Gaussian(check_normality=False).estimate(x, y).info


def test_plugin_bias_fires_where_the_plugin_is_off_and_the_correction_fixes_it():
    # 15 + 15 dimensions at n = 300: the plug-in is biased up by about 225 / 600 = 0.38 nats,
    # about 5 of its std; the exact correction removes it
    x, y, truth = gaussian_pair(300, 0.3, 15, 0)
    plug = Gaussian().estimate(x, y)
    assert plug.mi - truth > 3 * plug.std
    assert plug.info["flags"] == ["plugin_bias"]
    assert plug.info["plugin_bias"] == pytest.approx(0.5 * 225 / 300, rel=0.25)
    corr = Gaussian(bias_correction=True).estimate(x, y)
    assert abs(corr.mi - truth) < 3 * corr.std
    assert corr.info["flags"] == [] and "plugin_bias" not in corr.info


# ------------------------------------------------------------------ ksg: surrogate_bias
@pytest.mark.parametrize("cls", [KSG, MixedKSG])
def test_surrogate_bias_fires_where_knn_is_biased(cls):
    # 6 + 6 dimensions, rho 0.9 per pair: MI 4.98 nats, far beyond what k-NN reaches at n = 400
    x, y, truth = gaussian_pair(400, 0.9, 6, 0)
    est = cls().estimate(x, y, seed=0)
    assert truth - est.mi > 10 * est.std
    assert "surrogate_bias" in est.info["flags"]
    assert est.info["surrogate_z"] < -4
    assert est.info["surrogate_true_mi"] == pytest.approx(
        gaussian_mi_of_cov(np.cov(np.hstack((x, y)), rowvar=False), 6))


@pytest.mark.parametrize("seed", range(4))
def test_knn_checks_quiet_where_ksg_is_right(seed):
    x, y, truth = gaussian_pair(1000, 0.6, 1, seed)
    est = KSG().estimate(x, y, seed=seed)
    assert abs(est.mi - truth) < 4 * est.std
    assert est.info["flags"] == []
    assert est.info["tail_index"] > 4


# ------------------------------------------------------------------ ksg: heavy_tails
@pytest.mark.parametrize("cls", [KSG, MixedKSG])
def test_heavy_tails_fires_on_student_t(cls):
    x, y, truth = _student(2000, 3, dim=3, df=2)
    est = cls().estimate(x, y, seed=0)
    assert truth - est.mi > 5 * est.std  # biased low
    assert "heavy_tails" in est.info["flags"]
    # the same data with the tails shortened (asinh, MI unchanged): no tail flag
    assert tail_index(np.arcsinh(np.hstack((x, y)))) > 4


def test_checks_skipped_for_atoms_and_switchable():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (600, 1)).astype(float)
    y = (x + rng.integers(0, 2, (600, 1))).astype(float)
    est = MixedKSG().estimate(x, y, seed=0)
    assert "checks_skipped" in est.info and "surrogate_mi" not in est.info
    x, y, _ = gaussian_pair(300, 0.5, 1, 1)
    plain = KSG(checks=False).estimate(x, y, seed=0)
    checked = KSG().estimate(x, y, seed=0)
    assert "tail_index" not in plain.info
    assert (checked.mi, checked.std) == (plain.mi, plain.std)  # the checks change no number
