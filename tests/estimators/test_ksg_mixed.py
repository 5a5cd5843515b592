"""Mixed KSG (Gao et al. 2017) and Ross (2014) estimators."""

import numpy as np
import pytest
from sklearn.feature_selection import mutual_info_classif

from estimators.ksg_mixed import GAO_CAPABILITIES, ROSS_CAPABILITIES, MixedKSG, RossKSG
from mibench import EstimatorFailure, InputError
from scenarios.discrete import CategoricalUniform, DiscreteTable, ZeroInflatedPoisson


def _gao_task(m, n, seed):
    sc = CategoricalUniform(m)
    x, y = sc.sample(n, np.random.default_rng(seed))
    return sc.true_mi.value, x, y


def test_ross_on_the_gao_task():
    # ln m - ((m-1)/m) ln 2 for m = 5. Over 20 replicates at n = 2000 (k = 3) the Ross estimate
    # has sd 0.0095 and bias about -0.001; the mean of 5 replicates has sd 0.0095/sqrt(5) =
    # 0.0042, so |mean - truth| < 4 * 0.0042 + 0.002 = 0.019 unless the estimator is wrong.
    ests = []
    for seed in range(5):
        truth, x, y = _gao_task(5, 2000, seed)
        ests.append(RossKSG(k=3).estimate(y, x, seed=seed).mi)  # (continuous, discrete)
    assert abs(np.mean(ests) - truth) < 0.019


def test_gao_mixed_ksg_on_the_gao_task_and_zip():
    # same sd as Ross on the Gao task (identical counts when classes are > 2 apart from the
    # k-NN radii); on ZIP(p = 0.15) at n = 3000 the sd over 20 replicates is 0.015 with bias
    # -0.0014, so the mean of 5 lies within 4 * 0.015/sqrt(5) + 0.002 = 0.029.
    ests = [MixedKSG().estimate(*_gao_task(5, 2000, s)[1:], seed=s).mi for s in range(5)]
    assert abs(np.mean(ests) - CategoricalUniform(5).true_mi.value) < 0.019
    sc = ZeroInflatedPoisson(0.15)
    zs = [MixedKSG().estimate(*sc.sample(3000, np.random.default_rng(s))).mi for s in range(5)]
    assert abs(np.mean(zs) - sc.true_mi.value) < 0.029


def test_ross_equals_sklearn_mutual_info_classif_on_identical_data():
    # scikit-learn runs the same algorithm (k-th same-class neighbour, strict counts via
    # nextafter, singletons dropped). Differences: it scales without centring and adds its
    # own 1e-10 relative jitter, and it clamps at 0. With continuous data neither the affine
    # scaling nor jitter of 1e-10 changes any neighbour relation, so the values agree to
    # rounding (~1e-15); the residual left is the clamp, checked at independence below.
    for m, n, seed in [(2, 500, 0), (5, 2000, 1), (10, 3000, 2)]:
        _, x, y = _gao_task(m, n, seed)
        ours = RossKSG(k=3).estimate(y, x, seed=0).mi
        theirs = mutual_info_classif(y, x[:, 0].astype(int), n_neighbors=3, random_state=0)[0]
        assert ours == pytest.approx(theirs, abs=1e-9)
    # independence: Ross is unbiased-ish and often negative; scikit-learn returns max(0, .)
    rng = np.random.default_rng(9)
    negatives = 0
    for _ in range(10):
        xc = rng.standard_normal((300, 1))
        lab = rng.integers(0, 3, 300).astype(float)
        ours = RossKSG(k=3).estimate(xc, lab, seed=0).mi
        theirs = mutual_info_classif(xc, lab.astype(int), n_neighbors=3, random_state=0)[0]
        assert theirs == pytest.approx(max(0.0, ours), abs=1e-9)
        negatives += ours < 0
    assert negatives > 0


def test_ross_drops_singleton_classes_and_fails_without_repeats():
    _, x, y = _gao_task(3, 300, 4)
    labels = x.copy()  # x of the Gao task is the label
    labels[0, 0] = 99.0  # a class with one member
    est = RossKSG().estimate(y, labels, seed=0)
    assert est.info["n_dropped"] == 1 and est.info["n_classes"] == 3
    with pytest.raises(EstimatorFailure, match="single member"):
        RossKSG().estimate(y, np.arange(300.0), seed=0)


def test_gao_on_purely_discrete_data_tracks_the_plugin_value():
    # on a discrete pair every point is an atom: the estimate is
    # mean[psi(n_xy) + ln N - psi(n_x) - psi(n_y)], the plug-in value up to O(cells / N)
    from estimators._plugin import plugin_mi
    sc = DiscreteTable("3x4")
    x, y = sc.sample(5000, np.random.default_rng(0))
    est = MixedKSG().estimate(x, y)
    plug = plugin_mi(x[:, 0], y[:, 0], miller_madow=False).mi_plugin
    assert est.info["n_atoms"] == 5000
    assert abs(est.mi - plug) < 12 / 5000  # 12 cells


def test_gao_is_symmetric_and_near_zero_at_independence():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, (2000, 1)).astype(float)
    y = rng.standard_normal((2000, 1))
    a = MixedKSG().estimate(x, y).mi
    b = MixedKSG().estimate(y, x).mi
    assert a == pytest.approx(b, abs=1e-12)
    # the sd of KSG-type estimates at independence at n = 2000 is ~0.005-0.01
    assert abs(a) < 0.04


def test_capabilities_follow_the_method():
    assert MixedKSG.capabilities is GAO_CAPABILITIES
    assert MixedKSG().capabilities is GAO_CAPABILITIES
    assert MixedKSG(method="ross").capabilities is ROSS_CAPABILITIES
    assert RossKSG.capabilities is ROSS_CAPABILITIES
    assert ("discrete", "discrete") in GAO_CAPABILITIES.kinds
    ok, swap, _ = ROSS_CAPABILITIES.match("discrete", "continuous", 1, 1)
    assert ok and swap
    assert not ROSS_CAPABILITIES.match("continuous", "continuous", 1, 1)[0]
    assert RossKSG().get_params() == {"k": 3, "standardize": True, "noise": 1e-10,
                                      "uncertainty": "subsample"}
    assert MixedKSG(method="ross").estimate(*_gao_task(3, 200, 0)[:0:-1], seed=0).info["method"] == "ross"


def test_bad_parameters():
    x, y = np.random.default_rng(0).standard_normal((2, 50, 1))
    with pytest.raises(InputError, match="k must be an integer"):
        MixedKSG(k=0).estimate(x, y)
    with pytest.raises(InputError, match="method must be 'gao' or 'ross'"):
        MixedKSG(method="kraskov").estimate(x, y)
    with pytest.raises(InputError, match="noise"):
        RossKSG(noise=-1.0).estimate(x, y)
    with pytest.raises(InputError, match=r"dim_y<=1; got .*dims \(1, 2\)"):
        RossKSG().estimate(x, np.hstack([y, y]))


def _cheb(a):
    return np.abs(a[:, None, :] - a[None, :, :]).max(axis=2)


def _ross_bruteforce(x, lab, k):
    from scipy.special import digamma
    n = len(lab)
    dist = _cheb(x)
    vals, counts = np.unique(lab, return_counts=True)
    nc = dict(zip(vals, counts, strict=True))
    keep = np.array([nc[v] > 1 for v in lab])
    x, lab, dist = x[keep], lab[keep], dist[np.ix_(keep, keep)]
    n = len(lab)
    terms = []
    for i in range(n):
        same = np.flatnonzero((lab == lab[i]) & (np.arange(n) != i))
        ki = min(k, same.size)
        d = np.sort(dist[i, same])[ki - 1]
        m = np.count_nonzero(dist[i] <= d) - 1  # j != i within d
        terms.append(digamma(ki) - digamma(nc[lab[i]]) - digamma(m))
    return digamma(n) + np.mean(terms)


def _gao_bruteforce(x, y, k):
    from scipy.special import digamma
    n = len(x)
    dx, dy = _cheb(x), _cheb(y)
    dz = np.maximum(dx, dy)
    out = []
    for i in range(n):
        rho = np.sort(dz[i])[k]  # k-th neighbour, self at position 0
        if rho == 0:
            kk = np.count_nonzero(dz[i] == 0)
            nx, ny = np.count_nonzero(dx[i] == 0), np.count_nonzero(dy[i] == 0)
        else:
            kk = k
            nx, ny = np.count_nonzero(dx[i] < rho), np.count_nonzero(dy[i] < rho)
        out.append(digamma(kk) + np.log(n) - digamma(nx) - digamma(ny))
    return np.mean(out)


def test_ross_and_gao_equal_brute_force_on_2d_mixed_data():
    rng = np.random.default_rng(5)
    lab = rng.integers(0, 4, 300).astype(float)
    lab[:1] = 7.0  # a singleton class, dropped
    x = np.column_stack([lab + rng.standard_normal(300), rng.standard_normal(300) * 3])
    est = RossKSG(k=4, standardize=False, noise=0.0).estimate(x, lab)
    assert est.mi == pytest.approx(_ross_bruteforce(x, lab, 4), abs=1e-12)
    # mixed data with atoms: half the y values are exactly 0, x has repeated values
    y = np.where(rng.random(300) < 0.5, 0.0, rng.exponential(1.0, 300))
    xr = np.round(rng.standard_normal(300), 1)
    g = MixedKSG(k=3, standardize=False).estimate(xr, y)
    assert g.info["n_atoms"] > 0
    assert g.mi == pytest.approx(_gao_bruteforce(xr[:, None], y[:, None], 3), abs=1e-12)


def test_gao_on_continuous_data_is_ksg1_with_ln_n():
    from scipy.special import digamma

    from estimators.ksg import KSG
    rng = np.random.default_rng(1)
    x = rng.standard_normal((800, 2))
    y = x[:, :1] + rng.standard_normal((800, 1))
    g = MixedKSG(k=4).estimate(x, y).mi
    k1 = KSG(k=4, variant=1, noise=0.0).estimate(x, y).mi
    assert g == pytest.approx(k1 + np.log(800) - digamma(800), abs=1e-12)
