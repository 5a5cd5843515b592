"""Synthetic images: the generator is injective (the tests recover the latents from the pixels),
so the images' MI is the latent pair's (whose closed form test_closed_forms.py checks by MC)."""

import numpy as np
import pytest

from mibench import InputError
from mibench.cli import main
from scenarios.images import Images
from scenarios.target_mi import TargetMI


@pytest.mark.parametrize("shape", ["gaussian", "rectangle"])
@pytest.mark.parametrize("size", [16, 32])
@pytest.mark.parametrize("latent", ["normal", "uniform"])
def test_generator_is_injective_and_truth_is_the_latents(shape, size, latent):
    sc = Images(mi=2.0, size=size, shape=shape, latent=latent)
    x, y = sc.sample(150, np.random.default_rng(5))
    assert x.shape == y.shape == (150, size * size) and x.dtype == np.float64 and x.flags.c_contiguous
    assert x.min() >= 0.0 and x.max() <= 1.0 and np.all(x.max(axis=1) > 0.3)
    lat = sc.latent_scenario()
    u, v = lat.to_unit(*lat.sample(150, np.random.default_rng(5)))  # same stream as sample()
    ru, rv = sc.latent_unit(x, y)
    np.testing.assert_allclose(ru, u, atol=1e-9)
    np.testing.assert_allclose(rv, v, atol=1e-9)
    assert sc.true_mi == TargetMI(2.0, u.shape[1], latent).true_mi


def test_images_depend_on_the_latents_as_claimed():
    # the blob's brightest pixel sits at its centre, (size - 1) * (u0, u1) rounded
    sc = Images(mi=1.0, size=32, shape="gaussian")
    u = np.array([[0.0, 0.0, 0.5], [1.0, 0.25, 0.0], [0.25, 0.75, 1.0]])
    img = sc.render(u).reshape(3, 32, 32)
    peaks = [np.unravel_index(np.argmax(i), i.shape) for i in img]
    assert peaks == [(0, 0), (31, 8), (8, 23)]
    # a rectangle covers w x h pixels' worth of area
    rect = Images(size=16, shape="rectangle")
    r = rect.render(np.array([[0.3, 0.0, 0.6, 1.0]])).reshape(16, 16)
    assert r.sum() == pytest.approx(2.0 * 16, abs=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 4}, r"size=4 is too small: images need size >= 8 pixels"),
    ({"shape": "circle"}, r"shape must be one of gaussian, rectangle"),
    ({"mi": 100.0, "shape": "gaussian"}, r"mi=100.0 is unreachable for family 'normal' in dim=3"),
    ({"latent": "cauchy"}, r"latent must be one of normal, uniform, student"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        _ = Images(**kwargs).true_mi


def test_cli_bad_size_exit_2(tmp_path, capsys):
    argv = ["run", "--scenario", "images", "--param", "size=3", "--estimator", "gaussian",
            "--n", "50", "--seeds", "1", "--quiet", "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "too small" in err
