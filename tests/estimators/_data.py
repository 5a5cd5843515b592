"""Test data shared by the estimator tests."""

import numpy as np


def gaussian_pair(n, rho, d, seed):
    """x (n, d) standard normal and y = rho x + noise, coordinate-wise: true MI
    -d/2 ln(1 - rho^2) nats (returned third)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return x, y, -0.5 * d * np.log(1 - rho**2)


def bmi_task(task, n, seed):
    """(x, y, true MI) of ``n`` rows of bmi v1 task ``task`` (scenarios/bmi_v1.py), data seed
    ``seed``."""
    from mibench.registry import make_scenario
    from scenarios.bmi_v1 import BMI_V1_TASKS

    name, params = BMI_V1_TASKS[task]
    sc = make_scenario(name, **params)
    x, y = sc.sample(n, np.random.default_rng(seed))
    return x, y, sc.true_mi.value
