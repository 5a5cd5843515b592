"""Neural variational estimators (MINE, NWJ, InfoNCE, SMILE): bounds, protocol, accuracy,
flags, failures, determinism and the unavailable-without-torch behaviour."""

from __future__ import annotations

import importlib
import json
import math
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scipy.special import logsumexp  # noqa: E402

import mibench  # noqa: E402
from estimators.neural import (  # noqa: E402
    MINE,
    NWJ,
    SMILE,
    InfoNCE,
    _bounds,  # noqa: E402
)
from scenarios.gaussian import GaussianCorrelated, GaussianIndependent  # noqa: E402

pytestmark = pytest.mark.neural

ALL = [MINE, NWJ, InfoNCE, SMILE]


# ------------------------------------------------------------------ bounds vs numpy
def _np_bounds(s: np.ndarray, clip: float):
    b = s.shape[0]
    off = s[~np.eye(b, dtype=bool)]
    diag = np.diag(s)
    lme = logsumexp(off) - np.log(off.size)
    return {
        "dv": diag.mean() - lme,
        "nwj": diag.mean() - np.mean(np.exp(off - 1.0)),
        "infonce": np.log(b) + np.mean(diag - logsumexp(s, axis=1)),
        "smile": diag.mean() - np.log(np.mean(np.clip(np.exp(off), np.exp(-clip), np.exp(clip)))),
        "js": np.mean(-np.logaddexp(0, -diag)) - np.mean(np.logaddexp(0, off)),
    }


@pytest.mark.parametrize("b", [2, 7])
def test_bounds_match_direct_formulas(b):
    rng = np.random.default_rng(b)
    s = rng.normal(scale=3.0, size=(b, b))
    ref = _np_bounds(s, clip=1.0)
    t = torch.as_tensor(s, dtype=torch.float64)
    got = {"dv": _bounds.dv(t), "nwj": _bounds.nwj(t), "infonce": _bounds.infonce(t),
           "smile": _bounds.smile(t, 1.0), "js": _bounds.js(t)}
    for k, v in got.items():
        assert float(v) == pytest.approx(ref[k], rel=1e-12, abs=1e-12), k


def test_infonce_never_exceeds_log_b_and_dv_is_shift_invariant():
    s = torch.randn(16, 16, dtype=torch.float64) * 50 + 20 * torch.eye(16, dtype=torch.float64)
    assert float(_bounds.infonce(s)) <= math.log(16) + 1e-12
    assert float(_bounds.dv(s + 123.0)) == pytest.approx(float(_bounds.dv(s)), abs=1e-9)


def _grad(fn, s):
    s = s.clone().requires_grad_(True)
    fn(s).backward()
    return s.grad


def test_mine_objective_gradient_uses_moving_average():
    rng = torch.Generator().manual_seed(0)
    s1 = torch.randn(6, 6, generator=rng, dtype=torch.float64)
    s2 = torch.randn(6, 6, generator=rng, dtype=torch.float64) + 1.0
    obj = _bounds.MINEObjective(ema_decay=0.9)
    # first step: ema = batch estimate, so the gradient is the plain DV gradient
    g1 = _grad(lambda s: obj.loss(s)[0], s1)
    assert torch.allclose(g1, _grad(lambda s: -_bounds.dv(s), s1))
    # second step: marginal-term gradient scaled by exp(lme) / ema instead of 1 / batch mean
    lme1 = float(_bounds._log_mean_exp(_bounds._offdiag(s1)))
    lme2 = float(_bounds._log_mean_exp(_bounds._offdiag(s2)))
    ema = math.log(0.9 * math.exp(lme1) + 0.1 * math.exp(lme2))
    loss, value = obj.loss(s2.clone().requires_grad_(True))
    assert float(value) == pytest.approx(float(_bounds.dv(s2)), abs=1e-12)  # reported = DV
    g2 = _grad(lambda s: _bounds.MINEObjective.loss(obj_copy(obj, lme1), s)[0], s2)
    joint_grad = _grad(lambda s: -torch.diagonal(s).mean(), s2)
    marg_grad = _grad(lambda s: _bounds._log_mean_exp(_bounds._offdiag(s)), s2)
    assert torch.allclose(g2, joint_grad + math.exp(lme2 - ema) * marg_grad)


def obj_copy(obj, ema_value):
    new = _bounds.MINEObjective(ema_decay=0.9)
    new.ema = torch.tensor(ema_value, dtype=torch.float64)
    return new


def test_smile_objective_value_is_clipped_dv_and_gradient_is_js():
    s = torch.randn(8, 8, dtype=torch.float64) * 4
    obj = _bounds.SMILEObjective(clip=1.0)
    loss, value = obj.loss(s)
    assert float(value) == pytest.approx(float(_bounds.smile(s, 1.0)), abs=1e-12)
    assert float(loss) == pytest.approx(-float(value), abs=1e-12)
    assert torch.allclose(_grad(lambda t: obj.loss(t)[0], s), _grad(lambda t: -_bounds.js(t), s))


# ------------------------------------------------------------------ accuracy
@pytest.fixture(scope="module")
def gauss06():
    sc = GaussianCorrelated(rho=0.6)
    x, y = sc.sample(5000, np.random.default_rng(20261127))
    return x, y, sc.true_mi.value


@pytest.mark.parametrize("cls,params", [(MINE, {}), (NWJ, {}), (InfoNCE, {}), (SMILE, {}),
                                        (InfoNCE, {"critic": "separable"})],
                         ids=["mine", "nwj", "infonce", "smile", "infonce-separable"])
def test_bivariate_gaussian_within_0_1_nat(gauss06, cls, params):
    # Tolerance: the estimate is a mean over the n_test = 1000 held-out rows; the information
    # density of a bivariate Gaussian has variance rho^2 = 0.36, so the test-sampling s.e. is
    # sqrt(0.36 / 1000) = 0.019 nat. 0.1 nat is ~5 s.e., leaving ~0.05 for critic bias
    # (observed 0.01-0.04 over several data and estimator seeds).
    x, y, truth = gauss06
    est = cls(**params, uncertainty="test-batches").estimate(x, y, seed=3)
    assert abs(est.mi - truth) < 0.1, (est.mi, est.info)
    assert 0.003 < est.std < 0.06  # s.e. over ~15 test batches, around the 0.019 above
    info = est.info
    json.dumps(info)
    assert info["n_test"] == 1000 and info["n_val"] == 1000 and info["n_train"] == 3000
    assert 1 <= info["best_step"] <= info["steps"] <= 2000
    assert info["early_stopped"] or info["steps"] == 2000
    assert not info["saturated"] and not info["collapsed"]
    # selected checkpoint = best validation value of the recorded curve
    assert info["val_bound_best"] == max(v for _, v in info["val_curve"])
    assert [s for s, v in info["val_curve"] if v == info["val_bound_best"]][0] == info["best_step"]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_independent_data_estimate_near_zero(cls):
    # A critic trained on independent data has nothing to learn; the held-out bound is ~0
    # (observed |mi| < 0.005, s.e. ~0.001 at n_test = 400); 0.05 leaves room for overfitting.
    x, y = GaussianIndependent(dim_x=2, dim_y=1).sample(2000, np.random.default_rng(11))
    est = cls(max_steps=600, uncertainty="none").estimate(x, y, seed=5)
    assert abs(est.mi) < 0.05, (est.mi, est.info)


def test_infonce_saturation_flag_on_high_mi():
    # y = x + 0.1 noise in 3-D: I = 3/2 ln(1.01 / 0.01) = 6.9 nats >> ln 16 = 2.77
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1000, 3))
    y = x + 0.1 * rng.standard_normal((1000, 3))
    est = InfoNCE(batch_size=16, max_steps=500, uncertainty="none").estimate(x, y, seed=0)
    ceiling = est.info["infonce_ceiling"]
    assert ceiling == pytest.approx(math.log(16), abs=0.05)
    assert est.mi <= ceiling + 1e-6  # InfoNCE can never exceed ln b
    assert est.info["saturated"] and "saturated" in est.info["flags"]


def test_unstable_flag_when_test_batches_disagree(monkeypatch):
    """A bound dominated by a few test points (NWJ on a Cauchy task once gave -1.3e36 +- 4e35 nats
    with status ok) is flagged ``unstable``; ordinary spread is not."""
    import estimators.neural._estimators as ne

    x, y = GaussianCorrelated(rho=0.5).sample(200, np.random.default_rng(0))
    info = {"still_improving": False, "collapsed": False, "train_bound_final": 0.3,
            "val_bound_best": 0.3}
    for vals, flagged in (([0.3, 0.2, 0.25, 0.35], False), ([0.3, 0.2, -1e3, 0.35], True)):
        monkeypatch.setattr(ne, "train_and_test", lambda *a, v=vals: (np.array(v), dict(info)))
        est = NWJ(uncertainty="test-batches").estimate(x, y, seed=0)
        assert est.info["unstable"] is flagged and ("unstable" in est.info["flags"]) is flagged
        assert (est.std > ne.UNSTABLE_SE) is flagged


@pytest.mark.parametrize("cls", [MINE, NWJ], ids=lambda c: c.__name__)
def test_overfit_flag_on_heavy_tails_and_not_on_a_gaussian_pair(cls):
    """Issue 20: on 5 + 5 Student-t (df 3) columns at n = 1000 the critic fits its training rows
    (training bound ~0.25 nat) and the held-out bound stays near 0 against a truth of 0.30:
    flagged ``overfit``; on a bivariate Gaussian (rho 0.6) training and validation agree."""
    from mibench.registry import make_scenario

    sc = make_scenario("student-t", dim_x=5, dim_y=5, df=3, dispersion="identity")
    x, y = sc.sample(1000, np.random.default_rng(0))
    est = cls(uncertainty="none").estimate(x, y, seed=0)
    assert est.mi < 0.5 * sc.true_mi.value
    assert est.info["generalisation_gap"] > 0.1 and "overfit" in est.info["flags"]
    x, y = GaussianCorrelated(rho=0.6).sample(2000, np.random.default_rng(2))
    est = cls(uncertainty="none").estimate(x, y, seed=0)
    assert abs(est.info["generalisation_gap"]) < 0.05 and "overfit" not in est.info["flags"]


def test_overfit_rule():
    from estimators.neural._estimators import overfit

    assert overfit(0.30, 0.03) and overfit(0.15, -0.02)
    assert not overfit(0.25, 0.20)  # a gap of 0.05 nat: ordinary optimism of the training batches
    assert not overfit(0.05, -0.02)  # both near 0 (independent data)
    assert not overfit(1.5, 1.3)  # large MI, small relative gap


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_absurd_learning_rate_is_an_estimator_failure(cls):
    x, y = GaussianCorrelated(rho=0.6).sample(1000, np.random.default_rng(0))
    with pytest.raises(mibench.EstimatorFailure, match=r"diverged.*learning_rate=10000"):
        cls(learning_rate=1e4, max_steps=300, uncertainty="none").estimate(x, y, seed=0)


# ------------------------------------------------------------------ determinism
def test_same_seed_same_estimate_and_global_state_untouched():
    x, y = GaussianCorrelated(rho=0.6).sample(1000, np.random.default_rng(2))
    torch.set_num_threads(2)  # the estimate runs with threads=1 and must restore this
    threads = torch.get_num_threads()
    state = torch.random.get_rng_state()
    est = MINE(max_steps=300, threads=1, uncertainty="test-batches")
    a = est.estimate(x, y, seed=7)
    b = est.estimate(x, y, seed=7)
    c = est.estimate(x, y, seed=8)
    assert a.mi == b.mi and a.std == b.std and a.info == b.info
    assert c.mi != a.mi
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), state)


# ------------------------------------------------------------------ parameters
@pytest.mark.parametrize("cls,params,match", [
    (MINE, {"critic": "bilinear"}, "critic='bilinear'"),
    (NWJ, {"hidden": (64, 0)}, "hidden"),
    (InfoNCE, {"batch_size": 1}, "batch_size=1"),
    (SMILE, {"clip": 0.0}, "clip=0.0"),
    (MINE, {"ema_decay": 1.0}, "ema_decay=1.0"),
    (NWJ, {"val_fraction": 0.5, "test_fraction": 0.45}, "val_fraction \\+ test_fraction"),
    (InfoNCE, {"device": "tpu"}, "device='tpu'"),
    (MINE, {"learning_rate": float("nan")}, "learning_rate=nan"),
])
def test_bad_parameters_named(cls, params, match):
    x, y = GaussianCorrelated().sample(100, np.random.default_rng(0))
    with pytest.raises(mibench.InputError, match=match):
        cls(**params).estimate(x, y, seed=0)


def test_params_stored_unchanged_and_cli_hidden_text():
    est = SMILE(hidden="32/16", clip=1.0)
    assert est.get_params()["hidden"] == "32/16" and est.get_params()["clip"] == 1.0
    x, y = GaussianCorrelated().sample(300, np.random.default_rng(0))
    assert math.isfinite(est.set_params(max_steps=50, uncertainty="none").estimate(x, y, seed=0).mi)


# ------------------------------------------------------------------ without torch
def test_unavailable_without_torch(monkeypatch):

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    for name in [m for m in sys.modules if m == "estimators.neural" or m.startswith("estimators.neural.")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(mibench.UnavailableError,
                       match=r"needs PyTorch: pip install 'mibench\[neural\]' \(CPU build: pip install "
                             r"torch==2\.13\.0 first\)"):
        importlib.import_module("estimators.neural")


_NO_TORCH = r"""
import importlib.abc, json, sys
import numpy as np

class BlockTorch(importlib.abc.MetaPathFinder):  # behaves as if torch were not installed
    def find_spec(self, name, path, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, BlockTorch())
from mibench import registry as _registry
table = _registry.estimators()
x = np.random.default_rng(0).standard_normal((200, 2))
ksg = table["ksg"].load()().estimate(x[:, :1], x[:, 1:], seed=0).mi
print(json.dumps({"errors": {k: table[k].error for k in ("mine", "nwj", "infonce", "smile", "flow", "doe")},
                  "available": sorted(k for k, p in table.items() if p.available), "ksg": ksg}))
"""


def test_registry_lists_neural_as_unavailable_without_torch():
    import subprocess

    out = subprocess.run([sys.executable, "-c", _NO_TORCH], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    for name, error in res["errors"].items():
        assert error is not None and "needs PyTorch" in error, name
        assert "pip install 'mibench[neural]'" in error, name
    assert not {"mine", "nwj", "infonce", "smile", "flow", "doe"} & set(res["available"])
    assert "ksg" in res["available"] and math.isfinite(res["ksg"])  # everything else still works
    assert "latent-ksg" in res["available"]  # falls back to PCA


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_min_samples_boundary(cls):
    est = cls(max_steps=20, eval_every=10)
    n = mibench.required_n(est)  # min_samples() (8) raised to the class floor min_n (10)
    x, y = GaussianCorrelated().sample(n, np.random.default_rng(0))
    res = est.estimate(x, y, seed=0)
    assert math.isfinite(res.mi) and res.info["n_train"] >= 4 and res.info["n_test"] >= 2
    with pytest.raises(mibench.InputError, match="too small"):
        est.estimate(x[:-1], y[:-1], seed=0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA present")
def test_cuda_requested_without_cuda_is_a_failure_and_auto_falls_back_to_cpu():
    x, y = GaussianCorrelated().sample(200, np.random.default_rng(0))
    with pytest.raises(mibench.EstimatorFailure, match="CUDA is not available"):
        NWJ(device="cuda", max_steps=10, uncertainty="none").estimate(x, y, seed=0)
    assert NWJ(device="auto", max_steps=10, uncertainty="none").estimate(x, y, seed=0).info["device"] == "cpu"
