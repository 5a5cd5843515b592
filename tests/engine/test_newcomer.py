"""A newcomer's rough edges (issue 19, items 9-13): run folders kept per run, cached re-runs
that say so and skip an up-to-date report, unavailable estimators named, MIBENCH_RESULTS
documented."""

import os

import pytest

from mibench import _registry
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
