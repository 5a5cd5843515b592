"""Reading the user's files, column selection, kinds, the pair work (uncertainty, permutation
test) and the ``estimate`` API."""

import numpy as np
import pandas as pd
import pytest

import mibench
from mibench import Capabilities, Estimate, Estimator, InputError, InputTypeError
from mibench.userdata.choose import FALLBACK, choose_estimator
from mibench.userdata.columns import detect_kind, encode_discrete, prepare, select_columns
from mibench.userdata.estimate import estimate
from mibench.userdata.pairs import make_work, run_pairs
from mibench.userdata.read import read_data


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 200
    return pd.DataFrame({"z0": rng.normal(size=n), "z1": rng.normal(size=n),
                         "label": rng.integers(0, 3, n), "flag": rng.integers(0, 2, n).astype(bool),
                         "count": rng.integers(0, 500, n)})


# --------------------------------------------------------------------------- formats
@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".csv.gz", ".parquet"])
def test_table_round_trip(frame, tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    back = read_data(path)
    assert list(back.columns) == list(frame.columns)
    np.testing.assert_allclose(back[["z0", "z1", "label", "count"]].to_numpy(float),
                               frame[["z0", "z1", "label", "count"]].to_numpy(float), rtol=1e-15)


def test_npy_and_npz_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(50, 3))
    np.save(tmp_path / "z.npy", z)
    df = read_data(tmp_path / "z.npy")
    assert list(df.columns) == ["0", "1", "2"] and np.array_equal(df.to_numpy(), z)
    np.save(tmp_path / "v.npy", z[:, 0])
    assert list(read_data(tmp_path / "v.npy").columns) == ["0"]
    rec = np.zeros(50, dtype=[("a", "f8"), ("b", "i4")])
    rec["a"] = z[:, 0]
    np.save(tmp_path / "rec.npy", rec)
    assert list(read_data(tmp_path / "rec.npy").columns) == ["a", "b"]
    np.savez(tmp_path / "d.npz", z=z, mass=z[:, 0] ** 2)
    df = read_data(tmp_path / "d.npz")
    assert list(df.columns) == ["z:0", "z:1", "z:2", "mass"]
    assert np.array_equal(df[["z:0", "z:1", "z:2"]].to_numpy(), z)
    # an NPZ array name selects all its columns; globs and exact names work too
    assert select_columns(df, "z", "--x") == ["z:0", "z:1", "z:2"]
    assert select_columns(df, ["z:1,mass"], "--x") == ["z:1", "mass"]
    assert select_columns(df, "z:*", "--x") == ["z:0", "z:1", "z:2"]
    # a file with an unknown suffix is recognised by its magic bytes
    (tmp_path / "d.npz").rename(tmp_path / "d.bin")
    assert list(read_data(tmp_path / "d.bin").columns) == list(df.columns)


@pytest.mark.parametrize("make, match", [
    (lambda p: np.save(p / "o.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True),
     "pickled"),
    (lambda p: np.savez(p / "o.npz", a=np.array([{"a": 1}, None], dtype=object)), "pickled"),
    (lambda p: (p / "x.pkl").write_bytes(b"\x80\x04K\x01."), "pickles are never read"),
    (lambda p: (p / "x.txt").write_text("a b\n1 2\n"), "not a supported data file"),
    (lambda p: (p / "e.csv").write_text(""), "empty"),
    (lambda p: (p / "bad.npy").write_text("not numpy"), "cannot read as NPY"),
    (lambda p: np.savez(p / "r.npz", a=np.zeros(3), b=np.zeros(4)), "different numbers of rows"),
    (lambda p: np.save(p / "cube.npy", np.zeros((2, 2, 2))), "3 dimensions"),
])
def test_unreadable_files(tmp_path, make, match):
    make(tmp_path)
    path = next(p for p in tmp_path.iterdir())
    with pytest.raises(InputError, match=match):
        read_data(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_data(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- columns, rows, kinds
def test_column_errors(frame):
    with pytest.raises(InputError, match="--x: no column 'z3'.*did you mean"):
        select_columns(frame, "z3", "--x")
    with pytest.raises(InputError, match="pattern 'q\\*' matches no column"):
        select_columns(frame, "q*", "--x")
    df = frame.assign(name=["a"] * len(frame))
    with pytest.raises(InputTypeError, match="column 'name' is not numeric \\(e.g. 'a' in row 0\\)"):
        prepare(df, ["z0", "name"])


def test_nan_rows_refused_with_count_or_dropped(frame):
    df = frame.copy()
    df.loc[[3, 10, 11], "z1"] = np.nan
    df.loc[10, "z0"] = np.inf
    with pytest.raises(InputError, match="3 row\\(s\\) have NaN or inf .*first: row 3.*--dropna"):
        prepare(df, ["z0", "z1"])
    table = prepare(df, ["z0", "z1"], dropna=True)
    assert table.dropped == 3 and table.n == len(df) - 3 and np.isfinite(table.values).all()
    # NaN in a column that is not selected does not matter
    assert prepare(df, ["label"]).dropped == 0


def test_too_few_rows_and_constant_column(frame):
    with pytest.raises(InputError, match="only 5 usable row\\(s\\); need at least 10"):
        prepare(frame.head(5), ["z0", "z1"])
    df = frame.head(12).copy()
    df.loc[:8, "z1"] = np.nan
    with pytest.raises(InputError, match="only 3 usable row\\(s\\) after dropping 9"):
        prepare(df, ["z0", "z1"], dropna=True)
    with pytest.raises(InputError, match="column 'c' is constant"):
        prepare(frame.assign(c=1.0), ["z0", "c"])


def test_kinds_detected_and_overridden(frame):
    table = prepare(frame, ["z0", "label", "flag", "count"])
    assert table.kinds == {"z0": "continuous", "label": "discrete", "flag": "discrete",
                           "count": "continuous"}  # 500 integer levels: not categorical
    table = prepare(frame, ["z0", "label", "count"], discrete="count", continuous=["label"])
    assert table.kinds == {"z0": "continuous", "label": "continuous", "count": "discrete"}
    with pytest.raises(InputError, match="both --discrete and --continuous"):
        prepare(frame, ["z0", "label"], discrete="label", continuous="label")
    assert detect_kind(np.r_[np.zeros(10), np.ones(10)]) == "discrete"
    assert detect_kind(np.arange(20.0)) == "continuous"  # 20 levels in 20 rows
    assert detect_kind(np.array([0.5, 1.0] * 10)) == "continuous"


def test_encode_discrete_joint_codes():
    a = np.array([[3.0, 1], [3, 2], [7, 1], [3, 1]])
    codes = encode_discrete(a)
    assert codes.shape == (4, 1) and codes[0, 0] == codes[3, 0] and len(np.unique(codes)) == 3
    assert np.array_equal(encode_discrete(np.array([10.0, -2, 10]))[:, 0], [1, 0, 1])


# --------------------------------------------------------------------------- estimator choice
class MixedToy(Estimator):
    """Accepts (continuous, discrete) only; reports the label count in info."""

    capabilities = Capabilities(kinds=frozenset({("continuous", "discrete")}), max_dy=1)

    def __init__(self, k: int = 3):
        self.k = k

    def _estimate(self, x, y, *, seed):
        return Estimate(0.0, info={"labels": int(np.unique(y).size), "dx": int(x.shape[1])})


class ConstantMI(Estimator):
    """Always the same value: every permutation ties with the observation."""

    def __init__(self):
        pass

    def _estimate(self, x, y, *, seed):
        return Estimate(0.25)


@pytest.fixture
def more_toys(toy_plugins):
    mibench.register("estimator", "toy-mixed", MixedToy)
    mibench.register("estimator", "toy-constant", ConstantMI)
    yield
    mibench.unregister("estimator", "toy-mixed")
    mibench.unregister("estimator", "toy-constant")


def test_choice_by_declared_capabilities(more_toys):
    prefs = [("toy-pearson", {}), ("toy-mixed", {"k": 5})]
    assert choose_estimator(prefs, "continuous", "continuous", 1, 1) == ("toy-pearson", {}, False)
    assert choose_estimator(prefs, "continuous", "discrete", 1, 1) == ("toy-mixed", {"k": 5}, False)
    assert choose_estimator(prefs, "discrete", "continuous", 1, 1) == ("toy-mixed", {"k": 5}, True)
    # no preference fits two discrete variables: the first available fallback that accepts them
    name, _, _ = choose_estimator(prefs, "discrete", "discrete", 1, 1)
    cls = mibench.registry.estimator_class(name)
    assert cls.capabilities.match("discrete", "discrete", 1, 1)[0]
    available = [n for n in FALLBACK[("discrete", "discrete")]
                 if n in mibench.registry.estimators() and mibench.registry.estimators()[n].available]
    if available:
        assert name == available[0]


def test_estimate_api_swaps_to_declared_kinds(more_toys, frame):
    res = estimate(frame["label"], frame[["z0"]], ["toy-mixed", "toy-pearson"], resamples=0)
    assert list(res["estimator"]) == ["toy-mixed"]  # toy-pearson takes continuous pairs only
    assert res.attrs["skipped"][0]["estimator"] == "toy-pearson"
    row = res.iloc[0]
    assert (row["x_kind"], row["y_kind"]) == ("discrete", "continuous")
    assert row["info"] == {"labels": 3, "dx": 1}  # x and y swapped to (continuous, discrete)
    with pytest.raises(InputError, match="no estimator accepts"):
        estimate(frame["label"], frame["z0"], ["toy-pearson"])


def test_estimate_api_values_and_uncertainty(toy_plugins):
    rng = np.random.default_rng(3)
    n, rho = 2000, 0.6
    x = rng.normal(size=n)
    y = rho * x + np.sqrt(1 - rho ** 2) * rng.normal(size=n)
    res = estimate(x, y, ["toy-pearson"], resamples=10)
    row = res.iloc[0]
    truth = -0.5 * np.log(1 - rho ** 2)
    # delta method: sd(MI_hat) = rho / sqrt(n) for the Pearson plug-in; 4 sd
    assert abs(row["mi"] - truth) < 4 * rho / np.sqrt(n)
    assert row["std"] == 0.05 and row["std_source"] == "estimator"  # the toy's own std is kept
    if "gaussian" in mibench.registry.estimators():
        res = estimate(pd.DataFrame({"a": x}), pd.Series(y, name="b"), "gaussian", resamples=20)
        row = res.iloc[0]
        # the estimator's own (delta-method) std, named by its method; sd = rho / sqrt(n)
        assert row["std_source"] == "analytic"
        assert 0.8 < row["std"] / (rho / np.sqrt(n)) < 1.25
        res = estimate(pd.DataFrame({"a": x}), pd.Series(y, name="b"), "gaussian:uncertainty=none",
                       resamples=20)
        row = res.iloc[0]
        assert row["std_source"] == "half-sampling (20)"
        # delete-half jackknife std vs the delta-method sd rho/sqrt(n) = 0.0134; with 20
        # half-samples its relative error is about 1/sqrt(2*19) = 16%, so a 0.5-2x band is >4 sd
        assert 0.5 < row["std"] / (rho / np.sqrt(n)) < 2.0


# --------------------------------------------------------------------------- permutation test
def _work(x, y, name, i, permutations, resamples=0, params=None):
    return make_work(f"rep{i}", x, "continuous", y, "continuous", name, params or {}, False,
                     resamples=resamples, permutations=permutations)


@pytest.mark.parametrize("name", ["toy-pearson", "ksg"])
def test_permutation_test_keeps_its_level(toy_plugins, name):
    """Independent columns: P(p <= 0.1) is exactly 2/20 = 0.1 with N = 19 permutations (the
    observed statistic is exchangeable with the permuted ones, each with its own estimator seed).
    Over R = 300 replicates the rejection count is Binomial(300, 0.1): sd 5.2, so [13, 47] is a
    +-3.3 sd band."""
    if name not in mibench.registry.estimators():
        pytest.skip(f"{name} not available")
    rng = np.random.default_rng(11)
    works = [_work(rng.normal(size=(30, 1)), rng.normal(size=(30, 1)), name, i, 19)
             for i in range(300)]
    res = run_pairs(works, seed=5)
    p = np.array([r.p_value for r in res])
    assert all(r.permutations == 19 for r in res)
    assert set(np.round(p * 20).astype(int)) <= set(range(1, 21))  # p in {1/20, ..., 1}
    rejections = int(np.sum(p <= 0.1))
    assert 13 <= rejections <= 47
    # power: rho = 0.8 at n = 30 is detected nearly always
    x = rng.normal(size=(30, 1))
    strong = run_pairs([_work(x, 0.8 * x + 0.6 * rng.normal(size=(30, 1)), name, 0, 19)])[0]
    assert strong.p_value == pytest.approx(1 / 20)


def test_permutation_ties_count_against_the_observation(more_toys):
    rng = np.random.default_rng(0)
    res = run_pairs([_work(rng.normal(size=(20, 1)), rng.normal(size=(20, 1)), "toy-constant", 0, 9)])
    assert res[0].p_value == 1.0  # (1 + 9) / (1 + 9): ties count as >= observed


def test_results_do_not_depend_on_jobs(toy_plugins):
    rng = np.random.default_rng(2)
    works = [_work(rng.normal(size=(60, 1)), rng.normal(size=(60, 1)), "toy-pearson", i, 12, 6)
             for i in range(3)]
    for w in works:  # make the toy noisy and std-less so seeds and half-samples matter
        w.params = {"noise": 0.1}
        w.own_std = False
        w.resamples = 6
    one = run_pairs(works, seed=9, jobs=1)
    two = run_pairs(works, seed=9, jobs=2)
    for a, b in zip(one, two, strict=True):
        assert (a.mi, a.std, a.p_value) == (b.mi, b.std, b.p_value)
    other = run_pairs(works, seed=10, jobs=1)
    assert one[0].mi != other[0].mi


def test_failures_are_per_pair(toy_plugins):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(100, 1))
    ok = _work(x, rng.normal(size=(100, 1)), "toy-pearson", 0, 0)
    bad = _work(x, x + 0.1 * rng.normal(size=(100, 1)), "toy-pearson", 1, 0)
    bad.params = {"fail_above": 0.5}
    a, b = run_pairs([ok, bad])
    assert a.status == "ok" and np.isfinite(a.mi)
    assert b.status == "failed" and "toy failure" in b.error and np.isnan(b.mi)


def test_bad_counts(toy_plugins):
    with pytest.raises(InputError, match="permutations must be an integer >= 0"):
        estimate([1.0] * 20, list(range(20)), "toy-pearson", permutations=-1)
    with pytest.raises(InputError, match=r"jobs must be >= 1 \(an integer\)"):
        estimate([1.0] * 20, list(range(20)), "toy-pearson", jobs=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ksg", "gaussian", "binning", "kde"])
def test_half_sampling_std_matches_the_spread_over_data_sets(name):
    """The delete-half jackknife std vs the empirical sd of the estimate over 60 data sets
    (n = 500, rho = 0.6). The empirical sd has ~9% relative error (1/sqrt(2*59)), the mean of 60
    reported stds ~2%; measured ratios are 0.87-1.08, so [0.7, 1.4] leaves > 3 sd of room."""
    if name not in mibench.registry.estimators():
        pytest.skip(f"{name} not available")
    rng = np.random.default_rng(123)
    works = []
    for i in range(60):
        x = rng.normal(size=(500, 1))
        works.append(_work(x, 0.6 * x + 0.8 * rng.normal(size=(500, 1)), name, i, 0, resamples=20,
                           params={"uncertainty": "none"}))
    res = run_pairs(works, seed=0)
    ratio = np.mean([r.std for r in res]) / np.std([r.mi for r in res], ddof=1)
    assert 0.7 < ratio < 1.4


def _available(*names):
    ests = mibench.registry.estimators()
    return all(n in ests and ests[n].available for n in names)


@pytest.mark.parametrize("prefs, kinds, expected", [
    ([("ksg", {"k": 5})], ("continuous", "discrete"), ("ksg-mixed", {"k": 5}, False)),
    ([("ksg", {})], ("discrete", "continuous"), ("ksg-mixed", {}, False)),
    ([("gmm-mi", {})], ("continuous", "discrete"), ("gmm-mi-categorical", {}, False)),
    ([("gmm-mi", {})], ("discrete", "continuous"), ("gmm-mi-categorical", {}, True)),
    ([("binning", {})], ("discrete", "discrete"), ("plugin-discrete", {}, False)),
    ([("gmm-mi-categorical", {})], ("continuous", "continuous"), ("gmm-mi", {}, False)),
    # the family of the first preference comes first, before the generic order
    ([("ksg", {}), ("gmm-mi", {})], ("continuous", "discrete"), ("ksg-mixed", {}, False)),
    ([("gmm-mi", {}), ("ksg", {})], ("continuous", "discrete"), ("gmm-mi-categorical", {}, False)),
])
def test_fallback_prefers_the_same_family(prefs, kinds, expected):
    if not _available(*(n for n, _ in prefs), expected[0]):
        pytest.skip("estimators not available")
    assert choose_estimator(prefs, *kinds, 1, 1) == expected


def test_fallback_without_a_family_member_uses_the_generic_order():
    # binning has no continuous-discrete relative: the generic FALLBACK order decides
    if not _available("binning"):
        pytest.skip("binning not available")
    name, _, _ = choose_estimator([("binning", {})], "continuous", "discrete", 1, 1)
    first = [n for n in FALLBACK[("continuous", "discrete")] if _available(n)]
    assert name == first[0]
