"""The asyncio side of the simulated bench: one TCP port per instrument.

Each port speaks raw SCPI over TCP, like an instrument's port 5025: a message
ends with ``\\n`` (a ``\\r`` before it is ignored), a reply is one line ending
with ``\\n``. Messages are handled as they arrive, under the bench lock; a
reply waits for the instrument's ``latency`` (replies keep their order).

With ``single_client`` a port serves one connection at a time. A second
client gets one line saying who holds the port, and its connection is reset
after its first message, or after 2 s (a client whose previous connection is
still closing is given 0.25 s before it is refused). A pyvisa client sees
the line as the reply to its first query, then ``ConnectionResetError``. ``drop()`` resets every connection of
the port (TCP RST), so the client's next read or write fails.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections import deque
from typing import TYPE_CHECKING, Any, Coroutine

from ._instrument import DropConnection

if TYPE_CHECKING:
    import threading

    from ._instrument import SimInstrument

__all__ = ["InstrumentPort"]

log = logging.getLogger("benchplan.devices.simbench")

_MAX_LINE = 1 << 20
_ADMIT_GRACE = 0.25


class _Connection(asyncio.Protocol):
    def __init__(self, port: InstrumentPort) -> None:
        self.port = port
        self.inst = port.instrument
        self.lock = port.lock
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.refused = False
        self.closed: asyncio.Future[None] = port.loop.create_future()
        self._buf = b""
        self._pending: deque[tuple[float, bytes]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    # -- lifecycle --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.port.closing:  # accepted just before the port closed
            self.reset()
            return
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.port.connections.add(self)
        active = self.port.active
        if not self.port.single_client or active is None:
            self.port.active = self
            return
        transport.pause_reading()
        self.port.track(self._admit(active))

    async def _admit(self, active: _Connection) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(active.closed), _ADMIT_GRACE)
        except asyncio.TimeoutError:
            self._refuse(active)
            return
        if self.transport is None or self.transport.is_closing():
            return
        self.port.active = self
        self.transport.resume_reading()

    def _refuse(self, active: _Connection) -> None:
        assert self.transport is not None
        inst = self.inst
        text = (
            f"ERROR: simulated {inst.model} '{inst.name}' at {self.port.address} serves one "
            f"client at a time and {active.peer} is connected; close that session first."
        )
        log.info("%s: refused %s (%s holds the port)", inst.name, self.peer, active.peer)
        self.refused = True
        self.transport.write(text.encode() + b"\n")
        self.transport.resume_reading()
        self._timer = self.port.loop.call_later(2.0, self.reset)

    def connection_lost(self, exc: Exception | None) -> None:
        self.port.connections.discard(self)
        if self.port.active is self:
            self.port.active = None
        if self._timer is not None:
            self._timer.cancel()
        self._pending.clear()
        self.transport = None
        if not self.closed.done():
            self.closed.set_result(None)

    def reset(self) -> None:
        """Close with a TCP reset (the client sees ECONNRESET)."""
        if self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    # -- data -------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.refused:
            self.reset()
            return
        if self._buf:
            data = self._buf + data
        if b"\n" not in data:
            self._buf = data if len(data) < _MAX_LINE else b""
            return
        lines = data.split(b"\n")
        self._buf = lines.pop()
        for raw in lines:
            line = raw.decode("latin-1").strip()
            if not line:
                continue
            try:
                with self.lock:
                    reply = self.inst.handle(line)
            except DropConnection:
                self.port.drop()
                return
            except Exception:  # a bug in a model must not kill the server
                log.exception("%s: failed to handle %r", self.inst.name, line)
                with self.lock:
                    self.inst.push_error(-300, "Device-specific error")
                continue
            if reply is not None and self.transport is not None:
                self._send(reply.encode("latin-1") + b"\n")

    def _send(self, payload: bytes) -> None:
        latency = self.inst.latency
        if latency <= 0 and not self._pending:
            assert self.transport is not None
            self.transport.write(payload)
            return
        loop = self.port.loop
        due = loop.time() + latency
        if self._pending:
            due = max(due, self._pending[-1][0])
        self._pending.append((due, payload))
        if self._timer is None:
            self._timer = loop.call_at(self._pending[0][0], self._flush)

    def _flush(self) -> None:
        self._timer = None
        now = self.port.loop.time()
        while self._pending and self._pending[0][0] <= now + 1e-4:
            payload = self._pending.popleft()[1]
            if self.transport is not None:
                self.transport.write(payload)
        if self._pending:
            self._timer = self.port.loop.call_at(self._pending[0][0], self._flush)


class InstrumentPort:
    """The TCP server of one simulated instrument.

    Parameters
    ----------
    instrument : SimInstrument
        The model that handles the messages.
    lock : threading.RLock
        The bench lock, held while a message is handled.
    single_client : bool
        Serve one connection at a time.
    """

    def __init__(self, instrument: SimInstrument, lock: threading.RLock, *, single_client: bool) -> None:
        self.instrument = instrument
        self.lock = lock
        self.single_client = single_client
        self.connections: set[_Connection] = set()
        self.active: _Connection | None = None
        self.closing = False
        self.address = ""
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.loop: asyncio.AbstractEventLoop

    async def open(self, host: str, port: int) -> None:
        """Listen on ``host:port`` (0 picks a free port)."""
        self.loop = asyncio.get_running_loop()
        self._server = await self.loop.create_server(lambda: _Connection(self), host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        self.address = f"TCPIP0::{host}::{self.port}::SOCKET"

    def track(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as a task that :meth:`close` cancels."""
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def drop(self) -> None:
        """Reset every connection of this port (call in the loop's thread)."""
        for conn in list(self.connections):
            conn.reset()

    async def close(self) -> None:
        """Stop listening and reset the connections."""
        self.closing = True
        for _ in range(3):  # accepts already under way attach (and reset) before the close
            await asyncio.sleep(0)
        if self._server is not None:
            self._server.close()
        self.drop()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        await asyncio.sleep(0)  # let connection_lost callbacks run
