"""Reports from a small synthetic store with known values: tables, figure data, HTML page."""

import base64
import json
import math
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import mibench
from mibench.analysis.metrics import summarize
from mibench.analysis.reports import figures, tables, write_report
from mibench.analysis.reports._labels import add_labels
from mibench.cli import main

TASKS = [("toy", '{"rho":0.5}', 1.0), ("toy", '{"rho":0.9}', 2.0)]


def synthetic_trials() -> pd.DataFrame:
    """Two tasks (truth 1 and 2), two methods, n = 100 and 1000, estimates truth + offsets.

    'good' estimates truth + {-0.1, +0.1} (mean exact, std sqrt(0.02)) and reports std 0.15;
    'bad' estimates truth * 0.5 + {-0.2, 0.2} at n = 100 and truth + {-0.2, 0.2} at n = 1000,
    reports no std, and is a lower bound (info["bound"]) with an InfoNCE ceiling of ln 8.
    Wall time per estimate: good 0.01 * n / 100 s, bad 1 s.
    """
    rows = []
    for scen, params, truth in TASKS:
        for est in ("good", "bad"):
            for n in (100, 1000):
                for seed, off in enumerate((-1.0, 1.0)):
                    if est == "good":
                        mi, std, wall, info = truth + 0.1 * off, 0.15, 0.01 * n / 100, {}
                    else:
                        mi = (0.5 * truth if n == 100 else truth) + 0.2 * off
                        std, wall, info = np.nan, 1.0, {"bound": "infonce", "ceiling": math.log(8)}
                    rows.append(dict(key=f"{params}{est}{n}{seed}", scenario=scen, scenario_params=params,
                                     estimator=est, estimator_params="{}", n=n, seed=seed, true_mi=truth,
                                     true_mi_stderr=0.0, mi=mi, std=std, status="ok", error=None,
                                     wall_s=wall, cpu_s=wall, peak_mem_mb=5.0, threads=1,
                                     info=json.dumps(info)))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def summary():
    return add_labels(summarize(synthetic_trials()))


def test_paper_table_values_and_formats(summary):
    t = tables.paper_table(summary, 100)
    assert list(t.columns) == ["task", "true MI", "bad", "good"]
    assert list(t["true MI"]) == [1.0, 2.0]
    mean, std = t.loc[1, "good"]
    assert mean == pytest.approx(2.0) and std == pytest.approx(math.sqrt(0.02))
    assert t.loc[1, "bad"][0] == pytest.approx(1.0)
    md = tables.paper_markdown(t)
    assert "| toy (rho=0.9) | **2.000** | 1.000 ± 0.283 | 2.000 ± 0.141 |" in md
    tex = tables.paper_latex(t, 100)
    assert r"\textbf{2.000} & $1.000 \pm 0.283$ & $2.000 \pm 0.141$ \\" in tex
    assert r"toy (rho=0.9)" in tex and r"$n = 100$" in tex


def test_metrics_table_and_latex_escaping(summary):
    mt = tables.metrics_table(summary)
    assert len(mt) == 8 and "coverage ±1 std" in mt.columns
    good = mt[(mt["estimator"] == "good") & (mt["n"] == 100)]
    assert good["coverage ±1 std"].tolist() == [1.0, 1.0]  # |error| 0.1 <= reported 0.15
    assert tables.tex_escape("a_b & 50%") == r"a\_b \& 50\%"
    tex = tables.metrics_latex(mt)
    assert r"\begin{longtable}" in tex
    row = next(line for line in tex.splitlines() if line.startswith("toy (rho=0.5) & bad & 100 &"))
    # true MI, mean, bias, rel. bias, std over seeds (0.5 -+ 0.2: sqrt(0.08))
    assert row.split(" & ")[3:8] == ["1.000", "0.500", "-0.500", "-0.500", "0.283"]


def test_tables_print_diverged_values_compactly():
    """A diverged estimate (-1.3e36 nats, as NWJ once gave on a Cauchy task) prints in scientific
    notation in every format, not as a 37-digit integer."""
    assert tables.fmt(-1.2838e36, 3, sci=False) == "-1.28e+36"
    assert tables.fmt(20000.0) == "20000" and tables.fmt(0.5, 3, sci=False) == "0.500"
    assert tables.fmt(1e-5) == "1.00e-05" and tables.fmt(1e-5, 3, sci=False) == "0.000"
    t = pd.DataFrame({"task": ["cauchy"], "true MI": [0.2], "nwj": [(-1.28e35, 4.06e35)]})
    assert "| cauchy | **0.200** | -1.28e+35 ± 4.06e+35 |" in tables.paper_markdown(t)
    assert r"$-1.28\times10^{35} \pm 4.06\times10^{35}$" in tables.paper_latex(t, 100)
    m = pd.DataFrame({"task": ["cauchy"], "mean": [-1.28e35]})
    assert r"cauchy & $-1.28\times10^{35}$ \\" in tables.metrics_latex(m)


def test_figure_data(summary):
    rt = figures.runtime_data(summary).set_index(["method", "n"])
    assert rt.loc[("good", 1000), "median_s"] == pytest.approx(0.1)
    assert rt.loc[("bad", 100), "max_s"] == pytest.approx(1.0)
    acc = figures.accuracy_runtime_data(summary).set_index(["method", "n"])
    # bad at n=100: RMSE per task sqrt((0.5 t)^2 + 0.2^2) for t = 1, 2; pooled = sqrt(mean of squares)
    expected = math.sqrt(((0.25 + 0.04) + (1.0 + 0.04)) / 2)
    assert acc.loc[("bad", 100), "rmse"] == pytest.approx(expected)
    assert acc.loc[("good", 1000), "rmse"] == pytest.approx(0.1)
    cov = figures.coverage_data(summary)
    assert set(cov["method"]) == {"good"}  # bad reports no std
    assert cov["coverage_2std"].tolist() == [1.0, 1.0]
    # coverage counts only the seeds that reported a std: drop one seed's std and shift the other
    # out of its +-1 std band (|error| 0.1 + 0.1 > 0.15): coverage 0 over 1 seed, not NaN
    trials = synthetic_trials()
    g = (trials["estimator"] == "good") & (trials["n"] == 100)
    trials.loc[g & (trials["seed"] == 0), "std"] = np.nan
    trials.loc[g & (trials["seed"] == 1), "mi"] += 0.1
    row = summarize(trials).query("estimator == 'good' and n == 100").iloc[0]
    assert row["with_std"] == 1 and row["coverage_1std"] == 0.0 and row["coverage_2std"] == 1.0
    mean, err = figures.heatmap_data(summary, 100)
    assert mean.loc["toy (rho=0.9)", "true MI"] == 2.0
    assert err.loc["toy (rho=0.5)", "bad"] == pytest.approx(math.log(0.5))
    assert err.loc["toy (rho=0.5)", "good"] == pytest.approx(0.0)
    sc = figures.sample_complexity_data(summary)
    assert sc.loc["toy (rho=0.5)", "good"] == 100 and sc.loc["toy (rho=0.5)", "bad"] == 1000
    evt = figures.estimate_vs_true_data(summary).set_index(["n", "method", "task"])
    assert evt.loc[(100, "bad", "toy (rho=0.9)"), "mean"] == pytest.approx(1.0)   # 0.5 * 2
    assert evt.loc[(100, "bad", "toy (rho=0.9)"), "std"] == pytest.approx(math.sqrt(0.08))
    assert evt.loc[(1000, "good", "toy (rho=0.5)"), "true_mi"] == 1.0
    bias = figures.bias_vs_n_data(summary).set_index(["task", "method", "n"])
    assert bias.loc[("toy (rho=0.9)", "bad", 100), "bias"] == pytest.approx(-1.0)


def test_heatmap_cells_stay_short_for_diverged_means():
    assert figures.cell_text(0.4133) == "0.41" and figures.cell_text(-999.0) == "-999.00"
    assert figures.cell_text(-1.2838e36) == "-1.3e+36"


def test_sample_complexity_says_why_a_cell_is_empty():
    # 'bad' never run on task rho=0.9, every 'good' trial of rho=0.9 failed, and 'bad' on rho=0.5
    # is shifted out of the x1.5 band at every n: "not run", "failed" and "never" cells
    trials = synthetic_trials()
    trials = trials[~((trials["estimator"] == "bad") & (trials["scenario_params"] == '{"rho":0.9}'))]
    failed = (trials["estimator"] == "good") & (trials["scenario_params"] == '{"rho":0.9}')
    trials.loc[failed, ["status", "mi"]] = ["failed", np.nan]
    trials.loc[trials["estimator"] == "bad", "mi"] += 5.0
    fig = figures.plot_sample_complexity(add_labels(summarize(trials)))
    ax = fig.axes[0]
    labels = {(round(t.get_position()[1] - 0.5), round(t.get_position()[0] - 0.5)): t.get_text()
              for t in ax.texts if t.get_text() in ("never", "failed", "not run", "n/a")}
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text().replace("\n", "") for t in ax.get_xticklabels()]
    at = {(rows[i], cols[j]): v for (i, j), v in labels.items()}
    assert at == {("toy (rho=0.5)", "bad"): "never", ("toy (rho=0.9)", "bad"): "not run",
                  ("toy (rho=0.9)", "good"): "failed"}


def test_ceilings_drawn_only_where_they_can_bind():
    from mibench.analysis.metrics import bound_ceilings

    c = bound_ceilings(synthetic_trials())
    c["method"] = c["estimator"]
    drawn = figures.ceilings_to_draw(c, 100, top=2.0)
    assert [d[:3] for d in drawn] == [("ceiling", "bad", pytest.approx(math.log(8)))]  # 2.08 < 3
    # ln 100 = 4.6 > 1.5 x 2: drawn only on a taller axis
    assert ("log_n", "", pytest.approx(math.log(100)), "ln n = ln 100 (lower bounds)") in \
        figures.ceilings_to_draw(c, 100, top=4.0)
    assert figures.ceilings_to_draw(c, 100, top=1.0) == []
    # bounds evaluated on a 20-row test split are capped by ln 20 = 3.0, not ln 100
    t = synthetic_trials()
    t["info"] = [json.dumps(json.loads(i) | {"n_test": 20}) if "bound" in i else i for i in t["info"]]
    c = bound_ceilings(t)
    c["method"] = c["estimator"]
    assert ("log_n", "", pytest.approx(math.log(20)), "ln n_test = ln 20 (lower bounds)") in \
        figures.ceilings_to_draw(c, 100, top=2.0)


def test_estimate_vs_true_draws_sweeps_as_bands_and_shared_truths_as_error_bars():
    """A sweep (distinct true MIs) gets a line and a band; tasks sharing a true MI (as in bmi's
    suites) get one error bar each, not a zero-width band on a vertical line."""
    from matplotlib.collections import PolyCollection
    from matplotlib.container import ErrorbarContainer

    rows = [dict(task=f"t{i}", method="m", n=100, scenario="s", true_mi=1.0, mean=mean, std=0.1, ok=2)
            for i, mean in enumerate((1.0, 0.8, 0.1))]
    rows += [dict(task=f"u{i}", method="m", n=100, scenario="sweep", true_mi=t, mean=t, std=0.1, ok=2)
             for i, t in enumerate((0.2, 0.5))]
    ax = figures.plot_estimate_vs_true(pd.DataFrame(rows)).axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 1 and list(bars[0].lines[0].get_ydata()) == [1.0, 0.8, 0.1]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1  # the sweep's
    sweep = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [0.2, 0.5]]
    assert len(sweep) == 1
    # two methods at one true MI: their error bars sit side by side, not on top of each other
    two = pd.DataFrame([dict(r, method=m) for r in rows[:1] for m in ("m", "k")])
    bars = [c for c in figures.plot_estimate_vs_true(two).axes[0].containers
            if isinstance(c, ErrorbarContainer)]
    xs = [float(b.lines[0].get_xdata()[0]) for b in bars]
    assert len(xs) == 2 and xs[0] < 1.0 < xs[1] and xs[1] - xs[0] == pytest.approx(0.015)


def test_ceiling_lines_are_drawn(summary):
    """The ln(batch) ceiling of the lower bound is a horizontal line in the n = 100 panel."""
    from mibench.analysis.metrics import bound_ceilings

    c = bound_ceilings(synthetic_trials())
    c["method"] = c["estimator"]
    fig = figures.plot_estimate_vs_true(summary, c)
    flat = [ln for ln in fig.axes[0].get_lines() if len(set(ln.get_ydata())) == 1
            and ln.get_ydata()[0] == pytest.approx(math.log(8))]
    assert len(flat) == 1 and "own ceiling" in flat[0].get_label()


def test_methods_beyond_the_palette_differ_in_line_style():
    methods = [f"m{i}" for i in range(12)]
    pal, mk, ls = figures.method_styles(methods)
    assert pal["m10"] == pal["m0"] and ls["m10"] != ls["m0"]  # colour repeats, line does not
    assert len({(pal[m], mk[m], str(ls[m])) for m in methods}) == 12


def test_pdf_fonts_are_truetype(tmp_path):
    """PDFs embed TrueType (Type 42) fonts, not Type 3, which publishers' checks reject."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_xlabel("true MI [nats]")
    pdf = figures.save(fig, tmp_path / "f")[1].read_bytes()
    assert b"/Type3" not in pdf and b"/FontFile2" in pdf


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.links, self.tags = [], [], set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        for key in ("href", "src"):
            if key in a and tag != "img":
                self.links.append(a[key])


def test_full_report_files_and_standalone_html(tmp_path):
    paths = write_report(synthetic_trials(), tmp_path, {"store": "x.sqlite", "keys": []}, title="T")
    for name in ("summary.csv", "summary.md", "summary.tex", "paper_table.md", "paper_table.tex",
                 "report.html", "estimate_vs_true.png", "estimate_vs_true.pdf", "bias_vs_n.png",
                 "runtime_vs_n.pdf", "accuracy_vs_runtime.png", "heatmap_n100.png", "heatmap_n1000.pdf",
                 "sample_complexity.png", "coverage_vs_n.png", "coverage_vs_n.csv"):
        assert (tmp_path / name).stat().st_size > 0, name
    back = pd.read_csv(tmp_path / "summary.csv")
    assert back.loc[(back["estimator"] == "bad") & (back["n"] == 100), "bias"].tolist() == \
        pytest.approx([-0.5, -1.0])
    assert (tmp_path / "estimate_vs_true.pdf").read_bytes()[:4] == b"%PDF"
    page = paths["html"].read_text()
    p = _Collect()
    p.feed(page)
    assert len(p.imgs) >= 7
    for src in p.imgs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert p.links == [] and not ({"script", "link", "iframe"} & p.tags)
    assert "http://" not in page and "https://" not in page
    assert "<b>2.000</b>" in page  # true MI in bold in the paper table


def test_report_command_and_run_writes_report(toy_plugins, results_dir):
    run_dir = results_dir / "r"
    mibench.run("gaussian-correlated", {"rho": [0.3, 0.6]}, ["toy-pearson"], n=[100], seeds=2, out=run_dir)
    assert (run_dir / "report.html").exists() and (run_dir / "paper_table.tex").exists()
    other = results_dir / "again"
    assert main(["report", str(run_dir), "--out", str(other), "--no-figures"]) == 0
    md = (other / "paper_table.md").read_text()
    assert "**0.223**" in md and "toy-pearson" in md  # true MI of rho = 0.6 in bold
    assert main(["report", str(results_dir / "nothing")]) == 2


def test_report_of_failed_and_empty_runs(tmp_path):
    trials = synthetic_trials()
    trials = trials[trials["n"] == 100].assign(status="failed", mi=np.nan)
    paths = write_report(trials, tmp_path / "failed", {})
    assert "| toy (rho=0.5) | **1.000** | – | – |" in (tmp_path / "failed" / "paper_table.md").read_text()
    assert "estimate_vs_true.png" not in {p.name for p in paths.values()}  # nothing to draw
    empty = write_report(trials.iloc[:0], tmp_path / "empty", {})
    assert empty["html"].exists() and pd.read_csv(empty["summary"]).empty


def test_figure_records_each_fail_alone_and_compute_their_data_once(tmp_path, monkeypatch):
    """write_report draws the figure records: a record whose data raises is left out (logged) and
    the others are drawn; every record's data function runs once per figure drawn."""
    from mibench.analysis.reports import FIGURES, RECORDS, _records

    calls: dict[str, int] = {}

    def counted(record):
        def data(inp):
            calls[record.name] = calls.get(record.name, 0) + 1
            if record.name == "bias_vs_n":
                raise RuntimeError("a broken figure")
            return record.data(inp)
        return _records.FigureRecord(record.name, data, record.plot, record.caption, record.per_n,
                                     record.table)

    monkeypatch.setattr(_records, "RECORDS", [counted(r) for r in RECORDS])
    monkeypatch.setattr("mibench.analysis.reports.RECORDS", _records.RECORDS)
    paths = write_report(synthetic_trials(), tmp_path)
    assert "bias_vs_n.png" not in paths and not (tmp_path / "bias_vs_n.csv").exists()
    for name in ("estimate_vs_true", "runtime_vs_n", "heatmap_n100", "heatmap_n1000",
                 "calibration", "coverage_vs_nominal"):
        assert f"{name}.png" in paths and (tmp_path / f"{name}.csv").exists()
    assert calls["heatmap"] == 2 and all(v == 1 for k, v in calls.items() if k != "heatmap")
    assert set(calls) == set(FIGURES)
    assert "bias vs n" not in (tmp_path / "report.html").read_text()


def test_plots_draw_into_given_axes(summary):
    """Every plot function takes ``ax=``: one Axes, or one per panel."""
    plt = figures._plt()
    fig, ax = plt.subplots()
    assert figures.plot_runtime_vs_n(summary, ax=ax) is fig and ax.lines
    fig, axes = plt.subplots(1, 2)
    assert figures.plot_coverage_vs_n(summary, ax=axes) is fig and axes[1].lines
    with pytest.raises(ValueError, match="2 panel"):
        figures.plot_coverage_vs_n(summary, ax=ax)
    plt.close("all")
