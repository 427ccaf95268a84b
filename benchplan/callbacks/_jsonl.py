"""JSONLinesWriter: every document as one line of JSON, ``[name, doc]``."""

from __future__ import annotations

import json
import logging
import os
from enum import Enum
from pathlib import Path
from typing import IO, Any

import numpy as np

from ._core import RunIndex

__all__ = ["JSONLinesWriter"]

logger = logging.getLogger(__name__)


def _to_json(obj: Any) -> Any:
    """``default=`` for the JSON encoder: what json cannot write by itself.

    event-model's ``NumpyEncoder`` does the numpy part, but it tries to
    import dask on every call it gets, which costs tens of microseconds per
    document when dask is not installed; this does the same conversions
    without that.
    """
    if isinstance(obj, np.ndarray | np.generic):
        return obj.tolist()  # a scalar's tolist() is its Python value
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=repr)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


class _Sink:
    """An open output: the file, who closes it, and writes since the last flush."""

    __slots__ = ("file", "path", "owned", "runs", "pending")

    def __init__(self, file: IO[str], path: Path | None, owned: bool) -> None:
        self.file = file
        self.path = path
        self.owned = owned
        self.runs = 0  # runs open on this sink
        self.pending = 0


class JSONLinesWriter:
    """Write each document as one line of JSON, ``[name, doc]``.

    The format is suitcase-jsonl's, so the files load with the tools that
    read it; read one back with
    ``[json.loads(line) for line in open(path)]``.

    Parameters
    ----------
    target : str, path or text file
        A directory: each run goes to its own file in it, named by
        ``name_template`` (the run's start uid by default); the directory is
        made if needed. A path with a suffix (``'runs.jsonl'``): every run is
        appended to that file. An open text file (anything with ``write``):
        every run is written to it, and it is flushed but never closed. A
        path that does not exist yet is taken for a directory unless it has
        a suffix.
    flush_every : int, optional
        Flush after this many documents; 1 (the default) flushes after every
        document, 0 only at the end of each run. Each run's file is flushed
        and closed by its stop document.
    name_template : str, optional
        In directory mode, the file name of each run, formatted with the
        start document's fields, e.g. ``'{scan_id}-{uid:.8}.jsonl'``. An
        existing file is never overwritten.

    Examples
    --------
    >>> from benchplan.callbacks import JSONLinesWriter
    >>> RE(count([det], 5), JSONLinesWriter("data"))  # doctest: +SKIP
    """

    def __init__(
        self,
        target: str | os.PathLike[str] | IO[str],
        *,
        flush_every: int = 1,
        name_template: str = "{uid}.jsonl",
    ) -> None:
        if isinstance(flush_every, bool) or not isinstance(flush_every, int) or flush_every < 0:
            raise ValueError(
                f"Cannot make a JSONLinesWriter with flush_every={flush_every!r}: it "
                "must be a whole number of documents, 0 to flush only at the end "
                "of each run."
            )
        self._target = target
        self._flush_every = flush_every
        self._name_template = name_template
        self._encode = json.JSONEncoder(default=_to_json).encode
        self._index = RunIndex()
        self._sinks: dict[str, _Sink] = {}  # run uid -> sink
        self._shared: _Sink | None = None  # the single file, in single-file mode
        self._paths: list[Path] = []

    @property
    def paths(self) -> list[Path]:
        """The files written to so far, in the order they were first opened."""
        return list(self._paths)

    def __call__(self, name: str, doc: dict[str, Any]) -> None:
        """Write one document to the file of its run."""
        try:
            line = self._encode([name, doc])
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"JSONLinesWriter cannot write the {name!r} document "
                f"{doc.get('uid', '')!r}: {exc}. Documents may hold numbers, "
                "strings, lists, dicts and numpy values; convert other values "
                "in the device's read() or the metadata."
            ) from exc
        run = self._index.run_of(name, doc)
        if name == "start":
            try:
                sink: _Sink | None = self._open(doc)
            except Exception:
                self._index.forget(doc["uid"])
                raise
        else:
            sink = self._sinks.get(run) if run is not None else None
        if sink is None:
            logger.warning(
                "JSONLinesWriter dropped a %r document: it belongs to no run this "
                "writer saw start. Subscribe the writer before the run opens.",
                name,
            )
            return
        sink.file.write(line + "\n")
        sink.pending += 1
        if name == "stop":
            self._finish(doc["run_start"], sink)
        elif self._flush_every and sink.pending >= self._flush_every:
            sink.file.flush()
            sink.pending = 0

    def close(self) -> None:
        """Flush, and close, the files of runs that have not stopped.

        For when a document stream ends without its stop documents (a
        crashed process replayed from elsewhere); runs that stopped are
        closed already.
        """
        sinks = {id(sink): sink for sink in self._sinks.values()}
        for run in list(self._sinks):
            self._index.forget(run)
        self._sinks.clear()
        for sink in sinks.values():
            sink.runs = 0
            self._release(sink)

    def _open(self, start: dict[str, Any]) -> _Sink:
        target = self._target
        if hasattr(target, "write"):
            if self._shared is None:
                self._shared = _Sink(target, None, owned=False)  # type: ignore[arg-type]
            sink = self._shared
        else:
            path = Path(target)
            if path.is_dir() or not path.suffix:
                sink = self._open_run_file(path, start)
            else:
                if self._shared is None:
                    self._shared = self._open_file(path, "a")
                sink = self._shared
        sink.runs += 1
        self._sinks[start["uid"]] = sink
        return sink

    def _open_run_file(self, directory: Path, start: dict[str, Any]) -> _Sink:
        try:
            name = self._name_template.format(**start)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"JSONLinesWriter cannot name the file of run {start['uid']!r} with "
                f"name_template={self._name_template!r}: {exc!r}. Use fields every "
                "start document has, such as '{uid}'."
            ) from exc
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        try:
            return self._open_file(path, "x")
        except FileExistsError as exc:
            raise FileExistsError(
                f"JSONLinesWriter will not overwrite {str(path)!r} for run "
                f"{start['uid']!r}. Move the file away or choose a name_template "
                "that includes '{uid}'."
            ) from exc

    def _open_file(self, path: Path, mode: str) -> _Sink:
        file = open(path, mode, encoding="utf-8")  # noqa: SIM115 -- closed at stop
        if path not in self._paths:
            self._paths.append(path)
        logger.info("JSONLinesWriter writing documents to %s", path)
        return _Sink(file, path, owned=True)

    def _finish(self, run: str, sink: _Sink) -> None:
        self._sinks.pop(run, None)
        self._index.forget(run)
        sink.runs -= 1
        if sink.runs > 0:  # another run still writes to this file
            sink.file.flush()
            sink.pending = 0
        else:
            self._release(sink)

    def _release(self, sink: _Sink) -> None:
        sink.pending = 0
        if not sink.owned:
            sink.file.flush()
            return
        sink.file.close()
        if sink is self._shared:
            self._shared = None
