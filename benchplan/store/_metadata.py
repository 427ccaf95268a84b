"""PersistentMetadata: ``RE.md`` kept in the document store's SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any, Optional, Union

from ._paths import default_store_path
from ._schema import connect

__all__ = ["PersistentMetadata"]


def _strict_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"a {type(obj).__name__} is not JSON")


class PersistentMetadata(MutableMapping):
    """A metadata mapping kept in the document store's file, for ``RE.md``.

    Every read and write goes to the file (table ``metadata``), so the values
    -- ``scan_id`` above all -- outlive the session and are shared by every
    process using the same file. Values are stored as JSON: tuples come back
    as lists, numpy values as numbers and lists.

    :meth:`next_scan_id` takes the next scan id atomically, so RunEngines in
    several processes sharing one file never hand out the same scan id. Give
    it to the RunEngine as its ``scan_id_source``.

    Parameters
    ----------
    path : str or path, optional
        The SQLite file; by default the default document store's file.

    Examples
    --------
    >>> from benchplan import RunEngine
    >>> from benchplan.store import PersistentMetadata
    >>> md = PersistentMetadata()
    >>> RE = RunEngine(md=md, scan_id_source=md.next_scan_id)  # doctest: +SKIP
    >>> md["operator"] = "ada"  # doctest: +SKIP
    >>> PersistentMetadata()["operator"]  # doctest: +SKIP
    'ada'
    """

    def __init__(self, path: Union[str, "os.PathLike[str]", None] = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        self._lock = threading.RLock()
        self._conn: Optional[sqlite3.Connection] = None
        self._pid = os.getpid()
        self._issued: Optional[int] = None  # the scan id next_scan_id wrote last

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._conn = connect(self.path)
        return self._conn

    def _encode(self, key: str, value: Any) -> str:
        try:
            return json.dumps(value, default=_strict_default)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"Cannot keep metadata {key!r} = {value!r:.80} in {os.fspath(self.path)!r}: "
                f"{exc}. Persistent metadata holds what JSON holds: numbers, strings, "
                "booleans, None, and lists and dicts of them."
            ) from exc

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            row = self._connection().execute(
                "SELECT value FROM metadata WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            raise KeyError(key)
        return json.loads(row[0])

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"Metadata keys must be strings, not {key!r}.")
        text = self._encode(key, value)
        with self._lock:
            if key == "scan_id" and self._issued is not None and value == self._issued:
                # The RunEngine writing back the id next_scan_id just stored: writing it
                # again could undo another process's newer id.
                self._issued = None
                return
            self._connection().execute(
                "INSERT OR REPLACE INTO metadata (key, value) VALUES (?, ?)", (key, text)
            )

    def __delitem__(self, key: str) -> None:
        with self._lock:
            cursor = self._connection().execute("DELETE FROM metadata WHERE key = ?", (key,))
        if cursor.rowcount == 0:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            keys = [row[0] for row in self._connection().execute(
                "SELECT key FROM metadata ORDER BY key")]
        return iter(keys)

    def __len__(self) -> int:
        with self._lock:
            return int(self._connection().execute("SELECT count(*) FROM metadata").fetchone()[0])

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return self._connection().execute(
                "SELECT 1 FROM metadata WHERE key = ?", (key,)
            ).fetchone() is not None

    def to_dict(self) -> dict[str, Any]:
        """All the metadata, read in one query."""
        with self._lock:
            rows = self._connection().execute("SELECT key, value FROM metadata ORDER BY key").fetchall()
        return {key: json.loads(text) for key, text in rows}

    def __repr__(self) -> str:
        return f"PersistentMetadata({os.fspath(self.path)!r}, {self.to_dict()!r})"

    def next_scan_id(self, md: Any = None) -> int:
        """Take the next scan id: ``scan_id + 1``, stored in the same transaction.

        The read, increment and write happen in one ``BEGIN IMMEDIATE``
        transaction, so no two callers -- in this process or another -- get
        the same id. The signature fits the RunEngine's ``scan_id_source``;
        ``md`` is ignored.

        Examples
        --------
        >>> from benchplan.store import PersistentMetadata
        >>> md = PersistentMetadata("runs.sqlite")  # doctest: +SKIP
        >>> md["scan_id"] = 41  # doctest: +SKIP
        >>> md.next_scan_id()  # doctest: +SKIP
        42
        """
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT value FROM metadata WHERE key = 'scan_id'").fetchone()
                current = json.loads(row[0]) if row is not None else 0
                try:
                    scan_id = int(current or 0) + 1
                except (TypeError, ValueError):
                    raise ValueError(
                        f"Cannot count up from scan_id {current!r} in {os.fspath(self.path)!r}: "
                        "it is not a whole number. Set md['scan_id'] to one."
                    ) from None
                conn.execute(
                    "INSERT OR REPLACE INTO metadata (key, value) VALUES ('scan_id', ?)",
                    (json.dumps(scan_id),),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self._issued = scan_id
            return scan_id

    def close(self) -> None:
        """Close the file; it is reopened if the mapping is used again."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
