"""Reading a document store: run summaries, documents, replay and export."""

from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import re
import sqlite3
import time as _time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Optional, Union

from event_model import unpack_event_page

__all__ = ["BATCHED", "RunKey", "RunSummary", "StoreReader", "parse_time"]

#: Documents the store writes in batches: consecutive ones of a run, kind and stream
#: share a row, as a JSON array. The value names the key of the parent document.
BATCHED = {
    "event": "descriptor",
    "event_page": "descriptor",
    "datum": "resource",
    "datum_page": "resource",
    "stream_datum": "stream_resource",
}

#: A run: its uid, a unique prefix of it, a negative index (-1: the last run, as a
#: str too, e.g. ``'-1'``) or, as an int >= 0, its scan_id (the latest run with it).
RunKey = Union[str, int]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_INDEX = re.compile(r"^-\d+$")
_CHUNK = 1000


@dataclass(frozen=True)
class RunSummary:
    """One run in the store, as :meth:`StoreReader.runs` lists it.

    ``exit_status`` is the stop document's (``'success'``, ``'abort'``,
    ``'fail'``), or ``'incomplete'`` when the run has no stop document: it is
    still running, or its process died. ``num_events`` counts the events of
    every stream; ``streams`` counts them stream by stream.

    Examples
    --------
    >>> from benchplan.store import RunSummary
    >>> RunSummary("1a2b", 7, "count", 0.0, "success", 5, {"primary": 5}).num_events
    5
    """

    uid: str
    scan_id: Optional[int]
    plan_name: Optional[str]
    time: float
    exit_status: str
    num_events: int
    streams: dict = field(default_factory=dict)
    reason: str = ""


def parse_time(value: Any) -> float:
    """A POSIX time from a number, a datetime, a date, or text.

    Text may be ISO 8601 (``'2024-05-01'``, ``'2024-05-01 14:30'``, local
    time unless it says its zone), ``'today'``, ``'yesterday'``, or an age:
    ``'30m'``, ``'2h'``, ``'3d'``, ``'1w'`` ago.

    Examples
    --------
    >>> from benchplan.store._reader import parse_time
    >>> parse_time(1700000000)
    1700000000.0
    >>> abs(parse_time("1h") - (__import__("time").time() - 3600)) < 5
    True
    """
    if isinstance(value, bool):
        raise TypeError(f"Cannot read a time from {value!r}: give a date, a datetime or a number.")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    if isinstance(value, _dt.date):
        return _dt.datetime.combine(value, _dt.time()).timestamp()
    text = str(value).strip().lower()
    today = _dt.datetime.combine(_dt.date.today(), _dt.time())
    if text == "today":
        return today.timestamp()
    if text == "yesterday":
        return (today - _dt.timedelta(days=1)).timestamp()
    match = _RELATIVE.match(text)
    if match:
        return _time.time() - float(match.group(1)) * _UNITS[match.group(2)]
    try:
        return _dt.datetime.fromisoformat(str(value).strip()).timestamp()
    except ValueError:
        raise ValueError(
            f"Cannot read a time from {value!r}: give a date or datetime such as "
            "'2024-05-01' or '2024-05-01 14:30', 'today', 'yesterday', or an age such as "
            "'30m', '2h', '3d', '1w'."
        ) from None


class StoreReader:
    """The reading half of :class:`DocumentStore`.

    Every method takes a run as a :data:`RunKey`: its uid, a unique prefix
    of it (``'1a2b'``), a negative index (``-1`` or ``'-1'``: the last run
    by start time) or, as an int >= 0, a scan_id. Documents come back as
    JSON gives them: tuples as lists, numpy values as numbers and lists.

    Examples
    --------
    >>> from benchplan.store import DocumentStore
    >>> store = DocumentStore("runs.sqlite")  # doctest: +SKIP
    >>> [run.plan_name for run in store.runs(exit_status="success")]  # doctest: +SKIP
    ['count', 'scan']
    >>> store.export_csv(-1, "last.csv")  # doctest: +SKIP
    5
    """

    path: Path

    def _reading(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    # -- runs -----------------------------------------------------------------------
    def runs(
        self,
        plan_name: Optional[str] = None,
        exit_status: Optional[str] = None,
        since: Any = None,
        until: Any = None,
        *,
        limit: Optional[int] = None,
        **md_filters: Any,
    ) -> list[RunSummary]:
        """The runs that match every filter given, oldest first.

        Parameters
        ----------
        plan_name : str, optional
            Runs of this plan.
        exit_status : str, optional
            ``'success'``, ``'abort'``, ``'fail'`` or ``'incomplete'`` (no stop document).
        since, until : date, datetime, float or str, optional
            Runs that started at or after ``since`` and before ``until``
            (see :func:`parse_time` for text).
        limit : int, optional
            Only the last ``limit`` runs that match.
        **md_filters
            Runs whose start document has these values, e.g. ``sample='Si'``.
        """
        where: list[str] = []
        params: list[Any] = []
        if plan_name is not None:
            where.append("plan_name = ?")
            params.append(plan_name)
        if exit_status == "incomplete":
            where.append("exit_status IS NULL")
        elif exit_status is not None:
            where.append("exit_status = ?")
            params.append(exit_status)
        if since is not None:
            where.append("time >= ?")
            params.append(parse_time(since))
        if until is not None:
            where.append("time < ?")
            params.append(parse_time(until))
        for key, value in md_filters.items():
            path = '$."' + key.replace('"', '\\"') + '"'
            if value is None:
                where.append("json_type(start, ?) = 'null'")
                params.append(path)
            elif isinstance(value, (list, tuple, dict)):
                where.append("json_extract(start, ?) = json(?)")
                params.extend((path, json.dumps(value)))
            else:
                where.append("json_extract(start, ?) = ?")
                params.extend((path, value))
        sql = "SELECT id, uid, scan_id, plan_name, time, exit_status, reason, num_events FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY time DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {max(int(limit), 0)}"
        with self._reading() as conn:
            rows = conn.execute(sql, params).fetchall()
            return [self._summary(conn, row) for row in reversed(rows)]

    def run(self, key: RunKey) -> RunSummary:
        """The summary of one run."""
        with self._reading() as conn:
            run_id, _ = self._resolve(conn, key)
            row = conn.execute(
                "SELECT id, uid, scan_id, plan_name, time, exit_status, reason, num_events "
                "FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            return self._summary(conn, row)

    def resolve(self, key: RunKey) -> str:
        """The full uid of a run given by uid prefix, negative index or scan_id."""
        with self._reading() as conn:
            return self._resolve(conn, key)[1]

    # -- documents ------------------------------------------------------------------
    def documents(self, key: RunKey) -> list[tuple[str, dict]]:
        """Every ``(name, doc)`` pair of a run, in the order they were emitted."""
        return list(self._docs(key))

    def replay(self, key: RunKey, callback: Callable[[str, dict], Any]) -> None:
        """Send a run's documents, in order, to ``callback(name, doc)``.

        Examples
        --------
        >>> from benchplan.callbacks import LiveTable
        >>> store.replay(-1, LiveTable(["det"]))  # doctest: +SKIP
        """
        for name, doc in self._docs(key):
            callback(name, doc)

    def events(self, key: RunKey, stream: str = "primary") -> list[dict]:
        """The events of one stream of a run, in order, event pages unpacked."""
        events: list[dict] = []
        for name, doc in self._docs(key, stream=stream):
            if name == "event_page":
                events.extend(unpack_event_page(doc))  # type: ignore[arg-type]
            else:
                events.append(doc)
        return events

    def descriptors(self, key: RunKey, stream: Optional[str] = None) -> list[dict]:
        """The descriptor documents of a run (of one stream, if ``stream`` is given)."""
        return [
            doc
            for name, doc in self._docs(key, names=("descriptor",))
            if stream is None or doc.get("name") == stream
        ]

    # -- export ---------------------------------------------------------------------
    def export_jsonl(self, key: RunKey, file: Union[str, "os.PathLike[str]", IO[str]]) -> int:
        """Write a run as JSON lines, ``[name, doc]`` each, as JSONLinesWriter does.

        ``file`` is a path or an open text file. Returns the number of documents.
        """
        with _open_text(file) as out:
            count = 0
            for name, n, text in self._stored_rows(key):
                if name in BATCHED:
                    for doc in json.loads(text):
                        out.write(json.dumps([name, doc]) + "\n")
                else:
                    out.write(f"[{json.dumps(name)}, {text}]\n")
                count += n
        return count

    def export_csv(
        self, key: RunKey, file: Union[str, "os.PathLike[str]", IO[str]], stream: str = "primary"
    ) -> int:
        """Write the events of one stream as CSV: ``seq_num``, ``time``, then each field.

        Numbers are written exactly (``repr``); arrays and other non-scalar
        values as JSON. Returns the number of rows.
        """
        uid = self.resolve(key)  # once: -1 must not move on to a run started meanwhile
        descriptors = self.descriptors(uid, stream)
        if not descriptors:
            with self._reading() as conn:
                names = [r[0] for r in conn.execute(
                    "SELECT DISTINCT s.name FROM streams s JOIN runs r ON r.id = s.run "
                    "WHERE r.uid = ? ORDER BY s.id", (uid,))]
            raise LookupError(
                f"Cannot export stream {stream!r} of run {uid}: the run has no such stream. "
                f"Its streams: {', '.join(map(repr, names)) or 'none'}."
            )
        fields: dict[str, None] = {}
        for desc in descriptors:
            fields.update(dict.fromkeys(desc.get("data_keys", {})))
        rows = 0
        with _open_text(file, newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["seq_num", "time", *fields])
            for event in self.events(uid, stream):
                data = event["data"]
                writer.writerow([event["seq_num"], repr(event["time"]),
                                 *(_cell(data.get(f)) for f in fields)])
                rows += 1
        return rows

    # -- internals ------------------------------------------------------------------
    def _resolve(self, conn: sqlite3.Connection, key: RunKey) -> tuple[int, str]:
        if isinstance(key, str) and _INDEX.match(key.strip()):
            key = int(key)
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise TypeError(
                f"Cannot find a run by {key!r}: give a uid or a prefix of it (str), a negative "
                "index (-1 is the last run) or a scan_id (int)."
            )
        if isinstance(key, int):
            if key < 0:
                row = conn.execute(
                    "SELECT id, uid FROM runs ORDER BY time DESC, id DESC LIMIT 1 OFFSET ?",
                    (-key - 1,),
                ).fetchone()
                if row is None:
                    total = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
                    raise LookupError(
                        f"Cannot find run {key} in {os.fspath(self.path)!r}: the store holds "
                        f"{total} run{'s' if total != 1 else ''}; -1 is the last."
                    )
                return row
            row = conn.execute(
                "SELECT id, uid FROM runs WHERE scan_id = ? ORDER BY time DESC, id DESC LIMIT 1",
                (key,),
            ).fetchone()
            if row is None:
                raise LookupError(
                    f"Cannot find a run with scan_id {key} in {os.fspath(self.path)!r}. "
                    "List the runs with `benchplan runs` or store.runs()."
                )
            return row
        prefix = key.strip()
        if not prefix:
            raise LookupError("Cannot find a run by an empty uid: give its first characters.")
        rows = conn.execute(
            "SELECT id, uid, scan_id, time FROM runs WHERE substr(uid, 1, ?) = ? "
            "ORDER BY time DESC LIMIT 6", (len(prefix), prefix)
        ).fetchall()
        exact = [r for r in rows if r[1] == prefix]
        if exact:
            return exact[0][0], exact[0][1]
        if not rows:
            raise LookupError(
                f"No run in {os.fspath(self.path)!r} has a uid starting with {prefix!r}. "
                "List the runs with `benchplan runs` or store.runs()."
            )
        if len(rows) > 1:
            shown = "; ".join(f"{r[1]} (scan {r[2]}, {_when(r[3])})" for r in rows[:5])
            more = " and more" if len(rows) > 5 else ""
            raise LookupError(
                f"The uid prefix {prefix!r} is ambiguous: it matches {shown}{more}. "
                "Give more characters of the uid."
            )
        return rows[0][0], rows[0][1]

    def _summary(self, conn: sqlite3.Connection, row: tuple) -> RunSummary:
        run_id, uid, scan_id, plan_name, start_time, exit_status, reason, num_events = row
        if exit_status is not None:
            streams = json.loads(num_events or "{}")
        else:
            streams = {}
            for stream, name, n, text in conn.execute(
                "SELECT s.name, d.name, sum(d.n), NULL FROM documents d JOIN streams s "
                "ON s.id = d.stream WHERE d.run = ? AND d.name = 'event' GROUP BY s.name "
                "UNION ALL SELECT s.name, d.name, 0, d.doc FROM documents d JOIN streams s "
                "ON s.id = d.stream WHERE d.run = ? AND d.name = 'event_page'",
                (run_id, run_id),
            ):
                if name == "event_page":
                    n = sum(len(page.get("seq_num", ())) for page in json.loads(text))
                streams[stream] = streams.get(stream, 0) + n
        return RunSummary(
            uid=uid,
            scan_id=scan_id,
            plan_name=plan_name,
            time=start_time,
            exit_status=exit_status or "incomplete",
            num_events=sum(int(v) for v in streams.values()),
            streams=streams,
            reason=reason or "",
        )

    def _stored_rows(
        self, key: RunKey, *, stream: Optional[str] = None, names: tuple = ()
    ) -> Iterator[tuple[str, int, str]]:
        """``(name, n, JSON text)`` of a run's rows in order, read a chunk at a time.

        With ``stream``, only the rows of that stream's events; with ``names``,
        only rows of those kinds.
        """
        with self._reading() as conn:
            run_id = self._resolve(conn, key)[0]
        sql = "SELECT seq, name, n, doc FROM documents WHERE run = ? AND seq > ?"
        params: tuple = (run_id,)
        if stream is not None:
            sql += " AND stream IN (SELECT id FROM streams WHERE run = ? AND name = ?)"
            params += (run_id, stream)
        if names:
            sql += f" AND name IN ({', '.join('?' * len(names))})"
            params += tuple(names)
        sql += " ORDER BY seq LIMIT ?"
        last = -1
        while True:
            with self._reading() as conn:
                rows = conn.execute(sql, (run_id, last, *params[1:], _CHUNK)).fetchall()
            for _, name, n, text in rows:
                yield name, n, text
            if len(rows) < _CHUNK:
                return
            last = rows[-1][0]

    def _docs(self, key: RunKey, *, stream: Optional[str] = None, names: tuple = ()
              ) -> Iterator[tuple[str, dict]]:
        """``(name, doc)`` of a run in order, batched rows unpacked."""
        for name, _, text in self._stored_rows(key, stream=stream, names=names):
            if name in BATCHED:
                for doc in json.loads(text):
                    yield name, doc
            else:
                yield name, json.loads(text)


def _when(timestamp: float) -> str:
    return _dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


class _open_text:
    """A path opened for writing text, or an open file passed through (not closed)."""

    def __init__(self, file: Any, newline: Optional[str] = None) -> None:
        self.file, self.newline, self.owned = file, newline, not hasattr(file, "write")

    def __enter__(self) -> IO[str]:
        if self.owned:
            self.handle = open(self.file, "w", encoding="utf-8", newline=self.newline)
            return self.handle
        return self.file  # type: ignore[no-any-return]

    def __exit__(self, *exc: Any) -> None:
        if self.owned:
            self.handle.close()
