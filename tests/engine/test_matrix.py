"""The pairwise MI matrix: accuracy on a latent-factor data set with known pairwise MI, layout,
per-pair estimator choice, determinism, and atomic outputs."""

import numpy as np
import pandas as pd
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import ndtr

import mibench
from mibench import InputError
from mibench.userdata.matrix import MIMatrix, mi_matrix


def _need(*names):
    missing = [n for n in names if n not in mibench.registry.estimators()
               or not mibench.registry.estimators()[n].available]
    if missing:
        pytest.skip(f"estimator(s) {missing} not available")


# latent-factor model: three Gaussian factors f, four latents z = A f + noise, two physical
# quantities p = B f + noise, and a binary label 1{f_0 > 0}
A = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.7, 0.7, 0.0], [0.0, 0.0, 0.0]])
S = np.array([0.5, 0.8, 0.4, 1.0])
B = np.array([[1.0, -0.5, 0.0], [0.0, 0.0, 1.0]])
T = np.array([0.6, 0.3])
LATENTS = ["z0", "z1", "z2", "z3"]
PHYSICAL = ["mass", "spin"]


def latent_factor_data(n, seed):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 3))
    z = f @ A.T + rng.normal(size=(n, 4)) * S
    p = f @ B.T + rng.normal(size=(n, 2)) * T
    df = pd.DataFrame(np.c_[z, p], columns=LATENTS + PHYSICAL)
    df["label"] = (f[:, 0] > 0).astype(int)
    return df


def true_corr():
    """Correlations of (z, p) from the model covariance [A; B] [A; B]^T + diag(noise^2)."""
    M = np.vstack([A, B])
    cov = M @ M.T + np.diag(np.r_[S, T] ** 2)
    sd = np.sqrt(np.diag(cov))
    names = LATENTS + PHYSICAL
    return pd.DataFrame(cov / np.outer(sd, sd), index=names, columns=names)


def true_mi_label(c):
    """I(V; 1{F > 0}) for standard normals (V, F) with correlation c, in nats: ln 2 - E_V[h_b(
    Phi(c V / sqrt(1 - c^2)))], by 120-point Gauss-Hermite quadrature."""
    x, w = hermegauss(120)
    w = w / np.sqrt(2 * np.pi)
    q = np.clip(ndtr(c * x / np.sqrt(1 - c * c)), 1e-300, 1 - 1e-16)
    return float(np.log(2) - np.sum(w * -(q * np.log(q) + (1 - q) * np.log1p(-q))))


def test_latent_factor_matrix_within_error(toy_plugins):
    _need("gaussian", "ksg-mixed")
    n = 3000
    df = latent_factor_data(n, seed=1)
    m = mi_matrix(df, "z*", PHYSICAL + ["label"], estimator=["gaussian", "ksg-mixed"], resamples=12)
    rho = true_corr()
    assert list(m.mi.index) == LATENTS and list(m.mi.columns) == PHYSICAL + ["label"]
    assert m.kinds["label"] == "discrete" and m.kinds["mass"] == "continuous"
    for z in LATENTS:
        for p in PHYSICAL:
            r = rho.at[z, p]
            truth = -0.5 * np.log1p(-r * r)
            # Gaussian plug-in: sd = |rho|/sqrt(n) by the delta method (Var r = (1-rho^2)^2/n,
            # dMI/dr = r/(1-r^2)); at rho = 0 it is chi2_1/(2n): mean and sd of order 1/n
            tol = 4 * max(abs(r) / np.sqrt(n), 1 / n) + 1 / n
            assert abs(m.mi.at[z, p] - truth) < tol, (z, p, m.mi.at[z, p], truth)
            if abs(r) > 0.3:  # the half-sampling std is the right size (16% rel. error at B=12 -> 2x)
                assert 0.5 < m.std.at[z, p] / (abs(r) / np.sqrt(n)) < 2.0
    pairs = m.pairs.set_index(["row", "col"])
    assert set(pairs.loc[(slice(None), "label"), "estimator"]) == {"ksg-mixed"}
    assert set(pairs.loc[(slice(None), "mass"), "estimator"]) == {"gaussian"}
    # the label: corr(z0, f0) = 1/sqrt(1 + 0.5^2); measured sd of mixed KSG at n = 3000 is 0.011,
    # so 4 reported std plus a small-sample allowance of 0.01 nats
    c = 1 / np.sqrt(1 + S[0] ** 2)
    assert abs(m.mi.at["z0", "label"] - true_mi_label(c)) < 4 * m.std.at["z0", "label"] + 0.01
    assert abs(m.mi.at["z3", "label"]) < 4 * m.std.at["z3", "label"] + 0.01  # independent


def test_latent_by_latent_is_upper_triangle(toy_plugins):
    df = latent_factor_data(400, seed=2)
    m = mi_matrix(df, LATENTS, estimator="toy-pearson", resamples=0)
    assert m.symmetric and list(m.mi.columns) == LATENTS
    filled = np.isfinite(m.mi.to_numpy())
    assert np.array_equal(filled, np.triu(np.ones((4, 4), bool), k=1))
    assert len(m.pairs) == 6
    # the toy's value is -0.5 ln(1 - r^2) of the pair, so the matrix is exactly that of the data
    r = np.corrcoef(df[LATENTS].to_numpy(), rowvar=False)
    assert m.mi.at["z0", "z2"] == pytest.approx(-0.5 * np.log1p(-r[0, 2] ** 2), rel=1e-12)
    with pytest.raises(InputError, match="at least 2 row columns"):
        mi_matrix(df, "z0", estimator="toy-pearson")


def test_shared_rows_and_cols_are_computed_once(toy_plugins):
    df = latent_factor_data(300, seed=3)
    m = mi_matrix(df, ["z0", "z1"], ["z1", "mass"], estimator="toy-pearson", resamples=0)
    assert len(m.pairs) == 3  # (z0, z1), (z0, mass), (z1, mass); (z1, z1) is not a pair
    assert np.isnan(m.mi.at["z1", "z1"])


def test_default_estimator_and_discrete_fallback_by_capabilities(toy_plugins, monkeypatch):
    """Discrete columns get an estimator whose declared kinds match; --continuous overrides."""
    df = latent_factor_data(300, seed=4)
    df["level"] = np.digitize(df["z1"], [-1, 0, 1])
    calls = []

    def fake_run_pairs(work, **kw):
        calls.extend((w.label, w.estimator) for w in work)
        raise InputError("stop here")

    monkeypatch.setattr("mibench.userdata.matrix.run_pairs", fake_run_pairs)
    with pytest.raises(InputError, match="stop here"):
        mi_matrix(df, ["z0", "label"], ["mass", "level"], estimator="toy-pearson")
    chosen = dict(calls)
    assert chosen["z0|mass"] == "toy-pearson"
    for label in ("z0|level", "label|mass"):
        cls = mibench.registry.estimator_class(chosen[label])
        assert cls.capabilities.match("continuous", "discrete", 1, 1)[0]
    cls = mibench.registry.estimator_class(chosen["label|level"])
    assert cls.capabilities.match("discrete", "discrete", 1, 1)[0]
    calls.clear()
    with pytest.raises(InputError, match="stop here"):
        mi_matrix(df, ["z0", "label"], ["mass"])  # the default: gmm-mi, by the issue
    chosen = dict(calls)
    if "gmm-mi" in mibench.registry.estimators():
        assert chosen["z0|mass"] == "gmm-mi"
        if "gmm-mi-categorical" in mibench.registry.estimators():
            assert chosen["label|mass"] == "gmm-mi-categorical"
    calls.clear()
    with pytest.raises(InputError, match="stop here"):
        mi_matrix(df, ["z0", "label"], ["mass", "level"], estimator="toy-pearson",
                  continuous=["label", "level"])
    assert {e for _, e in calls} == {"toy-pearson"}


def test_matrix_does_not_depend_on_jobs(toy_plugins):
    df = latent_factor_data(300, seed=5)
    kw = dict(estimator=("toy-pearson", {"noise": 0.01}), permutations=9, resamples=0, seed=3)
    one = mi_matrix(df, LATENTS, **kw, jobs=1)
    two = mi_matrix(df, LATENTS, **kw, jobs=2)
    pd.testing.assert_frame_equal(one.mi, two.mi)
    pd.testing.assert_frame_equal(one.p_value, two.p_value)
    # true MI of (z0, z2) is 0.21 nats, far above any permuted value: the smallest p, 1/(1+9)
    assert one.p_value.at["z0", "z2"] == pytest.approx(0.1)


def test_outputs_written_and_read_back(toy_plugins, tmp_path):
    df = latent_factor_data(200, seed=6)
    m = mi_matrix(df, LATENTS, PHYSICAL, estimator="toy-pearson", permutations=4, resamples=0)
    paths = m.to_files(tmp_path / "out")
    assert sorted(paths) == ["matrix.json", "mi.csv", "mi_matrix.png", "mi_std.csv", "p_values.csv",
                             "pairs.csv"]
    back = pd.read_csv(tmp_path / "out" / "mi.csv", index_col=0)
    np.testing.assert_allclose(back.to_numpy(), m.mi.to_numpy(), rtol=1e-12)
    assert (tmp_path / "out" / "mi_matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(paths)  # no temp files
    assert "±" in m.format()


def test_outputs_are_all_or_nothing(toy_plugins, tmp_path, monkeypatch):
    df = latent_factor_data(100, seed=7)
    m = mi_matrix(df, LATENTS, estimator="toy-pearson", resamples=0)

    def broken_plot(self, *a, **k):
        raise RuntimeError("disk full while plotting")

    monkeypatch.setattr(MIMatrix, "plot", broken_plot)
    with pytest.raises(RuntimeError, match="disk full"):
        m.to_files(tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []  # nothing half-written, no temp files left


def test_failed_pairs_are_recorded(toy_plugins):
    df = latent_factor_data(300, seed=8)
    m = mi_matrix(df, ["z0", "z3"], ["z2"], estimator=("toy-pearson", {"fail_above": 0.5}),
                  resamples=0)
    rows = m.pairs.set_index("row")
    assert rows.at["z0", "status"] == "failed" and "toy failure" in rows.at["z0", "error"]
    assert rows.at["z3", "status"] == "ok" and np.isnan(m.mi.at["z0", "z2"])


def test_fallback_pairs_use_the_same_family_and_are_shown():
    _need("ksg", "ksg-mixed")
    df = latent_factor_data(300, seed=9)
    m = mi_matrix(df, ["z0", "z1"], ["mass", "label"], estimator="ksg:k=4", resamples=0)
    est = m.pairs.set_index(["row", "col"])["estimator"]
    assert est[("z0", "mass")] == "ksg" and est[("z1", "mass")] == "ksg"
    assert est[("z0", "label")] == "ksg-mixed" and est[("z1", "label")] == "ksg-mixed"
    # the requested k carries over to the family fallback
    params = m.pairs.set_index(["row", "col"])["params"]
    assert '"k": "4"' in params[("z0", "label")] or '"k": 4' in params[("z0", "label")]
    text = m.format()
    note = text.split("fallback estimators", 1)[1]
    assert "ksg-mixed [continuous-discrete]: (z0, label), (z1, label)" in note
    assert "mass" not in note
    assert m.meta["fallback_pairs"] == [{"row": "z0", "col": "label", "estimator": "ksg-mixed"},
                                        {"row": "z1", "col": "label", "estimator": "ksg-mixed"}]
    # z0 carries the label's factor (correlation 1/sqrt(1.25)); z1 is independent of it:
    # the fallback estimates the right pair (KSG sd at n=300 is ~0.04 nat, 0.15 = ~4 sd)
    c = 1.0 / np.sqrt(1.0 + S[0] ** 2)
    assert abs(m.mi.at["z0", "label"] - true_mi_label(c)) < 0.15
    assert abs(m.mi.at["z1", "label"]) < 0.15
    # nothing falls back: no note
    only = mi_matrix(df, ["z0", "z1"], ["mass"], estimator="ksg", resamples=0)
    assert "fallback" not in only.format() and only.meta["fallback_pairs"] == []
