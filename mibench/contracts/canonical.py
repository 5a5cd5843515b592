"""Canonical JSON, stable hashes and seed streams: how parameters become keys (trial keys, cache
keys, labels) and how a base seed becomes independent streams.

Part of the contracts leaf: it imports nothing from the rest of mibench.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np


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
