"""Suite files: parsing, validation errors that name the key and the line, built-in suites, and the
CLI (run --suite, list suites, export)."""

import textwrap

import pandas as pd
import pytest

from mibench import UnknownNameError
from mibench.cli import main
from mibench.contracts.canonical import canonical_json
from mibench.planning.suites import SuiteError, builtin_suites, load_suite, parse_suite
from mibench.registry import estimators, scenarios

GOOD = """\
name = "mini"
description = "two scenarios"
seeds = [0, 4]
n = [100, 300]

[[scenario]]
name = "gaussian-correlated"
params = { rho = [0.3, 0.9] }

[[scenario]]
name = "gaussian-independent"
n = 50
seeds = 1

[[estimator]]
name = "toy-pearson"
params = { noise = [0.0, 0.1] }
"""


def test_parse_and_plan_expand_grids(toy_plugins):
    suite = parse_suite(GOOD, "mini.toml")
    assert suite.name == "mini" and suite.seeds == [0, 4] and suite.n == [100, 300]
    trials, skipped = suite.plan()
    # entry 1: 2 rho x 2 noise x 2 n x 2 seeds; entry 2 overrides n and seeds: 1 x 2 noise x 1 x 1
    assert len(trials) == 16 + 2 and not skipped
    assert {t.seed for t in trials if t.scenario == "gaussian-independent"} == {0}
    assert {t.n for t in trials if t.scenario == "gaussian-independent"} == {50}
    # noise = 0.0 is the default: dropped from the trial's parameters (same trial as no noise given)
    assert {canonical_json(t.estimator_params) for t in trials} == {"{}", '{"noise":0.1}'}
    labelled = parse_suite(GOOD.replace("n = 50", 'n = 50\nlabel = "indep"'))
    labelled.plan()
    assert labelled.labels == {("gaussian-independent", "{}"): "indep"}


# GOOD's lines: 1 name, 3 seeds, 4 n, 7-8 first scenario, 11-13 second, 16-17 estimator
@pytest.mark.parametrize("old, new, line, key, message", [
    ('seeds = [0, 4]', 'seed = 3', 3, "seed", "unknown key; did you mean 'seeds'"),
    ('n = [100, 300]', 'n = [100, -3]', 4, "n", "sample sizes must be positive integers, got -3"),
    ('seeds = [0, 4]', 'seeds = 0', 3, "seeds", "the number of seeds must be >= 1"),
    ('seeds = [0, 4]', 'seeds = [1, 1]', 3, "seeds", "repeated seed"),
    ('name = "mini"', 'name = 3', 1, "name", "required; a non-empty string"),
    ('params = { rho = [0.3, 0.9] }', 'params = { rho = [0.3, 0.9], rh = 2 }', 8, "scenario[1].params.rh",
     "no parameter 'rh'"),
    ('params = { rho = [0.3, 0.9] }', 'params = { rho = [0.3, 1.5] }', 8, "scenario[1].params.rho",
     "rho must lie in"),
    ('params = { rho = [0.3, 0.9] }', 'params = { rho = [] }', 8, "scenario[1].params.rho", "empty list"),
    ('name = "gaussian-independent"', 'name = "gaussian-indep"', 11, "scenario[2].name",
     "unknown scenario 'gaussian-indep'"),
    ('n = 50', 'nn = 50', 12, "scenario[2].nn", "unknown key; did you mean 'n'"),
    ('name = "toy-pearson"', 'name = "toy-pearsn"', 16, "estimator[1].name", "did you mean toy-pearson"),
    ('params = { noise = [0.0, 0.1] }', 'params = { noise = [0.0, 0.1], fail = 1 }', 17,
     "estimator[1].params.fail", "no parameter 'fail'"),
    ('params = { noise = [0.0, 0.1] }', 'params = "noise=0.1"', 17, "estimator[1].params", "must be a table"),
])
def test_schema_errors_name_key_and_line(toy_plugins, old, new, line, key, message):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    assert new in text.splitlines()[line - 1]
    with pytest.raises(SuiteError) as info:
        parse_suite(text, "mini.toml").plan()
    msg = str(info.value)
    assert msg.startswith(f"mini.toml:{line}: {key}: "), msg
    assert message in msg


def test_schema_error_in_subtable_form(toy_plugins):
    text = textwrap.dedent("""\
        name = "x"
        [[scenario]]
        name = "gaussian-correlated"
        [scenario.params]
        rho = 0.3

        [[scenario]]
        name = "gaussian-correlated"

        [scenario.params]
        rho = 7
        [[estimator]]
        name = "toy-pearson"
        """)
    with pytest.raises(SuiteError, match=r"^<string>:11: scenario\[2\]\.params\.rho: .*rho must lie in"):
        parse_suite(text).plan()


def test_missing_tables_and_syntax_errors():
    # a missing table has no line: the message names the file and the key
    with pytest.raises(SuiteError, match=r"^s.toml: estimator: required; add at least one \[\[estimator\]\]"):
        parse_suite('name = "x"\n[[scenario]]\nname = "gaussian-correlated"\n', "s.toml")
    with pytest.raises(SuiteError, match=r"^s.toml:3: TOML syntax error: .*line 3"):
        parse_suite('name = "x"\n[[scenario]]\nname = "gaussian-correlated\n', "s.toml")
    with pytest.raises(SuiteError, match=r"^s.toml:4: scenario\[1\]\.params\.rho: a value must be a scalar"):
        parse_suite('name = "x"\n[[scenario]]\nname = "g"\nparams = { rho = { a = 1 } }\n'
                    '[[estimator]]\nname = "k"\n', "s.toml")


def test_builtin_suites_are_valid():
    found = builtin_suites()
    assert {"quick", "ci", "gmm-mi-paper", "bmi-v1"} <= set(found)
    est, scen = estimators(), scenarios()
    for name in found:
        suite = load_suite(name)
        assert suite.name == name
        for spec in suite.scenarios:
            cls = scen[spec.name].load()
            assert set(spec.params) <= set(cls.param_defaults()), (name, spec)
        for spec in suite.estimators:
            assert spec.name in est, (name, spec.name)
            if est[spec.name].available:
                assert set(spec.params) <= set(est[spec.name].cls.param_defaults())
    bmi = load_suite("bmi-v1")
    from scenarios.bmi_v1 import BMI_V1_TASKS

    assert [s.label for s in bmi.scenarios] == list(BMI_V1_TASKS)
    assert [(s.name, {k: v[0] for k, v in s.params.items()}) for s in bmi.scenarios] == \
        list(BMI_V1_TASKS.values())
    trials, _ = load_suite("quick").plan()
    assert len(trials) > 0


def test_unknown_suite_name():
    with pytest.raises(UnknownNameError, match="no suite 'quik'.*did you mean quick"):
        load_suite("quik")


def test_cli_run_suite_list_and_export(toy_plugins, results_dir, tmp_path, capsys):
    path = tmp_path / "mini.toml"
    path.write_text(GOOD)
    out = results_dir / "mini-run"
    assert main(["run", "--suite", str(path), "--jobs", "1", "--quiet", "--out", str(out)]) == 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 18 and set(trials["status"]) == {"ok"}
    assert (trials["peak_mem_mb"] > 0).all() and (trials["threads"] == 1).all()
    assert main(["export", str(out), "--format", "parquet"]) == 0
    back = pd.read_parquet(out / "trials_export.parquet")
    assert sorted(back["key"]) == sorted(trials["key"])
    assert back["mi"].dtype == "float64" and back["std"].dtype == "float64"
    assert main(["export", str(out), "--format", "csv", "-o", str(tmp_path / "t.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "t.csv")) == 18
    capsys.readouterr()
    assert main(["list", "suites"]) == 0
    listing = capsys.readouterr().out
    for name in ("quick", "ci", "gmm-mi-paper", "bmi-v1"):
        assert f"  {name} " in listing
    assert "Estimators" not in listing


@pytest.mark.parametrize("argv, message", [
    (["run", "--suite", "quick", "--scenario", "gaussian-correlated"], "either --scenario NAME or --suite"),
    (["run"], "either --scenario NAME or --suite"),
    (["run", "--suite", "quick", "--n", "100"], "drop --n"),
    (["run", "--suite", "nope"], "no suite 'nope'"),
    (["run", "--suite", "quick", "--timeout", "0"], "--timeout must be a positive"),
    (["run", "--suite", "quick", "--executor", "serial", "--scheduler", "tcp://x:1"], "--scheduler runs on"),
    (["export", "nowhere"], "run folder nowhere does not exist"),
])
def test_cli_bad_input_one_line_exit_2(results_dir, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_suite_file_cli_error_names_line(results_dir, tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace('n = [100, 300]', 'n = "many"'))
    assert main(["run", "--suite", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4: n: sample sizes must be positive integers" in err
