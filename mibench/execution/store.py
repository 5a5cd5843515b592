"""The result store: one SQLite row per trial, written as each trial finishes.

Rows are keyed by the trial's content hash, so re-running recomputes nothing that is stored and
a killed run resumes. Each row is committed in its own transaction (WAL journal; rows copied to
new keys by ``copy_rows`` in one transaction per batch), so a crash at any moment leaves a
consistent database without duplicates.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

COLUMNS = {
    "key": "TEXT PRIMARY KEY",
    "scenario": "TEXT NOT NULL",
    "scenario_params": "TEXT NOT NULL",
    "estimator": "TEXT NOT NULL",
    "estimator_params": "TEXT NOT NULL",
    "n": "INTEGER NOT NULL",
    "seed": "INTEGER NOT NULL",
    "true_mi": "REAL",
    "true_mi_stderr": "REAL",
    "mi": "REAL",
    "std": "REAL",
    "status": "TEXT NOT NULL",
    "error": "TEXT",
    "wall_s": "REAL",
    "cpu_s": "REAL",
    "peak_mem_mb": "REAL",
    "mem_base_mb": "REAL",
    "threads": "INTEGER",
    "info": "TEXT",
    "version": "TEXT",
    "finished_at": "REAL",
}


class Store:
    """SQLite-backed trial store. ``Store(path)`` creates the file and table if needed."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")
        cols = ", ".join(f"{name} {decl}" for name, decl in COLUMNS.items())
        self._con.execute(f"CREATE TABLE IF NOT EXISTS trials ({cols})")
        present = {r[1] for r in self._con.execute("PRAGMA table_info(trials)")}
        for name, decl in COLUMNS.items():  # forward-compatible: add columns a newer version knows
            if name not in present:
                self._con.execute(f"ALTER TABLE trials ADD COLUMN {name} {decl.replace('PRIMARY KEY', '')}")

    def close(self) -> None:
        self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def put(self, row: dict) -> None:
        """Insert or replace one trial row, committed at once."""
        names = [c for c in COLUMNS if c in row]
        sql = (f"INSERT OR REPLACE INTO trials ({', '.join(names)}) "
               f"VALUES ({', '.join('?' for _ in names)})")
        self._con.execute(sql, [_plain(row[c]) for c in names])

    def statuses(self, keys: Iterable[str]) -> dict[str, str]:
        """Status of each stored key among ``keys`` (missing keys are absent)."""
        keys = list(keys)
        out: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = f"SELECT key, status FROM trials WHERE key IN ({', '.join('?' for _ in chunk)})"
            out.update(dict(self._con.execute(q, chunk).fetchall()))
        return out

    def copy_rows(self, pairs: Iterable[tuple[str, str, str]]) -> None:
        """Store each row ``old_key`` again under ``new_key`` with ``estimator_params`` replaced,
        for (old_key, new_key, estimator_params) triples, in one transaction; a new key already
        stored is left as it is. The old rows stay (older run folders list their keys)."""
        cols = [r[1] for r in self._con.execute("PRAGMA table_info(trials)")]
        select = ", ".join("?" if c in ("key", "estimator_params") else c for c in cols)
        sql = (f"INSERT OR IGNORE INTO trials ({', '.join(cols)}) "
               f"SELECT {select} FROM trials WHERE key = ?")
        order = [c for c in cols if c in ("key", "estimator_params")]
        args = [[new if c == "key" else params for c in order] + [old] for old, new, params in pairs]
        with self._con:
            self._con.execute("BEGIN")
            self._con.executemany(sql, args)

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            self._con.execute(f"DELETE FROM trials WHERE key IN ({', '.join('?' for _ in chunk)})", chunk)

    def load(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Trials as a DataFrame (all of them, or those with the given keys)."""
        if keys is None:
            return _typed(pd.read_sql_query("SELECT * FROM trials", self._con))
        keys = list(dict.fromkeys(keys))  # a key listed twice is one row
        frames = []
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = f"SELECT * FROM trials WHERE key IN ({', '.join('?' for _ in chunk)})"
            frames.append(pd.read_sql_query(q, self._con, params=chunk))
        if not frames:
            return _typed(pd.DataFrame(columns=list(COLUMNS)))
        return _typed(pd.concat(frames, ignore_index=True))

    def count(self) -> int:
        return int(self._con.execute("SELECT COUNT(*) FROM trials").fetchone()[0])


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """REAL columns as float64 (SQLite stores NaN as NULL, which would read back as None)."""
    for name, decl in COLUMNS.items():
        if name in df.columns and decl.startswith("REAL"):
            df[name] = pd.to_numeric(df[name], errors="coerce").astype("float64")
    return df


def _plain(v):
    if hasattr(v, "item"):
        return v.item()
    return v
