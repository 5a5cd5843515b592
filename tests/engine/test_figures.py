"""The paper-figure commands produce their files (tiny settings) and their numbers are right."""

import json
import math

import pandas as pd
import pytest

from mibench.cli import main
from mibench.figures import figure_set
from mibench.figures import gmm_mi_paper as gp

TINY = dict(n_values=3, gmm1=gp.GMM_FIG1 | dict(n_bootstrap=4, mc_samples=500),
            gmm_inv=gp.GMM_INV | dict(n_inits=1, n_folds=2, n_bootstrap=3, mc_samples=500),
            mine=gp.MINE | dict(max_steps=10, eval_every=5), inv_ns=[200, 400], realisations=2, n_boot=3)


def test_settings_follow_the_paper():
    full = gp.settings()
    assert full["n_values"] == 20 and full["realisations"] == 500 and full["inv_ns"] == [200, 2000, 20000]
    assert full["gmm1"]["n_bootstrap"] == 100 and full["gmm1"]["mc_samples"] == 10_000
    assert full["gmm_inv"]["n_inits"] == 5 and full["gmm_inv"]["n_folds"] == 3
    sweeps = gp.sweep_scenarios(20)
    rhos = [p["rho"] for _, p in sweeps["gaussian-correlated"]]
    assert rhos[0] == pytest.approx(-0.99) and rhos[-1] == pytest.approx(0.99)
    alphas = [p["alpha"] for _, p in sweeps["weinman-exponential"]]
    assert alphas[0] == pytest.approx(0.1) and alphas[-1] == pytest.approx(100.0)
    assert all(p["log"] and p["beta"] == 0.5 for _, p in sweeps["weinman-exponential"])


def test_gmm_mi_paper_figures(results_dir):
    out = results_dir / "figs"
    paths = gp.make(out, overrides=TINY, jobs=1)
    names = {p.name for p in paths}
    for stem in ("gmm_mi_fig1_sweeps", "gmm_mi_fig2_invariance", "gmm_mi_fig3_bootstrap"):
        assert {f"{stem}.png", f"{stem}.pdf", f"{stem}.csv"} <= names
        assert (out / f"{stem}.png").stat().st_size > 10_000
    sweeps = pd.read_csv(out / "gmm_mi_fig1_sweeps.csv")
    assert len(sweeps) == 3 * 3 * 3  # 3 scenarios x 3 values x 3 estimators
    g = sweeps[sweeps["scenario"] == "gamma-exponential"].drop_duplicates("x")
    # I = psi(alpha + 1) - ln(alpha) (scenarios.md section 5): 1.8788302 at alpha = 0.1
    assert g.sort_values("x")["true_mi"].iloc[0] == pytest.approx(1.8788302, abs=1e-6)
    inv = pd.read_csv(out / "gmm_mi_fig2_invariance.csv")
    assert set(inv["transform"]) == set(gp.TRANSFORMS) and set(inv["n"]) == {200, 400}
    assert inv["true_mi"].to_numpy() == pytest.approx(-0.5 * math.log(1 - 0.36))
    boot = pd.read_csv(out / "gmm_mi_fig3_bootstrap.csv")
    assert boot.groupby("estimator").size().to_dict() == {
        "GMM-MI (own bootstrap)": 3, "KSG (k=3) on resamples": 3, "MINE on resamples": 3}
    # a second computation reads every trial from the store and runs none
    calls = []
    again = gp.compute_sweeps(gp.settings(**TINY), on_result=calls.append)
    assert calls == [] and len(again) == 27
    # Fig. 3 goes through the store too: GMM-MI's replicates are those of its stored trial on the
    # fixed dataset, and a second computation adds no trial
    from mibench.execution.store import Store

    with Store(results_dir / "runs" / "store.sqlite") as st:
        before = st.count()
        stored = st.load()
    own = stored[(stored["scenario"] == "resampled") & (stored["estimator"] == "gmm-mi")]
    assert len(own) == 1
    assert sorted(boot.loc[boot["estimator"] == "GMM-MI (own bootstrap)", "mi"]) == pytest.approx(
        sorted(json.loads(own["info"].iloc[0])["bootstrap_mi"]))
    # Fig. 2's numbers from the stored trials, computed independently here
    inv_trials = stored[(stored["scenario"] == "transformed") & (stored["status"] == "ok")].copy()
    inv_trials["transform"] = [json.loads(p)["transform"] for p in inv_trials["scenario_params"]]
    want = inv_trials.groupby(["transform", "estimator", "n"])["mi"].agg(["mean", "std"])
    got = inv.set_index(["transform", "estimator", "n"]).loc[want.index]
    assert got["mean"].to_numpy() == pytest.approx(want["mean"].to_numpy(), rel=1e-12)
    assert got["std"].to_numpy() == pytest.approx(want["std"].to_numpy(), rel=1e-12)
    assert got["bias"].to_numpy() == pytest.approx(want["mean"].to_numpy() - got["true_mi"].to_numpy())
    again = gp.compute_bootstrap(gp.settings(**TINY))
    with Store(results_dir / "runs" / "store.sqlite") as st:
        assert st.count() == before
    pd.testing.assert_frame_equal(again.reset_index(drop=True), boot, check_dtype=False)


def test_beyond_normal_figures(results_dir):
    bn = figure_set("beyond-normal")
    tasks = ["1v1-normal-0.75", "1v1-additive-0.1", "multinormal-dense-2-2-0.5"]  # bmi order
    out = results_dir / "bn"
    paths = bn.make(out, estimators=[("gaussian", {}), ("ksg", {})], ns=[100, 300], seeds=2,
                    task_ids=tasks)
    names = {p.name for p in paths}
    assert {"beyond_normal_heatmap.png", "beyond_normal_heatmap.pdf",
            "beyond_normal_sample_complexity.png", "beyond_normal_sample_complexity.pdf"} <= names
    heat = pd.read_csv(out / "beyond_normal_heatmap.csv").set_index("task")
    assert list(heat.index) == tasks  # bmi's ids, in bmi's order
    assert heat.loc["1v1-normal-0.75", "true MI"] == pytest.approx(0.4133, abs=1e-4)
    assert heat.loc["multinormal-dense-2-2-0.5", "true MI"] == pytest.approx(0.2939, abs=1e-4)


def test_beyond_normal_heatmap_and_complexity_estimators_differ(results_dir):
    # the heatmap takes its estimators at one n; the sample-complexity figure may use fewer
    # estimators over every n (it costs len(ns) times more); each title says what it lacks
    bn = figure_set("beyond-normal")
    out = results_dir / "bn2"
    bn.make(out, estimators=[("gaussian", {}), ("ksg", {})], complexity_estimators=[("gaussian", {})],
            ns=[100, 300], seeds=2, task_ids=["1v1-normal-0.75", "1v1-additive-0.1"])
    heat = pd.read_csv(out / "beyond_normal_heatmap.csv")
    assert {"ksg", "gaussian"} <= set(heat.columns)
    cx = pd.read_csv(out / "beyond_normal_sample_complexity.csv")
    assert "gaussian" in cx.columns and "ksg" not in cx.columns
    summary = pd.read_csv(out / "beyond_normal_summary.csv")
    assert set(summary.loc[summary["method"] == "ksg", "n"]) == {300}   # heatmap n only
    assert set(summary.loc[summary["method"] == "gaussian", "n"]) == {100, 300}
    assert not summary.duplicated(["task", "method", "n"]).any()


def test_beyond_normal_reuses_an_earlier_summary(results_dir):
    # redraw with only KSG run: the other default estimators come from the earlier summary, cell
    # for cell; stored_only: the sample-complexity figure takes the KSG trials the store holds
    # (every n for the first two tasks, from the first run; only the heatmap's n for a third)
    bn = figure_set("beyond-normal")
    tasks = ["1v1-normal-0.75", "multinormal-dense-2-2-0.5"]
    first, second = results_dir / "bn-first", results_dir / "bn-second"
    kw = dict(quick=True, ns=[100, 300], seeds=2)
    bn.make(first, task_ids=tasks, **kw)
    ksg = bn.KSG_BMI[0] + " (k=10, metric=euclidean, noise=0.0)"
    old = pd.read_csv(first / "beyond_normal_summary.csv")
    old[old["method"] != ksg].to_csv(first / "old.csv", index=False)  # as if KSG never ran
    bn.make(second, estimators=[bn.KSG_BMI], complexity_estimators=[bn.KSG_BMI], stored_only=True,
            reuse=first / "old.csv", task_ids=tasks + ["1v1-additive-0.1"], **kw)
    before = pd.read_csv(first / "beyond_normal_heatmap.csv")
    after = pd.read_csv(second / "beyond_normal_heatmap.csv")
    assert set(after.columns) == set(before.columns)
    after = after[after["task"].isin(tasks)].reset_index(drop=True)
    pd.testing.assert_frame_equal(after[before.columns], before)  # same numbers
    cx = pd.read_csv(second / "beyond_normal_sample_complexity.csv").set_index("task")
    assert cx.loc[tasks, [ksg, "gaussian"]].notna().all().all()
    assert pd.isna(cx[ksg].get("1v1-additive-0.1", math.nan))  # no KSG trial at n = 100
    summary = pd.read_csv(second / "beyond_normal_summary.csv")
    assert set(summary.loc[summary["task"] == "1v1-additive-0.1", "n"]) == {300}
    assert not summary.duplicated(["task", "method", "n"]).any()


def test_beyond_normal_titles_name_what_each_figure_ran(results_dir, monkeypatch):
    # a redraw that runs KSG for the heatmap only (complexity_estimators=[]: the sample-complexity
    # figure from the reused summary) says so in each title; it used to list the heatmap's
    # estimators as "run now" in the sample-complexity title too
    bn = figure_set("beyond-normal")
    tasks = ["1v1-normal-0.75"]
    first, second = results_dir / "bn-t1", results_dir / "bn-t2"
    kw = dict(quick=True, ns=[100, 300], seeds=2, task_ids=tasks)
    bn.make(first, **kw)
    titles = {}
    for name in ("plot_heatmap", "plot_sample_complexity"):
        real = getattr(bn.rf, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            titles[_name] = kwargs["title"]
            return _real(*args, **kwargs)

        monkeypatch.setattr(bn.rf, name, spy)
    bn.make(second, estimators=[bn.KSG_BMI], complexity_estimators=[],
            reuse=first / "beyond_normal_summary.csv", **kw)
    assert "[run now: ksg; " in titles["plot_heatmap"]
    assert "[run now: none; " in titles["plot_sample_complexity"]


def test_beyond_normal_default_estimators_pass_their_own_checks():
    # a from-scratch run plans every default configuration; one an estimator refuses (flow and
    # doe take no uncertainty="test-batches") would stop the whole figure at planning
    from mibench import registry

    bn = figure_set("beyond-normal")
    plugins = registry.estimators()
    assert {"lnc", "classifier", "latent-ksg", "flow", "doe"} <= {e for e, _ in bn.ESTIMATORS}
    for name, params in bn.ESTIMATORS:
        if plugins[name].available:
            registry.make_estimator(name, **params).validate_params()


def test_beyond_normal_columns_in_figure_order_and_fewer_seeds_labelled():
    bn = figure_set("beyond-normal")
    tasks = [t for t in bn.bmi_v1_tasks() if t[0] in ("1v1-normal-0.75", "1v1-additive-0.1")]
    rows = [("doe", "{}", "doe", "1v1-additive-0.1", 2), ("doe", "{}", "doe", "1v1-normal-0.75", 3),
            ("gaussian", "{}", "gaussian", "1v1-additive-0.1", 10),
            ("gaussian", "{}", "gaussian", "1v1-normal-0.75", 10),
            ("ksg", '{"k":3}', "ksg (k=3)", "1v1-normal-0.75", 10)]
    summary = pd.DataFrame(rows, columns=["estimator", "estimator_params", "method", "task", "trials"])
    ordered = bn.in_figure_order(summary, tasks)
    # gaussian before doe (the default set's order), a configuration outside it last; bmi's task order
    assert list(ordered["method"]) == ["gaussian", "gaussian", "doe", "doe", "ksg (k=3)"]
    assert list(ordered["task"][:2]) == ["1v1-normal-0.75", "1v1-additive-0.1"]
    assert bn.fewer_seeds(ordered, 10) == "doe: 2-3 seeds"
    assert bn.fewer_seeds(ordered[ordered["method"] != "doe"], 10) == ""


def test_figures_cli_errors(results_dir, capsys):
    with pytest.raises(SystemExit):
        main(["figures", "nope"])
    assert main(["figures", "beyond-normal", "--realisations", "3"]) == 2
    assert "gmm-mi-paper only" in capsys.readouterr().err
    assert main(["figures", "gmm-mi-paper", "--only", "sweeps,nope"]) == 2
    assert "unknown part(s) nope" in capsys.readouterr().err


def test_beyond_normal_cli_writes_figures_and_tables(results_dir, capsys):
    # the real command over all 40 bmi-v1 tasks (it has no task option), kept small: the Gaussian
    # baseline, n in {100, 200}, 2 seeds = 160 fast trials (~5 s on one busy core)
    from mibench.execution.store import Store
    from mibench.figures.beyond_normal import bmi_v1_tasks

    out, store = results_dir / "cli-bn", results_dir / "own" / "s.sqlite"
    assert main(["figures", "beyond-normal", "--quick", "--out", str(out), "--n", "100,200",
                 "--seeds", "2", "--estimator", "gaussian", "--store", str(store), "--jobs", "1"]) == 0
    printed = capsys.readouterr().out.splitlines()
    for stem in ("beyond_normal_heatmap", "beyond_normal_sample_complexity"):
        for ext in ("png", "pdf", "csv"):
            assert (out / f"{stem}.{ext}").stat().st_size > 0
            assert f"wrote {out / stem}.{ext}" in printed
    tasks = [t for t, _, _ in bmi_v1_tasks()]
    heat = pd.read_csv(out / "beyond_normal_heatmap.csv")
    # one row per task in bmi's order; the heatmap n is the largest given (quick's 1000 not in --n)
    assert heat["task"].tolist() == tasks and len(tasks) == 40
    assert list(heat.columns) == ["task", "true MI", "gaussian", "log_rel_error: gaussian"]
    assert heat.set_index("task").loc["1v1-normal-0.75", "true MI"] == pytest.approx(0.4133, abs=1e-4)
    cx = pd.read_csv(out / "beyond_normal_sample_complexity.csv")
    assert cx["task"].tolist() == tasks and list(cx.columns) == ["task", "gaussian"]
    assert cx["gaussian"].dropna().isin([100, 200]).all()
    summary = pd.read_csv(out / "beyond_normal_summary.csv")
    # the Gaussian estimator needs n > dim_x + dim_y (Estimator.min_samples_for): planning skips
    # the 50 x 50 task at n = 100, so 79 cells and 158 trials
    assert len(summary) == 79 and set(summary["n"]) == {100, 200} and (summary["trials"] == 2).all()
    assert set(summary["method"]) == {"gaussian"}
    skipped = summary[(summary["task"] == "multinormal-dense-50-50-0.5")]
    assert skipped["n"].tolist() == [200]
    with Store(store) as st:
        assert st.count() == 158
    assert not (results_dir / "runs").exists()  # --store given: the default store is untouched


def test_beyond_normal_cli_default_folders(tmp_path, monkeypatch):
    # without --out and --store everything goes under $MIBENCH_RESULTS, nothing into the cwd;
    # a single n draws the heatmap only (the sample-complexity figure needs several n)
    from mibench.execution.store import Store

    results, cwd = tmp_path / "elsewhere", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.setenv("MIBENCH_RESULTS", str(results))
    monkeypatch.chdir(cwd)
    assert main(["figures", "beyond-normal", "--quick", "--n", "100", "--seeds", "1",
                 "--estimator", "gaussian", "--jobs", "1"]) == 0
    out = results / "runs" / "figures" / "beyond-normal-quick"  # a preview stays out of figures/
    assert not (results / "figures").exists()
    assert {p.name for p in out.iterdir()} == {
        "beyond_normal_summary.csv", "beyond_normal_heatmap.csv", "beyond_normal_heatmap.png",
        "beyond_normal_heatmap.pdf"}
    # 39: at n = 100 the Gaussian estimator cannot take the 50 x 50 task (skipped at planning)
    assert len(pd.read_csv(out / "beyond_normal_heatmap.csv")) == 39
    with Store(results / "runs" / "store.sqlite") as st:
        assert st.count() == 39
    assert list(cwd.iterdir()) == []


def test_high_dimension_figures(results_dir):
    hd = figure_set("high-dimension")
    out = results_dir / "hd"
    paths = hd.make(out, seeds=1, ns=[30], estimators=[("gaussian", {}), ("binning", {})], max_dim=4)
    names = {p.name for p in paths}
    for stem in ("high_dimension_error_vs_dimension", "high_dimension_error_vs_mi"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= names and (out / f"{stem}.png").stat().st_size > 10_000
    s = pd.read_csv(out / "high_dimension_summary.csv")
    assert set(s["sweep"]) == {"dim", "mi"} and s.loc[s["sweep"] == "dim", "dim"].max() == 4
    assert set(s.loc[s["sweep"] == "mi", "family"]) == {"normal", "uniform", "log-gamma-exponential",
                                                        "student"}
    normal = s[(s["label"] == "mi/normal") & (s["estimator"] == "binning")]
    assert sorted(normal["true_mi"]) == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0]
    # at n = 30 the Gaussian estimator cannot take 16 + 16 dims: skipped with the reason
    skipped = pd.read_csv(out / "high_dimension_skipped.csv")
    assert len(skipped) == 22 and (skipped["estimator"] == "gaussian").all()
    assert skipped["reason"].str.contains("n=30 < 33 samples it needs at dims \\(16, 16\\)").all()
    assert not ((s["estimator"] == "gaussian") & (s["dim"] == 16)).any()
    with pytest.raises(Exception, match="one sample size"):
        hd.make(out, ns=[100, 200])


def test_figure_sets_are_plugins_found_through_the_registry(tmp_path, monkeypatch):
    """The built-in sets are the `mibench.figures` entry points of pyproject.toml; a set
    registered there (here: added to the registry's table, as an entry point is) runs through
    `mibench figures NAME`."""
    import tomllib
    import types
    from pathlib import Path

    from mibench import UnknownNameError, registry

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert set(registry.figure_sets()) == set(project["project"]["entry-points"]["mibench.figures"])
    with pytest.raises(UnknownNameError, match="unknown figure set 'beyond-norml'.*beyond-normal"):
        registry.figure_set("beyond-norml")

    seen = {}

    def make(out, **kw):
        seen.update(out=out, **kw)
        return [out / "fig.png"]

    module = types.SimpleNamespace(make=make)
    monkeypatch.setitem(registry.figure_sets(), "my-paper",
                        registry.Plugin("my-paper", registry.FIGURES, "my_pkg.figs", cls=module))
    assert main(["figures", "my-paper", "--out", str(tmp_path / "f"), "--jobs", "1", "--quiet"]) == 0
    assert seen["out"] == tmp_path / "f" and seen["quick"] is False
