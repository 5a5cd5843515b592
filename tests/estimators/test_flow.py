"""MI through normalizing flows (Butakov et al. 2024): torch + zuko."""

import importlib
import sys

import numpy as np
import pytest

import mibench
from tests.estimators._data import gaussian_pair as _gauss

pytest.importorskip("torch")
pytest.importorskip("zuko")

from estimators.flow import FlowMI, gaussian_pointwise_mi, normal_scores_map  # noqa: E402

pytestmark = pytest.mark.neural



def test_pointwise_gaussian_mi_averages_to_the_plugin_value():
    x, y, _ = _gauss(500, 0.7, 2, seed=0)
    l_i, d = gaussian_pointwise_mi(x, y[:, :1])
    z = np.hstack((x, y[:, :1]))
    s = np.cov(z, rowvar=False, ddof=0)
    plug = 0.5 * (np.linalg.slogdet(s[:2, :2])[1] + np.log(s[2, 2]) - np.linalg.slogdet(s)[1])
    assert d == 3 and l_i.mean() == pytest.approx(plug, abs=1e-12)


def test_normal_scores_map_is_increasing_and_gaussianises():
    rng = np.random.default_rng(1)
    a = np.exp(rng.standard_normal((4000, 1)) * 2)
    out = normal_scores_map(a[:2000], a)
    assert np.all(np.diff(out[np.argsort(a[:, 0]), 0]) >= 0)
    assert abs(out[2000:, 0].mean()) < 0.1 and abs(out[2000:, 0].std() - 1) < 0.1


def test_transformed_gaussian_within_sampling_error():
    # a cubed x and an asinh-warped y (MI unchanged, 0.83 nats): the flows undo the warps; the
    # held-out estimate is within 3 of its own standard errors (~0.05) plus 0.05 nats of the truth
    x, y, truth = _gauss(1500, 0.9, 1, seed=2)
    est = FlowMI(max_epochs=60).estimate(x**3, np.arcsinh(3 * y), seed=0)
    assert abs(est.mi - truth) < 3 * est.std + 0.05, (est.mi, est.std, truth)
    assert est.info["device"] == "cpu" and est.info["n_test"] == 300


def test_continuous_flows_on_a_warped_gaussian():
    # family="cnf": one neural ODE per side (zuko's CNF, exact log-determinant); a cubed x and
    # an asinh-warped y (0.83 nats) after 3 epochs: within 3 standard errors plus 0.05 nats
    x, y, truth = _gauss(1000, 0.9, 1, seed=2)
    est = FlowMI(family="cnf", max_epochs=3).estimate(x**3, np.arcsinh(3 * y), seed=0)
    assert abs(est.mi - truth) < 3 * est.std + 0.05, (est.mi, est.std, truth)
    assert est.info["epochs"] == 3


def test_linearly_dependent_columns_are_read_on_their_span():
    # a 2 + 2 Gaussian pair (0.98 nats) in 8 + 6 columns that are linear combinations of them
    # (a linear bottleneck): no density in 14 dimensions, so the flows see the coordinates of
    # the 2 + 2 dimensional span; without that, on the 32 + 32 embedding of issue 16's notes,
    # `flow` read 1.92 and 1.47 for a truth of 1.00
    x, y, truth = _gauss(1500, 0.75, 2, seed=3)
    rng = np.random.default_rng(0)
    ex, ey = x @ rng.standard_normal((2, 8)), y @ rng.standard_normal((2, 6))
    est = FlowMI(max_epochs=40).estimate(ex, ey.astype(np.float32).astype(np.float64), seed=0)
    assert est.info["support_dims"] == [2, 2]
    assert abs(est.mi - truth) < 3 * est.std + 0.05, (est.mi, est.std, truth)
    assert "support_dims" not in FlowMI(max_epochs=2).estimate(x, y, seed=0).info


def test_still_improving_when_the_epoch_budget_ends_training():
    x, y, _ = _gauss(400, 0.8, 1, seed=1)
    short = FlowMI(max_epochs=2).estimate(x, y, seed=0).info
    assert short["epochs"] == 2 and short["still_improving"]
    stopped = FlowMI(max_epochs=100, patience=1).estimate(x, y, seed=0).info
    assert stopped["epochs"] < 100 and not stopped["still_improving"]


def test_unknown_family_is_refused():
    with pytest.raises(mibench.InputError, match="family"):
        FlowMI(family="maf").estimate(*_gauss(200, 0.5, 1, seed=0)[:2])


def test_unavailable_with_install_hint_without_zuko(monkeypatch):
    monkeypatch.setitem(sys.modules, "zuko", None)  # `import zuko` now raises ImportError
    monkeypatch.delitem(sys.modules, "estimators.flow")
    with pytest.raises(mibench.UnavailableError, match=r"flow needs PyTorch and zuko: pip install "
                                                       r"'mibench\[neural\]'"):
        importlib.import_module("estimators.flow")


@pytest.mark.slow
@pytest.mark.parametrize("rho, d", [(0.9, 1), (0.8, 3), (0.0, 2)])
def test_gaussian_truth_at_n_5000(rho, d):
    x, y, truth = _gauss(5000, rho, d, seed=3)
    est = FlowMI().estimate(x, y, seed=1)
    assert abs(est.mi - truth) < 3 * est.std + 0.03, (est.mi, est.std, truth)
