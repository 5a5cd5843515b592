"""The bmi v1 suite: 40 task ids spelled as bmi spells them, with bmi's ground truths."""

import numpy as np
import pytest

from scenarios.bmi_v1 import BMI_V1_TASKS, bmi_v1_scenarios

# (task id, d_x, d_y, MI to 4 decimals): bmi's published table (reference catalogue §13)
REFERENCE = [
    ("1v1-normal-0.75", 1, 1, 0.4133), ("normal_cdf-1v1-normal-0.75", 1, 1, 0.4133),
    ("1v1-additive-0.1", 1, 1, 1.7094), ("1v1-additive-0.75", 1, 1, 0.3333),
    ("1v1-bimodal-0.75", 1, 1, 0.4133), ("wiggly-1v1-normal-0.75", 1, 1, 0.4133),
    ("half_cube-1v1-normal-0.75", 1, 1, 0.4133), ("student-identity-1-1-1", 1, 1, 0.2242),
    ("asinh-student-identity-1-1-1", 1, 1, 0.2242),
    ("swissroll_x-normal_cdf-1v1-normal-0.75", 2, 1, 0.4133),
    ("multinormal-dense-2-2-0.5", 2, 2, 0.2939), ("multinormal-dense-3-3-0.5", 3, 3, 0.4133),
    ("multinormal-dense-5-5-0.5", 5, 5, 0.5928), ("multinormal-dense-25-25-0.5", 25, 25, 1.2922),
    ("multinormal-dense-50-50-0.5", 50, 50, 1.6243),
    ("multinormal-sparse-2-2-2-2.0", 2, 2, 1.0217), ("multinormal-sparse-3-3-2-2.0", 3, 3, 1.0217),
    ("multinormal-sparse-5-5-2-2.0", 5, 5, 1.0217), ("multinormal-sparse-25-25-2-2.0", 25, 25, 1.0217),
    ("student-identity-2-2-1", 2, 2, 0.4319), ("student-identity-2-2-2", 2, 2, 0.1931),
    ("student-identity-3-3-2", 3, 3, 0.2909), ("student-identity-3-3-3", 3, 3, 0.1787),
    ("student-identity-5-5-2", 5, 5, 0.4482), ("student-identity-5-5-3", 5, 5, 0.2985),
    ("normal_cdf-multinormal-sparse-3-3-2-2.0", 3, 3, 1.0217),
    ("normal_cdf-multinormal-sparse-5-5-2-2.0", 5, 5, 1.0217),
    ("normal_cdf-multinormal-sparse-25-25-2-2.0", 25, 25, 1.0217),
    ("half_cube-multinormal-sparse-3-3-2-2.0", 3, 3, 1.0217),
    ("half_cube-multinormal-sparse-5-5-2-2.0", 5, 5, 1.0217),
    ("half_cube-multinormal-sparse-25-25-2-2.0", 25, 25, 1.0217),
    ("spiral-multinormal-sparse-3-3-2-2.0", 3, 3, 1.0217),
    ("spiral-multinormal-sparse-5-5-2-2.0", 5, 5, 1.0217),
    ("spiral-multinormal-sparse-25-25-2-2.0", 25, 25, 1.0217),
    ("spiral-normal_cdf-multinormal-sparse-3-3-2-2.0", 3, 3, 1.0217),
    ("spiral-normal_cdf-multinormal-sparse-5-5-2-2.0", 5, 5, 1.0217),
    ("spiral-normal_cdf-multinormal-sparse-25-25-2-2.0", 25, 25, 1.0217),
    ("asinh-student-identity-2-2-1", 2, 2, 0.4319), ("asinh-student-identity-3-3-2", 3, 3, 0.2909),
    ("asinh-student-identity-5-5-2", 5, 5, 0.4482),
]


def test_task_ids_are_bmis_forty_in_order():
    assert list(BMI_V1_TASKS) == [r[0] for r in REFERENCE]
    assert len(BMI_V1_TASKS) == 40


def test_ground_truths_and_shapes_match_bmi():
    scenarios = bmi_v1_scenarios()
    for task, dx, dy, mi in REFERENCE:
        sc = scenarios[task]
        truth = sc.true_mi
        assert truth.stderr == 0.0
        assert round(truth.value, 4) == pytest.approx(mi, abs=1e-12), task
        assert (sc.dim_x, sc.dim_y) == (dx, dy), task
        x, y = sc.sample(20, np.random.default_rng(0))
        assert x.shape == (20, dx) and y.shape == (20, dy), task
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(y)), task


def test_params_are_cli_friendly():
    for name, params in BMI_V1_TASKS.values():
        assert isinstance(name, str)
        assert all(isinstance(v, int | float | str) for v in params.values())
