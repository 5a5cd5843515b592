"""Plug-in MI of a discrete pair with the Miller-Madow correction."""

import numpy as np
import pytest

from estimators.discrete import PluginDiscrete
from mibench import InputError
from scenarios.discrete import DiscreteTable, SymmetricChannel


def _data_with_exact_table(counts):
    """Samples whose empirical joint distribution is exactly counts / counts.sum()."""
    i, j = np.nonzero(counts)
    reps = counts[i, j]
    return np.repeat(i, reps).astype(float), np.repeat(j, reps).astype(float)


def test_plugin_equals_exact_mi_of_the_empirical_table():
    counts = np.array([[40, 10, 0, 5], [5, 60, 10, 5], [10, 10, 20, 25]])
    x, y = _data_with_exact_table(counts)
    table = ";".join(",".join(str(c / counts.sum()) for c in row) for row in counts)
    exact = DiscreteTable(table).true_mi.value
    raw = PluginDiscrete(correction="none").estimate(x, y)
    assert raw.mi == pytest.approx(exact, abs=1e-12)
    mm = PluginDiscrete().estimate(x, y)
    n, bxy, bx, by = counts.sum(), np.count_nonzero(counts), 3, 4
    assert mm.mi == pytest.approx(exact - (bxy - bx - by + 1) / (2 * n), abs=1e-12)
    assert mm.info["mi_plugin"] == pytest.approx(exact, abs=1e-12)
    # labels need not be 0..m-1: only equality matters; MI is symmetric
    assert PluginDiscrete().estimate(10 * x - 3, y + 0.5).mi == pytest.approx(mm.mi, abs=1e-12)
    assert PluginDiscrete().estimate(y, x).mi == pytest.approx(mm.mi, abs=1e-12)


def test_miller_madow_is_near_zero_at_independence():
    # 3x4 independent (rank-one) table, n = 2000: 2N * I_plugin ~ chi2 with (3-1)(4-1) = 6 dof, so the raw
    # plug-in has mean 6/(2N) = 1.5e-3 and sd sqrt(12)/(2N) = 8.7e-4; Miller-Madow removes the
    # mean. Over 40 replicates the mean has se 8.7e-4/sqrt(40) = 1.4e-4: |MM mean| < 4 se,
    # while the raw mean is ~11 se above 0.
    sc = DiscreteTable("0.05,0.1,0.05,0.05;0.08,0.16,0.08,0.08;0.07,0.14,0.07,0.07")
    assert sc.true_mi.value == pytest.approx(0.0, abs=1e-12)
    n, reps = 2000, 40
    mm, raw = [], []
    for s in range(reps):
        x, y = sc.sample(n, np.random.default_rng(s))
        est = PluginDiscrete().estimate(x, y)
        mm.append(est.mi)
        raw.append(est.info["mi_plugin"])
    se = np.sqrt(12) / (2 * n) / np.sqrt(reps)
    assert abs(np.mean(mm)) < 4 * se
    assert np.mean(raw) > 6 / (2 * n) - 4 * se
    assert min(mm) < 0  # not clamped


def test_plugin_converges_on_the_symmetric_channel():
    # m = 4, e = 0.2: sd of the plug-in at n = 20000 is sqrt(Var(PMI)/n) <~ 0.006; tolerance 0.02
    sc = SymmetricChannel(4, 0.2)
    x, y = sc.sample(20000, np.random.default_rng(1))
    assert PluginDiscrete().estimate(x, y).mi == pytest.approx(sc.true_mi.value, abs=0.02)


def test_bad_input():
    x = np.array([0.0, 1.0, 0.0, 1.0])
    with pytest.raises(InputError, match="correction must be"):
        PluginDiscrete(correction="grassberger").estimate(x, x)
    with pytest.raises(InputError, match=r"dim_x<=1 .*dims \(2, 1\)"):
        PluginDiscrete().estimate(np.column_stack([x, x[::-1]]), x)
    assert PluginDiscrete.capabilities.kinds == frozenset({("discrete", "discrete")})


def test_vectorised_subsample_parts_equal_per_part_plain_estimates():
    from estimators._uncertainty import subsample_estimate
    from estimators.discrete import PluginDiscrete

    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(999, 1)).astype(float)
    y = (x + rng.integers(0, 2, size=(999, 1))) % 4
    for est in (PluginDiscrete(), PluginDiscrete(correction="none")):
        fast, slow = est.estimate(x, y, seed=2), subsample_estimate(est, x, y, 2)
        assert fast.mi == slow.mi and fast.std == pytest.approx(slow.std, rel=1e-9)
