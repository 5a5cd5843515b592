"""LNC: KSG with the local non-uniformity correction (Gao, Ver Steeg & Galstyan 2015)."""

import numpy as np
import pytest

import mibench
from estimators.ksg import KSG
from estimators.lnc import ALPHA_TABLE, LNC, MAX_DIM, lnc_log_volume_ratio, uniform_alpha
from tests.estimators._data import gaussian_pair as _gauss


def test_volume_ratio_matches_a_per_point_loop():
    # the authors' per-point recipe (NPEET_LNC), one point at a time, with a general eig
    rng = np.random.default_rng(0)
    z = rng.standard_normal((60, 3))
    z[:, 2] = z[:, 0] + 0.01 * z[:, 2]
    k = 7
    d2 = np.abs(z[:, None, :] - z[None, :, :]).max(2)
    idx = np.argsort(d2, axis=1, kind="stable")[:, :k + 1]
    expect = []
    for i in range(len(z)):
        pts = z[idx[i]] - z[i]
        _, v = np.linalg.eig(pts.T @ pts / k)
        expect.append(np.log(np.abs(pts @ v).max(0)).sum() - np.log(np.abs(pts).max(0)).sum())
    np.testing.assert_allclose(lnc_log_volume_ratio(z, idx, chunk=16), expect, atol=1e-10)


@pytest.mark.parametrize("d, k", [(2, 5), (2, 10), (3, 10)])
def test_untabulated_alpha_rule_reproduces_the_table(d, k):
    # the rule used off the table (0.7 % quantile of Vbar/V for uniform data) lands within 15 %
    # of the authors' values (the quantile's Monte-Carlo error at 20 000 points is ~5 %)
    assert uniform_alpha(d, k) == pytest.approx(ALPHA_TABLE[(d, k)], rel=0.15)


def test_fixes_ksg_underestimate_at_high_mi():
    # 2x2 Gaussian, rho = 0.999 per pair: true MI 6.2 nats, far above ln(n/k); KSG falls ~1.3
    # nats short. Reported half-sample std ~0.05: the gap between the two is > 10 of them.
    x, y, truth = _gauss(1000, 0.999, 2, seed=0)
    lnc = LNC().estimate(x, y, seed=1)
    ksg3 = KSG(k=3).estimate(x, y, seed=1).mi
    ksg_same_k = lnc.info["ksg"]
    assert ksg3 < truth - 1.0 and ksg_same_k < truth - 1.0
    assert abs(lnc.mi - truth) < 0.5 * abs(ksg3 - truth)
    assert lnc.mi - ksg_same_k > 10 * lnc.std


def test_agrees_with_ksg_at_low_mi():
    # rho = 0.5 (0.14 nats): the correction fires on ~1 % of points and moves the value by less
    # than the estimator's own standard error; both are within 3 std of the truth
    x, y, truth = _gauss(2000, 0.5, 1, seed=3)
    lnc = LNC().estimate(x, y, seed=2)
    ksg = KSG(k=lnc.info["k"]).estimate(x, y, seed=2).mi
    assert lnc.info["ksg"] == pytest.approx(ksg, abs=1e-12)  # same data, same jitter
    assert 0 <= lnc.mi - ksg < lnc.std
    assert lnc.info["corrected_fraction"] < 0.05
    assert abs(lnc.mi - truth) < 3 * lnc.std


def test_dimension_limit_is_declared_and_runner_skips_with_reason(tmp_path):
    assert LNC.capabilities.max_dx == MAX_DIM and LNC.capabilities.max_dy == MAX_DIM
    x = np.random.default_rng(0).standard_normal((300, MAX_DIM + 1))
    with pytest.raises(mibench.InputError, match="dim"):
        LNC().estimate(x, x[:, :1], seed=0)
    df = mibench.run("multinormal-dense", {"dim_x": [MAX_DIM + 1], "dim_y": [1]},
                     estimators=["lnc", "ksg"],
                     n=[200], seeds=1, store=tmp_path / "s.sqlite")
    assert set(df["estimator"]) == {"ksg"}
    skipped = df.attrs["skipped"]
    assert [s["estimator"] for s in skipped] == ["lnc"] and f"dim_x<={MAX_DIM}" in skipped[0]["reason"]


def test_k_must_exceed_joint_dimension():
    x, y, _ = _gauss(200, 0.5, 2, seed=0)
    with pytest.raises(mibench.InputError, match="k=4 must exceed the joint dimension"):
        LNC(k=4).estimate(x, y, seed=0)
    with pytest.raises(mibench.InputError, match="uncertainty"):
        LNC(uncertainty="bootstrap").estimate(x, y, seed=0)
    assert LNC(uncertainty="none").estimate(x, y, seed=0).std is None


@pytest.mark.slow
def test_half_sample_std_matches_spread_over_seeds():
    # 30 independent samples of a 2x2 rho=0.9 Gaussian at n = 1000: the mean reported std is
    # within the chi-square band of the spread over seeds (ratio 0.7 .. 1.4)
    vals, stds = [], []
    for s in range(30):
        x, y, _ = _gauss(1000, 0.9, 2, seed=100 + s)
        e = LNC().estimate(x, y, seed=s)
        vals.append(e.mi)
        stds.append(e.std)
    ratio = np.mean(stds) / np.std(vals, ddof=1)
    assert 0.7 < ratio < 1.4, ratio


def test_agrees_with_the_latentmi_reference_on_identical_data():
    # latentmi.ksg.mi(alpha=...) is NPEET's KSG-1 with the authors' per-point LNC loop; on the
    # same standardised data, k and alpha, the two agree up to their 1e-10 jitters
    lmi_ksg = pytest.importorskip("latentmi.ksg")
    import contextlib
    import io

    x, y, _ = _gauss(1000, 0.999, 2, seed=0)
    x, y = (x - x.mean(0)) / x.std(0), (y - y.mean(0)) / y.std(0)
    ours = LNC(uncertainty="none").estimate(x, y, seed=0)
    state = np.random.get_state()
    np.random.seed(0)  # latentmi draws its jitter from numpy's global generator
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints every corrected point
            ref = float(np.mean(lmi_ksg.mi(x, y, k=ours.info["k"], base=np.e,
                                           alpha=ours.info["alpha"])))
    finally:
        np.random.set_state(state)
    assert ours.info["correction"] > 1.0  # the correction matters here
    assert ours.mi == pytest.approx(ref, abs=1e-6)


def test_beyond_four_dimensions_alpha_comes_from_the_independence_surrogate():
    # 5x5: with the uniform-data alpha the correction fires on independent Gaussian data
    # (+0.14 nats at n = 5000); the surrogate rule subtracts what fires without dependence
    x, y, _ = _gauss(2000, 0.0, 5, seed=3)
    est = LNC(uncertainty="none").estimate(x, y, seed=0)
    assert est.info["k"] == 12 and est.info["surrogate_correction"] > 0
    assert abs(est.mi) < 0.05
    # strongly dependent 3x3 (rho = 0.99, true 5.85 nats): the net correction is positive and
    # moves the estimate toward the truth
    x, y, truth = _gauss(2000, 0.99, 3, seed=4)
    est = LNC(uncertainty="none").estimate(x, y, seed=0)
    assert est.info["correction"] > 0.1
    assert abs(est.mi - truth) < abs(est.info["ksg"] - truth) - 0.1
    # the same seed gives the same surrogate (deterministic)
    assert LNC(uncertainty="none").estimate(x, y, seed=0).mi == est.mi
