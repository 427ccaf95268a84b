"""The RunEngine's collaborators, shared by the plan driver and the command handlers."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional

from ._context import PlanContext
from ._dispatch import Dispatcher
from ._loop import LoopThread
from ._requests import Requests
from ._state import StateMachine

if TYPE_CHECKING:
    from ._requests import SuspendRequest
    from ._result import Outcome
    from ._run_engine import RunEngine

__all__ = ["Command", "Kernel"]


class Command(NamedTuple):
    """A registered command: its handler and how the engine treats its messages."""

    func: Callable[[Any], Any]
    is_async: bool
    #: kept in the rewind cache (replayed on resume)
    record: bool = True
    #: an implicit checkpoint: the rewind cache is cleared once it succeeds
    clears: bool = False


class Kernel:
    """Holds the state machine, dispatcher, requests, loop and the current plan's context."""

    def __init__(self, engine: "RunEngine", loop: Optional[asyncio.AbstractEventLoop]) -> None:
        self.engine = engine
        self.state = StateMachine(lambda: engine.state_hook)
        self.dispatcher = Dispatcher()
        self.requests = Requests()
        self.loop_thread = LoopThread(loop)
        self.commands: dict[str, Command] = {}
        self.ctx: Optional[PlanContext] = None
        #: true while the driver awaits a handler (an immediate pause may cancel it)
        self.awaiting = False
        self.task: Optional[asyncio.Task[None]] = None
        self.segment: Optional[concurrent.futures.Future[Outcome]] = None
        self.suspension_depth = 0
        #: suspension requests being waited on (re-queued if the plan ends first)
        self.active_suspensions: list[SuspendRequest] = []
        self.msg_hook: Optional[Callable[[Any], Any]] = None
        self.driver: Any = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self.loop_thread.loop

    def register(
        self, name: str, func: Callable[[Any], Any], *, record: bool = True, clears: bool = False
    ) -> None:
        is_async = inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
            getattr(func, "__call__", None)
        )
        self.commands[name] = Command(func, is_async, record, clears)

    def poke(self) -> None:
        """On the loop: cancel the handler being awaited, so a request is acted on now."""
        task = self.task
        if self.awaiting and self.requests.attn and task is not None and not task.done():
            task.cancel()

    def poke_threadsafe(self) -> None:
        thread = self.loop_thread.thread
        if thread is None:
            return
        loop = self.loop_thread.loop
        if not loop.is_closed():
            loop.call_soon_threadsafe(self.poke)
