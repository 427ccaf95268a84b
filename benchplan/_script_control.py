"""Breakpoints in plain scripts: :func:`benchplan.pause`, and the control endpoint a
script serves while it is paused (and, under ``benchplan run``, for its whole life)."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import sys
import threading
from types import FrameType
from typing import Any, Optional

from ._report import report
from .engine._breakpoint import (
    Breakpoint,
    breakpoints_enabled,
    resolve_timeout,
    serve_console,
    stdin_usable,
)
from .engine._control import control_enabled
from .engine._endpoint import ControlServer
from .engine._loop import LoopThread

__all__ = ["pause", "script_endpoint", "breakpointhook"]

logger = logging.getLogger("benchplan.breakpoint")


class _ScriptEndpoint:
    """The control endpoint of a script: status, continue and console at breakpoints."""

    def __init__(self) -> None:
        self.breakpoint: Optional[Breakpoint] = None
        self._loop = LoopThread()
        self.server = ControlServer(
            "script",
            {
                "status": self._status,
                "continue": self._continue,
                "resume": self._continue,
                "console": self._console,
                "pause": self._refuse,
                "abort": self._refuse,
                "stop": self._refuse,
                "halt": self._refuse,
            },
        )
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop.loop).result(10)
        atexit.register(self.server.close_files)

    @property
    def id(self) -> str:
        return self.server.id

    def add_operation(self, name: str, handler: Any) -> None:
        """Serve a new operation (see ``RunEngine.add_control_operation``)."""
        if name in ("status", "continue", "resume", "console"):
            raise ValueError(f"Cannot replace the built-in control operation {name!r}.")
        self.server.handlers[name] = handler

    def status(self) -> dict:
        bp = self.breakpoint
        return {
            "id": self.id,
            "pid": os.getpid(),
            "kind": "script",
            "state": "paused" if bp is not None else "running",
            "pause_pending": False,
            "plan": None,
            "run_uid": None,
            "breakpoint": bp.name if bp is not None else None,
        }

    async def _status(self, request: dict, *_: Any) -> dict:
        return {"success": True, "msg": "status", **self.status()}

    async def _continue(self, request: dict, *_: Any) -> dict:
        bp = self.breakpoint
        if bp is None:
            return {
                "success": False,
                "msg": "Cannot continue: the script is running, not paused at a breakpoint.",
            }
        bp.release("remote")
        return {"success": True, "msg": f"breakpoint {bp.name!r} released"}

    async def _refuse(self, request: dict, *_: Any) -> dict:
        return {
            "success": False,
            "msg": f"Cannot {request['op']}: this is a script, not a RunEngine; a script "
            "can only be continued (or inspected) at a benchplan.pause() breakpoint.",
        }

    async def _console(self, request: dict, reader: Any, writer: Any) -> Optional[dict]:
        bp = self.breakpoint
        if bp is None or not bp.interactive:
            return {
                "success": False,
                "msg": "No interactive breakpoint is active: use benchplan.pause(..., "
                "interactive=True) to serve a console.",
            }
        await serve_console(bp.namespace, reader, writer)
        return None


_endpoint: Optional[_ScriptEndpoint] = None
_endpoint_lock = threading.Lock()


def script_endpoint() -> Optional[_ScriptEndpoint]:
    """This process's script endpoint, started on first use (None if it cannot be served)."""
    global _endpoint
    if not control_enabled():
        return None
    with _endpoint_lock:
        if _endpoint is None:
            try:
                _endpoint = _ScriptEndpoint()
            except Exception:
                logger.exception("Could not start the script's control endpoint")
                return None
        return _endpoint


def _pause_at(
    frame: FrameType, label: Optional[str], timeout: Optional[float], interactive: bool
) -> Optional[str]:
    if not breakpoints_enabled():
        return None
    seconds = resolve_timeout(timeout)
    endpoint = script_endpoint()
    if endpoint is None and not stdin_usable():
        logger.info("breakpoint %r skipped: no terminal and no control endpoint", label)
        return None
    bp = Breakpoint(
        label,
        frame.f_code.co_filename,
        frame.f_lineno,
        {**frame.f_globals, **frame.f_locals},
        interactive=interactive,
        timeout=seconds,
        endpoint_id=endpoint.id if endpoint is not None else None,
    )
    if endpoint is not None:
        endpoint.breakpoint = bp
    report(bp.banner())
    try:
        return bp.wait()
    finally:
        if endpoint is not None:
            endpoint.breakpoint = None


def pause(
    label: Optional[str] = None, *, timeout: Optional[float] = None, interactive: bool = False
) -> Optional[str]:
    """Pause a plain script here until resumed.

    Shows a banner with the label, file and line, and an id. Resume by pressing
    Enter in this terminal, by ``benchplan continue ID`` from any terminal, or
    automatically after ``timeout`` seconds (``timeout=`` -> the
    ``BENCHPLAN_BREAKPOINT_TIMEOUT`` variable -> 300 s; 0 waits forever).
    ``BENCHPLAN_BREAKPOINTS=off`` makes it a no-op; so does having neither a
    terminal nor a control endpoint. With ``interactive=True``,
    ``benchplan console ID`` opens a Python console on a copy of the caller's
    variables.

    Parameters
    ----------
    label : str, optional
        A name for this breakpoint, shown in the banner and by ``benchplan ps``.
    timeout : float, optional
        Seconds before resuming by itself; 0 waits forever.
    interactive : bool
        Serve a console seeded with a snapshot of the caller's variables.

    Returns
    -------
    str or None
        How it was resumed ('enter', 'remote', 'timeout'), or None if skipped.

    Examples
    --------
    >>> import benchplan
    >>> benchplan.pause("after warm-up", timeout=0.01)  # doctest: +SKIP
    """
    return _pause_at(sys._getframe(1), label, timeout, interactive)


def breakpointhook(*args: Any, **kwargs: Any) -> Optional[str]:
    """``sys.breakpointhook`` for ``benchplan run``: ``breakpoint()`` -> :func:`pause`."""
    label = kwargs.pop("label", args[0] if args else None)
    return _pause_at(
        sys._getframe(1), label, kwargs.get("timeout"), bool(kwargs.get("interactive", False))
    )
