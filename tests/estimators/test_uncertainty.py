"""Error bars (the shared ``uncertainty`` hyperparameter): honest size, bias estimate, errors.

The calibration tests compare the mean reported std over m data sets with the std of the
estimates over the same data sets. For normal errors the sample std over m seeds has relative
standard error 1/sqrt(2 (m - 1)) and the mean of m reported stds adds their own spread / sqrt(m);
every tolerance below is at least 4 of those combined standard errors (on the log scale) around
the value the method is designed to give (1).
"""

from __future__ import annotations

import numpy as np
import pytest

import mibench
from estimators._uncertainty import SUBSAMPLE_SPLITS, subsample_estimate
from mibench import InputError
from mibench.cli import main
from mibench.registry import make_estimator

SUBSAMPLED = ["ksg", "ksg-mixed", "binning", "kde"]


def _gaussian_pair(rho: float, n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1))
    return x, rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, 1))


def _ratio_and_tolerance(name: str, params: dict, rho: float, n: int, seeds: int):
    mi, sd = [], []
    for s in range(seeds):
        x, y = _gaussian_pair(rho, n, 1000 + s)
        res = make_estimator(name, **params).estimate(x, y, seed=s)
        mi.append(res.mi)
        sd.append(res.std)
    sd = np.asarray(sd)
    ratio = sd.mean() / np.std(mi, ddof=1)
    se_log = np.hypot(1 / np.sqrt(2 * (seeds - 1)), sd.std(ddof=1) / sd.mean() / np.sqrt(seeds))
    return ratio, 4 * se_log


@pytest.mark.parametrize("rho", [0.3, 0.9])
def test_gaussian_analytic_std_matches_spread_and_delta_method(rho):
    """Delta method: sd(I_hat) = rho / sqrt(n) for a Gaussian pair; 300 seeds (1 ms each)."""
    n = 1000
    ratio, tol = _ratio_and_tolerance("gaussian", {}, rho, n, 300)
    assert abs(np.log(ratio)) < tol, (ratio, tol)
    # the mean influence-function std over 100 data sets: within 5 % of the closed form (one
    # std varies ~10 % with the sample correlation at rho = 0.3)
    sd = [make_estimator("gaussian").estimate(*_gaussian_pair(rho, n, s)).std for s in range(100)]
    assert np.mean(sd) == pytest.approx(rho / np.sqrt(n), rel=0.05)


@pytest.mark.parametrize("name", SUBSAMPLED)
def test_subsample_std_matches_spread_over_seeds(name):
    """24 seeds at n = 600, rho = 0.6: ratio within about 4 s.e. (roughly 0.55-1.8)."""
    ratio, tol = _ratio_and_tolerance(name, {}, 0.6, 600, 24)
    assert abs(np.log(ratio)) < tol, (ratio, tol)


@pytest.mark.slow
@pytest.mark.parametrize("name", SUBSAMPLED + ["gaussian:subsample"])
@pytest.mark.parametrize("rho", [0.3, 0.9])
def test_subsample_std_matches_spread_over_seeds_slow(name, rho):
    """150 seeds at n = 2000 (relative s.e. of the ratio ~6 %)."""
    name, _, method = name.partition(":")
    params = {"uncertainty": method} if method else {}
    ratio, tol = _ratio_and_tolerance(name, params, rho, 2000, 150)
    assert abs(np.log(ratio)) < tol, (name, rho, ratio, tol)


def test_subsample_bias_estimates_the_plugin_bias():
    """Plug-in MI at independence is biased up by (Bx - 1)(By - 1) / (2 n) (first order): with
    5 x 5 bins and n = 2000, 0.004 nats. The subsampling extrapolation recovers it (mean over 10
    data sets; measured 0.0038 +- 0.0003)."""
    bias = []
    for s in range(10):
        rng = np.random.default_rng(s)
        x, y = rng.standard_normal((2000, 1)), rng.standard_normal((2000, 1))
        res = make_estimator("binning", bins=5, miller_madow=False).estimate(x, y, seed=s)
        bias.append(res.info["subsample_bias"])
        assert res.info["uncertainty"] == "subsample"
        assert res.info["mi_extrapolated"] == pytest.approx(res.mi - res.info["subsample_bias"],
                                                            abs=0.01)
    se = np.std(bias, ddof=1) / np.sqrt(len(bias))
    assert abs(np.mean(bias) - 16 / 4000) < 4 * se + 5e-4


@pytest.mark.parametrize("name", SUBSAMPLED + ["gaussian"])
def test_error_bar_leaves_the_estimate_unchanged(name):
    x, y = _gaussian_pair(0.6, 400, 1)
    with_std = make_estimator(name).estimate(x, y, seed=3)
    plain = make_estimator(name, uncertainty="none").estimate(x, y, seed=3)
    assert with_std.mi == plain.mi and plain.std is None and with_std.std > 0


def _builtin_with_uncertainty() -> list[str]:
    return sorted(name for name, plugin in mibench.registry.estimators().items()
                  if plugin.target.startswith("estimators.") and plugin.available
                  and "uncertainty" in plugin.cls.param_defaults())


def test_unsupported_uncertainty_names_the_supported_ones():
    """Every built-in estimator with the ``uncertainty`` hyperparameter (neural bounds, doe and
    GMM-MI included): an unsupported value is one InputError naming the supported ones."""
    names = _builtin_with_uncertainty()
    assert {"ksg", "binning", "gaussian", "plugin-discrete", "gmm-mi", "gmm-mi-categorical"} <= set(names)
    for name in names:
        est = make_estimator(name, uncertainty="jackknife")
        default = repr(est.param_defaults()["uncertainty"])
        with pytest.raises(InputError, match=r"uncertainty='jackknife' is not supported; "
                                             r"supported: .*'none'") as err:
            est.validate_params()
        assert default in str(err.value), (name, str(err.value))


def test_unsupported_uncertainty_exits_2_from_the_cli(capsys, tmp_path):
    code = main(["run", "--scenario", "gaussian-correlated", "--estimator",
                 "ksg:uncertainty=jackknife", "--n", "200", "--seeds", "1", "--jobs", "1",
                 "--out", str(tmp_path / "out"), "--store", str(tmp_path / "s.sqlite")])
    assert code == 2
    err = capsys.readouterr().err
    assert "uncertainty='jackknife'" in err and "'subsample'" in err


def test_subsample_too_small_fails_before_any_work(monkeypatch):
    """k = 10 needs 11 points per part; n = 40 gives parts of 10 at n/4."""
    est = make_estimator("ksg", k=10)
    calls = []
    original = type(est)._estimate

    def spy(self, x, y, *, seed):
        if self.uncertainty == "none":
            calls.append(1)
        return original(self, x, y, seed=seed)

    monkeypatch.setattr(type(est), "_estimate", spy)
    x, y = _gaussian_pair(0.5, 40, 0)
    assert est.min_samples() == 44  # (k + 1) rows in each of 4 parts
    with pytest.raises(InputError, match=r"n_samples=40 is too small .* at least 44"):
        est.estimate(x, y, seed=0)
    with pytest.raises(InputError, match=r"uncertainty='subsample' .* parts of 10 rows .* the 11 "
                                         r"this configuration needs .*uncertainty='none'"):
        subsample_estimate(est, x, y, 0)
    assert calls == []
    assert make_estimator("ksg", k=10, uncertainty="none").estimate(x, y, seed=0).std is None
    assert max(SUBSAMPLE_SPLITS) == 4


def _builtin_subsampled() -> list[str]:
    # latent-ksg subsamples KSG on its held-out latents, not its own rows (its own check)
    return [name for name in _builtin_with_uncertainty() if name != "latent-ksg"
            and mibench.registry.estimators()[name].cls.param_defaults()["uncertainty"] == "subsample"]


def test_every_subsampled_estimator_refuses_too_small_parts_before_any_work(monkeypatch):
    """Issue 15, bad input: for every built-in estimator whose default error bar subsamples,
    ``min_samples()`` already asks for 4 parts of the plain minimum (so planning refuses such n),
    and a too small n raises in ``subsample_estimate`` before any plain estimate runs."""
    names = _builtin_subsampled()
    assert {"ksg", "ksg-mixed", "ksg-ross", "binning", "kde", "plugin-discrete"} <= set(names)
    for name in names:
        est = make_estimator(name)
        need = make_estimator(name, uncertainty="none").min_samples()
        assert est.min_samples() >= need * max(SUBSAMPLE_SPLITS), name
        monkeypatch.setattr(type(est), "_estimate", lambda *a, **k: pytest.fail("worked"))
        x, y = _gaussian_pair(0.5, need * max(SUBSAMPLE_SPLITS) - 1, 0)
        with pytest.raises(InputError, match=r"uncertainty='subsample' splits the n="):
            subsample_estimate(est, x, y, 0)
        monkeypatch.undo()


def test_runner_rejects_too_small_n_when_planning(capsys, tmp_path):
    code = main(["run", "--scenario", "gaussian-correlated", "--estimator", "ksg:k=10", "--n", "40",
                 "--seeds", "1", "--jobs", "1", "--out", str(tmp_path / "out"),
                 "--store", str(tmp_path / "s.sqlite")])
    assert code == 2
    err = capsys.readouterr().err
    assert "n=40 is too small" in err and "ksg:k=10 needs n >= 44" in err


def test_subsample_estimate_is_deterministic_and_seed_dependent():
    x, y = _gaussian_pair(0.6, 500, 2)
    est = make_estimator("ksg")
    a, b = subsample_estimate(est, x, y, 5), subsample_estimate(est, x, y, 5)
    c = subsample_estimate(est, x, y, 6)
    assert a.std == b.std and a.info == b.info and a.std != c.std


NEURAL_FAST = dict(max_steps=20, eval_every=10)


@pytest.mark.parametrize("name", ["mine", "nwj", "infonce", "smile"])
def test_neural_default_includes_training_randomness_and_a_std_at_n_200(name):
    """Issue 15: the default error bar is cross-fitting (5 trainings), finite at n = 200 where
    the one-training test-batch s.e. has a single test batch and no std."""
    pytest.importorskip("torch")
    x, y = _gaussian_pair(0.6, 200, 3)
    assert make_estimator(name).get_params()["uncertainty"] == "crossfit"
    res = make_estimator(name, **NEURAL_FAST).estimate(x, y, seed=0)
    assert res.info["uncertainty"] == "crossfit" and len(res.info["crossfit_fold_estimates"]) == 5
    assert np.isfinite(res.std) and res.std > 0
    one = make_estimator(name, uncertainty="test-batches", **NEURAL_FAST).estimate(x, y, seed=0)
    assert one.std is None and one.info["n_test_batches"] == 1


def test_neural_crossfit_fold_too_small_raises_before_any_training(monkeypatch):
    pytest.importorskip("torch")
    import estimators.neural._estimators as ne

    monkeypatch.setattr(ne, "train_and_test", lambda *a, **k: pytest.fail("trained"))
    est = make_estimator("infonce", **NEURAL_FAST)
    x, y = _gaussian_pair(0.5, 9, 0)
    with pytest.raises(InputError, match=r"uncertainty='crossfit' splits the n=9 rows into 5 test "
                                         r"folds of 1 rows \(fraction 1/5\).*n >= 10"):
        est._estimate(x, y, seed=0)
    with pytest.raises(InputError, match=r"n_samples=9 is too small"):
        est.estimate(x, y, seed=0)


def test_costly_estimators_leave_the_default_set_and_all_brings_them_back():
    from mibench.planning.plan import _normalise_estimators, available_estimators, costly_estimators

    costly = set(costly_estimators())
    if mibench.registry.estimators()["mine"].available:
        assert {"mine", "nwj", "infonce", "smile"} <= costly
    # the reference packages that train (latentmi: 6 s at n = 200) stay out of the first run
    for name in ("latentmi-reference", "torch-mist-reference"):
        assert (name in costly) == mibench.registry.estimators()[name].available
    default = {name for name, _ in _normalise_estimators(None)}
    assert default and not default & costly and "ksg" in default
    everything = _normalise_estimators(["all", "ksg:k=5"])
    assert {name for name, _ in everything} == set(available_estimators())
    assert ("ksg", {"k": "5"}) in everything and ("ksg", {}) not in everything
    with pytest.raises(InputError, match="all takes no parameters"):
        _normalise_estimators(["all:k=3"])


def test_neural_crossfit_reports_fold_spread():
    pytest.importorskip("torch")
    x, y = _gaussian_pair(0.8, 500, 0)
    params = dict(max_steps=100, eval_every=50, learning_rate=0.01)
    res = make_estimator("infonce", uncertainty="crossfit", **params).estimate(x, y, seed=0)
    folds = res.info["crossfit_fold_estimates"]
    assert len(folds) == 5 and res.info["n_test"] == 500
    assert res.mi == pytest.approx(np.mean(folds), abs=0.05)  # batches of nearly equal size
    assert res.std == pytest.approx(np.std(folds, ddof=1) / np.sqrt(5))
    assert make_estimator("infonce", uncertainty="none", **params).estimate(x, y, seed=0).std is None


def test_every_builtin_estimator_spells_uncertainty_the_same():
    from estimators._uncertainty import METHODS

    for name, plugin in mibench.registry.estimators().items():
        if not plugin.target.startswith("estimators.") or not plugin.available:
            continue
        defaults = plugin.cls.param_defaults()
        if "uncertainty" in defaults:
            assert defaults["uncertainty"] in METHODS, name


@pytest.mark.parametrize("crossed", [False, True])
def test_subsample_splits_are_partitions_and_crossed_ones_do_not_nest(crossed):
    """Every split's parts partition the rows; with ``crossed=True`` (one permutation, used by
    binning) no part of one split lies inside a part of another (halves / thirds / quarters
    cross), as with independent permutations."""
    seen = []

    def spy(x, y, parts, full):
        seen.extend(parts)
        return np.zeros(len(parts))

    n = 103
    x = np.random.default_rng(0).standard_normal((n, 1))
    est = make_estimator("binning", uncertainty="subsample")
    subsample_estimate(est, x, x, 5, part_values=spy, crossed=crossed)
    splits, start = [], 0
    for a in SUBSAMPLE_SPLITS:
        splits.append([set(p.tolist()) for p in seen[start:start + a]])
        start += a
    for a, parts in zip(SUBSAMPLE_SPLITS, splits, strict=True):
        assert sorted(i for p in parts for i in p) == list(range(n))
        assert max(map(len, parts)) - min(map(len, parts)) <= 1 and len(parts) == a
    for i, fine in enumerate(splits):
        for coarse in splits[:i]:
            assert not any(p <= q for p in fine for q in coarse)
