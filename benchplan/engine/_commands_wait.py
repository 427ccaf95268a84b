"""Handlers of the commands that wait: wait, wait_for, sleep, input."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..errors import WaitForTimeoutError
from ._status_wait import as_awaitable, await_statuses, check_statuses

if TYPE_CHECKING:
    from ._kernel import Kernel

__all__ = ["WaitCommands"]


class WaitCommands:
    """wait (groups, timeout, error_on_timeout, watch), wait_for, sleep, input."""

    def __init__(self, kernel: "Kernel") -> None:
        self._k = kernel

    def register(self) -> None:
        reg = self._k.register
        reg("wait", self.wait)
        reg("wait_for", self.wait_for)
        reg("sleep", self.sleep)
        reg("input", self.input, record=False)

    async def wait(self, msg: Any) -> bool:
        kwargs = msg.kwargs
        group = kwargs.get("group", msg.args[0] if msg.args else None)
        timeout = kwargs.get("timeout")
        ctx = self._k.ctx
        assert ctx is not None
        # the group is kept until the wait is over: an interrupted wait, run again on
        # resume, still waits for it
        statuses = ctx.groups.get(group)
        if not statuses:
            ctx.groups.pop(group, None)
            return True
        pending = [s for s in statuses if not s.done]
        if pending:
            hook = self._k.engine.waiting_hook
            if hook is not None:
                hook(set(pending))
            try:
                await await_statuses(pending, timeout)
            except asyncio.TimeoutError:
                still = [s for s in pending if not s.done]
                if kwargs.get("error_on_timeout", True):
                    raise WaitForTimeoutError(
                        f"'wait' for group {group!r} timed out after {timeout} s: "
                        f"{len(still)} of {len(statuses)} statuses not done ({still!r})."
                    ) from None
                ctx.groups[group] = still
                return False
            finally:
                if hook is not None:
                    hook(None)
        ctx.groups.pop(group, None)
        ctx.take_failures(statuses)
        check_statuses(statuses)
        return True

    async def wait_for(self, msg: Any) -> None:
        futs = msg.args[0] if msg.args else msg.kwargs.get("futs", ())
        timeout = msg.kwargs.get("timeout")
        tasks = [asyncio.ensure_future(as_awaitable(f)) for f in futs]
        if not tasks:
            return
        try:
            done, pending = await asyncio.wait(tasks, timeout=timeout)
        finally:
            for task in tasks:
                if not task.done():
                    task.cancel()
        if pending:
            raise WaitForTimeoutError(
                f"'wait_for' timed out after {timeout} s: {len(pending)} of {len(tasks)} "
                "futures not done."
            )
        for task in done:
            task.result()

    async def sleep(self, msg: Any) -> None:
        await asyncio.sleep(msg.args[0] if msg.args else msg.kwargs.get("time", 0))

    async def input(self, msg: Any) -> str:
        prompt = msg.args[0] if msg.args else msg.kwargs.get("prompt", "")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, input, prompt)
