"""The estimators the user-data commands use when the user names none, read from
``defaults.toml`` beside this module (data, not code: the engine names no estimator)."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources


@functools.cache
def defaults() -> dict:
    return tomllib.loads((resources.files("mibench.userdata") / "defaults.toml").read_text())


def by_kinds(section: str) -> dict[tuple[str, str], list[str]]:
    """``{(kind, kind): [names]}`` of a section keyed by kinds (sorted kinds, as ``_kinds_key``)."""
    return {tuple(sorted(key.split("-"))): list(names) for key, names in defaults()[section].items()}
