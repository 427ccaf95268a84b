"""The RunEngine's control endpoint and its 'breakpoint' command."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import weakref
from typing import TYPE_CHECKING, Any, Optional

from .._report import report
from ..errors import RunEngineInterrupted, TransitionError
from ._breakpoint import (
    Breakpoint,
    breakpoints_enabled,
    plan_frame_snapshot,
    resolve_timeout,
    serve_console,
    stdin_usable,
)
from ._endpoint import ControlServer
from ._state import State

if TYPE_CHECKING:
    from ._kernel import Kernel

__all__ = ["EngineControl", "control_enabled"]

logger = logging.getLogger("benchplan.control")


def control_enabled() -> bool:
    """False when ``BENCHPLAN_CONTROL`` is off, 0, false or no."""
    return os.environ.get("BENCHPLAN_CONTROL", "on").strip().lower() not in {"off", "0", "false", "no"}


def _ok(msg: str, **extra: Any) -> dict[str, Any]:
    return {"success": True, "msg": msg, **extra}


def _no(msg: str) -> dict[str, Any]:
    return {"success": False, "msg": msg}


class EngineControl:
    """Serves a RunEngine's control endpoint (started with its first plan) and runs
    breakpoints."""

    def __init__(self, kernel: "Kernel", enabled: bool) -> None:
        # weak: the server on the loop must not keep a dropped RunEngine alive
        self._k: "Kernel" = weakref.proxy(kernel)
        self.enabled = enabled and control_enabled()
        self.server: Optional[ControlServer] = None
        self.breakpoint: Optional[Breakpoint] = None
        self.extra: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def id(self) -> Optional[str]:
        return self.server.id if self.server is not None else None

    def register(self) -> None:
        self._k.register("breakpoint", self._breakpoint, record=False)

    # -- the endpoint ------------------------------------------------------------------
    def ensure_started(self) -> None:
        if not self.enabled or self.server is not None:
            return
        with self._lock:
            if self.server is not None:
                return
            server = ControlServer(
                "engine",
                {
                    "status": self._status,
                    "pause": self._pause,
                    "resume": self._resume,
                    "continue": self._resume,
                    "abort": self._abort,
                    "stop": self._stop,
                    "halt": self._halt,
                    "console": self._console,
                    **self.extra,
                },
            )
            try:
                asyncio.run_coroutine_threadsafe(server.start(), self._k.loop).result(10)
            except Exception:
                logger.exception("Could not start the control endpoint; remote control is off")
                self.enabled = False
                return
            self.server = server
            atexit.register(server.close_files)

    def add_operation(self, name: str, handler: Any) -> None:
        if name in ("status", "pause", "resume", "continue", "abort", "stop", "halt", "console"):
            raise ValueError(f"Cannot replace the built-in control operation {name!r}.")
        self.extra[name] = handler
        if self.server is not None:
            self.server.handlers[name] = handler

    async def stop_server(self) -> None:
        """On the loop: stop accepting connections and remove the endpoint's files."""
        if self.server is not None:
            await self.server.stop()

    def close(self) -> None:
        """Remove the endpoint's files (the loop, and the server with it, is stopped next)."""
        server = self.server
        if server is not None:
            server.close_files()
            atexit.unregister(server.close_files)

    # -- requests ----------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        k = self._k
        ctx = k.ctx
        state = k.state.state
        bp = self.breakpoint
        return {
            "id": self.id,
            "pid": os.getpid(),
            "kind": "engine",
            "state": state.value,
            "pause_pending": bool(ctx is not None and ctx.deferred_pause) or state is State.PAUSING,
            "plan": ctx.plan_name if ctx is not None else None,
            "run_uid": ctx.run_uids[-1] if ctx is not None and ctx.run_uids else None,
            "breakpoint": bp.name if bp is not None else None,
        }

    async def _status(self, request: dict[str, Any], *_: Any) -> dict[str, Any]:
        return _ok("status", **self.status())

    async def _pause(self, request: dict[str, Any], *_: Any) -> dict[str, Any]:
        option = request.get("option", "deferred")
        if option not in ("deferred", "immediate"):
            return _no(f"unknown pause option {option!r}; use 'deferred' or 'immediate'")
        try:
            self._k.engine.request_pause(defer=option == "deferred")
        except TransitionError as exc:
            return _no(str(exc))
        return _ok(f"{option} pause requested")

    async def _resume(self, request: dict[str, Any], *_: Any) -> dict[str, Any]:
        bp = self.breakpoint
        if bp is not None:
            bp.release("remote")
            return _ok(f"breakpoint {bp.name!r} released")
        engine = self._k.engine
        if engine.state is not State.PAUSED:
            return _no(
                f"Cannot resume: the RunEngine is {engine.state.value!r}; resume is valid only "
                "when it is 'paused' or at a breakpoint."
            )
        ready = threading.Event()

        def run() -> None:
            try:
                ready.set()
                engine.resume()
            except RunEngineInterrupted:
                pass
            except Exception:
                logger.exception("The remotely resumed plan failed")

        threading.Thread(target=run, name="benchplan-remote-resume", daemon=True).start()
        await asyncio.get_running_loop().run_in_executor(None, ready.wait, 5)
        return _ok("resumed")

    async def _end(self, kind: str, *args: Any) -> dict[str, Any]:
        engine = self._k.engine
        bp = self.breakpoint
        blocking = engine.state is State.PAUSED
        method = getattr(engine, kind)
        try:
            if blocking:
                await asyncio.get_running_loop().run_in_executor(None, lambda: method(*args))
            else:
                method(*args)
        except TransitionError as exc:
            return _no(str(exc))
        except RunEngineInterrupted:
            pass
        if bp is not None:
            bp.release("cancelled")
        return _ok(f"{kind} {'done' if blocking else 'requested'}")

    async def _abort(self, request: dict[str, Any], *_: Any) -> dict[str, Any]:
        return await self._end("abort", str(request.get("reason", "")))

    async def _stop(self, request: dict[str, Any], *_: Any) -> dict[str, Any]:
        return await self._end("stop")

    async def _halt(self, request: dict[str, Any], *_: Any) -> dict[str, Any]:
        return await self._end("halt")

    async def _console(
        self, request: dict[str, Any], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Optional[dict[str, Any]]:
        bp = self.breakpoint
        if bp is None or not bp.interactive:
            return _no(
                "No interactive breakpoint is active: a console is served only while the plan "
                "waits at stubs.breakpoint(..., interactive=True)."
            )
        await serve_console(bp.namespace, reader, writer)
        return None

    # -- the 'breakpoint' command ------------------------------------------------------
    async def _breakpoint(self, msg: Any) -> Optional[str]:
        kwargs = msg.kwargs
        label = kwargs.get("label", msg.args[0] if msg.args else None)
        if not breakpoints_enabled():
            return None
        self.ensure_started()
        if self.server is None and not stdin_usable():
            logger.info("breakpoint %r skipped: no terminal and no control endpoint", label)
            return None
        driver = self._k.driver
        gen = driver.stack[-1].gen if driver is not None and driver.stack else None
        filename, lineno, namespace = plan_frame_snapshot(gen)
        bp = Breakpoint(
            label,
            filename,
            lineno,
            namespace,
            interactive=bool(kwargs.get("interactive", False)),
            timeout=resolve_timeout(kwargs.get("timeout")),
            endpoint_id=self.id,
        )
        self.breakpoint = bp
        report(bp.banner())
        try:
            return await asyncio.get_running_loop().run_in_executor(None, bp.wait)
        finally:
            bp.release("cancelled")
            self.breakpoint = None
