"""Monte-Carlo ground truths: the cache, and the mixture truths against published values."""

import json
import os

import numpy as np
import pytest

from mibench import TrueMI
from mibench.contracts import groundtruth as _groundtruth
from mibench.contracts.groundtruth import cache_dir, clear_memory_cache, monte_carlo_mi, pmi_mean
from scenarios.gaussian import GaussianCorrelated
from scenarios.mixtures import BmiX, ConcentricGaussians, GMMSynthetic, SparseInliers


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MIBENCH_CACHE_DIR", str(tmp_path / "gt"))
    clear_memory_cache()
    yield tmp_path / "gt"
    clear_memory_cache()


def test_mean_and_stderr_are_those_of_the_pmi_sample():
    sc = GaussianCorrelated(0.6)
    mean, se = pmi_mean(sc.pmi, sc.sample, 30_000, seed=5, chunk=7_000)  # uneven chunks
    x, y = sc.sample(7_000, np.random.default_rng(5))  # first chunk, same stream
    rng = np.random.default_rng(5)
    parts = []
    for m in (7_000, 7_000, 7_000, 7_000, 2_000):
        parts.append(sc.pmi(*sc.sample(m, rng)))
    p = np.concatenate(parts)
    assert mean == pytest.approx(p.mean(), abs=1e-12)
    assert se == pytest.approx(p.std(ddof=1) / np.sqrt(p.size), rel=1e-9)


def test_cache_roundtrip_and_keys(fresh_cache, monkeypatch):
    sc = GaussianCorrelated(0.6)
    first = monte_carlo_mi(sc, n=20_000, seed=1)
    files = list(fresh_cache.glob("*.json"))
    assert len(files) == 1 and not list(fresh_cache.glob(".tmp-*"))  # atomic: no leftovers
    record = json.loads(files[0].read_text())
    assert record["params"] == {"rho": 0.6} and record["n"] == 20_000 and record["seed"] == 1
    assert record["class"] == "scenarios.gaussian.GaussianCorrelated"
    # a second process (empty memo) reads the file instead of recomputing
    clear_memory_cache()
    monkeypatch.setattr(_groundtruth, "pmi_mean", lambda *a, **k: pytest.fail("recomputed"))
    assert monte_carlo_mi(sc, n=20_000, seed=1) == first
    monkeypatch.undo()
    monkeypatch.setenv("MIBENCH_CACHE_DIR", str(fresh_cache))
    # n, seed and parameters are part of the key
    monte_carlo_mi(sc, n=20_001, seed=1)
    monte_carlo_mi(sc, n=20_000, seed=2)
    monte_carlo_mi(GaussianCorrelated(0.5), n=20_000, seed=1)
    assert len(list(fresh_cache.glob("*.json"))) == 4
    assert isinstance(first, TrueMI) and first.stderr > 0
    assert abs(first.value - sc.true_mi.value) < 4 * first.stderr


def test_default_cache_dir(monkeypatch):
    monkeypatch.delenv("MIBENCH_CACHE_DIR", raising=False)
    assert cache_dir() == cache_dir().home() / ".cache" / "mibench" / "groundtruth"


def test_unwritable_cache_still_returns_a_value(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("MIBENCH_CACHE_DIR", str(blocker / "sub"))
    clear_memory_cache()
    res = monte_carlo_mi(GaussianCorrelated(0.3), n=5_000, seed=0)
    assert np.isfinite(res.value)
    assert not os.path.exists(blocker / "sub")


def test_logpdfs_form_equals_pmi_form(fresh_cache):
    sc = GaussianCorrelated(0.8)
    a = monte_carlo_mi(sc, n=10_000, seed=3, use_cache=False)
    clear_memory_cache()
    b = monte_carlo_mi(sc, logpdfs=(sc.logpdf_joint, sc.logpdf_x, sc.logpdf_y), n=10_000, seed=3,
                       use_cache=False, tag="logpdfs")
    assert a.value == pytest.approx(b.value, abs=1e-12)


# Published truths: GMM-MI's 1e8-draw values (MCSE ~5e-5) and the catalogue's >= 1e6-draw
# re-simulations of bmi v2 (se given). With n = 2e5 here, the combined standard error is
# sqrt(se_ours^2 + se_ref^2); a correct density is within 4 of them.
@pytest.mark.parametrize("scenario,ref,ref_se", [
    (GMMSynthetic("D3"), 0.1323790, 5e-5), (GMMSynthetic("D3p"), 0.3889300, 7e-5),
    (GMMSynthetic("D3_rhoneq0"), 0.1482466, 5e-5), (GMMSynthetic("D5"), 0.1681140, 5e-5),
    (GMMSynthetic("D5p"), 0.1797621, 5e-5), (BmiX(0.9), 0.4083, 5e-4),
    (ConcentricGaussians(3, 5), 0.4552, 5e-4), (SparseInliers(5, 5, 0.2), 0.6357, 3e-4),
    (SparseInliers(5, 5, 0.5), 0.2695, 2e-4),
])
def test_mixture_truths_match_published_values(scenario, ref, ref_se, fresh_cache):
    res = monte_carlo_mi(scenario, n=200_000, seed=11, use_cache=False)
    assert abs(res.value - ref) < 4 * np.hypot(res.stderr, ref_se), (res, ref)


def test_mixture_true_mi_is_cached_with_its_stderr(fresh_cache, monkeypatch):
    monkeypatch.setattr(GMMSynthetic, "mc_n", 50_000)
    sc = GMMSynthetic("D5p")
    t = sc.true_mi
    assert 0 < t.stderr < 0.01 and len(list(fresh_cache.glob("*.json"))) == 1
    assert GMMSynthetic("D1").true_mi.stderr == 0.0  # one component: closed form
    assert GMMSynthetic("D1").true_mi.value == pytest.approx(GMMSynthetic("D1").reference_mi, abs=1e-7)


def test_specialised_pmis_equal_the_generic_mixture_densities():
    from scenarios._base import mvn_logpdf
    from scenarios.mixtures import GaussianMixtureScenario
    rng = np.random.default_rng(0)
    sc = ConcentricGaussians(4, 3)
    x, y = sc.sample(2000, rng)
    np.testing.assert_allclose(sc.pmi(x, y), GaussianMixtureScenario.pmi(sc, x, y), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sc.logpdf_x(x), GaussianMixtureScenario.logpdf_x(sc, x), rtol=1e-12)
    # inliers: the 2-pair shortcut equals the full 10-D Gaussian PMI mixed with the product
    si = SparseInliers(5, 5, 0.3)
    x, y = si.sample(2000, rng)
    _, _, cov = si._corr()
    z = np.hstack([x, y])
    full = mvn_logpdf(z, cov) - mvn_logpdf(x, cov[:5, :5]) - mvn_logpdf(y, cov[5:, 5:])
    np.testing.assert_allclose(si.pmi(x, y), np.log(0.7 * np.exp(full) + 0.3), rtol=1e-9, atol=1e-12)
    # the truth does not depend on the dimensions (one cached 2 x 2 computation)
    assert SparseInliers(25, 25, 0.2).true_mi == SparseInliers(5, 5, 0.2).true_mi


def test_cached_only_never_computes(monkeypatch, capsys):
    from mibench.cli import main
    from mibench.contracts.groundtruth import NotComputedError, cached_only
    from scenarios.mixtures import Galaxy

    monkeypatch.setattr(Galaxy, "mc_n", 5_000)
    sc = Galaxy(speed=0.25)
    with cached_only(), pytest.raises(NotComputedError, match="not computed yet"):
        _ = sc.true_mi
    truth = sc.true_mi  # computes and caches
    with cached_only():
        assert sc.true_mi == truth
    # `mibench list` shows Monte-Carlo truths only when cached (no minutes of Monte Carlo)
    assert main(["list", "scenarios"]) == 0
    line = next(s for s in capsys.readouterr().out.splitlines() if s.strip().startswith("waves "))
    assert "Monte Carlo, computed on first use" in line
