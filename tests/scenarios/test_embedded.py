"""Embedded latents: the fixed random maps are injective (the tests invert them), so the MI is the
latent's; shapes, determinism of the map, and bad input."""

import numpy as np
import pytest

from mibench import InputError
from mibench.cli import main
from scenarios.embedded import Embedded
from scenarios.target_mi import TargetMI


@pytest.mark.parametrize("embedding", ["linear", "mlp"])
@pytest.mark.parametrize("dx, dy", [(4, 4), (5, 37), (1000, 200)])
def test_map_is_injective_and_truth_is_the_latents(embedding, dx, dy):
    sc = Embedded(dim_x=dx, dim_y=dy, embedding=embedding)
    x, y = sc.sample(300, np.random.default_rng(3))
    assert x.shape == (300, dx) and y.shape == (300, dy)
    assert x.dtype == np.float64 and x.flags.c_contiguous and np.all(np.isfinite(x))
    bx, by = sc.base_scenario().sample(300, np.random.default_rng(3))
    lx, ly = sc.latent(x, y)  # the inverse recovers the latent sample: the map is injective
    np.testing.assert_allclose(lx, bx, atol=1e-8)
    np.testing.assert_allclose(ly, by, atol=1e-8)
    assert sc.true_mi == TargetMI(1.0, 4).true_mi
    # a linear image is a k-dimensional subspace of R^D (degenerate data, as in representations);
    # the MLP's lies in the span of its last layer's width-32 input
    rank = np.linalg.matrix_rank(x[:100] - x[:100].mean(0), tol=1e-8)
    assert rank == (4 if embedding == "linear" else min(dx, 32))


def test_map_is_fixed_by_map_seed():
    a = Embedded(dim_x=50, dim_y=50, embedding="mlp")
    b = Embedded(dim_x=50, dim_y=50, embedding="mlp")
    c = Embedded(dim_x=50, dim_y=50, embedding="mlp", map_seed=1)
    xa, _ = a.sample(10, np.random.default_rng(0))
    xb, _ = b.sample(10, np.random.default_rng(0))
    xc, _ = c.sample(10, np.random.default_rng(0))
    np.testing.assert_array_equal(xa, xb)
    assert not np.allclose(xa, xc)


def test_monte_carlo_base_keeps_its_standard_error():
    sc = Embedded(base="bmi-x", base_params="rho=0.9", dim_x=8, dim_y=3)
    from scenarios.mixtures import BmiX
    old = BmiX.mc_n
    BmiX.mc_n = 20_000
    try:
        assert sc.true_mi == BmiX(0.9).true_mi and sc.true_mi.stderr > 0
    finally:
        BmiX.mc_n = old


@pytest.mark.parametrize("kwargs, message", [
    ({"dim_x": 3},
     r"dim_x=3 is below the latent dimension 4 of 'target-mi': an injective map needs dim_x >= 4"),
    ({"dim_y": 2, "base_params": "mi=1;dim=3"}, r"dim_y=2 is below the latent dimension 3"),
    ({"embedding": "conv"}, r"embedding must be one of linear, mlp"),
    ({"base": "discrete-table", "base_params": ""}, r"embedded needs a continuous base"),
    ({"base": "nope"}, r"unknown scenario 'nope'; known: "),
])
def test_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        _ = Embedded(**kwargs).true_mi


def test_cli_dimension_too_small_exit_2(tmp_path, capsys):
    argv = ["run", "--scenario", "embedded", "--param", "dim_x=2", "--estimator", "gaussian",
            "--n", "50", "--seeds", "1", "--quiet", "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "below the latent dimension" in err
