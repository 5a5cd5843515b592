"""Tests of the Gaussian (log-determinant) estimator."""

import numpy as np
import pytest
from scipy.special import digamma

import mibench
from estimators.gaussian import Gaussian
from tests.estimators._data import gaussian_pair


def _block(n, d, rho, rng):
    """x, y of dimension d each; (x_i, y_i) pairs with correlation rho, pairs independent."""
    x = rng.standard_normal((n, d))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return x, y


@pytest.mark.parametrize("n,d,rho", [(20, 1, 0.5), (12, 2, 0.0), (30, 2, 0.8)])
def test_bias_corrected_is_unbiased(n, d, rho):
    # Exactly unbiased for Gaussian data: the mean over R replicates must lie within 4
    # standard errors (replicate sd / sqrt(R)) of the truth -(d/2) ln(1 - rho^2). The plug-in
    # is biased up by ~ d^2/(2n) (0.025 to 0.17 here), far more than 4 se (~0.005), so the
    # test also shows the correction is needed.
    rng = np.random.default_rng(int(100 * rho) + n)
    reps = 3000
    truth = -0.5 * d * np.log(1 - rho**2)
    corr, plug = np.empty(reps), np.empty(reps)
    for r in range(reps):
        est = Gaussian(bias_correction=True).estimate(*_block(n, d, rho, rng))
        corr[r], plug[r] = est.mi, est.info["mi_plugin"]
    se = corr.std(ddof=1) / np.sqrt(reps)
    assert abs(corr.mean() - truth) < 4 * se
    assert plug.mean() - truth > 4 * se


def test_plugin_vs_correction_relation():
    # The correction is the constant shift 1/2 [B(dx) + B(dy) - B(dx+dy)],
    # B(d) = sum_{i<=d} psi((n-i)/2), i.e. ~ dx dy / (2n) for large n (first-order Wishart bias).
    rng = np.random.default_rng(1)
    n, dx, dy = 1000, 2, 3
    x, y = rng.standard_normal((n, dx)), rng.standard_normal((n, dy))
    y[:, 0] += x[:, 1]
    plug = Gaussian().estimate(x, y).mi
    corr = Gaussian(bias_correction=True).estimate(x, y).mi

    def b(d):
        return sum(digamma((n - i) / 2) for i in range(1, d + 1))

    shift = 0.5 * (b(dx) + b(dy) - b(dx + dy))
    assert plug - corr == pytest.approx(shift, abs=1e-12)
    assert shift == pytest.approx(dx * dy / (2 * n), rel=0.01)


def test_matches_canonical_correlations_and_direct_logdet():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((500, 3))
    y = x[:, :2] @ [[1.0, 0.2], [0.3, -0.5]] + rng.standard_normal((500, 2))
    est = Gaussian().estimate(x, y)
    c = np.cov(np.hstack((x, y)), rowvar=False)
    direct = 0.5 * (np.linalg.slogdet(c[:3, :3])[1] + np.linalg.slogdet(c[3:, 3:])[1]
                    - np.linalg.slogdet(c)[1])
    assert est.mi == pytest.approx(direct, abs=1e-10)
    cc = np.array(est.info["canonical_correlations"])
    assert est.mi == pytest.approx(-0.5 * np.log(1 - cc**2).sum(), abs=1e-10)
    # invariance to affine maps of each side and symmetry
    assert Gaussian().estimate(5 * x + 3, y @ [[2.0, 1.0], [0.0, 1.0]]).mi == pytest.approx(est.mi, abs=1e-10)
    assert Gaussian().estimate(y, x).mi == pytest.approx(est.mi, abs=1e-10)


def test_block_gaussian_closed_form():
    # I = -(d/2) ln(1 - rho^2) = 0.669 for d=3, rho=0.6. Delta method: each pair's estimate
    # has sd ~ rho/sqrt(n), so sd ~ sqrt(d) rho / sqrt(n) = 0.0074 at n=2e4; 0.03 is 4 sd.
    rng = np.random.default_rng(3)
    d, rho = 3, 0.6
    x, y = _block(20000, d, rho, rng)
    truth = -0.5 * d * np.log(1 - rho**2)
    for bc in (False, True):
        est = Gaussian(bias_correction=bc).estimate(x, y)
        assert est.mi == pytest.approx(truth, abs=0.03)
    assert np.allclose(est.info["canonical_correlations"], rho, atol=0.03)


def test_dependent_columns_of_one_side_are_read_on_their_span():
    # x's third column is x0 - x1 and y is x's span in 5 columns: the Gaussian MI of the pair
    # in its own coordinates (log-determinants are invariant under invertible linear maps)
    x, y, _ = gaussian_pair(400, 0.6, 2, seed=5)
    rng = np.random.default_rng(0)
    wide_x, wide_y = np.column_stack([x, x[:, 0] - x[:, 1]]), y @ rng.standard_normal((2, 5))
    for kw in ({}, {"bias_correction": True}):
        plain, wide = Gaussian(**kw).estimate(x, y), Gaussian(**kw).estimate(wide_x, wide_y)
        assert wide.mi == pytest.approx(plain.mi, abs=1e-9) and wide.std == pytest.approx(plain.std)
        assert wide.info["support_dims"] == [2, 2] and "support_dims" not in plain.info


def test_bad_input():
    rng = np.random.default_rng(4)
    with pytest.raises(mibench.InputError, match="must exceed dx"):
        Gaussian().estimate(rng.standard_normal((10, 6)), rng.standard_normal((10, 5)))
    x = rng.standard_normal((50, 2))
    # y a linear combination of x's columns: the Gaussian MI is infinite
    with pytest.raises(mibench.InputError, match="singular.*infinite"):
        Gaussian().estimate(x, 3 * x[:, 0] + x[:, 1])
    with pytest.raises(mibench.InputError, match="too small"):
        Gaussian().estimate(x[:2, :1], x[:2, 1:])
    with pytest.raises(mibench.InputError, match="constant"):
        Gaussian().estimate(x, np.zeros(50))
    x[3, 1] = np.nan
    with pytest.raises(mibench.InputError, match="NaN"):
        Gaussian().estimate(x, rng.standard_normal(50))
    with pytest.raises(mibench.InputError, match="bias_correction"):
        Gaussian(bias_correction="yes").estimate(x[:, :1], x[:, :1])
