"""Breakpoints: stop at a known place, show a banner, wait for Enter, a remote
``benchplan continue ID`` or a timeout, and optionally serve a Python console."""

from __future__ import annotations

import asyncio
import code
import contextlib
import io
import json
import logging
import os
import select
import sys
import threading
import time
from typing import Any, Optional

from .._report import report

__all__ = ["Breakpoint", "breakpoints_enabled", "resolve_timeout", "serve_console"]

logger = logging.getLogger("benchplan.breakpoint")

DEFAULT_TIMEOUT = 300.0
_OFF = {"off", "0", "false", "no"}


def breakpoints_enabled() -> bool:
    """False when ``BENCHPLAN_BREAKPOINTS`` is off, 0, false or no (any case)."""
    return os.environ.get("BENCHPLAN_BREAKPOINTS", "on").strip().lower() not in _OFF


def resolve_timeout(timeout: Optional[float]) -> Optional[float]:
    """``timeout=`` argument, then ``BENCHPLAN_BREAKPOINT_TIMEOUT``, then 300 s; 0 means forever
    (returned as None)."""
    if timeout is None:
        env = os.environ.get("BENCHPLAN_BREAKPOINT_TIMEOUT")
        if env:
            try:
                timeout = float(env)
            except ValueError:
                logger.warning(
                    "BENCHPLAN_BREAKPOINT_TIMEOUT=%r is not a number of seconds; using %s s",
                    env,
                    DEFAULT_TIMEOUT,
                )
                timeout = DEFAULT_TIMEOUT
        else:
            timeout = DEFAULT_TIMEOUT
    timeout = float(timeout)
    if timeout < 0:
        raise ValueError(f"A breakpoint timeout must be 0 (wait forever) or positive, not {timeout}.")
    return None if timeout == 0 else timeout


def stdin_usable() -> bool:
    """True when standard input is a terminal (the user can press Enter)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, AttributeError):
        return False


class Breakpoint:
    """One active breakpoint.

    ``wait()`` blocks until :meth:`release` is called (a remote continue),
    Enter is read from standard input, or the timeout passes; it returns how
    it ended: ``'enter'``, ``'remote'``, ``'timeout'`` or ``'cancelled'``.
    """

    def __init__(
        self,
        label: Optional[str],
        filename: str,
        lineno: int,
        namespace: dict[str, Any],
        *,
        interactive: bool,
        timeout: Optional[float],
        endpoint_id: Optional[str],
    ) -> None:
        self.label = label
        self.filename = filename
        self.lineno = lineno
        self.namespace = namespace
        self.interactive = interactive
        self.timeout = timeout
        self.endpoint_id = endpoint_id
        self.started = time.monotonic()
        self._released = threading.Event()
        self._how = "remote"

    @property
    def name(self) -> str:
        return self.label or f"{os.path.basename(self.filename)}:{self.lineno}"

    def release(self, how: str = "remote") -> None:
        if not self._released.is_set():
            self._how = how
            self._released.set()

    def banner(self) -> str:
        lines = [f"Breakpoint {self.name!r} at {self.filename}:{self.lineno}"]
        how = []
        if stdin_usable():
            how.append("press Enter here")
        if self.endpoint_id is not None:
            how.append(f"run `benchplan continue {self.endpoint_id}` from any terminal")
            lines.insert(1, f"  id: {self.endpoint_id}")
        lines.append("  to resume: " + ", or ".join(how))
        if self.interactive and self.endpoint_id is not None:
            lines.append(f"  to inspect: `benchplan console {self.endpoint_id}` (Ctrl+D detaches)")
        if self.timeout is None:
            lines.append("  no auto-resume (timeout 0): waiting until resumed")
        else:
            lines.append(f"  auto-resume in {self.timeout:g} s")
        return "\n".join(lines)

    def wait(self) -> str:
        """Block until released, Enter, or the timeout; return how it ended."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        watch_stdin = stdin_usable()
        while not self._released.is_set():
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self.release("timeout")
                break
            step = 0.1 if remaining is None else min(0.1, remaining)
            if watch_stdin:
                try:
                    ready, _, _ = select.select([sys.stdin], [], [], step)
                except (OSError, ValueError):
                    watch_stdin = False
                    continue
                if ready:
                    line = sys.stdin.readline()
                    if line:
                        self.release("enter")
                    else:
                        watch_stdin = False
            else:
                self._released.wait(step)
        if self._how == "timeout":
            waited = time.monotonic() - self.started
            logger.warning("Breakpoint %r auto-resumed after %.1f s", self.name, waited)
            report(f"Breakpoint {self.name!r}: no one resumed it; auto-resumed after {waited:.0f} s.")
        return self._how


def plan_frame_snapshot(gen: Any) -> tuple[str, int, dict[str, Any]]:
    """The file, line and a copy of the variables of the plan that yielded the breakpoint:
    the generator just outside the innermost one (which is the breakpoint stub)."""
    frames = []
    while gen is not None and getattr(gen, "gi_frame", None) is not None:
        frames.append(gen.gi_frame)
        gen = getattr(gen, "gi_yieldfrom", None)
    if not frames:
        return "<plan>", 0, {}
    frame = frames[-2] if len(frames) >= 2 else frames[-1]
    namespace = {**frame.f_globals, **frame.f_locals}
    return frame.f_code.co_filename, frame.f_lineno, namespace


async def serve_console(
    namespace: dict[str, Any], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Serve a Python console over a control connection.

    The client sends ``{"line": TEXT}`` per input line (or ``{"op": "detach"}``);
    each answer is ``{"output": TEXT, "prompt": ">>> " | "... "}``. The console
    works on its own copy of ``namespace``: nothing leaks back to the script.
    """
    console = _Console(dict(namespace))
    loop = asyncio.get_running_loop()
    await _send(writer, {"success": True, "msg": "console attached", "output": "", "prompt": ">>> "})
    while True:
        line = await reader.readline()
        if not line:
            return
        try:
            request = json.loads(line)
        except ValueError:
            await _send(writer, {"output": "malformed console request\n", "prompt": ">>> "})
            continue
        if request.get("op") == "detach" or "line" not in request:
            await _send(writer, {"output": "", "prompt": "", "detached": True})
            return
        output, more = await loop.run_in_executor(None, console.run_line, str(request["line"]))
        await _send(writer, {"output": output, "prompt": "... " if more else ">>> "})


class _Console(code.InteractiveConsole):
    def __init__(self, namespace: dict[str, Any]) -> None:
        super().__init__(namespace)
        self._buffer = io.StringIO()

    def write(self, data: str) -> None:
        self._buffer.write(data)

    def run_line(self, line: str) -> tuple[str, bool]:
        self._buffer = io.StringIO()
        with contextlib.redirect_stdout(self._buffer):
            more = self.push(line)
        return self._buffer.getvalue(), bool(more)


async def _send(writer: asyncio.StreamWriter, answer: dict[str, Any]) -> None:
    writer.write(json.dumps(answer, default=repr).encode() + b"\n")
    await writer.drain()
