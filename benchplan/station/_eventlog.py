"""The station event log: what happened on a bench, in one SQLite file; and the session
outcomes recorded when a process ends (SIGTERM, interpreter exit).

Every station writes to ``<data folder>/stations.sqlite``: sessions starting and
ending (with their outcome), instruments connected and released, changes to the
station's configuration, settings made from other processes, observations, and
the documents of every run of an attached RunEngine. Rows are queued in memory and
written by a background thread in one short transaction every ``commit_interval``
seconds (so a document costs the RunEngine a list append); :meth:`EventLog.flush`
waits for them. The file is in WAL mode with a ``busy_timeout``, like the document
store, so several processes write to it and readers never block writers.
"""

from __future__ import annotations

import atexit
import collections
import dataclasses
import json
import logging
import os
import signal
import socket
import sqlite3
import sys
import threading
import time
import uuid
import warnings
from math import isfinite
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Mapping, Optional, Union

from .._paths import data_dir as shared_data_dir
from .._procs import pid_alive

__all__ = [
    "EVENT_TYPES", "LOG_FILE", "EventLog", "StationEvent", "check_types", "config_changes",
    "data_dir", "outcome_of", "read_events", "register_session", "unregister_session",
]

logger = logging.getLogger(__name__)

#: The kinds of event in the log.
EVENT_TYPES = (
    "session_start", "session_end", "configuration", "connected", "released",
    "setting", "observation", "document",
)

#: The event log's file, in the data folder.
LOG_FILE = "stations.sqlite"
BUSY_TIMEOUT = 30.0
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS station_events (id INTEGER PRIMARY KEY, time REAL NOT NULL, "
    "station TEXT NOT NULL, session TEXT NOT NULL, type TEXT NOT NULL, role TEXT, key TEXT, "
    "uid TEXT, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS station_events_type ON station_events(station, type, id)",
    "CREATE INDEX IF NOT EXISTS station_events_session ON station_events(station, session, id)",
    "CREATE INDEX IF NOT EXISTS station_events_uid ON station_events(uid) WHERE uid IS NOT NULL",
)
_INSERT = ("INSERT INTO station_events (time, station, session, type, role, key, uid, data) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_COLUMNS = "id, time, station, session, type, role, key, uid, data"

Strings = Union[str, Collection[str], None]


@dataclasses.dataclass(frozen=True)
class StationEvent:
    """One entry of the station event log.

    Attributes
    ----------
    id : int
        Its place in the log file (increasing).
    time : float
        When it happened (seconds since the epoch).
    station, session : str
        The station's name and the session (one ``connect``) that wrote it.
    type : str
        One of ``session_start``, ``session_end``, ``configuration``, ``connected``,
        ``released``, ``setting``, ``observation``, ``document``.
    role : str or None
        The role it concerns, if any.
    key : str or None
        The document name (``start``, ``event`` ...), the observed channel, or the
        signal that was set.
    uid : str or None
        A reference other records can point to (every event but documents has one).
    data : dict
        The details; for a document, the document itself.
    """

    id: int
    time: float
    station: str
    session: str
    type: str
    role: Optional[str]
    key: Optional[str]
    uid: Optional[str]
    data: dict

    @property
    def ref(self) -> Optional[str]:
        """The reference other records use for this event (its uid)."""
        return self.uid


def _default(obj: Any) -> Any:
    tolist = getattr(obj, "tolist", None)
    if tolist is not None:
        return tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    return repr(obj)


_careful = json.JSONEncoder(default=_default, separators=(",", ":")).encode


def _encoder() -> Callable[[Any], str]:
    """orjson when installed (several times faster on an event), unless a float is not
    finite (orjson would write null; :mod:`json` keeps NaN)."""
    try:
        import orjson
    except ImportError:
        return _careful
    dumps, option = orjson.dumps, orjson.OPT_SERIALIZE_NUMPY

    def encode(doc: Any) -> str:
        try:
            readings = doc.get("data") if isinstance(doc, dict) else None
            if isinstance(readings, dict) and isfinite(sum(readings.values(), 0.0)):
                return dumps(doc, default=_default, option=option).decode()
        except (TypeError, ValueError):
            pass
        return _careful(doc)

    return encode


_encode = _encoder()


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, check_same_thread=False,
                           isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    for statement in _SCHEMA:
        conn.execute(statement)
    return conn


def _as_set(value: Strings) -> Optional[frozenset]:
    if value is None:
        return None
    return frozenset([value] if isinstance(value, str) else value)


def _where(station: str, event_type: Strings, role: Strings, key: Strings, session: Optional[str],
           uid: Optional[str], after: Optional[int]) -> tuple[str, list[Any]]:
    clauses, args = ["station = ?"], [station]  # type: list[str], list[Any]
    for column, value in (("type", event_type), ("role", role), ("key", key)):
        values = _as_set(value)
        if values is not None:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            args.extend(sorted(values))
    for column, value in (("session", session), ("uid", uid)):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    if after is not None:
        clauses.append("id > ?")
        args.append(after)
    return " AND ".join(clauses), args


def _row(row: tuple) -> StationEvent:
    return StationEvent(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                        json.loads(row[8]))


def read_events(path: Path, station: str, *, event_type: Strings = None, role: Strings = None,
                key: Strings = None, session: Optional[str] = None, uid: Optional[str] = None,
                after: Optional[int] = None, limit: Optional[int] = None,
                conn: Optional[sqlite3.Connection] = None) -> list[StationEvent]:
    """The events of ``station`` in the log file ``path`` matching every filter given, oldest
    first (``limit``: only the newest ``limit`` of them)."""
    if conn is None and not path.exists():
        return []
    own = conn is None
    conn = conn or _open(path)
    try:
        where, args = _where(station, event_type, role, key, session, uid, after)
        if limit is None:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM station_events WHERE {where} ORDER BY id",
                                args).fetchall()
        else:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM station_events WHERE {where} "
                                "ORDER BY id DESC LIMIT ?", [*args, int(limit)]).fetchall()[::-1]
    finally:
        if own:
            conn.close()
    return [_row(r) for r in rows]


class _Subscriber:
    __slots__ = ("callback", "types", "roles", "session")

    def __init__(self, callback: Callable[[StationEvent], Any], types: Strings, roles: Strings,
                 session: Optional[str]) -> None:
        self.callback = callback
        self.types = _as_set(types)
        self.roles = _as_set(roles)
        self.session = session

    def wants(self, event: StationEvent) -> bool:
        return ((self.types is None or event.type in self.types)
                and (self.roles is None or event.role in self.roles)
                and (self.session is None or event.session == self.session))


class EventLog:
    """The writer of one station session's events (and reader of the whole log).

    Parameters
    ----------
    path : Path
        The SQLite file.
    station, session : str
        Written into every row.
    commit_interval : float
        Seconds queued rows wait, so that a run's events are written together.
    """

    def __init__(self, path: Path, station: str, session: str, *,
                 commit_interval: float = 0.05) -> None:
        self.path = Path(path)
        self.station = station
        self.session = session
        self.commit_interval = commit_interval
        self._pending: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self._issued = 0
        self._written = 0
        self._written_cond = threading.Condition()
        self._wake = threading.Event()
        self._urgent = threading.Event()
        self._closing = False
        self._dispatch = threading.RLock()  # held while writing + pushing, and while replaying
        self._subscribers: list[_Subscriber] = []
        self._conn: Optional[sqlite3.Connection] = None
        self._read_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ---------------------------------------------------------------------
    def open(self) -> EventLog:
        """Open the file (made if needed) and start the writer thread."""
        self._conn = _open(self.path)
        self._thread = threading.Thread(target=self._run, name="benchplan-station-log", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Write what is queued, stop the writer thread and close the file."""
        if self._thread is None:
            return
        self._closing = True
        self._urgent.set()
        self._wake.set()
        self._thread.join(BUSY_TIMEOUT + 5)
        self._thread = None
        with self._read_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def is_open(self) -> bool:
        """True between :meth:`open` and :meth:`close`."""
        return self._thread is not None

    # -- writing -----------------------------------------------------------------------
    def append(self, event_type: str, *, role: Optional[str] = None, key: Optional[str] = None,
               data: Any = None, uid: Optional[str] = None, session: Optional[str] = None,
               when: Optional[float] = None) -> None:
        """Queue one event (written within ``commit_interval`` s; :meth:`flush` to wait)."""
        item = (time.time() if when is None else when, session or self.session, event_type,
                role, key, uid, {} if data is None else data)
        with self._lock:
            self._issued += 1
            self._pending.append(item)
        if not self._wake.is_set():
            self._wake.set()

    def flush(self, timeout: float = BUSY_TIMEOUT) -> None:
        """Wait until every event queued so far is written (and pushed to subscribers)."""
        if self._thread is None or self._thread is threading.current_thread():
            return
        target = self._issued
        self._urgent.set()
        self._wake.set()
        with self._written_cond:
            if not self._written_cond.wait_for(lambda: self._written >= target, timeout):
                logger.warning("The station event log did not write its queue within %g s", timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if not self._closing and not self._urgent.is_set():
                self._urgent.wait(self.commit_interval)
            self._wake.clear()
            self._urgent.clear()
            with self._lock:
                batch = list(self._pending)
                self._pending.clear()
            if batch:
                try:
                    self._write(batch)
                except Exception:
                    logger.exception("Could not write %d station events to %s", len(batch),
                                     self.path)
            with self._written_cond:
                self._written += len(batch)
                self._written_cond.notify_all()
            if self._closing and not self._pending:
                return

    def _write(self, batch: list[tuple]) -> None:
        conn = self._conn
        assert conn is not None
        station = self.station
        with self._dispatch:
            rows = [(t, station, s, ty, r, k, u, _encode(d)) for t, s, ty, r, k, u, d in batch]
            with self._read_lock:
                conn.execute("BEGIN IMMEDIATE")  # no other writer until COMMIT: ids are consecutive
                try:
                    conn.executemany(_INSERT, rows)
                    last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            subscribers = self._subscribers
            if not subscribers:
                return
            for rowid, (t, s, ty, r, k, u, d) in enumerate(batch, last - len(batch) + 1):
                event = StationEvent(rowid, t, station, s, ty, r, k, u, d)
                for sub in subscribers:
                    if sub.wants(event):
                        _call(sub.callback, event)

    # -- reading and subscribing ---------------------------------------------------------
    def query(self, **filters: Any) -> list[StationEvent]:
        """:func:`read_events` on this log's file and station."""
        with self._read_lock:
            if self._conn is not None:
                return read_events(self.path, self.station, conn=self._conn, **filters)
        return read_events(self.path, self.station, **filters)

    def subscribe(self, callback: Callable[[StationEvent], Any], *, event_type: Strings = None,
                  role: Strings = None, session: Optional[str] = None) -> Callable[[], None]:
        """Replay the matching events already written, then push new ones from this process.

        Returns a function that ends the subscription.
        """
        if not callable(callback):
            raise TypeError(f"Cannot subscribe {callback!r} to the station event log: "
                            "it is not callable.")
        sub = _Subscriber(callback, event_type, role, session)
        self.flush()
        with self._dispatch:
            for event in self.query(event_type=event_type, role=role, session=session):
                _call(callback, event)
            self._subscribers = [*self._subscribers, sub]

        def unsubscribe() -> None:
            with self._dispatch:
                self._subscribers = [s for s in self._subscribers if s is not sub]

        return unsubscribe

    def close_lost_sessions(self) -> None:
        """Record 'lost' as the outcome of this station's sessions, on this host, whose process
        ended without recording one (killed, or the machine stopped)."""
        host = socket.gethostname()
        for event in self._unfinished_sessions():
            pid = event.data.get("pid")
            if event.data.get("host") != host or not isinstance(pid, int) or pid_alive(pid):
                continue
            self.append("session_end", session=event.session, uid=str(uuid.uuid4()), data={
                "outcome": "lost", "reason": f"process {pid} ended without recording an outcome "
                "(killed, or the machine stopped)", "duration": None})

    def _unfinished_sessions(self) -> Iterable[StationEvent]:
        with self._read_lock:
            conn = self._conn
            assert conn is not None
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM station_events AS s WHERE station = ? AND "
                "type = 'session_start' AND session != ? AND NOT EXISTS (SELECT 1 FROM "
                "station_events AS e WHERE e.station = s.station AND e.session = s.session "
                "AND e.type = 'session_end')", (self.station, self.session)).fetchall()
        return [_row(r) for r in rows]


def data_dir(override: Union[str, Path, None] = None) -> Path:
    """The benchplan data folder: ``override``, else :func:`benchplan._paths.data_dir`."""
    if override is not None:
        return Path(override).expanduser()
    return shared_data_dir()


def config_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What changed between two station-file summaries: added, removed and changed roles."""
    changed = {}
    for role in old.keys() & new.keys():
        fields = {f: [old[role].get(f), new[role].get(f)]
                  for f in sorted(old[role].keys() | new[role].keys())
                  if old[role].get(f) != new[role].get(f)}
        if fields:
            changed[role] = fields
    added, removed = sorted(new.keys() - old.keys()), sorted(old.keys() - new.keys())
    if not (changed or added or removed):
        return {}
    return {"added": added, "removed": removed, "changed": changed}


def outcome_of(exc: Optional[BaseException], terminated: Optional[str] = None) -> tuple[str, str]:
    """``(outcome, reason)`` of a session ending with ``exc`` (None: no exception)."""
    from benchplan.errors import RunEngineInterrupted

    if terminated:
        return "terminated", terminated
    if exc is None or (isinstance(exc, SystemExit) and exc.code in (0, None)):
        return "passed", ""
    if isinstance(exc, KeyboardInterrupt):
        return "terminated", "KeyboardInterrupt (Ctrl+C)"
    if isinstance(exc, RunEngineInterrupted):
        return "terminated", str(exc).split("\n", 1)[0]
    if isinstance(exc, SystemExit):
        return "errored", f"SystemExit({exc.code!r})"
    return "errored", f"{type(exc).__name__}: {exc}"


def check_types(event_type: Strings) -> None:
    """Raise ValueError naming the first event type that is not one of :data:`EVENT_TYPES`."""
    types = [event_type] if isinstance(event_type, str) else list(event_type or [])
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"Unknown station event type {unknown[0]!r}; expected one of "
                         f"{', '.join(EVENT_TYPES)}.")


def _call(callback: Callable[[StationEvent], Any], event: StationEvent) -> None:
    try:
        callback(event)
    except Exception:
        logger.exception("A station event subscriber (%r) raised; ignored", callback)


# -- sessions ending with the process: SIGTERM and interpreter exit ----------------------

_live: list[Any] = []  # the running stations
_live_lock = threading.Lock()
_atexit_registered = False


def _on_sigterm(signum: int, frame: Any) -> None:
    name = signal.Signals(signum).name
    with _live_lock:
        stations = list(_live)
    for station in stations:
        station.terminate(name)
    raise SystemExit(128 + signum)


def register_session(station: Any) -> None:
    """Note a started station: stopped at exit, terminated on SIGTERM (in the main thread)."""
    global _atexit_registered
    with _live_lock:
        _live.append(station)
        if not _atexit_registered:
            _atexit_registered = bool(atexit.register(_stop_all_at_exit))
    _swap_sigterm(signal.SIG_DFL, _on_sigterm)


def unregister_session(station: Any) -> None:
    """Forget a stopped station; the last one puts the default SIGTERM handler back."""
    with _live_lock:
        if station in _live:
            _live.remove(station)
        if _live:
            return
    _swap_sigterm(_on_sigterm, signal.SIG_DFL)


def _swap_sigterm(expected: Any, new: Any) -> None:
    """Install ``new`` as the SIGTERM handler if ``expected`` is the current one (main thread)."""
    if threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGTERM) is expected:
        signal.signal(signal.SIGTERM, new)


def _stop_all_at_exit() -> None:
    with _live_lock:
        stations = list(_live)
    interactive = hasattr(sys, "ps1")
    failure = None if interactive else getattr(sys, "last_exc", getattr(sys, "last_value", None))
    for station in stations:
        outcome, reason = station.outcome_of(failure)
        try:
            station.stop(outcome, reason or "the interpreter exited without stop()")
        except Exception:
            logger.exception("Could not stop station %r at exit", station.name)
