"""Latent KSG (Gowri et al. 2024): compression per side, then KSG on held-out rows."""

import numpy as np
import pytest

import mibench
from estimators import latent_ksg
from estimators.ksg import KSG
from estimators.latent_ksg import LatentKSG


def _embedded(n, dim, seed, d=2, rho=0.9, noise=0.0):
    """A d+d Gaussian pair (rho per coordinate pair) embedded linearly in dim+dim columns, plus
    independent noise of sd ``noise`` per column; the true MI is the Gaussian MI of the joint
    covariance (closed form)."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((n, d))
    v = rho * u + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    a, b = rng.standard_normal((d, dim)), rng.standard_normal((d, dim))
    x = u @ a + noise * rng.standard_normal((n, dim))
    y = v @ b + noise * rng.standard_normal((n, dim))
    if noise == 0:
        return x, y, -0.5 * d * np.log(1 - rho**2)
    sxx = a.T @ a + noise**2 * np.eye(dim)
    syy = b.T @ b + noise**2 * np.eye(dim)
    sxy = rho * a.T @ b
    s = np.block([[sxx, sxy], [sxy.T, syy]])
    ld = [np.linalg.slogdet(m)[1] for m in (sxx, syy, s)]
    return x, y, 0.5 * (ld[0] + ld[1] - ld[2])


def test_pca_exact_rank_keeps_only_informative_components():
    # 2+2 informative dimensions in 32+32 noiseless columns: PCA keeps the 2 non-degenerate
    # components, and KSG on the held-out latents is within 3 of its standard errors (~0.04)
    x, y, truth = _embedded(2000, 32, seed=0, noise=0.0)
    est = LatentKSG(compressor="pca").estimate(x, y, seed=1)
    assert est.info["latent_dims"] == [2, 2] and est.info["compressor"] == "pca"
    assert abs(est.mi - truth) < 3 * est.std + 0.05, (est.mi, est.std, truth)


def test_pca_recovers_a_noisy_embedding_where_ksg_fails():
    # 2+2 informative dimensions in 32+32 columns with noise sd 1 per column (true MI 1.36
    # nats, closed form): 2-d PCA latents read 1.31 +- 0.03, within 3 std + 0.1 nats (the
    # projection keeps some noise); KSG on the raw 64 columns reads 0.83
    x, y, truth = _embedded(2000, 32, seed=0, noise=1.0)
    est = LatentKSG(compressor="pca", latent_dim=2).estimate(x, y, seed=1)
    assert abs(est.mi - truth) < 3 * est.std + 0.1, (est.mi, est.std, truth)
    assert KSG().estimate(x, y, seed=1).mi < truth - 0.4


def test_auto_falls_back_to_pca_without_torch(monkeypatch):
    monkeypatch.setattr(latent_ksg, "torch_available", lambda: False)
    x, y, _ = _embedded(400, 12, seed=2, noise=0.1)
    assert LatentKSG().estimate(x, y, seed=0).info["compressor"] == "pca"
    with pytest.raises(mibench.InputError, match="compressor='autoencoder' needs PyTorch"):
        LatentKSG(compressor="autoencoder").estimate(x, y, seed=0)


def test_low_dimensional_sides_are_not_compressed():
    x, y, _ = _embedded(400, 3, seed=3)
    est = LatentKSG().estimate(x, y, seed=0)
    assert est.info["compressor"] == "none" and est.info["latent_dims"] == [3, 3]


def test_autoencoder_compresses_and_estimates():
    torch = pytest.importorskip("torch")
    x, y, truth = _embedded(1000, 16, seed=4, noise=0.05)
    est = LatentKSG(compressor="autoencoder", latent_dim=4, hidden=32, max_epochs=10).estimate(x, y, seed=0)
    assert est.info["compressor"] == "autoencoder" and est.info["latent_dims"] == [4, 4]
    # data processing: a compression fitted on other rows cannot add information
    assert est.mi < truth + 3 * est.std
    assert est.mi > 0.5 * truth
    assert est.info["device"] == ("cuda" if torch.cuda.is_available() else "cpu")


def test_device_is_checked_and_cuda_without_cuda_is_a_failure():
    torch = pytest.importorskip("torch")
    x, y, _ = _embedded(300, 16, seed=4, noise=0.05)
    with pytest.raises(mibench.InputError, match="device must be 'auto', 'cpu'"):
        LatentKSG(device="gpu").estimate(x, y, seed=0)
    if not torch.cuda.is_available():
        with pytest.raises(mibench.EstimatorFailure, match="CUDA is not available"):
            LatentKSG(compressor="autoencoder", device="cuda", max_epochs=2).estimate(x, y, seed=0)


@pytest.mark.slow
def test_agrees_with_the_latentmi_reference_on_identical_data():
    # the authors' LMI (AECross autoencoders, 300 epochs, KSG on the held-out half) and
    # latent-ksg on the same 16+16-column data (n = 2000): the two differ by less than 3 combined
    # standard errors (latent-ksg's half-sample std, the same for both: same KSG, same n_test)
    # plus 0.1 nats for the difference of the two compressions
    pytest.importorskip("latentmi")
    from estimators.latentmi_reference import LatentMIReference

    x, y, truth = _embedded(2000, 16, seed=4, noise=0.05)
    ours = LatentKSG().estimate(x, y, seed=0)
    ref = LatentMIReference().estimate(x, y, seed=0)
    assert abs(ours.mi - ref.mi) < 3 * np.sqrt(2) * ours.std + 0.1, (ours.mi, ref.mi, ours.std, truth)
