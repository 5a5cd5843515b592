import numpy as np
import pandas as pd
import pytest

from mibench import InputError, InputTypeError, MibenchError, as_2d, check_xy
from tests.conftest import PearsonMI


def test_accepts_lists_ints_and_pandas():
    x = as_2d([1, 2, 3], "x")
    assert x.shape == (3, 1) and x.dtype == np.float64 and x.flags.c_contiguous
    df = pd.DataFrame({"a": [1, 2, 3], "b": [3.0, 1.0, 2.0]})
    assert as_2d(df, "x").shape == (3, 2)
    assert as_2d(pd.Series([1, 2]), "y").shape == (2, 1)
    fortran = np.asfortranarray(np.arange(6.0).reshape(3, 2))
    assert as_2d(fortran, "x").flags.c_contiguous


@pytest.mark.parametrize("bad, exc, match", [
    ([[1, 2], [3]], InputError, "ragged"),
    (np.zeros((2, 2, 2)), InputError, "3 dimensions"),
    ([1.0, np.nan, 2.0], InputError, "1 NaN"),
    ([1.0, np.inf, 2.0], InputError, "1 inf"),
    (["a", "b"], InputTypeError, "non-numeric"),
    (np.array(["a", 1], dtype=object), InputTypeError, "non-numeric"),
    (3.0, InputError, "scalar"),
    (None, InputTypeError, "None"),
])
def test_bad_arrays(bad, exc, match):
    with pytest.raises(exc, match=match):
        as_2d(bad, "x")
    assert issubclass(exc, MibenchError)


def test_pair_problems():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="different numbers of samples"):
        check_xy(rng.normal(size=10), rng.normal(size=9))
    with pytest.raises(InputError, match="y column 1 is constant"):
        check_xy(rng.normal(size=10), np.c_[rng.normal(size=10), np.ones(10)])
    with pytest.raises(InputError, match="too small"):
        PearsonMI().estimate([1.0], [2.0], seed=0)


def test_errors_are_value_and_type_errors():
    assert issubclass(InputError, ValueError)
    assert issubclass(InputTypeError, TypeError)
