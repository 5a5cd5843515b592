import pandas as pd
import pytest

from mibench.cli import main


def test_run_cli_writes_outputs_and_tables(toy_plugins, results_dir, capsys):
    code = main(["run", "--scenario", "gaussian-correlated", "--param", "rho=0.3,0.9",
                 "--estimator", "toy-pearson", "--n", "200,400", "--seeds", "2", "--jobs", "1"])
    assert code == 0
    out = capsys.readouterr().out
    assert "== toy-pearson" in out and "RMSE" in out
    run_dir = results_dir / "runs" / "gaussian-correlated"
    trials = pd.read_csv(run_dir / "trials.csv")
    assert len(trials) == 2 * 2 * 2
    summary = pd.read_csv(run_dir / "summary.csv")
    assert len(summary) == 4 and set(summary["n"]) == {200, 400}


def test_estimator_option_repeatable_and_comma_separated(toy_plugins, results_dir):
    assert main(["run", "--scenario", "gaussian-correlated", "--param", "rho=0.3", "--estimator",
                 "toy-pearson:noise=0.1", "--estimator", "toy-pearson", "--n", "100", "--seeds", "1",
                 "--quiet"]) == 0
    trials = pd.read_csv(results_dir / "runs" / "gaussian-correlated" / "trials.csv")
    assert sorted(trials["estimator_params"]) == ['{"noise":0.1}', "{}"]


@pytest.mark.parametrize("argv, message", [
    (["run", "--scenario", "nope"], "unknown scenario 'nope'"),
    (["run", "--scenario", "gaussian-correlated", "--estimator", "nope"], "unknown estimator 'nope'"),
    (["run", "--scenario", "gaussian-correlated", "--param", "rho"], "expected KEY=VALUE"),
    (["run", "--scenario", "gaussian-correlated", "--param", "rho=abc", "--estimator", "toy-pearson"],
     "cannot read 'abc' as float"),
    (["run", "--scenario", "gaussian-correlated", "--n", "-5"], "not a positive integer"),
    (["run", "--scenario", "gaussian-correlated", "--seeds", "0"], "--seeds must be >= 1"),
])
def test_bad_input_one_line_exit_2(toy_plugins, results_dir, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_list(toy_plugins, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "toy-pearson" in out and "gaussian-correlated" in out and "true MI 0.2231" in out
    assert main(["list", "scenarios"]) == 0
    assert "toy-pearson" not in capsys.readouterr().out


def test_verbose_raises_only_mibench_loggers(toy_plugins, capsys, monkeypatch):
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # as in a fresh process: basicConfig configures root
    for logger in (root, *(logging.getLogger(n) for n in ("mibench", "estimators", "scenarios"))):
        monkeypatch.setattr(logger, "level", logger.level)  # restored after the test
    assert main(["-v", "list"]) == 0
    assert logging.getLogger("mibench.execution.runner").getEffectiveLevel() == logging.INFO
    assert root.level == logging.WARNING  # so other libraries (fontTools, matplotlib) stay quiet
    assert logging.getLogger("fontTools.subset").getEffectiveLevel() == logging.WARNING
