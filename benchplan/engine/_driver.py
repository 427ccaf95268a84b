"""The message loop: one coroutine steps the plan and runs each message's handler."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Generator, Optional

from ..errors import InvalidCommand, InvalidMessage, PlanHalt
from ._interruptions import Interruptions
from ._requests import InterruptHere

if TYPE_CHECKING:
    from ._kernel import Kernel

__all__ = ["Frame", "PlanDriver"]

logger = logging.getLogger("benchplan.engine")

#: after this many messages without an await, the driver lets the loop run other work
_YIELD_EVERY = 256


class Frame:
    """A plan on the plan stack.

    ``record``: its messages go into the rewind cache. ``passthrough``: when it
    ends, its return value is sent to the frame below (a replay hands the
    interrupted message's response to the plan); otherwise the frame below gets
    None (it has not started yet).
    """

    __slots__ = ("gen", "record", "passthrough")

    def __init__(self, gen: Generator[Any, Any, Any], record: bool, passthrough: bool) -> None:
        self.gen = gen
        self.record = record
        self.passthrough = passthrough


def _uncancel() -> None:
    task = asyncio.current_task()
    if task is not None and hasattr(task, "uncancel"):
        task.uncancel()


class PlanDriver:
    """Steps the plan stack until the plan ends; pauses, suspensions and ends go to
    :class:`~._interruptions.Interruptions`."""

    def __init__(self, kernel: "Kernel", plan_name: str) -> None:
        self._k = kernel
        self.plan_name = plan_name
        self.stack: list[Frame] = []
        self.interruptions = Interruptions(kernel, self)

    def push(self, gen: Generator[Any, Any, Any], *, record: bool, passthrough: bool) -> None:
        self.stack.append(Frame(gen, record, passthrough))

    def close_frames(self) -> None:
        """Close every plan on the stack without running its cleanup (halt)."""
        while self.stack:
            frame = self.stack.pop()
            try:
                frame.gen.close()
            except (RuntimeError, Exception):
                logger.debug("closing %r on halt raised", frame.gen, exc_info=True)

    async def run(self, gen: Generator[Any, Any, Any]) -> Any:
        """Run ``gen`` to its end and return its return value (or raise what it raised)."""
        self.push(gen, record=True, passthrough=True)
        k = self._k
        stack = self.stack
        commands = k.commands
        requests = k.requests
        ctx = k.ctx
        assert ctx is not None
        cache = ctx.cache
        interruptions = self.interruptions
        response: Any = None
        exc: Optional[BaseException] = None
        count = 0
        while True:
            frame = stack[-1]
            try:
                if exc is not None:
                    err, exc = exc, None
                    msg = frame.gen.throw(err)
                else:
                    msg = frame.gen.send(response)
            except StopIteration as stop:
                stack.pop()
                if not stack:
                    return stop.value
                response = stop.value if frame.passthrough else None
                continue
            except BaseException as err:
                stack.pop()
                if not stack or isinstance(err, (asyncio.CancelledError, KeyboardInterrupt)):
                    raise
                exc, response = err, None
                continue

            count += 1
            if not count % _YIELD_EVERY:
                await asyncio.sleep(0)
            if requests.attn:
                exc = await interruptions.at_boundary(msg, frame)
                if exc is not interruptions.PROCEED:
                    response = None
                    continue
                exc = None

            try:
                command = commands[msg.command]
            except KeyError:
                exc = InvalidCommand(
                    f"The plan {self.plan_name!r} yielded Msg({msg.command!r}, ...), but the "
                    f"RunEngine has no command {msg.command!r}. Known commands: "
                    f"{', '.join(sorted(commands))}. Register new ones with "
                    "RE.register_command(name, coroutine_function)."
                )
                response = None
                continue
            except (AttributeError, TypeError):
                exc = InvalidMessage(
                    f"The plan {self.plan_name!r} yielded a {type(msg).__name__} ({msg!r:.80}) "
                    "where a message was expected. Plans must yield Msg(command, obj, *args, "
                    "**kwargs) (any namedtuple with the fields command, obj, args, kwargs, run)."
                )
                response = None
                continue

            recorded = command.record and frame.record and cache.recording
            if recorded:
                cache.messages.append(msg)
            hook = k.msg_hook
            if hook is not None:
                hook(msg)
            try:
                if command.is_async:
                    k.awaiting = True
                    try:
                        response = await command.func(msg)
                    finally:
                        k.awaiting = False
                else:
                    response = command.func(msg)
            except asyncio.CancelledError:
                if not requests.attn:
                    raise
                _uncancel()
                exc = await interruptions.interrupt(msg, frame, executed=False, recorded=recorded)
                response = None
                continue
            except InterruptHere:
                exc = await interruptions.interrupt(msg, frame, executed=True, recorded=False)
                response = None
                continue
            except PlanHalt:
                raise
            except Exception as err:
                exc, response = err, None
                continue
            if command.clears:
                cache.messages.clear()
