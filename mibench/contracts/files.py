"""Writing files so that a crash or an error never leaves one half-written.

Text is written to a temporary file in the target folder and moved into place with
``os.replace``. ``tempfile.mkstemp`` creates files readable by the owner only (0600), so the
permissions are reset to what a plain ``open()`` would give under the current umask.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mibench.contracts.errors import InputError


def new_file_mode() -> int:
    """Permissions of a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def stage_text(folder: Path, name: str, text: str) -> str:
    """Write ``text`` to a temporary file in ``folder`` (ordinary permissions); return its path.
    The caller moves it into place with ``os.replace`` (or removes it)."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, new_file_mode())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write one file atomically, creating its folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = stage_text(path.parent, path.name, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def prepare_dir(path: str | Path, what: str = "out") -> Path:
    """Create the output folder ``path`` (and its parents) before any work starts and check that
    it can be written; raise InputError naming ``what`` when it is a file, lies under a file or is
    not writable, so a run never computes its trials and then fails to save its report."""
    path = Path(path)
    blocker = file_in_path(path)
    if blocker is not None:
        where = "is a file" if blocker == path else f"is under {str(blocker)!r}, which is a file"
        raise InputError(f"{what}={str(path)!r} {where}, not a folder; choose a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{what}={str(path)!r}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"{what}={str(path)!r}: the folder is not writable")
    return path


def file_in_path(path: Path) -> Path | None:
    """The first of ``path`` and its parents that exists and is not a folder, if any."""
    return next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
