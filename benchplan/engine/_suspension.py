"""Suspensions: the installed suspenders, suspension requests, and the internal commands
that wait for a suspension to end."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Optional

from ._requests import SuspendRequest
from ._status_wait import as_awaitable

if TYPE_CHECKING:
    from ._kernel import Kernel

__all__ = ["Suspensions"]

logger = logging.getLogger("benchplan.engine")


class Suspensions:
    """Keeps the installed suspenders and turns their requests into suspensions.

    A suspender is any object with ``install(RE)`` and ``remove()``; when its
    condition trips it calls ``RE.request_suspend(fut, ...)``.
    """

    def __init__(self, kernel: "Kernel") -> None:
        self._k = kernel
        self.installed: list[Any] = []

    def register(self) -> None:
        self._k.register("_suspension_wait", self._wait, record=False)
        self._k.register("_suspension_end", self._end, record=False)

    # -- suspenders ----------------------------------------------------------------
    def install(self, suspender: Any) -> None:
        if suspender in self.installed:
            return
        suspender.install(self._k.engine)
        self.installed.append(suspender)

    def remove(self, suspender: Any) -> None:
        if suspender not in self.installed:
            return
        self.installed.remove(suspender)
        suspender.remove()

    def clear(self) -> None:
        for suspender in list(self.installed):
            self.remove(suspender)

    # -- requests ------------------------------------------------------------------
    def request(
        self,
        fut: Any,
        *,
        pre_plan: Any = None,
        post_plan: Any = None,
        justification: Optional[str] = None,
        origin: Any = None,
    ) -> None:
        req = self._k.requests
        with req.lock:
            req.suspensions.append(
                SuspendRequest(fut, pre_plan, post_plan, justification or "", origin)
            )
            req.attn = True
        self._k.poke_threadsafe()

    # -- internal commands ------------------------------------------------------------
    async def _wait(self, msg: Any) -> None:
        pending: list[SuspendRequest] = msg.args[0]
        tasks = [asyncio.ensure_future(as_awaitable(r.fut)) for r in pending]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                if not task.done():
                    task.cancel()

    def _end(self, msg: Any) -> None:
        self._k.driver.interruptions.end_suspension(msg.args[0] if msg.args else [])
