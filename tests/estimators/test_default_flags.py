"""Issue 20's goal flags: each fires where its estimator is far off and stays quiet where it is right.

``gaussian``: ``non_gaussian``, ``plugin_bias``; ``ksg`` / ``ksg-mixed``: ``surrogate_bias``,
``heavy_tails``, ``below_summary``, ``unconverged``; ``kde``: ``smoothing_bias``; every estimator
with a data check: ``below_ksg``, ``below_copula``; ``lnc`` and ``kde``: ``unconverged``;
``latent-ksg``: KSG's checks on its latents.
Small n, CI-fast; the measured rates on the bmi v1 tasks are in docs/estimator-defaults.md.
"""

import numpy as np
import pytest

from estimators._knn_checks import (
    COPULA_SIGMA,
    DRIFT_SIGMA,
    KSG_REFERENCE_SIGMA,
    drift_flags,
    gaussian_mi_of_cov,
    knn_checks,
    tail_index,
    with_summary_check,
)
from estimators._margins import normal_scores
from estimators.gaussian import Gaussian
from estimators.kde import KDE
from estimators.ksg import KSG
from estimators.ksg_mixed import MixedKSG
from mibench import Estimate
from mibench.registry import make_estimator, make_scenario
from tests.estimators._data import bmi_task, gaussian_pair


def _student(n, seed, dim=2, df=1, asinh=False):
    sc = make_scenario("student-t", dim_x=dim, dim_y=dim, df=df, dispersion="identity")
    x, y = sc.sample(n, np.random.default_rng(seed))
    if asinh:
        x, y = np.arcsinh(x), np.arcsinh(y)
    return x, y, sc.true_mi.value


# ------------------------------------------------------------------ gaussian: non_gaussian
@pytest.mark.parametrize("seed", range(3))
def test_non_gaussian_fires_where_the_gaussian_value_is_wrong(seed):
    # asinh of a Student-t (df 1) pair: uncorrelated columns, so the Gaussian reads ~0 with a
    # tiny std while the MI (invariant under asinh) is 0.43 nats
    x, y, truth = _student(600, seed, asinh=True)
    est = Gaussian().estimate(x, y)
    assert abs(est.mi - truth) > 10 * est.std
    assert est.info["flags"] == ["non_gaussian"]
    assert est.info["normality_p"] < 1e-4


def test_non_gaussian_fires_on_a_bent_relation_with_gaussian_marginals():
    # y = rotation of x by an angle growing with |x| (a spiral): every column stays N(0, 1), the
    # canonical-pair test sees the relation fan out
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2000, 2))
    y0 = 0.9 * x + np.sqrt(1 - 0.81) * rng.standard_normal((2000, 2))
    t = 1.2 * np.sqrt((y0 ** 2).sum(1))
    y = np.column_stack([np.cos(t) * y0[:, 0] - np.sin(t) * y0[:, 1],
                         np.sin(t) * y0[:, 0] + np.cos(t) * y0[:, 1]])
    est = Gaussian().estimate(x, y)
    assert est.mi < 0.5 * (-np.log(1 - 0.81))  # far below the truth (MI of (x, y0))
    assert "non_gaussian" in est.info["flags"]


def test_non_gaussian_quiet_and_unbiased_on_gaussian_data():
    # 20 Gaussian data sets in 3 + 3 dimensions: no flag (level 1e-4 per data set), and the
    # value within 4 of its std of the truth (the plug-in bias, 0.009, is a third of its std)
    for seed in range(20):
        x, y, truth = gaussian_pair(500, 0.5, 3, seed)
        est = Gaussian().estimate(x, y)
        assert est.info["flags"] == [], (seed, est.info["normality_p"])
        assert abs(est.mi - truth) < 4 * est.std
    assert "normality_p" not in Gaussian(check_normality=False).estimate(x, y).info


def test_plugin_bias_fires_where_the_plugin_is_off_and_the_correction_fixes_it():
    # 15 + 15 dimensions at n = 300: the plug-in is biased up by about 225 / 600 = 0.38 nats,
    # about 5 of its std; the exact correction removes it
    x, y, truth = gaussian_pair(300, 0.3, 15, 0)
    plug = Gaussian().estimate(x, y)
    assert plug.mi - truth > 3 * plug.std
    assert plug.info["flags"] == ["plugin_bias"]
    assert plug.info["plugin_bias"] == pytest.approx(0.5 * 225 / 300, rel=0.25)
    corr = Gaussian(bias_correction=True).estimate(x, y)
    assert abs(corr.mi - truth) < 3 * corr.std
    assert corr.info["flags"] == [] and "plugin_bias" not in corr.info


# ------------------------------------------------------------------ ksg: surrogate_bias
@pytest.mark.parametrize("cls", [KSG, MixedKSG])
def test_surrogate_bias_fires_where_knn_is_biased(cls):
    # 6 + 6 dimensions, rho 0.9 per pair: MI 4.98 nats, far beyond what k-NN reaches at n = 400
    x, y, truth = gaussian_pair(400, 0.9, 6, 0)
    est = cls().estimate(x, y, seed=0)
    assert truth - est.mi > 10 * est.std
    assert "surrogate_bias" in est.info["flags"]
    assert est.info["surrogate_z"] < -4
    assert est.info["surrogate_true_mi"] == pytest.approx(
        gaussian_mi_of_cov(np.cov(np.hstack((x, y)), rowvar=False), 6))


@pytest.mark.parametrize("seed", range(4))
def test_knn_checks_quiet_where_ksg_is_right(seed):
    x, y, truth = gaussian_pair(1000, 0.6, 1, seed)
    est = KSG().estimate(x, y, seed=seed)
    assert abs(est.mi - truth) < 4 * est.std
    assert est.info["flags"] == []
    assert est.info["tail_index"] > 4


# ------------------------------------------------------------------ ksg: heavy_tails
@pytest.mark.parametrize("cls", [KSG, MixedKSG])
def test_heavy_tails_fires_on_student_t(cls):
    x, y, truth = _student(2000, 3, dim=3, df=2)
    est = cls().estimate(x, y, seed=0)
    assert truth - est.mi > 5 * est.std  # biased low
    assert "heavy_tails" in est.info["flags"]
    # the same data with the tails shortened (asinh, MI unchanged): no tail flag
    assert tail_index(np.arcsinh(np.hstack((x, y)))) > 4


def test_checks_skipped_for_atoms_and_switchable():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (600, 1)).astype(float)
    y = (x + rng.integers(0, 2, (600, 1))).astype(float)
    est = MixedKSG().estimate(x, y, seed=0)
    assert "checks_skipped" in est.info and "surrogate_mi" not in est.info
    x, y, _ = gaussian_pair(300, 0.5, 1, 1)
    plain = KSG(checks=False).estimate(x, y, seed=0)
    checked = KSG().estimate(x, y, seed=0)
    assert "tail_index" not in plain.info
    assert (checked.mi, checked.std) == (plain.mi, plain.std)  # the checks change no number


# ------------------------------------------------------------------ ksg: below_summary
@pytest.mark.parametrize("cls", [KSG, MixedKSG])
def test_below_summary_fires_where_a_summary_carries_more_information(cls):
    # asinh of Student-t 5 + 5 (df 2): uncorrelated columns sharing one scale; KSG in 10-D reads
    # about 0.23 against 0.45, while KSG on the two row norms alone (a lower bound) reads ~0.4
    x, y, truth = _student(3000, 0, dim=5, df=2, asinh=True)
    est = cls().estimate(x, y, seed=0)
    assert truth - est.mi > 10 * est.std
    assert "below_summary" in est.info["flags"] and "heavy_tails" not in est.info["flags"]
    assert est.info["summary_mi"]["norm"] > est.mi + 4 * est.std
    assert est.info["summary_z"] > 4


@pytest.mark.parametrize("seed", range(3))
def test_below_summary_quiet_on_gaussian_data(seed):
    # 3 + 3 Gaussian columns: the first canonical pair carries a third of the MI, the norms
    # almost none: every summary is well below the estimate
    x, y, truth = gaussian_pair(2000, 0.5, 3, seed)
    est = KSG().estimate(x, y, seed=seed)
    assert est.info["flags"] == [] and est.info["summary_z"] < 0
    assert set(est.info["summary_mi"]) == {"norm", "cca", "norm+cca"}
    # one column against one: the summaries would be the data; not run
    x, y, _ = gaussian_pair(2000, 0.5, 1, seed)
    assert "summary_mi" not in KSG().estimate(x, y, seed=seed).info


# ------------------------------------------------------------------ ksg: unconverged
def test_unconverged_rule_uses_the_subsampling_bias():
    x, y, truth = gaussian_pair(1000, 0.6, 1, 0)
    est = KSG().estimate(x, y, seed=0)
    point = KSG(checks=False, uncertainty="none")
    for bias, flagged in ((-1.01 * DRIFT_SIGMA * est.std, True), (0.5 * est.std, False),
                          (None, False)):
        info = knn_checks(lambda a, b: point.estimate(a, b, seed=0).mi, x, y, est.mi, est.std,
                          0, subsample_bias=bias)
        assert ("unconverged" in info["flags"]) is flagged


@pytest.mark.slow
def test_unconverged_fires_on_the_spiral():
    # a spiral of 3 + 3 sparse Gaussian columns at n = 10 000: KSG reads about 0.79 against
    # 1.02 (15-20 std) and its estimate still falls by more than 3 std from n to n/4
    from scenarios.bmi_v1 import BMI_V1_TASKS

    name, params = BMI_V1_TASKS["spiral-multinormal-sparse-3-3-2-2.0"]
    sc = make_scenario(name, **params)
    x, y = sc.sample(10_000, np.random.default_rng(0))
    est = KSG().estimate(x, y, seed=0)
    assert sc.true_mi.value - est.mi > 10 * est.std
    assert "unconverged" in est.info["flags"]
    assert est.info["subsample_bias"] < -DRIFT_SIGMA * est.std


# ------------------------------------------------------------------ kde: smoothing_bias
def _additive(n, eps, seed):
    # bmi's 1v1-additive: X ~ U(0, 1), Y = X + U(-eps, eps); MI in closed form for eps <= 1/2
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 1))
    return x, x + rng.uniform(-eps, eps, (n, 1)), eps - np.log(2 * eps)


@pytest.mark.parametrize("seed", range(2))
def test_smoothing_bias_fires_on_a_sharp_edged_density(seed):
    # the uniform band's edges: the Scott kernel pulls the estimate down by about 0.05 nat, 7-15
    # std at n = 5000 (at n = 2000 the rise at half the bandwidth is 2-4 std: borderline)
    x, y, truth = _additive(5000, 0.1, seed)
    est = KDE().estimate(x, y, seed=seed)
    assert truth - est.mi > 4 * est.std
    assert "smoothing_bias" in est.info["flags"]
    assert est.info["mi_half_bandwidth"] > est.mi


@pytest.mark.parametrize("seed", range(3))
def test_smoothing_bias_quiet_on_smooth_densities(seed):
    for x, y, _ in (gaussian_pair(2000, 0.75, 1, seed), gaussian_pair(2000, 0.5, 2, seed)):
        est = KDE().estimate(x, y, seed=seed)
        assert "smoothing_bias" not in est.info["flags"]
        assert est.info["smoothing_bias"] < 0  # a narrower kernel adds only the variance term
    assert "smoothing_bias" not in KDE(uncertainty="none").estimate(x, y).info


# ----------------------------------------------------- classifier, latent-ksg, flow: below_summary
@pytest.mark.parametrize("name", ["classifier", "latent-ksg", "flow"])
def test_below_summary_on_other_estimators(name):
    # the data-processing bound holds for any estimator: on Student-t 5 + 5 (df 3) at n = 2000
    # the classifier and the flow read about 0 against 0.30 while the row norms carry about 0.2
    from mibench.registry import make_estimator

    if name == "flow":
        pytest.importorskip("zuko")
    x, y, truth = _student(2000, 0, dim=5, df=3)
    est = make_estimator(name).estimate(x, y, seed=0)
    assert "summary_z" in est.info
    if name != "latent-ksg":  # latent-ksg reads 0.19 there, within the bound's noise
        assert truth - est.mi > 10 * est.std and "below_summary" in est.info["flags"]
    x, y, _ = gaussian_pair(2000, 0.5, 3, 0)
    est = make_estimator(name).estimate(x, y, seed=0)
    assert "below_summary" not in est.info["flags"] and est.info["summary_z"] < 0


def test_below_summary_on_the_neural_bounds():
    # an undertrained critic (20 steps) reads about 0 on Student-t 5 + 5 (df 3), where the row
    # norms alone carry about 0.2: the bound is loose there and says so; one column a side: no check
    torch = pytest.importorskip("torch")  # noqa: F841
    from mibench.registry import make_estimator

    x, y, truth = _student(2000, 0, dim=5, df=3)
    est = make_estimator("infonce", max_steps=20, eval_every=10).estimate(x, y, seed=0)
    assert est.mi < 0.1 < truth and "below_summary" in est.info["flags"]
    assert est.info["summary_z"] > 4
    x, y, _ = gaussian_pair(2000, 0.5, 1, 0)
    est = make_estimator("infonce", max_steps=20, eval_every=10).estimate(x, y, seed=0)
    assert "summary_z" not in est.info and "below_summary" not in est.info["flags"]





# --------------------------------------------------------------- every data check: below_ksg
def test_below_ksg_rule_in_with_summary_check():
    # one column a side (no summary check): KSG on the same rows reads about the truth, 0.41
    x, y, truth = gaussian_pair(2000, 0.75, 1, 0)
    low = with_summary_check(Estimate(mi=truth - 0.2, std=0.02, info={}), x, y, 0)
    assert "below_ksg" in low.info["flags"] and low.info["ksg_reference_z"] > KSG_REFERENCE_SIGMA
    assert abs(low.info["ksg_reference"] - truth) < 0.05 and "summary_z" not in low.info
    right = with_summary_check(Estimate(mi=truth, std=0.02, info={}), x, y, 0)
    assert "below_ksg" not in right.info["flags"]
    assert with_summary_check(Estimate(mi=0.0, std=None, info={}), x, y, 0).info == {}


def test_below_ksg_on_an_undertrained_neural_bound():
    # 20 steps of InfoNCE on a Gaussian pair (one column a side, where the summary check does
    # not run) read far below the truth, 0.41; KSG on the same rows does not
    pytest.importorskip("torch")
    x, y, truth = gaussian_pair(2000, 0.75, 1, 0)
    est = make_estimator("infonce", max_steps=20, eval_every=10).estimate(x, y, seed=0)
    assert est.mi < truth - 10 * est.std and "below_ksg" in est.info["flags"]


@pytest.mark.parametrize("d", [1, 2])
def test_below_ksg_quiet_where_the_classifier_is_right(d):
    x, y, truth = gaussian_pair(2000, 0.5, d, 1)
    est = make_estimator("classifier").estimate(x, y, seed=1)
    assert abs(est.mi - truth) < 4 * est.std
    assert "below_ksg" not in est.info["flags"] and est.info["ksg_reference_z"] < KSG_REFERENCE_SIGMA


# ------------------------------------------------------------ every data check: below_copula
def test_normal_scores_are_exactly_normal_and_keep_the_order():
    rng = np.random.default_rng(0)
    a = np.column_stack((rng.standard_cauchy(999), rng.integers(0, 3, 999).astype(float)))
    z = normal_scores(a, rng)
    assert np.allclose(np.sort(z[:, 0]), np.sort(z[:, 1]))  # ties broken: the same 999 scores
    assert abs(z.mean(0)).max() < 1e-12 and np.all(np.diff(z[np.argsort(a[:, 0]), 0]) > 0)
    assert np.all(np.diff(a[np.argsort(z[:, 1]), 1]) >= 0)  # ties keep their block


def test_below_copula_rule_where_ksg_reads_low():
    # half_cube of a sparse 5 + 5 Gaussian (truth 1.02), n = 2000: KSG reads about 0.6 there, so
    # below_ksg cannot see an estimate of 0.85 +- 0.016 (InfoNCE's and MINE's, unflagged
    # before); the Gaussian copula of the same rows is exact for such data
    x, y, truth = bmi_task("half_cube-multinormal-sparse-5-5-2-2.0", 2000, 0)
    low = with_summary_check(Estimate(mi=0.85, std=0.016, info={}), x, y, 0)
    assert "below_copula" in low.info["flags"] and low.info["copula_reference_z"] > COPULA_SIGMA
    assert "below_ksg" not in low.info["flags"]
    assert abs(low.info["copula_reference"] - truth) < 0.05
    right = with_summary_check(Estimate(mi=truth, std=0.016, info={}), x, y, 0)
    assert "below_copula" not in right.info["flags"]


@pytest.mark.parametrize("task", ["1v1-additive-0.1", "student-identity-2-2-1",
                                  "spiral-multinormal-sparse-3-3-2-2.0"])
def test_copula_reference_stays_below_the_truth_where_it_is_not_exact(task):
    # a lower bound with one column a side (uniform band: 1.27 against 1.71); no linear dependence
    # in the scores of Student-t (about 0 against 0.43); the spiral mixes coordinates (0.25
    # against 1.02): the flag cannot fire on an estimate at the truth
    x, y, truth = bmi_task(task, 2000, 0)
    est = with_summary_check(Estimate(mi=truth, std=0.01, info={}), x, y, 0)
    assert est.info["copula_reference"] < truth - 0.1 and "below_copula" not in est.info["flags"]


def test_binning_flagged_where_its_grid_reads_low():
    # one column a side, bmi's 1v1-additive-0.1 (a uniform band with hard edges) at n = 10 000,
    # data seed 2: the default grid reads 1.655 +- 0.003 against 1.71 (18 of its std low), KSG on
    # the same rows 1.695 (data seeds 0-2: 1.654-1.658, below_ksg on seeds 1 and 2)
    x, y, truth = bmi_task("1v1-additive-0.1", 10_000, 2)
    est = make_estimator("binning").estimate(x, y, seed=2)
    assert truth - est.mi > 10 * est.std and "below_ksg" in est.info["flags"]
    for n in (2000, 10_000):  # quiet where the grid reads the truth
        x, y, truth = bmi_task("1v1-normal-0.75", n, 0)
        est = make_estimator("binning").estimate(x, y, seed=0)
        assert not {"below_ksg", "below_copula"} & set(est.info["flags"])


# ------------------------------------------------------------------- lnc, kde: unconverged
def test_drift_flags_rule():
    for bias, flagged in ((-1.01 * DRIFT_SIGMA * 0.01, True), (0.5 * 0.01, False), (None, False)):
        info = {} if bias is None else {"subsample_bias": bias}
        assert (drift_flags(Estimate(mi=0.5, std=0.01, info=info)) == ["unconverged"]) is flagged
    assert drift_flags(Estimate(mi=0.5, std=None, info={"subsample_bias": -1.0})) == []


@pytest.mark.parametrize("name", ["lnc", "kde"])
def test_lnc_and_kde_report_the_drift_flag(name):
    x, y, _ = gaussian_pair(2000, 0.6, 1, 0)
    est = make_estimator(name).estimate(x, y, seed=0)
    assert "subsample_bias" in est.info
    assert ("unconverged" in est.info["flags"]) == (abs(est.info["subsample_bias"]) > DRIFT_SIGMA * est.std)
    assert "unconverged" not in est.info["flags"]


# --------------------------------------------------- latent-ksg: KSG's checks on its latents
@pytest.mark.parametrize("task,flag", [("student-identity-2-2-1", "heavy_tails"),
                                       ("half_cube-multinormal-sparse-5-5-2-2.0", "surrogate_bias")])
def test_latent_ksg_runs_the_knn_checks_on_its_latents(task, flag):
    # with at most 8 columns a side latent-ksg is KSG on the held-out half of the rows, and
    # misses as KSG does: Student-t 2x2 df 1 about 0.2 against 0.43, half_cube 5x5 about 0.55
    # against 1.02 at n = 2000
    x, y, truth = bmi_task(task, 2000, 0)
    est = make_estimator("latent-ksg").estimate(x, y, seed=0)
    assert truth - est.mi > 5 * est.std and flag in est.info["flags"]
    x, y, _ = gaussian_pair(2000, 0.5, 2, 0)
    est = make_estimator("latent-ksg").estimate(x, y, seed=0)
    assert not {"heavy_tails", "surrogate_bias", "unconverged"} & set(est.info["flags"])
    assert "surrogate_z" in est.info and "tail_index" in est.info


def test_latent_ksg_unconverged_from_ksg_on_all_rows():
    # spiral of a 3 + 3 Gaussian at n = 10 000, no compression: latent-ksg is KSG on the held-out
    # half, 0.72 against 1.02 (data seed 0; no flag before: its own drift check stays under 3
    # std); KSG on all rows reads 0.79, 9.9 standard errors of the difference above it
    x, y, truth = bmi_task("spiral-multinormal-sparse-3-3-2-2.0", 10_000, 0)
    est = make_estimator("latent-ksg").estimate(x, y, seed=0)
    assert est.info["compressor"] == "none" and truth - est.mi > 10 * est.std
    assert est.info["half_rows_drift_z"] > 4 and "unconverged" in est.info["flags"]
    for seed in range(2):  # Gaussian 3 + 3: the half and all rows agree (|z| 0.1-2.3 on 6 seeds)
        x, y, _ = bmi_task("multinormal-dense-3-3-0.5", 2000, seed)
        est = make_estimator("latent-ksg").estimate(x, y, seed=seed)
        assert abs(est.info["half_rows_drift_z"]) < 4 and "unconverged" not in est.info["flags"]


def test_kde_runs_the_data_checks():
    # asinh of Student-t 2x2 (df 1) at n = 10 000: KDE reads 0.31-0.33 against 0.43 (5-9 std);
    # below_summary fired on data seeds 0 and 1 of 0-2, below_ksg on seed 1 (KSG 0.41)
    x, y, truth = bmi_task("asinh-student-identity-2-2-1", 10_000, 1)
    est = KDE().estimate(x, y, seed=1)
    assert truth - est.mi > 5 * est.std
    assert {"below_summary", "below_ksg"} <= set(est.info["flags"])


def test_lnc_unconverged_on_the_spiral():
    # LNC on the 3 + 3 spiral at n = 10 000 reads 0.73-0.80 against 1.02 (15-40 std); its
    # subsampling drift passes 3 std on only some data sets (3 of 12 measured, data seed 5 among
    # them: -5.6 std; docs/estimator-defaults.md)
    x, y, truth = bmi_task("spiral-multinormal-sparse-3-3-2-2.0", 10_000, 5)
    est = make_estimator("lnc").estimate(x, y, seed=5)
    assert truth - est.mi > 10 * est.std and "unconverged" in est.info["flags"]


def test_lnc_flags_heavy_tails_and_below_copula():
    # lnc on all 40 bmi v1 tasks read 10-21 SE low without a flag on the sparse 5x5 Gaussians
    # and their transforms (KSG's bias in 10 dimensions) and on Student-t up to 3x3 (df <= 3);
    # data seed 0, n = 2000: 0.58 against 1.02 (copula MI 1.04), 0.127 +- 0.020 against 0.193 (2x2
    # df 2, tail index 2.1); Student-t 3x3 df 3 (the surrogate alpha beyond a joint dimension of 4)
    # 0.09 against 0.18 at n = 10 000 in the goal table, so the flag is set in every dimension
    x, y, truth = bmi_task("multinormal-sparse-5-5-2-2.0", 2000, 0)
    est = make_estimator("lnc").estimate(x, y, seed=0)
    assert truth - est.mi > 10 * est.std and "below_copula" in est.info["flags"]
    x, y, truth = bmi_task("student-identity-2-2-2", 2000, 0)
    est = make_estimator("lnc").estimate(x, y, seed=0)
    assert est.mi < 0.75 * truth and "heavy_tails" in est.info["flags"] and est.info["tail_index"] < 4
    x, y, truth = bmi_task("student-identity-3-3-3", 2000, 0)
    assert "heavy_tails" in make_estimator("lnc").estimate(x, y, seed=0).info["flags"]
    x, y, truth = gaussian_pair(2000, 0.6, 2, 0)
    est = make_estimator("lnc").estimate(x, y, seed=0)
    assert not {"heavy_tails", "below_copula"} & set(est.info["flags"])


def test_gmm_mi_runs_the_data_checks_with_its_fit_check():
    x, y, truth = gaussian_pair(1000, 0.6, 2, 0)
    est = make_estimator("gmm-mi", n_bootstrap=5).estimate(x, y, seed=0)
    assert abs(est.mi - truth) < 0.1 and est.info["ksg_reference_z"] < KSG_REFERENCE_SIGMA
    assert "summary_z" in est.info and not {"below_ksg", "below_summary"} & set(est.info["flags"])
    low = with_summary_check(Estimate(mi=est.mi - 0.3, std=est.std, info=est.info), x, y, 0)
    assert "below_ksg" in low.info["flags"]
    quiet = make_estimator("gmm-mi", n_bootstrap=5, fit_check=False).estimate(x, y, seed=0)
    assert "ksg_reference" not in quiet.info and quiet.mi == est.mi
