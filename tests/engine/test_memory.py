"""Per-trial memory: mem_base_mb is the resident size right before estimate(), and the summary's
mem_increase_mb (peak - base) measures what the estimate call itself allocated."""

import math
import sqlite3

import pytest

import mibench
from mibench.analysis.metrics import summarize
from mibench.execution.store import Store
from mibench.execution.trial import current_memory_mb, reset_peak_memory
from tests.engine._toys import ToyEstimator

needs_proc = pytest.mark.skipif(
    math.isnan(current_memory_mb()) or not reset_peak_memory(),
    reason="needs /proc/self/status and a resettable peak (/proc/self/clear_refs)")


@pytest.fixture
def toy():
    mibench.register("estimator", "toy-mem", ToyEstimator)
    yield
    mibench.unregister("estimator", "toy-mem")


@needs_proc
def test_mem_increase_sees_what_estimate_allocates(toy, results_dir, tmp_path):
    # serial, in this process: the toy touches an 80 MiB block inside _estimate; the other
    # allocates nothing beyond a few small arrays. The peak's baseline (interpreter, numpy,
    # pytest: >50 MiB) is the same for both, so only the difference from mem_base_mb separates
    # them. Bounds: allocator and page-table noise is a few MiB, far inside 60-120 and < 20.
    df = mibench.run("gaussian-correlated", {"rho": [0.5]},
                     [("toy-mem", {"alloc_mb": 80}), ("toy-mem", {})], n=[500], seeds=2,
                     jobs=1, store=tmp_path / "s.sqlite")
    assert set(df["status"]) == {"ok"}
    assert (df["mem_base_mb"] > 50).all() and (df["peak_mem_mb"] >= df["mem_base_mb"]).all()
    s = summarize(df).set_index("estimator_params")
    assert 60 <= s.loc['{"alloc_mb":80}', "mem_increase_mb"] <= 120
    assert s.loc["{}", "mem_increase_mb"] < 20
    # peak_mem_mb keeps its meaning: the whole process's peak, baseline included
    assert s.loc["{}", "peak_mem_mb"] > 50
    with Store(tmp_path / "s.sqlite") as st:  # stored and read back as a float column
        assert st.load()["mem_base_mb"].notna().all()


def test_old_store_gains_the_column_and_summarises_to_nan(tmp_path):
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)  # the trials table as written before mem_base_mb existed
    con.execute("CREATE TABLE trials (key TEXT PRIMARY KEY, scenario TEXT NOT NULL, "
                "scenario_params TEXT NOT NULL, estimator TEXT NOT NULL, estimator_params TEXT NOT NULL, "
                "n INTEGER NOT NULL, seed INTEGER NOT NULL, true_mi REAL, true_mi_stderr REAL, mi REAL, "
                "std REAL, status TEXT NOT NULL, error TEXT, wall_s REAL, cpu_s REAL, peak_mem_mb REAL)")
    con.execute("INSERT INTO trials VALUES ('k', 's', '{}', 'e', '{}', 100, 0, 1.0, 0.0, 1.1, NULL, "
                "'ok', '', 0.1, 0.1, 200.0)")
    con.commit()
    con.close()
    with Store(path) as st:
        df = st.load()
    assert "mem_base_mb" in df and math.isnan(df["mem_base_mb"].iloc[0])
    r = summarize(df).iloc[0]
    assert r["peak_mem_mb"] == 200.0 and math.isnan(r["mem_increase_mb"])
