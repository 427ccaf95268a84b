"""DocumentStore: every document in one SQLite file, written as it is emitted.

How documents reach the disk
----------------------------
``start``, ``descriptor``, ``stop`` and resource documents are committed at
once, each in its own transaction, with whatever was queued before them.
Events (and event pages, datums) are encoded to JSON as they arrive -- so
what is stored is the document as it was emitted -- and queued in memory;
a small background thread commits the queue in one short transaction
``commit_interval`` seconds (0.05 s by default) after its first document
arrived, or the writing thread does at once when 4 MB are queued. A process
killed with SIGKILL therefore loses at most the documents of the last
``commit_interval`` seconds, which for steps longer than that is at most the
step in flight. ``commit_interval=0`` commits every document, in the
RunEngine's thread, at several times the cost (see ``benchmarks/bench_store.py``).

Consecutive events of a stream share a row (a JSON array), written into one
of two reused buffers, so queueing allocates little; the background thread
also checkpoints the WAL, so the fsync that involves stays out of the
RunEngine's thread.

The file is in WAL mode with ``synchronous=NORMAL``: a commit survives the
process being killed (not a power cut in the same instant), readers never
block the writer, and several processes write to one file, each waiting its
turn (``busy_timeout``) for transactions that last a few milliseconds.
"""

from __future__ import annotations

import atexit
import io
import itertools
import json
import logging
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Optional, Union

from ._encoding import batch_encoder, encode_for_queries, encoder
from ._paths import default_store_path, store_enabled
from ._reader import BATCHED, StoreReader
from ._schema import connect, transaction

__all__ = ["DocumentStore", "default_store"]

logger = logging.getLogger("benchplan.store")

_INSERT_DOC = "INSERT INTO documents (run, name, stream, n, doc) VALUES (?, ?, ?, ?, ?)"
_MAX_PENDING = 1 << 22  # bytes of JSON queued; more are committed at once, however young
_CHECKPOINT = 1 << 22  # bytes committed before the background thread checkpoints the WAL
_NO_PARENT = (None, None)
_CLOSED = (None, "closed")  # the parent of no segment: no document's parent is this object
_SKIP_PARENT = (None, "skip")  # the parent of the documents of a run not stored again


class DocumentStore(StoreReader):
    """Keep every document in one SQLite file, and find runs again.

    A callable subscriber ``store(name, doc)``: subscribe it to a RunEngine
    and every document is written as it is emitted. It is safe to share
    between RunEngines, threads and processes writing to the same file. The
    reading methods (:meth:`runs`, :meth:`documents`, :meth:`replay`,
    :meth:`export_jsonl`, :meth:`export_csv`, ...) are described under
    :class:`StoreReader`.

    Parameters
    ----------
    path : str or path, optional
        The SQLite file, made with its folder when first written. Default:
        ``documents.sqlite`` in the data folder (``$BENCHPLAN_DATA_DIR``, or
        the platform's user data folder).
    commit_interval : float, optional
        The longest time, in seconds, an event waits in memory before it is
        committed (default 0.05). 0 commits every document.

    Examples
    --------
    >>> from benchplan.store import DocumentStore
    >>> store = DocumentStore("runs.sqlite")  # doctest: +SKIP
    >>> RE.subscribe(store)  # doctest: +SKIP
    >>> RE(count([det], 5))  # doctest: +SKIP
    >>> store.runs()[-1].num_events  # doctest: +SKIP
    5
    """

    def __init__(self, path: Union[str, "os.PathLike[str]", None] = None, *,
                 commit_interval: float = 0.05) -> None:
        if isinstance(commit_interval, bool) or not isinstance(commit_interval, (int, float)) \
                or not commit_interval >= 0:
            raise ValueError(
                f"Cannot make a DocumentStore with commit_interval={commit_interval!r}: it must "
                "be a number of seconds >= 0 (0 commits every document)."
            )
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        self.commit_interval = float(commit_interval)
        self._encode = encoder()
        self._encode_batched = batch_encoder()
        self._setup()
        _LIVE.add(self)

    def _setup(self) -> None:
        # _lock guards the queue and the run bookkeeping; _commit_lock the connection
        # and the order of commits. Take _lock first when taking both.
        self._lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._read_lock = threading.RLock()
        self._checkpoint_lock = threading.Lock()
        self._conn: Optional[sqlite3.Connection] = None
        self._read_conn: Optional[sqlite3.Connection] = None
        self._checkpointer: Optional[sqlite3.Connection] = None  # the background thread's
        # The queue: JSON arrays of consecutive batched documents of one kind and parent
        # written back to back into _out; _segments locates the finished ones. Two
        # buffers take turns, and are reused, so queueing allocates nothing large.
        self._out, self._spare = io.BytesIO(), io.BytesIO()
        self._segments: list[tuple] = []  # (run, name, stream, count, start, end)
        self._parent: tuple = _CLOSED  # (run id, stream id) of the open segment
        self._limit = _MAX_PENDING if self.commit_interval else 0  # bytes queued before a commit
        self._name = ""  # document name of the open segment
        self._count = 0  # documents in the open segment
        self._start = 0  # where the open segment starts in _out
        self._retry: list[tuple] = []  # rows of a failed commit, written first next time
        self._run_ids: dict[str, int] = {}  # start uid -> runs.id, for runs open here
        # descriptor, resource uid -> (run id, stream id): one tuple per parent
        self._parents: dict[str, tuple] = {}
        self._children: dict[int, list[str]] = {}  # runs.id -> its keys in _parents
        self._skip_ids = itertools.count(-1, -1)  # negative run ids: runs not stored again
        self._wake = threading.Event()
        self._flusher: Optional[threading.Thread] = None
        self._failures = 0
        self._unchecked = 0  # bytes committed since the last checkpoint
        self._last: Any = None  # the last document stored

    def __repr__(self) -> str:
        return f"DocumentStore({os.fspath(self.path)!r})"

    # -- writing ------------------------------------------------------------------
    def __call__(self, name: str, doc: dict) -> None:
        """Store one document (the subscriber interface)."""
        if doc is self._last:
            return  # the same document again: the store is subscribed twice
        self._last = doc
        key = BATCHED.get(name)
        if key is None:
            self._store_now(name, doc)
            return
        parent = self._parents.get(doc[key], _NO_PARENT)
        if parent is _SKIP_PARENT:
            return  # a run already in the store
        data = self._encode_batched(name, doc)
        with self._lock:
            if parent is self._parent and name == self._name:
                out = self._out
                out.write(b",")
                out.write(data)
                self._count += 1
                if out.tell() < self._limit:
                    return
            elif self._open_segment(parent, name, data):
                return
        self._commit()

    def _open_segment(self, parent: tuple, name: str, data: bytes) -> bool:
        """Under _lock: start a new segment with ``data``; False if a commit is due now."""
        self._end_segment()
        out = self._out
        self._parent, self._name, self._start = parent, name, out.tell()
        out.write(b"[")
        out.write(data)
        self._count = 1
        if not self._limit:
            return False
        if not self._segments:  # nothing else queued: the background thread commits it
            self._wake_flusher()
        return out.tell() < self._limit

    def _end_segment(self) -> None:
        if self._count:
            self._out.write(b"]")
            run, stream = self._parent
            self._segments.append((run, self._name, stream, self._count, self._start, self._out.tell()))
            self._count = 0
        self._parent = _CLOSED

    def _take_locked(self) -> list[tuple]:
        """Under _lock and _commit_lock: the queued rows; the queue starts anew."""
        self._end_segment()
        rows, self._retry = self._retry, []
        if self._segments:
            out = self._out
            view = out.getbuffer()
            try:
                rows += [(run, name, stream, count, str(view[start:end], "utf-8"))
                         for run, name, stream, count, start, end in self._segments]
            finally:
                view.release()
            self._unchecked += out.tell()
            out.seek(0)
            self._segments = []
            self._out, self._spare = self._spare, out
        return rows

    def _commit(self, structure: Optional[Callable[[sqlite3.Connection], None]] = None,
                name: str = "event") -> None:
        """Write the queue, and then ``structure(conn)``, in one transaction."""
        rows: list[tuple] = []
        with self._lock:
            self._commit_lock.acquire()  # in order: after any commit of older documents
            try:
                rows = self._take_locked()
                if not rows and structure is None:
                    self._commit_lock.release()
                    return
                if structure is not None:  # the bookkeeping is under _lock
                    conn = self._connection()
                    with transaction(conn, self.path, name):
                        conn.executemany(_INSERT_DOC, rows)
                        structure(conn)
                    self._commit_lock.release()
                    return
            except BaseException:
                if structure is not None and rows:
                    self._retry = rows + self._retry
                self._commit_lock.release()
                raise
        try:  # the queue is free again: documents arriving meanwhile are not held up
            conn = self._connection()
            with transaction(conn, self.path, rows[-1][1]):
                conn.executemany(_INSERT_DOC, rows)
        except BaseException:
            with self._lock:
                self._retry = rows + self._retry
            raise
        finally:
            self._commit_lock.release()

    def flush(self) -> None:
        """Commit the documents still queued in memory."""
        self._commit()

    def close(self) -> None:
        """Commit what is queued and close the file; the store reopens it if used again."""
        self._commit()
        with self._commit_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        with self._checkpoint_lock:
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None
        with self._read_lock:
            if self._read_conn is not None:
                self._read_conn.close()
                self._read_conn = None

    def __enter__(self) -> "DocumentStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = connect(self.path)
            if self.commit_interval:
                # The background thread copies the WAL into the database (a checkpoint,
                # with an fsync) so that commits made by the RunEngine's thread do not.
                conn.execute("PRAGMA wal_autocheckpoint=0")
            self._conn = conn
        return self._conn

    def _store_now(self, name: str, doc: dict) -> None:
        """A start, descriptor, stop, resource or unknown document: committed at once."""
        text = self._encode(doc)

        def structure(conn: sqlite3.Connection) -> None:
            run = self._write_structure(conn, name, doc)
            if run is None or run >= 0:
                conn.execute(_INSERT_DOC, (run, name, None, 1, text))

        self._commit(structure, name)

    def _write_structure(self, conn: sqlite3.Connection, name: str, doc: dict) -> Optional[int]:
        """Record what the document says about runs and streams; return its run id."""
        run: Optional[int]
        if name == "start":
            uid = doc["uid"]
            if conn.execute("SELECT 1 FROM runs WHERE uid = ?", (uid,)).fetchone():
                logger.warning("Run %s is in %s already; its documents are not stored again.",
                               uid, self.path)
                skip = self._run_ids[uid] = next(self._skip_ids)
                self._children[skip] = []
                return skip
            run = conn.execute(
                "INSERT INTO runs (uid, scan_id, plan_name, time, start) VALUES (?, ?, ?, ?, ?)",
                (uid, _int_or_none(doc.get("scan_id")), _str_or_none(doc.get("plan_name")),
                 float(doc["time"]), encode_for_queries(doc)),
            ).lastrowid
            assert run is not None
            self._run_ids[uid] = run
            self._children[run] = []
            return run
        if name == "stop":
            run = self._run_ids.pop(doc["run_start"], None)
            for key in self._children.pop(run, []) if run is not None else ():
                self._parents.pop(key, None)
            if run is not None and run < 0:
                return run
            conn.execute(
                "UPDATE runs SET exit_status = ?, reason = ?, stop_time = ?, num_events = ? "
                "WHERE uid = ?",
                (str(doc.get("exit_status")), doc.get("reason") or "", doc.get("time"),
                 json.dumps(doc.get("num_events") or {}), doc["run_start"]),
            )
            return run
        owner = doc.get("run_start")
        if owner is None and name in ("resource", "stream_resource") and len(self._run_ids) == 1:
            owner = next(iter(self._run_ids))  # old resources do not name their run
        run = self._run_ids.get(owner) if owner is not None else None
        if run is None or "uid" not in doc:
            return run
        stream = None
        if name == "descriptor" and run >= 0:
            stream = conn.execute(
                "INSERT INTO streams (descriptor, run, name) VALUES (?, ?, ?)",
                (doc["uid"], run, str(doc.get("name", "primary"))),
            ).lastrowid
        self._parents[doc["uid"]] = (run, stream) if run >= 0 else _SKIP_PARENT
        self._children.setdefault(run, []).append(doc["uid"])
        return run

    # -- the background thread ----------------------------------------------------
    def _wake_flusher(self) -> None:
        if self._flusher is None or not self._flusher.is_alive():
            self._flusher = threading.Thread(
                target=_flusher_main, args=(weakref.ref(self), self._wake),
                name=f"benchplan-store-{self.path.name}", daemon=True,
            )
            self._flusher.start()
        self._wake.set()

    def _background_commit(self) -> float:
        """Commit from the background thread; return how long to wait before the next try."""
        self._wake.clear()
        try:
            self._commit()
        except sqlite3.Error:
            self._failures += 1
            logger.exception("The document store could not commit to %s; it will retry.", self.path)
            self._wake.set()
            return min(5.0, 0.5 * self._failures)
        self._failures = 0
        if self._unchecked > _CHECKPOINT:
            self._unchecked = 0
            with self._checkpoint_lock:  # concurrent commits go on meanwhile
                try:
                    if self._checkpointer is None:
                        self._checkpointer = connect(self.path)
                    self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    logger.warning("Could not checkpoint %s; SQLite will do it later.",
                                   self.path, exc_info=True)
        return self.commit_interval

    # -- reading ------------------------------------------------------------------
    def _reading(self) -> "_Reading":
        return _Reading(self)

    def _after_fork(self) -> None:
        # A connection must not cross fork(): the child drops the parent's (unclosed:
        # closing it could release locks the parent holds) and its queued documents.
        _ABANDONED.extend(
            c for c in (self._conn, self._read_conn, self._checkpointer) if c is not None
        )
        self._setup()


class _Reading:
    """``with store._reading() as conn``: the queue committed, the read connection locked."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        store = self.store
        if store._count or store._segments or store._retry:
            store.flush()
        store._read_lock.acquire()
        if store._read_conn is None:
            try:
                store._read_conn = connect(store.path)
            except BaseException:
                store._read_lock.release()
                raise
        return store._read_conn

    def __exit__(self, *exc: Any) -> None:
        self.store._read_lock.release()


def _int_or_none(value: Any) -> Optional[int]:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _str_or_none(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _flusher_main(ref: "weakref.ref[DocumentStore]", wake: threading.Event) -> None:
    while True:
        if not wake.wait(timeout=5.0):
            if ref() is None:
                return
            continue
        store = ref()
        if store is None:
            return
        time.sleep(store.commit_interval)
        delay = store._background_commit()
        del store
        if delay > 0.05:
            time.sleep(delay)


_LIVE: "weakref.WeakSet[DocumentStore]" = weakref.WeakSet()
_ABANDONED: list = []
_DEFAULT: dict[Path, DocumentStore] = {}
_DEFAULT_LOCK = threading.Lock()


def _flush_all() -> None:
    for store in list(_LIVE):
        try:
            store.flush()
        except Exception:  # pragma: no cover - at exit, nothing more can be done
            logger.exception("Could not commit the last documents to %s", store.path)


def _after_fork_in_child() -> None:
    global _DEFAULT_LOCK
    _DEFAULT_LOCK = threading.Lock()
    for store in list(_LIVE):
        store._after_fork()


atexit.register(_flush_all)
os.register_at_fork(after_in_child=_after_fork_in_child)


def default_store() -> Optional[DocumentStore]:
    """The process-wide store at the default path, or None when ``$BENCHPLAN_STORE=off``.

    The same object for every caller while the default path stays the same
    (it follows ``$BENCHPLAN_DATA_DIR`` and ``$BENCHPLAN_STORE``); nothing is
    opened until the first document.

    Examples
    --------
    >>> from benchplan.store import default_store
    >>> store = default_store()
    >>> store is default_store()
    True
    """
    if not store_enabled():
        return None
    path = default_store_path()
    with _DEFAULT_LOCK:
        store = _DEFAULT.get(path)
        if store is None:
            store = _DEFAULT[path] = DocumentStore(path)
        return store


