import os
import stat

import pytest

from mibench.contracts.files import atomic_write_text


def test_atomic_write_follows_umask_and_replaces(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "sub" / "a.csv"
        atomic_write_text(path, "x\n1\n")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's 0600
        atomic_write_text(path, "x\n2\n")
        assert path.read_text() == "x\n2\n"
    finally:
        os.umask(old)
    assert [p.name for p in path.parent.iterdir()] == ["a.csv"]  # no temporary left behind


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write_text(path, "old")
    with pytest.raises(TypeError):
        atomic_write_text(path, 123)  # not text: fails while writing the temporary file
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
