import numpy as np
import pytest

from mibench import CONTINUOUS, DISCRETE, Capabilities, Estimate, InputTypeError, UnknownNameError
from scenarios.gaussian import GaussianCorrelated, GaussianIndependent
from tests.conftest import PearsonMI


def test_get_params_round_trip_and_repr():
    est = PearsonMI(noise=0.1)
    assert est.get_params() == {"noise": 0.1, "fail_above": None}
    clone = PearsonMI(**est.get_params())
    assert clone.get_params() == est.get_params()
    assert repr(est) == "PearsonMI(noise=0.1)"
    est.set_params(noise=0.2)
    assert est.noise == 0.2
    with pytest.raises(UnknownNameError, match="no parameter 'nosie'"):
        est.set_params(nosie=1)


def test_capabilities_match_swaps_for_symmetric_mi():
    caps = Capabilities(kinds=frozenset({(CONTINUOUS, DISCRETE)}), max_dy=1)
    assert caps.match(CONTINUOUS, DISCRETE, 3, 1) == (True, False, "")
    ok, swap, _ = caps.match(DISCRETE, CONTINUOUS, 1, 3)
    assert ok and swap
    ok, _, reason = caps.match(CONTINUOUS, CONTINUOUS, 1, 1)
    assert not ok and "(continuous, discrete)" in reason


def test_estimate_validates_then_runs():
    rng = np.random.default_rng(1)
    x = rng.normal(size=500)
    y = 0.6 * x + 0.8 * rng.normal(size=500)
    est = PearsonMI().estimate(list(x), y, seed=0)
    assert isinstance(est, Estimate)
    # sd of r is (1 - rho^2)/sqrt(n); MI = -0.5 ln(1 - r^2) moves by rho/(1 - rho^2) per unit r
    sd_mi = 0.6 / (1 - 0.36) * (1 - 0.36) / np.sqrt(500)
    assert abs(est.mi - (-0.5 * np.log(1 - 0.36))) < 4 * sd_mi


def test_gaussian_scenarios():
    s = GaussianCorrelated(rho=0.6)
    x, y = s.sample(20000, np.random.default_rng(0))
    assert x.shape == (20000, 1) and y.shape == (20000, 1)
    r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
    assert abs(r - 0.6) < 4 * (1 - 0.36) / np.sqrt(20000)
    assert s.true_mi.value == pytest.approx(0.2231436, abs=1e-7)
    assert s.true_mi.stderr == 0.0
    ind = GaussianIndependent(dim_x=2, dim_y=3)
    x, y = ind.sample(10, np.random.default_rng(0))
    assert x.shape == (10, 2) and y.shape == (10, 3) and ind.true_mi == (0.0, 0.0)
    with pytest.raises(ValueError, match="rho"):
        GaussianCorrelated(rho=1.5).sample(10, np.random.default_rng(0))


def test_cli_parameter_strings_take_the_defaults_types():
    from mibench import registry as _registry

    specs = _registry.estimator_specs(["binning:bins=5:miller_madow=false", "kde:bandwidth=0.4",
                                       "binning:bins=fd"])
    got = [_registry.coerce_params(_registry.estimator_class(n), p, n) for n, p in specs]
    # a string default (bins="auto", bandwidth="scott") still reads numbers as numbers
    assert got == [{"bins": 5, "miller_madow": False}, {"bandwidth": 0.4}, {"bins": "fd"}]
    assert _registry.make_estimator("binning", bins="5").get_params()["bins"] == 5
    with pytest.raises(InputTypeError, match="miller_madow"):
        _registry.coerce_params(_registry.estimator_class("binning"), {"miller_madow": "maybe"},
                                "binning")


def test_the_public_density_scenario_gives_the_monte_carlo_truth():
    """docs/plugins.md's NoisyCopy: a DensityScenario with monte_carlo_mi agrees with the closed
    form 0.5 log(1 + 1/noise^2) within 4 Monte-Carlo standard errors."""
    from scipy.stats import norm

    from mibench import DensityScenario, monte_carlo_mi

    class NoisyCopy(DensityScenario):
        def __init__(self, noise=0.5):
            self.noise = noise

        def sample(self, n, rng):
            x = rng.standard_normal((n, 1))
            return x, x + self.noise * rng.standard_normal((n, 1))

        def logpdf_x(self, x):
            return norm.logpdf(x[:, 0])

        def logpdf_y(self, y):
            return norm.logpdf(y[:, 0], scale=np.sqrt(1 + self.noise**2))

        def logpdf_joint(self, x, y):
            return norm.logpdf(x[:, 0]) + norm.logpdf(y[:, 0], loc=x[:, 0], scale=self.noise)

    truth = monte_carlo_mi(NoisyCopy(0.5), n=20_000, use_cache=False)
    assert truth.stderr > 0
    assert abs(truth.value - 0.5 * np.log(1 + 1 / 0.25)) < 4 * truth.stderr


def test_one_label_and_one_parser_round_trip():
    """params_label/spec_label (dicts or their JSON) and parse_params are inverses; the CLI's
    estimator specs read them back."""
    from mibench import InputError, params_label, parse_params
    from mibench import registry as _registry
    from mibench.contracts.canonical import canonical_json, spec_label

    params = {"k": 5, "metric": "chebyshev"}
    assert params_label(params) == params_label(canonical_json(params)) == "k=5, metric=chebyshev"
    assert params_label(params, repr_values=True) == "k=5, metric='chebyshev'"
    assert params_label("{}") == params_label(None) == "" and params_label("not json") == "not json"
    assert spec_label("ksg", params) == "ksg:k=5:metric=chebyshev" and spec_label("ksg", "{}") == "ksg"
    assert parse_params(params_label(params, ";")) == {"k": "5", "metric": "chebyshev"}
    assert _registry.estimator_specs([spec_label("ksg", params)]) == [
        ("ksg", {"k": "5", "metric": "chebyshev"})]
    with pytest.raises(InputError, match=r"estimator 'ksg:5': expected NAME\[:key=value"):
        _registry.estimator_specs(["ksg:5"])


def test_declarative_parameter_constraints():
    """_parameter_constraints are checked by the default validate_params, one clear error each."""
    from mibench import Boolean, Estimator, InputError, Interval, OneOf, Satisfies

    class Toy(Estimator):
        _parameter_constraints = {"k": [Interval(int, 1, None)],
                                  "clip": [Interval(float, 0, 0.5, closed="neither")],
                                  "bound": [OneOf("dv", "demi")], "scale": [Boolean()],
                                  "hidden": [Satisfies(lambda v: isinstance(v, tuple) and v or None,
                                                       "a non-empty tuple")]}

        def __init__(self, k=3, clip=0.1, bound="dv", scale=True, hidden=(8,)):
            self.k, self.clip, self.bound, self.scale, self.hidden = k, clip, bound, scale, hidden

    Toy().validate_params()
    Toy(k=np.int64(2), clip=0.49, bound="demi", scale=np.bool_(False)).validate_params()
    for params, message in [({"k": 0}, "Toy: k=0 is invalid; expected an int >= 1"),
                            ({"k": True}, "k=True is invalid"), ({"k": 2.0}, "k=2.0 is invalid"),
                            ({"clip": 0.5}, r"expected a finite number in \(0, 0.5\)"),
                            ({"clip": float("nan")}, "clip=nan"),
                            ({"bound": "x"}, "expected 'dv' or 'demi'"),
                            ({"scale": 1}, "expected True or False"),
                            ({"hidden": ()}, "expected a non-empty tuple")]:
        with pytest.raises(InputError, match=message):
            Toy(**params).validate_params()
