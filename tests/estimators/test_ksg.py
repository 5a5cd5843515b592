"""Tests of the KSG estimator and the shared k-NN counting primitives."""

import numpy as np
import pytest
from scipy.special import digamma
from sklearn.feature_selection import mutual_info_regression

import mibench
from estimators._knn import chebyshev_extent, count_1d, count_nd, count_within, kth_neighbor
from estimators.ksg import KSG


# --------------------------------------------------------------------------- brute force
def _cheb(a):
    """All pairwise max-norm distances, computed as abs(a_j - a_i) like the tree does."""
    return np.abs(a[None, :, :] - a[:, None, :]).max(axis=2)


def _eucl(a):
    """All pairwise Euclidean distances, straight from the definition."""
    return np.sqrt(((a[None, :, :] - a[:, None, :]) ** 2).sum(axis=2))


def brute_ksg(x, y, k, variant, metric="chebyshev"):
    """O(n^2) KSG straight from the definitions (section 1.2-1.3), no tricks; the joint distance
    is the max of the two marginal distances (max-norm or Euclidean within each marginal)."""
    n = x.shape[0]
    dist = _cheb if metric == "chebyshev" else _eucl
    dx, dy = dist(x), dist(y)
    dz = np.maximum(dx, dy)
    off = ~np.eye(n, dtype=bool)
    if variant == 1:
        eps = np.sort(np.where(off, dz, np.inf), axis=1)[:, k - 1]
        nx = ((dx < eps[:, None]) & off).sum(1)
        ny = ((dy < eps[:, None]) & off).sum(1)
        return digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1))
    nbr = np.argsort(np.where(off, dz, np.inf), axis=1, kind="stable")[:, :k]
    ex = np.take_along_axis(dx, nbr, 1).max(1)
    ey = np.take_along_axis(dy, nbr, 1).max(1)
    nx = ((dx <= ex[:, None]) & off).sum(1)
    ny = ((dy <= ey[:, None]) & off).sum(1)
    return digamma(k) - 1 / k + digamma(n) - np.mean(digamma(nx) + digamma(ny))


def _gauss(n, rho, rng, dx=1, dy=1):
    x = rng.standard_normal((n, dx))
    y = rho * x[:, :1] + np.sqrt(1 - rho**2) * rng.standard_normal((n, dy))
    return x, y


# --------------------------------------------------------------------------- counting
@pytest.mark.parametrize("offset", [0.0, 1e8, -3e5])
@pytest.mark.parametrize("strict", [True, False])
def test_count_1d_matches_brute_force_at_boundary(offset, strict):
    rng = np.random.default_rng(0)
    n = 400
    x = offset + rng.standard_normal(n) * 1e-3
    x[:20] = x[20:40]  # exact ties
    x = np.concatenate([x, offset + np.array([0.0, 1e-9, 2e-9, 3e-9]) * 1e-3])  # tight cluster
    n = x.size
    d = np.abs(x[None, :] - x[:, None])
    # radii sitting exactly on a neighbour's distance (the KSG case), and one ulp either side
    j = rng.integers(0, n, n)
    base = d[np.arange(n), j]
    radii = (base, np.nextafter(base, np.inf), np.nextafter(base, 0), np.sort(d, 1)[:, 3],
             np.zeros(n))  # radius 0: ties only (non-strict), nothing (strict)
    for r in radii:
        expect = (d < r[:, None]).sum(1) if strict else (d <= r[:, None]).sum(1)
        np.testing.assert_array_equal(count_1d(x, r, strict=strict), expect)
        np.testing.assert_array_equal(count_nd(x[:, None], r, strict=strict), expect)


def test_naive_nextafter_window_would_miscount():
    # Documents why count_1d trims: searching x_i +- nextafter(eps, 0) lands on the boundary
    # neighbour for many points at a large offset; count_1d must not.
    rng = np.random.default_rng(1)
    x = 1e8 + rng.standard_normal(2000)
    s = np.sort(x)
    eps = np.abs(s[np.minimum(np.arange(s.size) + 1, s.size - 1)] - s)
    eps[-1] = np.abs(s[-1] - s[-2])
    r = np.nextafter(eps, 0)
    naive = np.searchsorted(s, s + r, "right") - np.searchsorted(s, s - r, "left")
    exact = (np.abs(s[None, :] - s[:, None]) < eps[:, None]).sum(1)
    assert (naive != exact).any()
    np.testing.assert_array_equal(count_1d(s, eps, strict=True), exact)


@pytest.mark.parametrize("strict", [True, False])
def test_count_nd_matches_brute_force(strict):
    rng = np.random.default_rng(2)
    x = np.round(rng.standard_normal((300, 3)), 1)  # many tied coordinates
    d = _cheb(x)
    r = np.sort(d, 1)[:, 5]
    expect = (d < r[:, None]).sum(1) if strict else (d <= r[:, None]).sum(1)
    np.testing.assert_array_equal(count_nd(x, r, strict=strict), expect)
    np.testing.assert_array_equal(count_within(x, r, strict=strict), expect)


def test_kth_neighbor_and_extent():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((200, 2))
    d = _cheb(z)
    eps, idx = kth_neighbor(z, 4, return_indices=True)
    np.testing.assert_array_equal(eps, np.sort(d, 1)[:, 4])
    np.testing.assert_array_equal(kth_neighbor(z, 4), eps)
    np.testing.assert_array_equal(chebyshev_extent(z, idx), eps)


# --------------------------------------------------------------------------- references
@pytest.mark.parametrize("variant", [1, 2])
@pytest.mark.parametrize("dims", [(1, 1), (2, 1), (2, 3)])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_matches_brute_force_exactly(variant, dims, k):
    rng = np.random.default_rng(10 + k)
    x, y = _gauss(300, 0.7, rng, *dims)
    x = (x - x.mean(0)) / x.std(0)  # pre-standardised so both sides see identical floats
    y = (y - y.mean(0)) / y.std(0)
    est = KSG(k=k, variant=variant, standardize=False, noise=0, uncertainty="none",
              checks=False).estimate(x, y)
    assert est.mi == pytest.approx(brute_ksg(x, y, k, variant), abs=1e-12)
    assert est.info == {"k": k, "variant": variant, "metric": "chebyshev", "n": 300}


@pytest.mark.parametrize("variant", [1, 2])
@pytest.mark.parametrize("dims", [(1, 1), (2, 1), (2, 3), (5, 4)])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_euclidean_matches_brute_force_exactly(variant, dims, k):
    rng = np.random.default_rng(20 + k)
    x, y = _gauss(300, 0.7, rng, *dims)
    x = (x - x.mean(0)) / x.std(0)
    y = (y - y.mean(0)) / y.std(0)
    est = KSG(k=k, variant=variant, metric="euclidean", standardize=False, noise=0,
              uncertainty="none", checks=False).estimate(x, y)
    assert est.mi == pytest.approx(brute_ksg(x, y, k, variant, "euclidean"), abs=1e-12)
    assert est.info == {"k": k, "variant": variant, "metric": "euclidean", "n": 300}


def test_euclidean_exact_on_lattice_ties():
    # distinct points of an integer lattice: many pairwise distances tie exactly (and squared
    # distances are exact integers on both sides), so a radius equal to several neighbours'
    # distances must exclude all of them. (Algorithm 2 is left out: with ties at the k-th joint
    # distance, which k neighbours define its extents is arbitrary.)
    variant = 1
    rng = np.random.default_rng(3)
    pts = rng.choice(11 ** 4, size=250, replace=False)
    z = np.stack(np.unravel_index(pts, (11,) * 4), axis=1).astype(float)
    x, y = z[:, :2], z[:, 2:]
    y[:, 0] += x[:, 0]  # dependence
    for k in (1, 4):
        est = KSG(k=k, variant=variant, metric="euclidean", standardize=False, noise=0)
        assert est.estimate(x, y).mi == pytest.approx(brute_ksg(x, y, k, variant, "euclidean"),
                                                      abs=1e-12)


def test_metrics_agree_in_one_dimension_and_differ_in_several():
    rng = np.random.default_rng(12)
    x, y = _gauss(400, 0.6, rng)
    cheb, eucl = KSG(k=5, noise=0), KSG(k=5, metric="euclidean", noise=0)
    assert cheb.estimate(x, y).mi == pytest.approx(eucl.estimate(x, y).mi, abs=1e-12)
    x, y = _gauss(400, 0.6, rng, 3, 3)
    assert abs(cheb.estimate(x, y).mi - eucl.estimate(x, y).mi) > 1e-3


@pytest.mark.parametrize("metric", ["chebyshev", "euclidean"])
def test_tuple_of_k_is_the_mean_over_k(metric):
    rng = np.random.default_rng(13)
    x, y = _gauss(400, 0.6, rng, 2, 2)
    singles = [KSG(k=k, metric=metric).estimate(x, y, seed=1).mi for k in (5, 10)]
    est = KSG(k=(5, 10), metric=metric).estimate(x, y, seed=1)
    assert est.mi == pytest.approx(np.mean(singles), abs=1e-12)
    assert est.info["mi_per_k"] == pytest.approx(singles, abs=1e-12)
    assert est.info["k"] == [5, 10]
    assert KSG(k=[10], metric=metric).estimate(x, y, seed=1).mi == pytest.approx(singles[1], abs=1e-12)


def test_standardize_is_centre_and_scale():
    rng = np.random.default_rng(4)
    x, y = _gauss(300, 0.5, rng)
    raw = KSG(noise=0).estimate(1e6 + 5 * x, -3 + 0.01 * y).mi
    xs = (x - x.mean(0)) / x.std(0)
    ys = (y - y.mean(0)) / y.std(0)
    assert raw == pytest.approx(brute_ksg(xs, ys, 3, 1), abs=1e-12)


def test_agrees_with_sklearn():
    # scikit-learn scales without centring, adds 1e-10-relative noise and clamps at 0. On
    # continuous, tie-free data with MI well above 0, centring only translates distances (it
    # may change the last bit of a distance) and a 1e-10 jitter moves a distance by ~1e-10,
    # while the typical gap between distinct pairwise distances at n=2000 is ~1e-7, so the
    # neighbour counts are identical; the residual is float summation order (~1e-15).
    rng = np.random.default_rng(5)
    for rho in (0.3, 0.8):
        x, y = _gauss(2000, rho, rng)
        ours = KSG(k=3).estimate(x, y, seed=0).mi
        ref = mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=0)[0]
        assert ours == pytest.approx(ref, abs=1e-3)
        assert abs(ours - ref) < 1e-9  # in practice identical counts


def test_accuracy_rho06():
    # true I = -0.5 ln(1 - 0.36) = 0.2231. Measured over 50 replicates at n=2e4 (k=3): bias
    # +0.0009 (alg. 1) / +0.0004 (alg. 2), sd 0.0066 / 0.0071 per dataset. One dataset would give
    # only 1.5 sd of room in 0.01 nats, so average R=6 datasets: sd of the mean ~0.0029, and
    # 0.01 nats is ~3.4 standard errors beyond the bias.
    rng = np.random.default_rng(6)
    truth = -0.5 * np.log(1 - 0.36)
    vals = {1: [], 2: []}
    for r in range(6):
        x, y = _gauss(20000, 0.6, rng)
        for variant in (1, 2):
            vals[variant].append(KSG(variant=variant).estimate(x, y, seed=r).mi)
    for variant in (1, 2):
        assert np.mean(vals[variant]) == pytest.approx(truth, abs=0.01)


def test_independence_near_zero():
    # KSG is (numerically) unbiased at independence. Mean of R replicates vs 0 with a tolerance
    # of 4 standard errors estimated from the replicates themselves.
    rng = np.random.default_rng(7)
    vals = []
    for _ in range(20):
        x, y = _gauss(1000, 0.0, rng, 1, 2)
        vals.append(KSG().estimate(x, y, seed=0).mi)
    vals = np.array(vals)
    se = vals.std(ddof=1) / np.sqrt(vals.size)
    assert abs(vals.mean()) < 4 * se + 1e-3
    assert (vals < 0).any()  # never clamped


@pytest.mark.parametrize("variant", [1, 2])
def test_symmetry(variant):
    rng = np.random.default_rng(8)
    x, y = _gauss(500, 0.6, rng, 2, 1)
    est = KSG(variant=variant, noise=0)
    assert est.estimate(x, y).mi == est.estimate(y, x).mi


def test_duplicates_raise_without_noise_and_work_with_noise():
    rng = np.random.default_rng(9)
    x = np.round(rng.standard_normal(500), 1)
    y = np.round(x + rng.standard_normal(500), 1)
    with pytest.raises(mibench.InputError, match="duplicates.*noise.*ksg-mixed"):
        KSG(noise=0).estimate(x, y)
    assert np.isfinite(KSG(noise=1e-8).estimate(x, y, seed=0).mi)


def test_determinism_for_a_seed():
    rng = np.random.default_rng(11)
    x = np.round(rng.standard_normal(500), 1)  # ties: the jitter decides the counts
    y = np.round(x + rng.standard_normal(500), 1)
    est = KSG(noise=1e-8)
    a, b, c = (est.estimate(x, y, seed=s).mi for s in (3, 3, 4))
    assert a == b
    assert a != c


@pytest.mark.parametrize("params,match", [
    ({"k": 0}, "k must be"), ({"k": 2.5}, "k must be"), ({"variant": 3}, "variant must be"),
    ({"noise": -1.0}, "noise must be"), ({"standardize": "yes"}, "standardize must be"),
    ({"metric": "manhattan"}, "metric must be one of 'chebyshev', 'euclidean'"),
    ({"k": ()}, "k must be"), ({"k": (5, 0)}, "k must be"), ({"k": (5, True)}, "k must be"),
])
def test_bad_params(params, match):
    x = np.random.default_rng(0).standard_normal((50, 2))
    with pytest.raises(mibench.InputError, match=match):
        KSG(**params).estimate(x[:, :1], x[:, 1:])


def test_bad_input():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 1)), rng.standard_normal((5, 1))
    with pytest.raises(mibench.InputError, match="too small"):
        KSG(k=5).estimate(x, y)
    with pytest.raises(mibench.InputError, match="too small"):
        KSG(k=(2, 5), metric="euclidean").estimate(x, y)
    x, y = rng.standard_normal((20, 1)), rng.standard_normal((20, 1))  # above the minimum n
    with pytest.raises(mibench.InputError, match="constant"):
        KSG().estimate(np.ones(20), y)
    x[2, 0] = np.nan
    with pytest.raises(mibench.InputError, match="NaN"):
        KSG().estimate(x, y)


# --------------------------------------------------------------------------- bmi's estimator
_BMI_SCRIPT = """
import sys, numpy as np
from bmi.estimators import KSGEnsembleFirstEstimator
for path in sys.argv[1:]:
    d = np.load(path)
    est = KSGEnsembleFirstEstimator(neighborhoods=(5, 10))
    est.fit(d["x"], d["y"])
    p = est.get_predictions()
    print(repr(p[5]), repr(p[10]))
"""


def _bmi_python() -> str | None:
    """A Python that imports bmi (PyPI benchmark-mi, which needs numpy < 2 and jax 0.4.x): this
    one, or the one named by $MIBENCH_BMI_PYTHON (a separate environment)."""
    import importlib.util
    import os
    import sys

    if importlib.util.find_spec("bmi") is not None:
        return sys.executable
    return os.environ.get("MIBENCH_BMI_PYTHON") or None


@pytest.mark.slow
def test_agrees_with_bmi_on_identical_data(tmp_path):
    # bmi's KSGEnsembleFirstEstimator (default: Euclidean marginals, standardised, algorithm 1,
    # neighborhoods (5, 10)) clips each k's estimate at 0 and computes distances with scikit-learn's
    # dot-product formula; on tie-free data the counts are the same, so the estimates agree to
    # float summation order
    import subprocess

    python = _bmi_python()
    if python is None:
        pytest.skip("bmi is not importable; set MIBENCH_BMI_PYTHON to a Python with "
                    "benchmark-mi installed (it needs numpy<2 and jax==0.4.33)")
    rng = np.random.default_rng(21)
    cases = [_gauss(1500, 0.6, rng), _gauss(1500, 0.8, rng, 3, 3), _gauss(1500, 0.5, rng, 5, 2)]
    paths = []
    for i, (x, y) in enumerate(cases):
        paths.append(str(tmp_path / f"case{i}.npz"))
        np.savez(paths[-1], x=x, y=y)
    out = subprocess.run([python, "-c", _BMI_SCRIPT, *paths], capture_output=True, text=True,
                         timeout=600, check=True).stdout.split("\n")
    for (x, y), line in zip(cases, out, strict=False):
        ref = [float(v) for v in line.split()]
        ours = KSG(k=(5, 10), metric="euclidean", noise=0).estimate(x, y).info["mi_per_k"]
        assert np.maximum(ours, 0) == pytest.approx(ref, abs=1e-9)
        assert min(ours) > 0.05  # the clipping played no part
