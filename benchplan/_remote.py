"""The remote-control client: talk to a RunEngine or a paused script in another process."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any, Optional

from .engine._endpoint import endpoint_dir, list_endpoints, read_entry
from .errors import ControlError

__all__ = ["RemoteControl", "remote"]


def _find(endpoint_id: str) -> dict:
    entry = read_entry(endpoint_dir() / f"{endpoint_id}.json")
    if entry is None:
        known = ", ".join(e["id"] for e in list_endpoints()) or "none"
        raise ControlError(
            f"No benchplan control endpoint has id {endpoint_id!r} (live ids: {known}). "
            "Run `benchplan ps` to list them."
        )
    return entry


class RemoteControl:
    """A client for one control endpoint, with the queue-server-style method names.

    Each ``re_*`` method returns ``{'success': bool, 'msg': str}``; a request the
    target's state does not allow comes back with ``success`` false and a message
    saying why. An unknown id, a dead process or a refused connection raise
    :class:`~benchplan.errors.ControlError`.

    Parameters
    ----------
    endpoint_id : str
        The id shown in the banner or by ``benchplan ps``.
    timeout : float
        Seconds to wait for an answer.
    """

    def __init__(self, endpoint_id: str, *, timeout: float = 30.0) -> None:
        self.id = str(endpoint_id)
        self.timeout = timeout
        entry = _find(self.id)
        self.pid: int = int(entry["pid"])
        self.socket_path = Path(entry["socket"])

    def _connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.socket_path))
        except PermissionError as exc:
            sock.close()
            raise ControlError(
                f"Cannot reach endpoint {self.id!r}: permission denied ({self.socket_path} "
                "belongs to another user). Control endpoints serve only their owner."
            ) from exc
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            sock.close()
            list_endpoints()  # cleans the stale entry
            raise ControlError(
                f"Cannot reach endpoint {self.id!r}: its process (pid {self.pid}) is gone or no "
                "longer serving it. Run `benchplan ps` to list live endpoints."
            ) from exc
        return sock

    def request(self, op: str, **fields: Any) -> dict:
        """Send one request and return the answer."""
        with self._connect() as sock:
            sock.sendall(json.dumps({"op": op, **fields}).encode() + b"\n")
            return _read_answer(sock, self.id)

    # -- queue-server-style names ----------------------------------------------------------
    def status(self) -> dict:
        """State, pause_pending, plan, run_uid and breakpoint of the target."""
        return self.request("status")

    def re_pause(self, option: str = "deferred") -> dict:
        """Request a pause: 'deferred' (at the next checkpoint) or 'immediate'."""
        return self.request("pause", option=option)

    def re_resume(self) -> dict:
        """Resume a paused plan, or release a breakpoint."""
        return self.request("continue")

    def re_abort(self, reason: str = "") -> dict:
        """Abort the plan (its cleanup runs; exit_status 'abort' with ``reason``)."""
        return self.request("abort", reason=reason)

    def re_stop(self) -> dict:
        """Stop the plan (its cleanup runs; exit_status 'success')."""
        return self.request("stop")

    def re_halt(self) -> dict:
        """Halt the plan (no cleanup; exit_status 'abort')."""
        return self.request("halt")

    def wait_for_idle_or_paused(self, timeout: Optional[float] = None) -> dict:
        """Wait until the target is idle, paused or at a breakpoint."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.status()
            if status.get("state") in ("idle", "paused") or status.get("breakpoint"):
                return {"success": True, "msg": f"state is {status.get('state')!r}", **status}
            if deadline is not None and time.monotonic() > deadline:
                return {
                    "success": False,
                    "msg": f"timed out after {timeout} s; the state is {status.get('state')!r}",
                    **status,
                }
            time.sleep(0.05)

    def device(self, role: str) -> Any:
        """A proxy of the instrument ``role`` that the target holds and shares
        (``station.share()``): its signals are attributes with ``get()``, ``set(value)``
        and ``read()``; see :class:`benchplan.station.RemoteDevice`."""
        from .station import RemoteDevice

        return RemoteDevice(self, role)

    def console(self, *, read_line: Any = input, write: Any = print) -> None:
        """Attach to the console of an interactive breakpoint; Ctrl+D detaches."""
        with self._connect() as sock:
            sock.settimeout(None)
            sock.sendall(json.dumps({"op": "console"}).encode() + b"\n")
            answer = _read_answer(sock, self.id)
            if not answer.get("success"):
                raise ControlError(answer.get("msg", "console refused"))
            prompt = answer.get("prompt", ">>> ")
            while True:
                try:
                    line = read_line(prompt)
                except EOFError:
                    sock.sendall(b'{"op": "detach"}\n')
                    _read_answer(sock, self.id)
                    write("")
                    return
                sock.sendall(json.dumps({"line": line}).encode() + b"\n")
                answer = _read_answer(sock, self.id)
                if answer.get("output"):
                    write(answer["output"], end="")
                prompt = answer.get("prompt", ">>> ")


def _read_answer(sock: socket.socket, endpoint_id: str) -> dict:
    data = b""
    while not data.endswith(b"\n"):
        try:
            chunk = sock.recv(65536)
        except socket.timeout as exc:
            raise ControlError(f"Endpoint {endpoint_id!r} did not answer in time.") from exc
        if not chunk:
            break
        data += chunk
    if not data:
        raise ControlError(f"Endpoint {endpoint_id!r} closed the connection without answering.")
    return json.loads(data)


def remote(endpoint_id: str) -> RemoteControl:
    """Return a :class:`RemoteControl` for the endpoint ``endpoint_id`` (see ``benchplan ps``)."""
    return RemoteControl(endpoint_id)
