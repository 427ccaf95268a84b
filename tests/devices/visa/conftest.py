"""Fixtures for the VISA layer tests: a tiny line-based SCPI server on
127.0.0.1 reached through the real pyvisa-py socket path, and pools whose lock
files live in a temporary directory."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import pytest

from benchplan.devices.visa import SessionPool


class ScpiTestServer:
    """Answers ``*IDN?``, ``ECHO? x`` (-> ``x``), ``SYST:ERR?`` and canned
    replies; records every line; can be told to stop answering (``hang``).

    A query it does not know gets no reply and queues ``-113``, like a real
    instrument; ``BAD ...`` commands queue ``-222``. ``SLOW?`` answers ``late``
    only once ``release_slow`` is set; ``DROP`` closes the connection.
    """

    idn = "BENCHPLAN,TESTSERVER,0,1.0"

    def __init__(self) -> None:
        self.replies: dict[str, str] = {}
        self.errors: list[str] = []
        self.received: list[str] = []
        self.hang = False
        self.release_slow = threading.Event()
        self.connections = 0
        self.lock = threading.Lock()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with server.lock:
                    server.connections += 1
                for raw in self.rfile:
                    line = raw.decode().strip()
                    if line == "DROP":
                        return
                    if line == "SLOW?":
                        server.release_slow.wait(30)
                    reply = server.answer(line)
                    if reply is not None:
                        self.wfile.write(reply.encode() + b"\n")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.address = f"TCPIP0::127.0.0.1::{self.port}::SOCKET"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def answer(self, line: str) -> str | None:
        with self.lock:
            self.received.append(line)
            if self.hang:
                return None
            if line == "*IDN?":
                return self.idn
            if line.startswith("ECHO? "):
                return line[6:]
            if line == "SYST:ERR?":
                return self.errors.pop(0) if self.errors else '+0,"No error"'
            if line == "*OPC?":
                return "1"
            if line == "SLOW?":
                return "late"
            if line in self.replies:
                return self.replies[line]
            if line.startswith("BAD"):
                self.errors.append('-222,"Data out of range"')
            elif line.endswith("?"):
                self.errors.append('-113,"Undefined header"')
            return None

    def commands(self) -> list[str]:
        """What was received, without the ``*IDN?``/``SYST:ERR?`` chatter."""
        with self.lock:
            return [c for c in self.received if c not in ("*IDN?", "SYST:ERR?")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def scpi_server() -> Iterator[ScpiTestServer]:
    server = ScpiTestServer()
    yield server
    server.close()


@pytest.fixture
def lock_files_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path))
    return tmp_path / "locks"


@pytest.fixture
def pool(lock_files_dir) -> Iterator[SessionPool]:
    pool = SessionPool("@py", timeout=1.0)
    yield pool
    pool.close()
