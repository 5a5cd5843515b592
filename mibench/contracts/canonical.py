"""Canonical JSON, stable hashes and seed streams: how parameters become keys (trial keys, cache
keys, labels) and how a base seed becomes independent streams.

Part of the contracts leaf: it imports nothing from the rest of mibench.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from mibench.contracts.errors import InputError


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_jsonable)


def _jsonable(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return repr(obj)


def stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def seed_sequence(seed: int, spawn_key: tuple[int, ...]) -> np.random.SeedSequence:
    """The seed stream ``spawn_key`` of a base seed: independent of every other key."""
    return np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in spawn_key))


def seed_int(seq: np.random.SeedSequence) -> int:
    """A non-negative 31-bit int seed drawn from a seed stream (what estimators receive)."""
    return int(seq.generate_state(1, dtype=np.uint32)[0] >> 1)


# --------------------------------------------------------------------------- labels and settings
def params_label(params: dict | str | None, sep: str = ", ", *, repr_values: bool = False) -> str:
    """The one label of a set of parameters: ``{"rho": 0.6, "d": 2}`` or its JSON text ->
    ``"rho=0.6, d=2"`` ('' for none; text that is not JSON is returned as it is). ``repr_values``
    shows values as Python does (``kind='auto'``), for reprs."""
    if isinstance(params, str) or params is None:
        try:
            params = json.loads(params) if params else {}
        except (TypeError, ValueError):
            return str(params)
    show = repr if repr_values else str
    return sep.join(f"{k}={show(v)}" for k, v in params.items())


def spec_label(name: str, params: dict | str | None) -> str:
    """``name:key=value:key=value``, the CLI's form of a configured plugin (``ksg:k=5``), which
    :func:`parse_params` with ``sep=":"`` reads back."""
    shown = params_label(params, ":")
    return f"{name}:{shown}" if shown else name


def parse_params(text, sep: str = ";", *, what: str | None = None,
                 form: str | None = None) -> dict[str, str]:
    """The one key=value parser: ``"rho=0.6;dim_x=3"`` -> ``{"rho": "0.6", "dim_x": "3"}``.

    ``text`` is settings separated by ``sep`` (``;`` in a scenario's ``base_params``, ``:`` in an
    estimator spec such as ``ksg:k=5``), a list of settings (each ``key=value``; a later key
    replaces an earlier one), a dict (copied) or None/'' (``{}``). Keys and values are stripped;
    values stay strings: the registry converts each to its parameter's type when the plugin is
    made. A setting without ``=`` or with an empty key is an InputError naming ``what`` (default:
    the text) and the expected ``form``.
    """
    if text is None:
        return {}
    if isinstance(text, dict):
        return dict(text)
    items = str(text).split(sep) if isinstance(text, str) else [str(t) for t in text]
    form = form or f"key=value{sep}key=value"
    out: dict[str, str] = {}
    for item in items:
        if not item.strip():
            continue
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise InputError(f"{what or repr(text)}: expected {form}")
        out[key.strip()] = value.strip()
    return out
