"""Bad input a newcomer hits (issue 19): one line on stderr and exit 2 from the CLI, an InputError
naming the argument from Python, and nothing computed or lost (checked before the first trial)."""

import pickle
import sqlite3

import numpy as np
import pytest

import mibench
from mibench.cli import main

RUN = ["run", "--scenario", "gaussian-correlated", "--param", "rho=0.3", "--n", "50", "--seeds", "1",
       "--jobs", "1", "--quiet"]


def nothing_computed(results_dir) -> bool:
    """No trial ran: the default store was never even created (checks run before it opens)."""
    return not (results_dir / "runs" / "store.sqlite").exists()


def one_line_exit_2(capsys, argv, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


# --------------------------------------------------------------------------- 1. --out
def test_out_under_a_file_refused_before_any_trial(toy_plugins, results_dir, tmp_path, capsys):
    blocker = tmp_path / "f"
    blocker.write_text("x")
    one_line_exit_2(capsys, RUN + ["--estimator", "toy-pearson", "--out", str(blocker / "sub")],
                    "out=", "which is a file")
    one_line_exit_2(capsys, RUN + ["--estimator", "toy-pearson", "--out", str(blocker)],
                    "is a file, not a folder")
    assert nothing_computed(results_dir) and blocker.read_text() == "x"


def test_out_under_a_file_python(toy_plugins, results_dir, tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(mibench.InputError, match="out="):
        mibench.run("gaussian-correlated", {"rho": [0.3]}, ["toy-pearson"], n=50, seeds=1,
                    out=tmp_path / "f" / "sub")


# --------------------------------------------------------------------------- 2. --store
def test_store_under_a_file_or_not_sqlite(toy_plugins, results_dir, tmp_path, capsys):
    blocker = tmp_path / "f"
    blocker.write_text("x")
    one_line_exit_2(capsys, RUN + ["--estimator", "toy-pearson", "--store", str(blocker / "s.sqlite")],
                    "store=", "which is a file")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    one_line_exit_2(capsys, RUN + ["--estimator", "toy-pearson", "--store", str(junk)],
                    "store=", "cannot be opened as a mibench store")
    one_line_exit_2(capsys, RUN + ["--estimator", "toy-pearson", "--store", str(tmp_path)],
                    "is a folder")
    assert junk.stat().st_size == 4096  # not touched


def test_store_errors_are_input_errors():
    from mibench.execution.store import Store

    with pytest.raises(mibench.InputError, match="store="):
        Store("/proc/version/s.sqlite")
    assert issubclass(mibench.InputError, ValueError) and not issubclass(sqlite3.Error, mibench.InputError)


# --------------------------------------------------------------------------- 3. hyperparameters
@pytest.mark.parametrize("spec, message", [
    ("ksg:k=-1", "k must be an integer >= 1"),
    ("ksg:variant=3", "variant must be 1 or 2"),
    ("ksg:noise=-1", "noise must be a finite number >= 0"),
])
def test_out_of_range_hyperparameters_refused_at_planning(results_dir, capsys, spec, message):
    one_line_exit_2(capsys, RUN + ["--estimator", spec], f"estimator '{spec.split(':')[0]}'", message)
    assert nothing_computed(results_dir)
    with pytest.raises(mibench.InputError, match=message.split(",")[0]):
        mibench.run("gaussian-correlated", {"rho": [0.3]}, [spec], n=50, seeds=1)


# --------------------------------------------------------------------------- 4. minimum n
def test_n_below_the_estimator_minimum_refused_up_front(results_dir, capsys):
    err = one_line_exit_2(capsys, RUN[:3] + ["--n", "3", "--seeds", "1", "--estimator", "gaussian"],
                          "n=3 is too small", "gaussian needs n >= 10")
    assert "value is noise" in err
    one_line_exit_2(capsys, RUN[:3] + ["--n", "20,200", "--estimator", "ksg:k=30"],
                    "n=20", "ksg:k=30 needs n >= ")
    assert nothing_computed(results_dir)
    with pytest.raises(mibench.InputError, match="gaussian needs n >= 10"):
        mibench.run("gaussian-correlated", {"rho": [0.3]}, ["gaussian"], n=3, seeds=1)


def test_every_builtin_estimator_declares_its_minimum():
    from mibench.registry import estimators

    for name, plugin in estimators().items():
        if not plugin.available or not plugin.target.startswith("estimators."):
            continue
        cls = plugin.cls
        assert isinstance(cls.min_n, int) and cls.min_n >= 2, name
        est = cls()
        need = mibench.required_n(est)
        assert need >= cls.min_n and need >= est.min_samples(), name


def test_min_n_enforced_by_estimate_too():
    from estimators.gaussian import Gaussian

    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, 1))
    with pytest.raises(mibench.InputError, match="needs at least 10"):
        Gaussian().estimate(x, x + rng.normal(size=(9, 1)), seed=0)

    class Floor20(mibench.Estimator):  # a plugin that declares a higher floor
        min_n = 20

        def _estimate(self, x, y, *, seed):
            return mibench.Estimate(0.0)

    mibench.register("estimator", "toy-floor20", Floor20)
    try:
        with pytest.raises(mibench.InputError, match="too few for toy-floor20 .it needs at least 20"):
            mibench.estimate(rng.normal(size=15), rng.normal(size=15), ["toy-floor20"])
    finally:
        mibench.unregister("estimator", "toy-floor20")


# --------------------------------------------------------------------------- 5. all failed
def test_run_with_every_trial_failed_exits_1(toy_plugins, results_dir, capsys):
    code = main(RUN[:-1] + ["--param", "rho=0.9", "--estimator", "toy-pearson:fail_above=0.1"])
    assert code == 1
    err = capsys.readouterr().err
    assert "no trial succeeded (2 failed)" in err and "toy failure" in err


# --------------------------------------------------------------------------- 6-7. arrays
def test_complex_input_rejected():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    y = x + rng.normal(size=100)
    with pytest.raises(mibench.InputError, match="^x is complex"):
        mibench.estimate(x.astype(complex), y, ["gaussian"])
    with pytest.raises(mibench.InputError, match="^y is complex"):
        mibench.as_2d(y.astype(complex), "y")
    import pandas as pd

    with pytest.raises(mibench.InputError, match="column 'x' is complex"):
        mibench.estimate(pd.Series(x.astype(complex), name="x"), y, ["gaussian"])


def test_ragged_input_rejected():
    rng = np.random.default_rng(0)
    ragged = [[1.0, 2.0], [3.0]] * 20
    with pytest.raises(mibench.InputError, match="^x is ragged"):
        mibench.estimate(ragged, rng.normal(size=40), ["gaussian"])
    with pytest.raises(mibench.InputError, match="^y is ragged"):
        mibench.check_xy(rng.normal(size=40), ragged)


# --------------------------------------------------------------------------- 8. files
def test_header_only_csv(tmp_path, capsys):
    f = tmp_path / "h.csv"
    f.write_text("z0,mass\n")
    one_line_exit_2(capsys, ["estimate", str(f), "--x", "z0", "--y", "mass"], "has a header",
                    "but no data rows")


def test_duplicate_column_names(tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_text("z0,z0,m\n" + "".join(f"{i},{i * i % 7},{i % 3}\n" for i in range(30)))
    one_line_exit_2(capsys, ["estimate", str(f), "--x", "z0", "--y", "m"],
                    "duplicate column name(s) 'z0'")


def test_pickle_renamed_csv_is_not_text(tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_bytes(pickle.dumps({"a": [1, 2, 3]}))
    one_line_exit_2(capsys, ["estimate", str(f), "--x", "a", "--y", "b"], "is not a text (CSV) file",
                    "pickled")
    g = tmp_path / "latin.csv"
    g.write_bytes(b"a,b\n" + "\xe9t\xe9,1\n".encode("latin-1") * 20)
    one_line_exit_2(capsys, ["estimate", str(g), "--x", "a", "--y", "b"], "is not UTF-8 text")


def test_nan_message_names_the_file_line(tmp_path, capsys):
    f = tmp_path / "n.csv"
    rows = [f"{i},{(i * 7) % 11}" for i in range(30)]
    rows[4] = "4,nan"  # the 5th data row: line 6 of the file (line 1 is the header)
    f.write_text("a,b\n" + "\n".join(rows) + "\n")
    one_line_exit_2(capsys, ["estimate", str(f), "--x", "a", "--y", "b"], "(first: line 6)")
    rows[4] = "4,x"
    f.write_text("a,b\n" + "\n".join(rows) + "\n")
    one_line_exit_2(capsys, ["estimate", str(f), "--x", "a", "--y", "b"], "'x' in line 6")
