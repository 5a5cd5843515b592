"""Every closed-form ground truth against a Monte-Carlo average of its own PMI.

For each scenario, Î = mean of pmi(x, y) = log p(x,y) - log p(x) - log p(y) over n exact draws
estimates I(X;Y) without bias, with standard error se = sd(PMI)/sqrt(n). A correct closed form
lies within 4 se of Î (two-sided probability of a false alarm 6e-5 per case; the seeds are fixed,
so the test is deterministic). A wrong formula of the size of the known published errors
(Student-t: ~0.01-0.1 nats; zero-inflated Poisson: 0.026 nats at p = 0.15) is many se away.
"""

import numpy as np
import pytest

from mibench.contracts.groundtruth import pmi_mean
from scenarios.discrete import (
    CategoricalGaussian,
    CategoricalUniform,
    DiscreteTable,
    SymmetricChannel,
    ZeroInflatedPoisson,
    zip_mi,
)
from scenarios.gaussian import GaussianCorrelated, GaussianIndependent
from scenarios.gmm_paper import GammaExponential, WeinmanExponential
from scenarios.mixtures import GMMSynthetic, SparseInliers
from scenarios.multivariate_normal import (
    MultinormalDense,
    MultinormalLVM,
    MultinormalPairs,
    MultinormalSparse,
)
from scenarios.student_t import StudentT, t_correction
from scenarios.target_mi import TargetMI
from scenarios.uniform_noise import AdditiveUniform

N_MC = 100_000

CASES = [
    GaussianCorrelated(0.6), GaussianCorrelated(-0.95), GaussianIndependent(2, 3),
    MultinormalDense(3, 3, 0.5), MultinormalDense(2, 4, -0.1), MultinormalSparse(5, 5),
    MultinormalLVM(4, 3, alpha=0.7, beta_x=0.3, lambd=1.2, n_interacting=2, eta_x=0.5),
    MultinormalPairs(3, 2, n_pairs=2, rho=0.7, rho_x=0.3, rho_y=-0.2),
    StudentT(1, 1, 1), StudentT(2, 2, 2), StudentT(3, 3, 3), StudentT(3, 3, 5, "sparse"),
    StudentT(2, 3, 4, "dense", 0.4),
    AdditiveUniform(0.1), AdditiveUniform(0.5), AdditiveUniform(2.0),
    GammaExponential(0.1), GammaExponential(1.0), GammaExponential(10.0, log=False),
    WeinmanExponential(0.1), WeinmanExponential(0.5), WeinmanExponential(3.0),
    WeinmanExponential(1.0, beta=2.0, log=False),
    TargetMI(1.0, 1), TargetMI(10.0, 1), TargetMI(5.0, 4),
    TargetMI(0.3, 1, "uniform"), TargetMI(2.0, 3, "uniform"), TargetMI(4.0, 24, "uniform"),
    TargetMI(0.5, 1, "student", df=1), TargetMI(3.0, 4, "student"), TargetMI(2.0, 16, "student", df=10),
    TargetMI(0.2, 1, "log-gamma-exponential"), TargetMI(6.0, 3, "log-gamma-exponential"),
    TargetMI(2.0, 24, "log-gamma-exponential"), TargetMI(2.0, 24, "normal"),
    CategoricalUniform(2), CategoricalUniform(10),
    ZeroInflatedPoisson(0.0), ZeroInflatedPoisson(0.15), ZeroInflatedPoisson(0.9),
    CategoricalGaussian(), CategoricalGaussian("0.7/0.2/0.1", "0/1/2", "1/0.5/2"),
    SymmetricChannel(2, 0.1), SymmetricChannel(5, 0.3),
    DiscreteTable("3x4"), DiscreteTable("sparse-4x4"), DiscreteTable("0.2/0.1;0.05/0.15;0.3/0.2"),
    GMMSynthetic("D1"), SparseInliers(3, 3, 0.0),  # mixture families at their closed-form points
]


@pytest.mark.parametrize("scenario", CASES, ids=repr)
def test_closed_form_matches_monte_carlo_pmi(scenario):
    truth = scenario.true_mi
    assert truth.stderr < 1e-9  # closed forms (quadrature for categorical-gaussian)
    mc, se = pmi_mean(scenario.pmi, scenario.sample, N_MC, seed=12345)
    if se == 0.0:  # deterministic PMI (independence): exact agreement
        assert mc == pytest.approx(truth.value, abs=1e-12)
    else:
        assert abs(mc - truth.value) < 4 * se, (mc, se, truth)


def test_quoted_zip_formula_is_only_an_upper_bound():
    # the widely quoted (1 - p) * 0.3012 is exact at p = 0 and too large for p > 0; the MC
    # above confirms our exact form, and here we pin the catalogue's reference values
    assert zip_mi(0.0) == pytest.approx(0.3012448, abs=1e-7)
    for p, ref in [(0.1, 0.2508066), (0.15, 0.2297760), (0.25, 0.1925179), (0.5, 0.1163839),
                   (0.9, 0.0209058)]:
        assert zip_mi(p) == pytest.approx(ref, abs=1e-7)
        assert (1 - p) * zip_mi(0.0) > zip_mi(p)


@pytest.mark.parametrize("df,dx,dy,ref", [
    (1, 1, 1, 0.2241714), (2, 1, 1, 0.0826814), (3, 1, 1, 0.0424114), (5, 1, 1, 0.0171283),
    (30, 1, 1, 0.0005429), (1, 3, 3, 0.5851827), (5, 3, 3, 0.0890153), (19, 3, 3, 0.0099573)])
def test_student_t_correction_reference_values(df, dx, dy, ref):
    assert t_correction(df, dx, dy) == pytest.approx(ref, abs=1e-7)


@pytest.mark.parametrize("scenario,ref", [
    (GaussianCorrelated(0.99), 1.9585178), (MultinormalDense(25, 25, 0.5), 1.2921837),
    (MultinormalSparse(3, 3), 1.0216512), (AdditiveUniform(0.25), 0.9431472),
    (AdditiveUniform(0.75), 0.3333333), (GammaExponential(100.0), 0.0049917),
    (WeinmanExponential(0.3), 0.8749072), (WeinmanExponential(1.0), 0.3068528),
    (WeinmanExponential(100.0), 0.0032232), (CategoricalUniform(3), 0.6365142),
    (CategoricalGaussian("0.3333333333333333,0.3333333333333333,0.3333333333333334", "0,1,2"), 0.2538060),
    (CategoricalGaussian("0.7,0.2,0.1", "0,1,2"), 0.1772401),
    (SymmetricChannel(2, 0.05), 0.4946319), (SymmetricChannel(2, 0.25), 0.1308120),
    (StudentT(3, 3, 7, "sparse"), 1.0753), (StudentT(3, 3, 1, "sparse"), 1.6068),
])
def test_reference_values_of_the_catalogue(scenario, ref):
    digits = len(f"{ref}".split(".")[1])
    assert scenario.true_mi.value == pytest.approx(ref, abs=0.6 * 10.0 ** -digits)


def test_target_mi_rho_matches_the_published_table():
    # bmi high-MI table: rho = sqrt(1 - e^{-I}) per pair for 2 pairs (dim = 2)
    for mi, rho in [(0.5, 0.62727), (1.0, 0.79506), (3.0, 0.97479), (5.0, 0.99663)]:
        assert TargetMI(mi, 2).rho == pytest.approx(rho, abs=6e-6)
    x, y = TargetMI(10.0, 1).sample(1000, np.random.default_rng(0))
    assert np.corrcoef(x[:, 0], y[:, 0])[0, 1] > 0.999999


def test_bad_parameters_raise_clear_errors():
    from mibench import InputError
    with pytest.raises(InputError, match="rho"):
        _ = GaussianCorrelated(1.5).true_mi
    with pytest.raises(InputError, match="correlation"):
        _ = MultinormalDense(3, 3, 1.0).true_mi
    with pytest.raises(InputError, match="dispersion"):
        _ = StudentT(dispersion="banana").true_mi
    with pytest.raises(InputError, match="epsilon"):
        _ = AdditiveUniform(-1).true_mi
    with pytest.raises(InputError, match="table"):
        _ = DiscreteTable("0.5,0.6;0.1,0.1").true_mi
    with pytest.raises(InputError, match="n_interacting"):
        _ = MultinormalSparse(2, 2, n_interacting=3).true_mi
    with pytest.raises(InputError, match="weights"):
        _ = CategoricalGaussian("0.5,0.6", "0,1").true_mi
