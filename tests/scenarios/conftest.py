"""Scenario tests: keep Monte-Carlo ground-truth caches in a temporary directory."""

import pytest

from mibench.contracts import groundtruth as _groundtruth


@pytest.fixture(autouse=True, scope="session")
def _isolated_groundtruth_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("MIBENCH_CACHE_DIR", str(tmp_path_factory.mktemp("groundtruth")))
    _groundtruth.clear_memory_cache()
    yield
    mp.undo()
    _groundtruth.clear_memory_cache()
