"""Control endpoints: a Unix-domain socket per RunEngine (or paused script), readable only
by its owner, and the registry that ``benchplan ps`` lists.

Protocol: one JSON object per line. A request is ``{"op": NAME, ...}``; the answer is
``{"success": bool, "msg": str, ...}``. No network listener is ever opened.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import socket
import stat
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, Union

from .._procs import pid_alive

__all__ = [
    "ControlServer",
    "Handler",
    "endpoint_dir",
    "list_endpoints",
    "program_name",
    "read_entry",
]

logger = logging.getLogger("benchplan.control")

Answer = dict[str, Any]
#: A request handler: gets the request and the stream pair; returns the answer
#: (or None when it has taken over the connection, e.g. a console).
Handler = Callable[
    [dict[str, Any], asyncio.StreamReader, asyncio.StreamWriter], Awaitable[Optional[Answer]]
]

_counter = itertools.count(1)
_MAX_LINE = 1 << 20


def endpoint_dir() -> Path:
    """The owner-only folder holding the sockets and their registry entries.

    ``BENCHPLAN_RUNTIME_DIR`` overrides it; by default it is the user runtime
    folder from platformdirs (``$XDG_RUNTIME_DIR/benchplan``).
    """
    override = os.environ.get("BENCHPLAN_RUNTIME_DIR")
    if override:
        base = Path(override)
    else:
        import platformdirs

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            base = Path(platformdirs.user_runtime_dir("benchplan"))
    folder = base / "control"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        folder = Path(tempfile.gettempdir()) / f"benchplan-{os.getuid()}" / "control"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in (folder.parent, folder):
        if path.stat().st_uid == os.getuid():
            os.chmod(path, stat.S_IRWXU)
    return folder


def program_name() -> str:
    """A short name for this process's program (the script, or 'python')."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else "python"
    name = Path(argv0).name
    if name in ("-c", ""):
        name = "python -c"
    return name


def read_entry(path: Path) -> Optional[dict[str, Any]]:
    try:
        entry: dict[str, Any] = json.loads(path.read_text())
        return entry
    except (OSError, ValueError):
        return None


def list_endpoints(*, clean: bool = True) -> list[dict[str, Any]]:
    """The registry entries of live endpoints; stale ones (dead process) are removed."""
    folder = endpoint_dir()
    entries = []
    for path in sorted(folder.glob("*.json")):
        entry = read_entry(path)
        if entry is None:
            continue
        if not pid_alive(int(entry.get("pid", -1))) or not Path(entry.get("socket", "")).exists():
            if clean:
                for stale in (path, Path(entry.get("socket", ""))):
                    try:
                        stale.unlink()
                    except OSError:
                        pass
            continue
        entries.append(entry)
    return entries


class ControlServer:
    """Serves one control endpoint on an asyncio loop.

    Parameters
    ----------
    kind : str
        'engine' or 'script', shown by ``benchplan ps``.
    handlers : dict
        Operation name to handler coroutine function.
    """

    def __init__(self, kind: str, handlers: dict[str, Handler]) -> None:
        pid = os.getpid()
        n = next(_counter)
        self.id = str(pid) if n == 1 else f"{pid}-{n}"
        self.kind = kind
        self.handlers = handlers
        folder = endpoint_dir()
        self.socket_path = folder / f"{self.id}.sock"
        self.entry_path = folder / f"{self.id}.json"
        self._server: Optional[asyncio.base_events.Server] = None
        self._clients: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        for path in (self.socket_path, self.entry_path):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        old_umask = os.umask(0o077)
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.socket_path), limit=_MAX_LINE
            )
        finally:
            os.umask(old_umask)
        os.chmod(self.socket_path, stat.S_IRUSR | stat.S_IWUSR)
        entry = {
            "id": self.id,
            "pid": os.getpid(),
            "uid": os.getuid(),
            "kind": self.kind,
            "program": program_name(),
            "argv": sys.argv[:4],
            "socket": str(self.socket_path),
            "started": time.time(),
        }
        tmp = self.entry_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(entry))
        os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)
        tmp.replace(self.entry_path)

    def close_files(self) -> None:
        """Remove the socket and the registry entry (safe from any thread, at exit)."""
        for path in (self.entry_path, self.socket_path):
            try:
                path.unlink()
            except OSError:
                pass

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            clients = list(self._clients)
            for writer in clients:  # connections still open (a console)
                writer.close()
            for writer in clients:
                try:
                    await writer.wait_closed()
                except (ConnectionError, OSError):
                    pass
            await server.wait_closed()
        self.close_files()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            sock = writer.get_extra_info("socket")
            if sock is not None and hasattr(socket, "SO_PEERCRED"):
                creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
                peer_uid = int.from_bytes(creds[4:8], sys.byteorder)
                if peer_uid not in (os.getuid(), 0):
                    await send(writer, _refuse("permission denied: this endpoint belongs to another user"))
                    return
            while True:
                line = await reader.readline()
                if not line:
                    return
                answer = await self._answer(line, reader, writer)
                if answer is None:  # the handler took the connection over
                    return
                await send(writer, answer)
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except Exception:
            logger.exception("control endpoint %s: request failed", self.id)
        finally:
            self._clients.discard(writer)
            try:
                writer.close()
                await writer.wait_closed()
            except Exception:
                pass

    async def _answer(
        self, line: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Optional[Answer]:
        try:
            request = json.loads(line)
            if not isinstance(request, dict) or not isinstance(request.get("op"), str):
                raise ValueError("not an object with a string 'op'")
        except ValueError as exc:
            return _refuse(
                f"malformed request ({exc}): send one JSON object per line, e.g. "
                '{"op": "status"}'
            )
        handler = self.handlers.get(request["op"])
        if handler is None:
            return _refuse(
                f"unknown operation {request['op']!r}; this endpoint knows "
                f"{', '.join(sorted(self.handlers))}"
            )
        try:
            return await handler(request, reader, writer)
        except Exception as exc:
            logger.exception("control endpoint %s: %r failed", self.id, request["op"])
            return _refuse(f"{request['op']} failed: {type(exc).__name__}: {exc}")


def _refuse(msg: str) -> Answer:
    return {"success": False, "msg": msg}


async def send(writer: asyncio.StreamWriter, answer: Union[Answer, dict[str, Any]]) -> None:
    writer.write(json.dumps(answer, default=str).encode() + b"\n")
    await writer.drain()
