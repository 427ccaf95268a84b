"""The document store's file: its tables, and opening it safely."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

__all__ = ["BUSY_TIMEOUT", "SCHEMA_VERSION", "connect", "transaction"]

SCHEMA_VERSION = 1
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another process's transaction

_SCHEMA = (
    # seq is the order of emission; run is runs.id; stream is streams.id for events.
    # A row of a batched kind (events, datums) holds a JSON array of n documents.
    "CREATE TABLE IF NOT EXISTS documents (seq INTEGER PRIMARY KEY, run INTEGER, "
    "name TEXT NOT NULL, stream INTEGER, n INTEGER NOT NULL, doc TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS documents_run ON documents(run, seq)",
    # exit_status is NULL until the stop document is stored: an incomplete run.
    "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, "
    "scan_id INTEGER, plan_name TEXT, time REAL NOT NULL, exit_status TEXT, reason TEXT, "
    "stop_time REAL, num_events TEXT, start TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS runs_time ON runs(time)",
    "CREATE TABLE IF NOT EXISTS streams (id INTEGER PRIMARY KEY, descriptor TEXT NOT NULL "
    "UNIQUE, run INTEGER NOT NULL, name TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS streams_run ON streams(run)",
    "CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

_TABLES = frozenset({"documents", "runs", "streams", "metadata"})

def connect(path: Path) -> sqlite3.Connection:
    """Open (and make, if needed) the store file: WAL mode, busy timeout, schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        os.fspath(path), timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
    )
    try:
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:  # switching to WAL can be refused while another process opens the file
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        conn.execute("PRAGMA synchronous=NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"the file was written by a newer benchplan (schema {version}; this one "
                f"reads schema {SCHEMA_VERSION}): upgrade benchplan to read it"
            )
        if version < SCHEMA_VERSION:
            conn.execute("BEGIN IMMEDIATE")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables - _TABLES:
                conn.execute("ROLLBACK")
                raise sqlite3.DatabaseError(
                    "it is an SQLite file of another program (it has the tables "
                    f"{', '.join(sorted(tables - _TABLES))}), not a benchplan document store"
                )
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise type(exc)(
            f"Cannot open the document store {os.fspath(path)!r}: {exc}. Give another "
            "path, or move the file away to start a new store."
        ) from exc
    return conn


class transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error, with an error naming the file."""

    def __init__(self, conn: sqlite3.Connection, path: Path, name: str) -> None:
        self.conn, self.path, self.name = conn, path, name

    def __enter__(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._raise(exc)

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is None:
            try:
                self.conn.execute("COMMIT")
                return
            except sqlite3.Error as err:
                exc = err
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            self._raise(exc)

    def _raise(self, exc: sqlite3.Error) -> None:
        raise type(exc)(
            f"Cannot store the {self.name!r} document in {os.fspath(self.path)!r}: {exc}. "
            "Check that the disk has room and the file is writable; another process "
            f"holding the file longer than {BUSY_TIMEOUT:g} s also causes this."
        ) from exc


