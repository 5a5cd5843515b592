"""Fixed preprocessing that leaves MI unchanged (estimators._margins): the support coordinates."""

import numpy as np

from estimators._margins import on_support, support_coordinates


def _embedded(n=2000, r=3, d=12, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, r))
    return z, z @ rng.standard_normal((r, d))


def test_independent_columns_are_returned_as_they_are():
    z, a = _embedded()
    assert support_coordinates(z)[0] is z and support_coordinates(z)[1] == 3
    # a relative spread of 1e-3 in every direction is real variance, not rounding
    noisy = a + 1e-3 * np.random.default_rng(1).standard_normal(a.shape)
    assert support_coordinates(noisy)[0] is noisy
    # 20 rows of 30 independent columns span 19 dimensions only because they are few
    few = np.random.default_rng(2).standard_normal((20, 30))
    assert support_coordinates(few)[0] is few


def test_dependent_columns_become_coordinates_of_their_span():
    z, a = _embedded()
    for data in (a, a.astype(np.float32).astype(np.float64)):  # float32 latents round at 1e-7
        b, r = support_coordinates(data)
        assert r == 3 and b.shape == (2000, 3)
        # injective and linear: the base rows and the projected rows determine each other
        coef, *_ = np.linalg.lstsq(np.column_stack([b, np.ones(len(b))]), z, rcond=None)
        assert np.abs(np.column_stack([b, np.ones(len(b))]) @ coef - z).max() < 1e-4
    # a sum of two columns appended: 4 columns spanning 3 dimensions
    assert support_coordinates(np.column_stack([z, z[:, 0] + z[:, 1]]))[1] == 3


def test_on_support_reports_a_reduction_only():
    z, a = _embedded()
    assert on_support(z, z, "t")[2] == {}
    x, y, info = on_support(a, z, "t")
    assert info == {"support_dims": [3, 3]} and x.shape == (2000, 3) and y is z
