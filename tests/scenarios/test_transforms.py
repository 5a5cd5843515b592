"""Transforms keep the ground truth and are injective on the sample."""

import numpy as np
import pytest

from mibench import InputError
from scenarios.transforms import ELEMENTWISE, TRANSFORMS, Transformed, spiral

BASES = {  # a base for each transform (spiral needs >= 2 dims, swissroll a 1-D X)
    "default": ("gaussian-correlated", "rho=0.75"),
    "spiral": ("multinormal-sparse", "dim_x=3;dim_y=3"),
    "swissroll_x": ("gaussian-correlated", "rho=0.75"),
}


def _scenario(name):
    base, params = BASES.get(name, BASES["default"])
    transform = "swissroll_x-normal_cdf" if name == "swissroll_x" else name
    return Transformed(base=base, base_params=params, transform=transform)


def _strictly_increasing_per_column(a, b):
    """b is a strictly increasing function of a in every column, on this sample."""
    for j in range(a.shape[1]):
        order = np.argsort(a[:, j], kind="stable")
        if np.any(np.diff(a[order, j]) == 0):
            continue  # pragma: no cover - ties in a continuous sample are impossible here
        if not np.all(np.diff(b[order, j]) > 0):
            return False
    return True


@pytest.mark.parametrize("name", TRANSFORMS)
def test_transform_keeps_ground_truth(name):
    sc = _scenario(name)
    assert sc.true_mi == sc.base_scenario().true_mi


@pytest.mark.parametrize("name", TRANSFORMS)
def test_transform_is_injective_on_the_sample(name):
    sc = _scenario(name)
    base = sc.base_scenario()
    x, y = base.sample(4000, np.random.default_rng(3))
    tx, ty = sc.apply(x, y)
    assert np.all(np.isfinite(tx)) and np.all(np.isfinite(ty))
    # no two distinct sample points collide
    assert np.unique(tx, axis=0).shape[0] == np.unique(x, axis=0).shape[0]
    assert np.unique(ty, axis=0).shape[0] == np.unique(y, axis=0).shape[0]
    if name in ELEMENTWISE and name != "identity":
        targets = sc._targets(name)
        assert _strictly_increasing_per_column(x, tx) if "x" in targets else np.array_equal(x, tx)
        assert _strictly_increasing_per_column(y, ty) if "y" in targets else np.array_equal(y, ty)
    elif name == "power":
        assert _strictly_increasing_per_column(x, tx) and _strictly_increasing_per_column(y, ty)
    elif name == "spiral":
        # norm-preserving rotation by an angle depending on the norm: invertible
        for a, ta, plane in ((x, tx, (0, 1)), (y, ty, (1, 2))):
            np.testing.assert_allclose(np.linalg.norm(ta, axis=1), np.linalg.norm(a, axis=1), rtol=1e-12)
            back = spiral(ta, 1.0 / a.shape[1], plane, inverse=True)
            np.testing.assert_allclose(back, a, atol=1e-10)
            assert not np.allclose(ta, a)
    elif name == "swissroll_x":
        # the radius t/21 with t = 1.5 pi (1 + 2u) recovers u = Phi(x) and hence x
        from scipy.special import ndtr
        assert tx.shape == (4000, 2) and sc.dim_x == 2
        u = (21.0 * np.linalg.norm(tx, axis=1) / (1.5 * np.pi) - 1.0) / 2.0
        np.testing.assert_allclose(u, ndtr(x[:, 0]), atol=1e-12)


def test_bimodal_produces_the_target_marginals():
    sc = _scenario("bimodal")
    x, y = sc.sample(20000, np.random.default_rng(0))
    # X marginal 0.3 N(0,1) + 0.7 N(5,1): mean 3.5; Y: 0.5 N(-1,1) + 0.5 N(3,1): mean 1
    # se of the mean = sd/sqrt(n) with sd(X) = sqrt(1 + 0.21*25) = 2.5, sd(Y) = sqrt(5) = 2.24
    assert abs(x.mean() - 3.5) < 4 * 2.5 / np.sqrt(20000)
    assert abs(y.mean() - 1.0) < 4 * 2.24 / np.sqrt(20000)


def test_gmm_paper_maps_act_on_y_only_by_default():
    sc = Transformed(transform="cube")
    base = sc.base_scenario()
    x, y = base.sample(100, np.random.default_rng(0))
    tx, ty = sc.apply(x, y)
    np.testing.assert_array_equal(tx, x)
    np.testing.assert_allclose(ty, y + 0.5 * y ** 3)
    both = Transformed(transform="cube", apply_to="xy").apply(x, y)
    np.testing.assert_allclose(both[0], x + 0.5 * x ** 3)


def test_chain_order_matches_bmi_names():
    # "spiral-normal_cdf" = spiral(normal_cdf(base)): normal_cdf is applied first
    sc = Transformed(base="multinormal-sparse", base_params="dim_x=3;dim_y=3", transform="spiral-normal_cdf")
    assert sc.chain() == ["normal_cdf", "spiral"]
    assert Transformed(transform="spiral,normal_cdf").chain() == sc.chain()
    x, y = sc.sample(50, np.random.default_rng(1))
    assert x.shape == (50, 3) and y.shape == (50, 3)


def test_sampling_is_reproducible_and_nested_bases_work():
    sc = Transformed(base="transformed", base_params="transform=asinh;base_params=rho=0.5",
                     transform="wiggly")
    assert sc.true_mi.value == pytest.approx(-0.5 * np.log(1 - 0.25))
    a = sc.sample(30, np.random.default_rng(7))
    b = sc.sample(30, np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_base_params_are_read_by_the_public_parser():
    """base_params goes through mibench.parse_params (strings) and the registry converts each
    value to the base parameter's type."""
    from mibench import parse_params

    assert parse_params("rho=0.5;dim_x=3;log=true;name=D3;x=None") == {
        "rho": "0.5", "dim_x": "3", "log": "true", "name": "D3", "x": "None"}
    assert parse_params("") == {} and parse_params(None) == {}
    assert parse_params("transform=asinh;base_params=rho=0.5") == {
        "transform": "asinh", "base_params": "rho=0.5"}
    with pytest.raises(InputError, match="key=value"):
        parse_params("rho")
    base = Transformed(base="multinormal-dense", base_params="dim_x=3;dim_y=2").base_scenario()
    assert (base.dim_x, base.dim_y) == (3, 2) and isinstance(base.get_params()["dim_x"], int)
    with pytest.raises(InputError, match="base_params"):
        Transformed(base_params="rho").base_scenario()


def test_errors():
    with pytest.raises(InputError, match="unknown transform 'sqrt'"):
        Transformed(transform="sqrt").sample(5, np.random.default_rng(0))
    with pytest.raises(InputError, match="normal_cdf first"):
        Transformed(transform="swissroll_x").sample(5, np.random.default_rng(0))
    with pytest.raises(InputError, match="spiral needs dim_x >= 2"):
        Transformed(transform="spiral").sample(5, np.random.default_rng(0))
    with pytest.raises(InputError, match="discrete variable"):
        Transformed(base="categorical-uniform", base_params="m=3", transform="asinh",
                    apply_to="xy").sample(5, np.random.default_rng(0))
    with pytest.raises(InputError, match="bad base_params"):
        _ = Transformed(base_params="bogus=1").true_mi
    from mibench import UnknownNameError
    with pytest.raises(UnknownNameError, match="nope"):
        _ = Transformed(base="nope").true_mi


def test_log_redraws_whole_realisations_with_invalid_values():
    # base Y = sign(y)|y|^5 (still injective, MI unchanged) makes y <= -5 frequent (~8% per
    # draw), so most 10-point realisations are invalid for ln(y + 5) and must be redrawn whole
    inner = "base=gaussian-correlated;base_params=rho=0.6;transform=power;power=5;apply_to=y"
    sc = Transformed(base="transformed", base_params=inner, transform="log")
    redrawn = 0
    for seed in range(20):
        x, y = sc.sample(10, np.random.default_rng(seed))
        assert np.all(np.isfinite(y))
        bx, by = sc.base_scenario().sample(10, np.random.default_rng(seed))
        if by.min() <= -5:
            redrawn += 1
            assert not np.array_equal(x, bx)  # a later realisation of the same stream
        else:
            np.testing.assert_array_equal(y, np.log(by + 5))
    assert redrawn > 0
    assert sc.true_mi == Transformed().true_mi


def test_resampled_is_one_dataset_or_its_bootstrap_resamples():
    from scenarios.gaussian import GaussianCorrelated
    from scenarios.resample import Resampled

    base_x, base_y = GaussianCorrelated(rho=0.6).sample(200, np.random.default_rng(13))
    fixed = Resampled(bootstrap=False)
    for seed in (0, 1):  # the same dataset whatever the generator
        x, y = fixed.sample(200, np.random.default_rng(seed))
        np.testing.assert_array_equal(x, base_x)
        np.testing.assert_array_equal(y, base_y)
    boot = Resampled()
    x0, y0 = boot.sample(200, np.random.default_rng(0))
    x1, _ = boot.sample(200, np.random.default_rng(1))
    assert not np.array_equal(x0, x1)
    # rows of the fixed dataset, pairs kept together, with the ties of sampling with replacement
    rows = {tuple(r) for r in np.hstack([base_x, base_y])}
    assert {tuple(r) for r in np.hstack([x0, y0])} <= rows
    assert len(np.unique(x0)) < 200
    assert boot.true_mi.value == pytest.approx(-0.5 * np.log(1 - 0.36))
    with pytest.raises(InputError, match="data_seed"):
        Resampled(data_seed=-1).sample(10, np.random.default_rng(0))
    with pytest.raises(InputError, match="bad base_params"):
        Resampled(base_params="nope=1").sample(10, np.random.default_rng(0))
