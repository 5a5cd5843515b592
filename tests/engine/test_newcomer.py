"""A newcomer's rough edges (issue 19, items 9-13): run folders kept per run, cached re-runs
that say so and skip an up-to-date report, unavailable estimators named, MIBENCH_RESULTS
documented."""

import os

import pytest

from mibench import registry as _registry
from mibench.cli import build_parser, main

RUN = ["run", "--scenario", "gaussian-correlated", "--estimator", "toy-pearson", "--seeds", "1",
       "--jobs", "1"]


def test_each_run_keeps_its_folder_and_the_name_links_the_latest(toy_plugins, results_dir, capsys):
    runs = results_dir / "runs"
    assert main(RUN + ["--param", "rho=0.3", "--n", "100"]) == 0
    first = runs / "gaussian-correlated"
    assert first.is_symlink()
    first_dir = first.resolve()
    assert first_dir.name.startswith("gaussian-correlated-") and len(first_dir.name) == 20 + 8
    report = (first_dir / "report.html").read_text()
    capsys.readouterr()

    assert main(RUN + ["--param", "rho=0.6", "--n", "100"]) == 0  # other settings: another folder
    second_dir = first.resolve()
    assert second_dir != first_dir and (first_dir / "report.html").read_text() == report
    assert "(the latest run of gaussian-correlated)" in capsys.readouterr().out

    # the same command again: the same folder, everything cached, the report left as it is
    mtime = os.stat(first_dir / "report.html").st_mtime_ns
    assert main(RUN + ["--param", "rho=0.3", "--n", "100"]) == 0
    captured = capsys.readouterr()
    assert first.resolve() == first_dir
    assert "1/1 trials cached in the store, 0 computed" in captured.err
    assert "report already up to date" in captured.out
    assert os.stat(first_dir / "report.html").st_mtime_ns == mtime
    assert sorted(p.name for p in runs.iterdir() if p.name.startswith("gaussian")) == sorted(
        ["gaussian-correlated", first_dir.name, second_dir.name])


def test_explicit_out_is_used_as_given(toy_plugins, results_dir, tmp_path):
    out = tmp_path / "mine"
    assert main(RUN + ["--param", "rho=0.3", "--n", "100", "--quiet", "--out", str(out)]) == 0
    assert (out / "report.html").exists() and not out.is_symlink()
    assert not (results_dir / "runs" / "gaussian-correlated").exists()


def test_unavailable_estimators_are_named_with_the_hint(toy_plugins, results_dir, capsys, monkeypatch):
    class Missing:
        def load(self):
            raise _registry.UnavailableError("needs the frobnicate package: pip install frobnicate")

    table = {"toy-pearson": _registry.estimators()["toy-pearson"],
             "toy-missing": _registry.Plugin("toy-missing", _registry.ESTIMATORS, "x:Y",
                                             entry_point=Missing())}
    monkeypatch.setattr(_registry, "estimators", lambda: table)
    assert main(["run", "--scenario", "gaussian-correlated", "--param", "rho=0.3", "--n", "100",
                 "--seeds", "1", "--jobs", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "left out (unavailable): toy-missing: needs the frobnicate package: pip install frobnicate" in err


def test_mibench_results_is_documented():
    text = build_parser().format_help()
    assert "MIBENCH_RESULTS" in text
    run_help = build_parser()._subparsers._group_actions[0].choices["run"].format_help()
    assert "$MIBENCH_RESULTS/runs/store.sqlite" in run_help


@pytest.mark.parametrize("name", ["gmm-mi-paper", "beyond-normal"])
def test_quick_figures_default_outside_the_tracked_tree(name, results_dir, monkeypatch):
    seen = {}

    def fake_make(out, **kw):
        seen["out"] = out
        return []

    import mibench.figures as sets

    monkeypatch.setattr(sets.figure_set(name), "make", fake_make)
    assert main(["figures", name, "--quick", "--jobs", "1"]) == 0
    assert seen["out"] == results_dir / "runs" / "figures" / f"{name}-quick"


# --------------------------------------------------------------------------- 14. report polish
def test_log_records_clear_the_progress_line_first():
    import io
    import logging

    from mibench.cli import _AboveProgressHandler

    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    stream.write("gaussian [#####.....] 5/10 done")
    handler = _AboveProgressHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler.emit(logging.LogRecord("estimators.gmm_mi", logging.WARNING, __file__, 1,
                                   "first line\nsecond line", None, None))
    assert stream.getvalue() == "gaussian [#####.....] 5/10 done\r\x1b[KWARNING: first line\nsecond line\n"
    plain = io.StringIO()  # not a terminal (a log file): no control characters
    _AboveProgressHandler(plain).emit(logging.LogRecord("x", logging.WARNING, __file__, 1, "m", None, None))
    assert plain.getvalue() == "m\n"


def test_matrix_title_is_not_clipped():
    import numpy as np
    import pandas as pd

    import mibench

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"z1": rng.normal(size=200)})
    df["mass"] = df["z1"] + rng.normal(size=200)
    fig = mibench.mi_matrix(df, rows=["z1"], cols=["mass"], estimator="gaussian", permutations=3).plot()
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1
    assert fig._suptitle.get_text().startswith("MI matrix (n = 200)")


def test_report_lists_each_skipped_reason_once(tmp_path):
    from mibench.analysis.reports import _html

    skipped = [{"estimator": "ksg-ross", "scenario": "gaussian-correlated", "scenario_params": {"rho": r},
                "reason": "kinds (continuous, continuous) not supported"} for r in (0.1, 0.3, 0.5)]
    summary = pd_summary()
    text = _html(summary, {}, summary.iloc[:0], [], tmp_path, {"skipped": skipped}, "t", 3, summary.iloc[:0])
    assert text.count("ksg-ross on gaussian-correlated") == 1
    assert "(3 parameter sets)" in text


def pd_summary():
    import pandas as pd

    return pd.DataFrame({"trials": [1], "failed": [0], "timeout": [0]})


# --------------------------------------------------------------------------- 15. tables
def test_one_number_format_per_column():
    import numpy as np
    import pandas as pd

    from mibench.analysis.reports._tables import markdown
    from mibench.analysis.reports.terminal import format_tables

    df = pd.DataFrame({"n": [200, 1000], "bias": [0.000862, 0.006], "RMSE": [0.1, 0.25],
                       "coverage ±2 std": [np.nan, 0.9]})
    rows = markdown(df).splitlines()[2:]
    assert [r.split(" | ")[1] for r in rows] == ["8.62e-04", "6.00e-03"]
    assert [r.split(" | ")[2] for r in rows] == ["0.100", "0.250"]
    assert rows[0].split(" | ")[3] == "no std |"
    summary = pd.DataFrame({
        "estimator": ["e", "e"], "estimator_params": ["{}", "{}"], "scenario": ["s", "s"],
        "scenario_params": ['{"rho":0.1}', '{"rho":0.9}'], "n": [200, 200], "true_mi": [0.005, 0.83],
        "mean": [0.0059, 0.82], "bias": [0.000862, -0.006], "std": [0.01, 0.02], "rmse": [0.01, 0.02],
        "coverage_2std": [np.nan, 0.9], "mean_wall_s": [0.01, 0.02], "failed": [0, 0], "timeout": [0, 0]})
    text = format_tables(summary)
    lines = text.splitlines()
    assert lines[2].split()[5] == "8.62e-04" and lines[3].split()[5] == "-6.00e-03"
    assert lines[2].split()[8:10] == ["no", "std"]
