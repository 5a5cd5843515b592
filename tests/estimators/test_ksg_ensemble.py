"""ksg-ensemble (two-point KSG ensemble) and the ``below_ensemble`` flag it serves."""

import numpy as np
import pytest

from estimators._knn_checks import ENSEMBLE_MARGIN, ENSEMBLE_SIGMA, knn_reference_check, with_summary_check
from estimators.ksg import KSG
from estimators.ksg_ensemble import KSGEnsemble, ensemble_weight
from mibench import Estimate, InputError
from mibench.registry import make_estimator
from mibench.testing import check_estimator
from tests.estimators._data import bmi_task, gaussian_pair


def test_contract():
    check_estimator(KSGEnsemble())


def test_weight_cancels_a_bias_proportional_to_k_over_n_to_the_2_over_d():
    for d in (2, 6, 10):
        g = ensemble_weight(3, 12, d)
        # (1 + g) c 3^(2/d) - g c 12^(2/d) = 0 for every c
        assert abs((1 + g) * 3 ** (2 / d) - g * 12 ** (2 / d)) < 1e-12
    assert ensemble_weight(3, 12, 2) == pytest.approx(1 / 3)


@pytest.mark.parametrize("d", [1, 3])
def test_combines_our_ksg_at_the_two_k_on_identical_rows(d):
    # the same preprocessing and jitter (same seed), so the two KSG values are KSG's own
    x, y, _ = gaussian_pair(1500, 0.7, d, 2)
    ens = KSGEnsemble(uncertainty="none").estimate(x, y, seed=4)
    k3, k12 = (KSG(k=k, uncertainty="none", checks=False).estimate(x, y, seed=4).mi for k in (3, 12))
    g = ensemble_weight(3, 12, 2 * d)
    assert ens.info["ksg_per_k"] == pytest.approx([k3, k12], abs=1e-12)
    assert ens.mi == pytest.approx((1 + g) * k3 - g * k12, abs=1e-12)


def test_removes_most_of_ksgs_bias_in_ten_dimensions():
    # 5 + 5 Gaussian, rho = 0.7 per pair (truth 1.68) at n = 2000: KSG-3 reads about 1.2
    x, y, truth = gaussian_pair(2000, 0.7, 5, 0)
    ens = KSGEnsemble().estimate(x, y, seed=0)
    ksg = KSG(checks=False).estimate(x, y, seed=0)
    assert abs(ens.mi - truth) < 4 * ens.std
    assert truth - ksg.mi > 10 * ksg.std and abs(ens.mi - truth) < 0.3 * (truth - ksg.mi)


def test_spiral_much_closer_than_ksg():
    # spiral of a sparse 3 + 3 Gaussian (truth 1.02) at n = 5000: KSG-3 reads about 0.72, the
    # ensemble 0.88 +- 0.03 on this data set (0.90-1.02 on others, docs/estimator-defaults.md)
    x, y, truth = bmi_task("spiral-multinormal-sparse-3-3-2-2.0", 5000, 0)
    ens = KSGEnsemble().estimate(x, y, seed=0)
    ksg = KSG(checks=False).estimate(x, y, seed=0)
    assert ens.mi - ksg.mi > 4 * ens.std and truth - ens.mi < 0.6 * (truth - ksg.mi)


def test_flags_heavy_tails():
    x, y, truth = bmi_task("student-identity-3-3-2", 2000, 0)
    ens = KSGEnsemble().estimate(x, y, seed=0)
    assert ens.mi < 0.5 * truth and "heavy_tails" in ens.info["flags"]


def test_bad_input_and_dimension_limit():
    for k in [(12, 3), 5, (3,), (0, 4), (3.0, 12)]:
        with pytest.raises(InputError, match="k must be a pair"):
            KSGEnsemble(k=k).estimate(np.zeros((100, 1)), np.zeros((100, 1)))
    ok, _, reason = KSGEnsemble.capabilities.match("continuous", "continuous", 6, 1)
    assert not ok and "dim_x<=5" in reason


# ------------------------------------------------------------------ below_ensemble
def test_below_ensemble_where_every_other_reference_reads_low():
    # the spiral at n = 2000: KSG (0.64-0.71), the copula (0.24) and the summaries read far
    # below the truth (1.02), so an estimate of 0.6 +- 0.02 (LNC's, the classifier's) passed
    # every other check; the ensemble reads 0.80-0.98 (data seeds 0-3; the flag fires on all
    # four, z = 4.5-9.7, seed 0 closest to the limit)
    x, y, truth = bmi_task("spiral-multinormal-sparse-3-3-2-2.0", 2000, 1)
    low = with_summary_check(Estimate(mi=0.6, std=0.02, info={}), x, y, 1)
    assert low.info["flags"] == ["below_ensemble"]
    assert low.info["ensemble_reference_z"] > ENSEMBLE_SIGMA
    assert low.info["ensemble_reference"] - 0.6 > ENSEMBLE_MARGIN * low.info["ensemble_reference"]
    right = with_summary_check(Estimate(mi=truth, std=0.02, info={}), x, y, 1)
    assert right.info["flags"] == [] and "ensemble_reference_std" not in right.info  # plain only


@pytest.mark.parametrize("task, n, mi", [("spiral-multinormal-sparse-3-3-2-2.0", 2000, 0.6),
                                         ("multinormal-dense-5-5-0.5", 1000, 0.3),
                                         ("multinormal-dense-5-5-0.5", 1000, 0.7)])
def test_shared_references_are_ksg_and_the_ensemble_computed_apart(task, n, mi):
    # one pass of neighbour queries serves both references: the KSG reference is KSG() and the
    # ensemble KSGEnsemble() with the same seed (same jitter, parts and part seeds), to the bit;
    # the ensemble's std only when its value is far enough above the estimate to need it
    x, y, _ = bmi_task(task, n, 0)
    ksg_ref, ens_ref = knn_reference_check(x, y, mi, 0.02, seed=11)
    ksg = KSG(checks=False).estimate(x, y, seed=11)
    ens = KSGEnsemble(checks=False).estimate(x, y, seed=11)
    assert ksg_ref["ksg_reference"] == ksg.mi and ksg_ref["ksg_reference_std"] == ksg.std
    assert ksg_ref["ksg_reference_subsample_bias"] == ksg.info["subsample_bias"]
    assert ens_ref["ensemble_reference"] == ens.mi
    far = ens.mi - mi > max(ENSEMBLE_SIGMA * np.hypot(0.02, ksg.std), ENSEMBLE_MARGIN * ens.mi)
    assert ("ensemble_reference_std" in ens_ref) == far
    if far:
        assert ens_ref["ensemble_reference_std"] == pytest.approx(ens.std, rel=1e-12)
    assert knn_reference_check(x, y, mi, 0.02, seed=11, ensemble=False)[1] == {}


def test_below_ensemble_needs_the_margin_and_the_error_bars():
    # 5 + 5 Gaussian, rho = 0.9 per pair (truth 4.15) at n = 2000: the ensemble overshoots
    # (about 4.5); an estimate 5 % low is not flagged, one 30 % low is
    x, y, truth = gaussian_pair(2000, 0.9, 5, 0)
    near = with_summary_check(Estimate(mi=0.95 * truth, std=0.03, info={}), x, y, 0)
    assert "below_ensemble" not in near.info["flags"]
    far = with_summary_check(Estimate(mi=0.7 * truth, std=0.03, info={}), x, y, 0)
    assert "below_ensemble" in far.info["flags"]


def test_lnc_reads_the_ensemble_from_its_own_neighbours():
    # same rows and seed: the value and the subsampling std of KSGEnsemble, at no new query
    x, y, truth = bmi_task("spiral-multinormal-sparse-3-3-2-2.0", 2000, 0)
    lnc = make_estimator("lnc").estimate(x, y, seed=3)
    ens = KSGEnsemble(checks=False).estimate(x, y, seed=3)
    assert lnc.info["ensemble_reference"] == pytest.approx(ens.mi, abs=1e-12)
    assert lnc.info["ensemble_reference_std"] == pytest.approx(ens.std, abs=1e-12)
    assert truth - lnc.mi > 10 * lnc.std and "below_ensemble" in lnc.info["flags"]
