"""The 40 tasks of bmi v1 (``bmi.benchmark.BENCHMARK_TASKS``, Czyz et al. 2023) as mibench scenarios.

``BMI_V1_TASKS`` maps each bmi task id, spelled exactly as bmi spells it, to
``(registered scenario name, params dict)``; :func:`bmi_v1_scenarios` builds the Scenario
objects. Ground truths agree with bmi's to 4 decimals (checked in tests/scenarios).

Differences from bmi: bmi standardises every task per sample before estimation ("rescale");
mibench leaves that to the estimators (an affine map, MI unchanged). Spiral tasks use speed
1 normalised by the dimension, plane (0, 1) for X and (1, 2) for Y, as bmi does.
"""

from __future__ import annotations

from mibench import Scenario

SUITE_NAME = "bmi-v1"


def _normal(rho=0.75):
    return ("gaussian-correlated", {"rho": rho})


def _t(name, base, base_params):
    return ("transformed", {"base": base, "base_params": base_params, "transform": name})


def _sparse(d):
    return ("multinormal-sparse", {"dim_x": d, "dim_y": d, "n_interacting": 2, "strength": 2.0})


def _sparse_params(d):
    return f"dim_x={d};dim_y={d};n_interacting=2;strength=2.0"


def _student(dx, dy, df):
    return ("student-t", {"dim_x": dx, "dim_y": dy, "df": df, "dispersion": "identity"})


def _student_params(dx, dy, df):
    return f"dim_x={dx};dim_y={dy};df={df};dispersion=identity"


def _build() -> dict[str, tuple[str, dict]]:
    t: dict[str, tuple[str, dict]] = {}
    t["1v1-normal-0.75"] = _normal()
    t["normal_cdf-1v1-normal-0.75"] = _t("normal_cdf", "gaussian-correlated", "rho=0.75")
    t["1v1-additive-0.1"] = ("additive-uniform", {"epsilon": 0.1})
    t["1v1-additive-0.75"] = ("additive-uniform", {"epsilon": 0.75})
    t["1v1-bimodal-0.75"] = _t("bimodal", "gaussian-correlated", "rho=0.75")
    t["wiggly-1v1-normal-0.75"] = _t("wiggly", "gaussian-correlated", "rho=0.75")
    t["half_cube-1v1-normal-0.75"] = _t("half_cube", "gaussian-correlated", "rho=0.75")
    t["student-identity-1-1-1"] = _student(1, 1, 1)
    t["asinh-student-identity-1-1-1"] = _t("asinh", "student-t", _student_params(1, 1, 1))
    t["swissroll_x-normal_cdf-1v1-normal-0.75"] = _t("swissroll_x-normal_cdf", "gaussian-correlated",
                                                      "rho=0.75")
    for d in (2, 3, 5, 25, 50):
        t[f"multinormal-dense-{d}-{d}-0.5"] = ("multinormal-dense",
                                               {"dim_x": d, "dim_y": d, "correlation": 0.5})
    for d in (2, 3, 5, 25):
        t[f"multinormal-sparse-{d}-{d}-2-2.0"] = _sparse(d)
    for dx, dy, df in ((2, 2, 1), (2, 2, 2), (3, 3, 2), (3, 3, 3), (5, 5, 2), (5, 5, 3)):
        t[f"student-identity-{dx}-{dy}-{df}"] = _student(dx, dy, df)
    for name in ("normal_cdf", "half_cube", "spiral", "spiral-normal_cdf"):
        for d in (3, 5, 25):
            t[f"{name}-multinormal-sparse-{d}-{d}-2-2.0"] = _t(name, "multinormal-sparse", _sparse_params(d))
    for dx, dy, df in ((2, 2, 1), (3, 3, 2), (5, 5, 2)):
        t[f"asinh-student-identity-{dx}-{dy}-{df}"] = _t("asinh", "student-t", _student_params(dx, dy, df))
    return t


#: bmi v1 task id -> (registered scenario name, params dict)
BMI_V1_TASKS: dict[str, tuple[str, dict]] = _build()


def bmi_v1_scenarios() -> dict[str, Scenario]:
    """Build the 40 bmi v1 scenarios, keyed by bmi task id (in bmi's order of groups)."""
    from mibench import make_scenario

    return {task: make_scenario(name, **params) for task, (name, params) in BMI_V1_TASKS.items()}
