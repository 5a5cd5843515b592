"""bmi v2: 26 task ids as bmi spells them, the suite labelled with them, and the new Bend-and-Mix
mixtures' Monte-Carlo truths against independent re-simulations (reference catalogue §14)."""

import numpy as np
import pytest

from mibench import UnknownNameError
from mibench.planning.suites import load_suite
from scenarios.bmi_v1 import BMI_V1_TASKS
from scenarios.bmi_v2 import BMI_V2_REFERENCE, BMI_V2_TASKS, bmi_v2_scenarios
from scenarios.mixtures import BmiAI, Galaxy, GaussianMixtureScenario, Waves

ORDER = [
    "1v1-additive-0.75", "asinh-student-identity-1-1-1", "1v1-X-0.9", "1v1-AI",
    "swissroll_x-normal_cdf-1v1-normal-0.75", "2v1-waves-12-5.0-3.0", "2v1-galaxy-0.5-3.0",
    "3v1-concentric_gaussians-5", "5v1-concentric_gaussians-5", "3v1-concentric_gaussians-10",
    "5v1-concentric_gaussians-10", "25v1-concentric_gaussians-5",
    "multinormal-dense-5-5-0.5", "multinormal-dense-25-25-0.5", "multinormal-dense-50-50-0.5",
    "multinormal-sparse-5-5-2-2.0", "multinormal-sparse-25-25-2-2.0",
    "mult-sparse-w-inliers-5-5-2-2.0-0.2", "mult-sparse-w-inliers-25-25-2-2.0-0.2",
    "mult-sparse-w-inliers-5-5-2-2.0-0.5", "mult-sparse-w-inliers-25-25-2-2.0-0.5",
    "asinh-student-identity-2-2-1", "asinh-student-identity-3-3-2", "asinh-student-identity-5-5-2",
    "spiral-multinormal-sparse-3-3-2-2.0", "spiral-multinormal-sparse-5-5-2-2.0",
]

#: independent re-simulations with >= 1e6 draws (value, standard error), reference catalogue §14
INDEPENDENT = {"1v1-AI": (0.7755, 0.0006), "2v1-galaxy-0.5-3.0": (0.4940, 0.0004),
               "2v1-waves-12-5.0-3.0": (1.3069, 0.0003)}


def test_task_ids_in_bmis_order_and_suite_labels():
    assert list(BMI_V2_TASKS) == ORDER
    kept = [t for t in ORDER if t in BMI_V1_TASKS]
    assert len(kept) == 13 and all(BMI_V2_TASKS[t] == BMI_V1_TASKS[t] for t in kept)
    assert set(BMI_V2_REFERENCE) == set(ORDER) - set(kept)
    suite = load_suite("bmi-v2")
    assert [s.label for s in suite.scenarios] == ORDER
    assert [(s.name, {k: v[0] for k, v in s.params.items()}) for s in suite.scenarios] == \
        list(BMI_V2_TASKS.values())


def test_shapes_of_every_task():
    dims = {"1v1": (1, 1), "2v1": (2, 1), "3v1": (3, 1), "5v1": (5, 1), "25v1": (25, 1)}
    for task, sc in bmi_v2_scenarios().items():
        x, y = sc.sample(30, np.random.default_rng(0))
        assert x.shape == (30, sc.dim_x) and y.shape == (30, sc.dim_y) and np.all(np.isfinite(x))
        prefix = task.split("-")[0]
        if prefix in dims:
            assert (sc.dim_x, sc.dim_y) == dims[prefix], task


@pytest.mark.parametrize("task, cls, n", [("1v1-AI", BmiAI, 200_000), ("2v1-galaxy-0.5-3.0", Galaxy, 200_000),
                                          ("2v1-waves-12-5.0-3.0", Waves, 100_000)])
def test_monte_carlo_truth_matches_independent_resimulation(task, cls, n, monkeypatch):
    monkeypatch.setattr(cls, "mc_n", n)
    truth = bmi_v2_scenarios([task])[task].true_mi
    ref, ref_se = INDEPENDENT[task]
    assert 0 < truth.stderr < 0.005
    assert abs(truth.value - ref) < 4 * np.hypot(truth.stderr, ref_se), (truth, ref)
    # bmi's own value (1e5 draws, sd(PMI) < 1, so its standard error is below 0.003)
    assert abs(truth.value - BMI_V2_REFERENCE[task]) < 4 * np.hypot(truth.stderr, 0.003)


@pytest.mark.parametrize("sc", [Galaxy(), Galaxy(1.5, 2.0), Waves(), Waves(5, 2.0, 1.0)], ids=repr)
def test_bend_is_invertible_and_pmi_is_the_mixtures(sc):
    rng = np.random.default_rng(1)
    x, y = GaussianMixtureScenario.sample(sc, 500, rng)  # unbent draws of the base mixture
    bent = sc._bend(x)
    np.testing.assert_allclose(sc._unbend(bent), x, atol=1e-10)
    np.testing.assert_allclose(sc.pmi(bent, y), GaussianMixtureScenario.pmi(sc, x, y), atol=1e-10)
    # log-densities are consistent with the PMI (the Jacobian cancels)
    np.testing.assert_allclose(sc.logpdf_joint(bent, y) - sc.logpdf_x(bent) - sc.logpdf_y(y),
                               sc.pmi(bent, y), atol=1e-10)


def test_waves_log_jacobian():
    # p_bent(bend(x)) = p_base(x) / |det J_bend| with det J_bend = 0.1 * 0.5 (the shear has det 1)
    sc = Waves()
    x, y = GaussianMixtureScenario.sample(sc, 200, np.random.default_rng(2))
    base = GaussianMixtureScenario.logpdf_joint(sc, x, y)
    np.testing.assert_allclose(sc.logpdf_joint(sc._bend(x), y), base - np.log(0.05), atol=1e-10)


def test_unknown_task_id():
    with pytest.raises(UnknownNameError, match="^unknown bmi-v2 task id\\(s\\): 1v1-BI$"):
        bmi_v2_scenarios(["1v1-AI", "1v1-BI"])


def test_cli_task_selection_and_unknown_task_id(tmp_path, capsys):
    from mibench.cli import main

    assert main(["run", "--suite", "bmi-v2", "--task", "1v1-BI", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "mibench: error: suite 'bmi-v2' has no entry labelled '1v1-BI'; did you mean 1v1-AI?"
    assert main(["run", "--scenario", "bmi-ai", "--task", "1v1-AI", "--quiet"]) == 2
    assert "use it with --suite" in capsys.readouterr().err
    suite = load_suite("bmi-v2").select(["1v1-X-0.9", "multinormal-dense-5-5-0.5"])
    assert [s.label for s in suite.scenarios] == ["1v1-X-0.9", "multinormal-dense-5-5-0.5"]
