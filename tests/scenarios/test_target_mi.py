"""The MI-parametrised families of ``target-mi`` (normal, uniform, student, log-gamma-exponential).

Their closed forms are checked against the Monte-Carlo mean of their own PMI in
test_closed_forms.py; here: the per-pair inversions, independence at mi = 0, the copula map, the
bad-input errors and the CLI's exit code.
"""

import numpy as np
import pytest
from scipy.stats import kstest

from mibench import InputError
from mibench.cli import main
from scenarios.student_t import t_correction
from scenarios.target_mi import (
    FAMILIES,
    MAX_MI_PER_DIM,
    TargetMI,
    gamma_exponential_alpha,
    gamma_exponential_mi,
    uniform_width,
    uniform_width_mi,
)


@pytest.mark.parametrize("m", [1e-6, 0.01, 0.3, 0.5, 0.7, 2.0, 9.0, 20.0])
def test_per_pair_inversions_are_exact(m):
    assert uniform_width_mi(uniform_width(m)) == pytest.approx(m, rel=1e-12, abs=1e-15)
    assert gamma_exponential_mi(gamma_exponential_alpha(m)) == pytest.approx(m, rel=1e-9, abs=1e-13)


def test_uniform_width_matches_additive_uniform_scenario():
    # X ~ U(0,1), Y = X + U(-eps, eps) is the same pair with width w = 2 eps (shifted)
    from scenarios.uniform_noise import AdditiveUniform
    for eps in (0.1, 0.5, 0.75, 2.0):
        assert uniform_width_mi(2 * eps) == pytest.approx(AdditiveUniform(eps).true_mi.value, abs=1e-14)


@pytest.mark.parametrize("family", ["normal", "uniform", "log-gamma-exponential"])
def test_zero_mi_is_independence(family):
    sc = TargetMI(0.0, 3, family)
    x, y = sc.sample(2000, np.random.default_rng(0))
    assert np.max(np.abs(sc.pmi(x, y))) < 1e-12
    # and the sampler really is independent: Y does not move with X (Spearman-free check: corr)
    assert np.all(np.abs(np.corrcoef(x[:, 0], y[:, 0])[0, 1]) < 4 / np.sqrt(2000))


@pytest.mark.parametrize("family", FAMILIES)
def test_to_unit_gives_uniform_marginals(family):
    sc = TargetMI(1.5, 2, family)
    u, v = sc.to_unit(*sc.sample(5000, np.random.default_rng(7)))
    for col in (u[:, 0], u[:, 1], v[:, 0], v[:, 1]):
        assert kstest(col, "uniform").pvalue > 1e-4


def test_student_floor_is_the_chi_square_term():
    sc = TargetMI(1.0, 4, "student", df=3)
    assert sc.floor() == pytest.approx(t_correction(3, 4, 4))
    assert TargetMI(sc.floor(), 4, "student", df=3).rho == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("kwargs, message", [
    ({"mi": 0.1, "dim": 16, "family": "student"},
     r"mi=0.1 is unreachable for family 'student' with df=3.0 in dim=16: "
                                                  r"the shared chi-square scale alone carries 0.7002 nats"),
    ({"mi": 3 * MAX_MI_PER_DIM + 1, "dim": 3, "family": "uniform"},
     r"unreachable for family 'uniform' in dim=3: at most 20"),
    ({"mi": 1.0, "dim": 0}, r"dim must be >= 1, got 0"),
    ({"mi": -0.5}, r"mi must lie in \[0.0, inf\)"),
    ({"mi": 1.0, "family": "gaussian"},
     r"family must be one of normal, uniform, student, log-gamma-exponential"),
    ({"mi": 1.0, "family": "student", "df": 0}, r"df must lie in \(0.0"),
])
def test_bad_parameters_one_line_errors(kwargs, message):
    with pytest.raises(InputError, match=message) as info:
        _ = TargetMI(**kwargs).true_mi
    assert "\n" not in str(info.value)


def test_cli_unreachable_mi_exit_2(tmp_path, capsys):
    argv = ["run", "--scenario", "target-mi", "--param", "mi=0.05", "--param", "dim=8",
            "--param", "family=student", "--estimator", "gaussian", "--n", "50", "--seeds", "1",
            "--quiet", "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unreachable" in err
