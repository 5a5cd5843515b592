"""The 26 tasks of bmi's v2 benchmark (``workflows/benchmark/v2/config.py``; Czyz et al., the
"Beyond Normal" follow-up with Bend and Mix models) as mibench scenarios.

``BMI_V2_TASKS`` maps each bmi task id, spelled as bmi spells it and in bmi's order, to
``(registered scenario name, params dict)``: 13 tasks kept from v1 (the same entries as
``scenarios.bmi_v1.BMI_V1_TASKS``) and 13 mixtures whose truth is a Monte-Carlo value with its
standard error (``scenarios.mixtures``). ``BMI_V2_REFERENCE`` holds bmi's own values (100 000
draws, no error reported) for comparison.
"""

from __future__ import annotations

from mibench import Scenario, UnknownNameError
from scenarios.bmi_v1 import BMI_V1_TASKS

SUITE_NAME = "bmi-v2"

_KEPT = ("1v1-additive-0.75", "asinh-student-identity-1-1-1")
_MIDDLE = ("swissroll_x-normal_cdf-1v1-normal-0.75",)


def _build() -> dict[str, tuple[str, dict]]:
    t: dict[str, tuple[str, dict]] = {}
    for task in _KEPT:
        t[task] = BMI_V1_TASKS[task]
    t["1v1-X-0.9"] = ("bmi-x", {"rho": 0.9})
    t["1v1-AI"] = ("bmi-ai", {})
    for task in _MIDDLE:
        t[task] = BMI_V1_TASKS[task]
    t["2v1-waves-12-5.0-3.0"] = ("waves", {"n_components": 12, "amplitude": 5.0, "frequency": 3.0})
    t["2v1-galaxy-0.5-3.0"] = ("galaxy", {"speed": 0.5, "distance": 3.0})
    for d, k in ((3, 5), (5, 5), (3, 10), (5, 10), (25, 5)):
        t[f"{d}v1-concentric_gaussians-{k}"] = ("concentric-gaussians", {"dim_x": d, "n_components": k})
    for d in (5, 25, 50):
        t[f"multinormal-dense-{d}-{d}-0.5"] = BMI_V1_TASKS[f"multinormal-dense-{d}-{d}-0.5"]
    for d in (5, 25):
        t[f"multinormal-sparse-{d}-{d}-2-2.0"] = BMI_V1_TASKS[f"multinormal-sparse-{d}-{d}-2-2.0"]
    for f in (0.2, 0.5):
        for d in (5, 25):
            t[f"mult-sparse-w-inliers-{d}-{d}-2-2.0-{f}"] = ("sparse-inliers",
                                                             {"dim_x": d, "dim_y": d, "fraction": f})
    for dx, dy, df in ((2, 2, 1), (3, 3, 2), (5, 5, 2)):
        task = f"asinh-student-identity-{dx}-{dy}-{df}"
        t[task] = BMI_V1_TASKS[task]
    for d in (3, 5):
        task = f"spiral-multinormal-sparse-{d}-{d}-2-2.0"
        t[task] = BMI_V1_TASKS[task]
    return t


#: bmi v2 task id -> (registered scenario name, params dict), in bmi's order
BMI_V2_TASKS: dict[str, tuple[str, dict]] = _build()

#: bmi's Monte-Carlo values of the new mixture tasks (100 000 draws, seed 0; reference catalogue §14)
BMI_V2_REFERENCE = {
    "1v1-X-0.9": 0.4088, "1v1-AI": 0.7775, "2v1-galaxy-0.5-3.0": 0.4933, "2v1-waves-12-5.0-3.0": 1.3080,
    "3v1-concentric_gaussians-5": 0.4563, "5v1-concentric_gaussians-5": 0.6261,
    "3v1-concentric_gaussians-10": 0.5563, "5v1-concentric_gaussians-10": 0.7491,
    "25v1-concentric_gaussians-5": 1.1902,
    "mult-sparse-w-inliers-5-5-2-2.0-0.2": 0.6335, "mult-sparse-w-inliers-25-25-2-2.0-0.2": 0.6345,
    "mult-sparse-w-inliers-5-5-2-2.0-0.5": 0.2682, "mult-sparse-w-inliers-25-25-2-2.0-0.5": 0.2707,
}


def bmi_v2_scenarios(task_ids=None) -> dict[str, Scenario]:
    """Build the bmi v2 scenarios keyed by task id (all 26, or ``task_ids``; unknown ids raise)."""
    from mibench import make_scenario

    ids = list(BMI_V2_TASKS) if task_ids is None else list(task_ids)
    unknown = [t for t in ids if t not in BMI_V2_TASKS]
    if unknown:
        raise UnknownNameError(f"unknown bmi-v2 task id(s): {', '.join(unknown)}")
    return {t: make_scenario(BMI_V2_TASKS[t][0], **BMI_V2_TASKS[t][1]) for t in ids}
