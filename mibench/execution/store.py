"""The result store: one SQLite row per trial, written as each trial finishes.

Rows are keyed by the trial's content hash, so re-running recomputes nothing that is stored and
a killed run resumes. Each row is committed in its own transaction (WAL journal), so a crash at
any moment leaves a consistent database without duplicates.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from mibench.contracts import InputError
from mibench.contracts.files import file_in_path

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
        self._con = None
        blocker = file_in_path(self.path.parent)
        if blocker is not None:
            raise InputError(f"store={str(self.path)!r} is under {str(blocker)!r}, which is a file, "
                             "not a folder")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"store={str(self.path)!r}: cannot create its folder "
                             f"({exc.strerror or exc})") from None
        if self.path.is_dir():
            raise InputError(f"store={str(self.path)!r} is a folder; give a file name such as "
                             f"{str(self.path / 'store.sqlite')!r}")
        try:
            self._con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=NORMAL")
            cols = ", ".join(f"{name} {decl}" for name, decl in COLUMNS.items())
            self._con.execute(f"CREATE TABLE IF NOT EXISTS trials ({cols})")
            self._con.execute("CREATE TABLE IF NOT EXISTS leases "
                              "(key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL)")
            present = {r[1] for r in self._con.execute("PRAGMA table_info(trials)")}
        except sqlite3.DatabaseError as exc:
            self.close()
            raise InputError(f"store={str(self.path)!r} cannot be opened as a mibench store "
                             f"(SQLite: {exc}); give another --store file") from None
        for name, decl in COLUMNS.items():  # forward-compatible: add columns a newer version knows
            if name not in present:
                self._con.execute(f"ALTER TABLE trials ADD COLUMN {name} {decl.replace('PRIMARY KEY', '')}")

    def close(self) -> None:
        if self._con is not None:
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

    # ------------------------------------------------------------------ leases
    # A run claims the trials it is about to compute (a lease with an expiry, renewed while it
    # works), so concurrent runs on one store share the work instead of computing every trial
    # twice. A run killed at any moment leaves leases behind: those of a process on this host
    # that no longer exists lapse at once (see ``owner_is_gone``); any other lapses at its expiry
    # (another host's run, e.g. a shared store on a network file system, cannot be looked at).

    def claim(self, keys: Iterable[str], owner: str, ttl: float, limit: int | None = None) -> list[str]:
        """Lease those of ``keys`` that no other owner holds (or whose lease has lapsed) to
        ``owner`` for ``ttl`` seconds, atomically, at most ``limit`` of them; returns the keys
        claimed, in order."""
        keys = list(keys)
        now = time.time()
        with self._con:
            self._con.execute("BEGIN IMMEDIATE")
            held = self._holders(keys, owner, now)
            got = [k for k in keys if k not in held][:limit]
            self._con.executemany("INSERT OR REPLACE INTO leases (key, owner, expires) VALUES (?, ?, ?)",
                                  [(k, owner, now + ttl) for k in got])
        return got

    def renew(self, owner: str, ttl: float) -> None:
        """Extend every lease ``owner`` holds by ``ttl`` seconds from now."""
        self._con.execute("UPDATE leases SET expires = ? WHERE owner = ?", (time.time() + ttl, owner))

    def release(self, keys: Iterable[str], owner: str) -> None:
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ", ".join("?" for _ in chunk)
            self._con.execute(f"DELETE FROM leases WHERE owner = ? AND key IN ({marks})", [owner, *chunk])

    def held_by_others(self, keys: Iterable[str], owner: str) -> dict[str, str]:
        """Those of ``keys`` leased to another owner and not lapsed, each with its owner."""
        return self._holders(list(keys), owner, time.time())

    def _holders(self, keys: list[str], owner: str, now: float) -> dict[str, str]:
        """Key -> owner of the leases on ``keys`` that another owner holds and that have not
        lapsed: not expired, and not held by a process of this host that is gone."""
        out: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = (f"SELECT key, owner FROM leases WHERE key IN ({', '.join('?' for _ in chunk)}) "
                 "AND owner != ? AND expires > ?")
            out.update(self._con.execute(q, [*chunk, owner, now]).fetchall())
        # one look per distinct owner (none when no other run holds anything)
        gone = {o for o in set(out.values()) if owner_is_gone(o)}
        return {k: o for k, o in out.items() if o not in gone} if gone else out

    def count(self) -> int:
        return int(self._con.execute("SELECT COUNT(*) FROM trials").fetchone()[0])


def lease_owner(tag: str) -> str:
    """The lease owner name of this process: ``HOST:PID:TAG`` (``owner_is_gone`` reads it)."""
    return f"{socket.gethostname()}:{os.getpid()}:{tag}"


def owner_is_gone(owner: str) -> bool:
    """Whether ``owner`` (a :func:`lease_owner` name) is a process of this host that no longer
    exists, so its leases lapse at once. False for other hosts' owners, names of another form,
    and on Windows (where ``os.kill`` would end the process): their leases lapse at expiry.
    A pid reused since by another process counts as alive (the lease then lapses at expiry)."""
    host, sep, rest = owner.partition(":")
    pid_text, sep2, _ = rest.partition(":")
    if not (sep and sep2 and pid_text.isdigit()) or os.name == "nt" or host != socket.gethostname():
        return False
    pid = int(pid_text)
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it exists under another user (or we cannot tell): alive
        return False
    return False


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
