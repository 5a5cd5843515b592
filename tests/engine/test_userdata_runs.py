"""User-data work (estimate, matrix) runs as trials of the one executor: the numbers of the code
before the change for the same seeds, whatever the executor; the store's resume; timeouts;
progress; the shared run options on the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mibench
from mibench.cli import main
from mibench.execution import dask_executor
from mibench.execution.options import Callbacks, RunOptions
from mibench.execution.store import Store
from tests.engine import _toys

#: mibench.estimate / mibench.mi_matrix on the data below, computed by the code before user-data
#: work ran through the executor (commit a72588c, its own process pool), same calls and seeds;
#: ``std`` and ``std_source`` since issue 15 are the estimators' own error bars (subsample,
#: analytic) instead of half-sampling: regenerated, every other value unchanged
REFERENCE = json.loads((Path(__file__).parent / "data" / "userdata_reference.json").read_text())
COLS = ["mi", "std", "p_value"]


def _data():
    rng = np.random.default_rng(20261204)
    n = 120
    z = rng.normal(size=n)
    x = np.c_[z + 0.5 * rng.normal(size=n), rng.normal(size=n)]
    y = z + 0.8 * rng.normal(size=n)
    d = rng.integers(0, 3, size=n).astype(float)
    return x, y, d


def _table():
    x, y, d = _data()
    return {"a": x[:, 0], "b": x[:, 1], "c": y, "d": d}


def _same(records, reference):
    assert len(records) == len(reference)
    for got, want in zip(records, reference, strict=True):
        for key, value in want.items():
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(got[key]), (key, got, want)
            else:
                assert got[key] == value, (key, got, want)  # exactly: same seeds, same numbers


def test_estimate_keeps_its_numbers():
    x, y, d = _data()
    df = mibench.estimate(x, y, ["ksg", "gaussian", "binning"], resamples=5, permutations=6, seed=3)
    # binning's default bins changed on purpose since (the defaults issue, a new binning version):
    # the other estimators' rows must be the old numbers
    keep = [i for i, r in enumerate(REFERENCE["estimate"]) if r["estimator"] != "binning"]
    _same([df.to_dict("records")[i] for i in keep], [REFERENCE["estimate"][i] for i in keep])
    df = mibench.estimate(x[:, 0], d, ["ksg-mixed"], resamples=4, permutations=5, seed=1)
    _same(df.to_dict("records"), REFERENCE["estimate_mixed"])


@pytest.mark.parametrize("options", [RunOptions(), RunOptions(jobs=2)], ids=["serial", "processes"])
def test_matrix_keeps_its_numbers_whatever_the_executor(options):
    m = mibench.mi_matrix(_table(), ["a", "b"], ["c", "d"], estimator="ksg", resamples=4,
                          permutations=5, seed=7, options=options)
    _same(m.pairs.to_dict("records"), REFERENCE["matrix"])
    if options.jobs == 1:
        m = mibench.mi_matrix(_table(), ["a", "b", "c"], estimator="gaussian", resamples=3, seed=2)
        _same(m.pairs.to_dict("records"), REFERENCE["matrix_latent"])


_BATCHES: list[int] = []
_run_batch = dask_executor._dask_batch


def _recording_batch(trials, *args):
    """The Dask task function, noting how many trials each task ran (in-process workers)."""
    _BATCHES.append(len(trials))
    return _run_batch(trials, *args)


def test_matrix_on_a_dask_cluster_keeps_its_numbers(results_dir, monkeypatch):
    distributed = pytest.importorskip("distributed")
    # count the trials per Dask task: short trials go several to a task once their time is known
    monkeypatch.setattr(dask_executor, "_dask_batch", _recording_batch)
    _BATCHES.clear()
    # in-process workers (threads); the user-data scenario reaches them scattered once
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        m = mibench.mi_matrix(_table(), ["a", "b"], ["c", "d"], estimator="ksg", resamples=4,
                              permutations=5, seed=7,
                              options=RunOptions(jobs=2, scheduler=cluster.scheduler_address))
    _same(m.pairs.to_dict("records"), REFERENCE["matrix"])
    assert sum(_BATCHES) == 24 and max(_BATCHES) > 1 and len(_BATCHES) < 24


def test_the_store_resumes_matrix_work(tmp_path):
    store = tmp_path / "s.sqlite"
    kw = dict(estimator="ksg", resamples=4, permutations=5, seed=7,
              options=RunOptions(store=store))
    counts = {"cached": 0, "new": 0, "total": 0}
    callbacks = Callbacks(on_plan=lambda t: counts.update(total=t),
                          on_cached=lambda k: counts.update(cached=counts["cached"] + k),
                          on_result=lambda row: counts.update(new=counts["new"] + 1))
    from mibench.userdata.columns import prepare
    from mibench.userdata.matrix import matrix_from_table

    table = prepare(pd.DataFrame(_table()), ["a", "b", "c", "d"])
    first = matrix_from_table(table, ["a", "b"], ["c", "d"], callbacks=callbacks, **kw)
    # ksg reports its own std: no half-samples, 1 estimate + 5 permutations per pair
    assert counts == {"cached": 0, "new": 4 * (1 + 5), "total": 24}
    with Store(store) as st:  # as if killed after 15 of the 24 estimates
        keys = list(st.load()["key"])
        st.delete(keys[15:])
    counts.update(cached=0, new=0)
    again = matrix_from_table(table, ["a", "b"], ["c", "d"], callbacks=callbacks, **kw)
    assert counts == {"cached": 15, "new": 9, "total": 24}
    pd.testing.assert_frame_equal(first.pairs.drop(columns="wall_s"), again.pairs.drop(columns="wall_s"))
    _same(again.pairs.to_dict("records"), REFERENCE["matrix"])


def test_a_timed_out_estimate_fails_its_pair_only(results_dir):
    _toys.register()
    try:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(50, 1))
        df = mibench.estimate(x, x + rng.normal(size=(50, 1)), [("toy", {}), ("toy", {"sleep": 30.0})],
                              resamples=0, options=RunOptions(timeout=2.0, jobs=2))
    finally:
        mibench.unregister("estimator", "toy")
    fast, slow = df.to_dict("records")
    assert fast["status"] == "ok" and np.isfinite(fast["mi"])
    assert slow["status"] == "failed" and "timed out" in slow["error"] and np.isnan(slow["mi"])


def test_cli_matrix_takes_the_run_options_and_resumes(results_dir, capsys):
    rng = np.random.default_rng(1)
    z = rng.normal(size=200)
    path = results_dir.parent / "d.csv"
    pd.DataFrame({"z0": z, "z1": z + rng.normal(size=200), "m": rng.normal(size=200)}).to_csv(path,
                                                                                             index=False)
    argv = ["matrix", str(path), "--rows", "z0,z1", "--cols", "m", "--estimator", "gaussian",
            "--resamples", "3", "--jobs", "1", "--executor", "serial", "--timeout", "60"]
    assert main(argv) == 0
    first = capsys.readouterr()
    assert "2/2 done (0 cached)" in first.err  # progress, as for `mibench run` (own std: no halves)
    assert (results_dir / "runs" / "store.sqlite").exists()  # the default store, as for run
    out = results_dir / "runs" / "matrix-d" / "mi.csv"
    written = out.read_text()
    with Store(results_dir / "runs" / "store.sqlite") as st:
        rows = len(st.load())
    assert main(argv) == 0  # a re-run recomputes nothing: same rows, same matrix
    assert "done" not in capsys.readouterr().err
    with Store(results_dir / "runs" / "store.sqlite") as st:
        assert len(st.load()) == rows == 2
    assert out.read_text() == written
    assert main(argv[:-2] + ["--timeout", "0"]) == 2
    assert "--timeout must be a positive number" in capsys.readouterr().err
