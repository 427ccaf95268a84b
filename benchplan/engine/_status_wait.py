"""Awaiting device statuses (any object with add_callback/done/success) on the loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from typing import Any, Iterable, Optional

from ..errors import FailedStatus

__all__ = ["as_awaitable", "await_statuses", "check_statuses", "status_from"]


def _name(status: Any) -> str:
    obj = getattr(status, "obj", None) or getattr(status, "device", None)
    name = getattr(obj, "name", None)
    return f"the status of {name!r}" if name else repr(status)


def future_done(fut: Any) -> bool:
    """True if ``fut`` (anything with a ``done()`` method) is done; False if it cannot say."""
    done = getattr(fut, "done", None)
    return bool(done()) if callable(done) else False


def status_succeeded(status: Any) -> bool:
    return bool(getattr(status, "success", True))


def status_exception(status: Any) -> Optional[BaseException]:
    """The exception a finished status failed with, or None."""
    exc = getattr(status, "exception", None)
    if callable(exc):
        try:
            result: Optional[BaseException] = exc()
            return result
        except Exception as err:  # some statuses raise instead of returning
            return err
    return exc if isinstance(exc, BaseException) else None


def failed_status(status: Any, cause: Optional[BaseException]) -> FailedStatus:
    """The FailedStatus to throw into the plan for ``status``, caused by ``cause``."""
    detail = f": {cause}" if cause is not None else ""
    err = FailedStatus(status, f"{_name(status)} finished unsuccessfully{detail}")
    err.__cause__ = cause
    return err


def check_statuses(statuses: Iterable[Any]) -> None:
    """Raise FailedStatus for the first status that finished unsuccessfully."""
    for status in statuses:
        if not status_succeeded(status):
            raise failed_status(status, status_exception(status))


async def await_statuses(statuses: list[Any], timeout: float | None) -> None:
    """Wait until every status is done; asyncio.TimeoutError after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    remaining = [len(statuses)]
    done = loop.create_future()

    def finished(_status: Any) -> None:
        post(loop, _count)

    def _count() -> None:
        remaining[0] -= 1
        if remaining[0] <= 0 and not done.done():
            done.set_result(None)

    for status in statuses:
        status.add_callback(finished)
    if timeout is None:
        await done
    else:
        await asyncio.wait_for(done, timeout)


def _watch_concurrent(fut: "concurrent.futures.Future[Any]") -> "asyncio.Future[Any]":
    loop = asyncio.get_running_loop()
    mirror = loop.create_future()

    def copy(done: "concurrent.futures.Future[Any]") -> None:
        if mirror.done():
            return
        if done.cancelled():
            mirror.cancel()
        elif done.exception() is not None:
            mirror.set_exception(done.exception())  # type: ignore[arg-type]
        else:
            mirror.set_result(done.result())

    fut.add_done_callback(lambda done: post(loop, copy, done))
    return mirror


def post(loop: asyncio.AbstractEventLoop, func: Any, *args: Any) -> None:
    """``loop.call_soon_threadsafe``, ignored once the loop is closed (a late status)."""
    if loop.is_closed():
        return
    try:
        loop.call_soon_threadsafe(func, *args)
    except RuntimeError:  # closed between the check and the call
        pass


class _TaskStatus:
    """A status view of an asyncio task (for devices whose methods are coroutines)."""

    def __init__(self, task: "asyncio.Future[Any]", obj: Any = None) -> None:
        self._task = task
        self.obj = obj

    @property
    def done(self) -> bool:
        return self._task.done()

    @property
    def success(self) -> bool:
        return self._task.done() and not self._task.cancelled() and self._task.exception() is None

    def exception(self) -> BaseException | None:
        if not self._task.done() or self._task.cancelled():
            return None
        return self._task.exception()

    def add_callback(self, callback: Any) -> None:
        self._task.add_done_callback(lambda _t: callback(self))


def status_from(result: Any, obj: Any) -> Any:
    """Return a status for what a device method returned (a status, or a coroutine)."""
    if hasattr(result, "add_callback"):
        return result
    if inspect.isawaitable(result):
        return _TaskStatus(asyncio.ensure_future(result), obj)
    raise TypeError(
        f"{getattr(obj, 'name', obj)!r} returned {type(result).__name__} where a status was "
        "expected: set(), trigger(), kickoff(), complete() and prepare() must return a status "
        "(an object with add_callback, done and success)."
    )


def as_awaitable(fut: Any) -> Any:
    """Turn a future, a concurrent future, an awaitable or a factory of one into an awaitable.

    A future given by the caller is watched, never cancelled: when the engine stops
    waiting (a pause), the caller's future is left as it was.
    """
    if isinstance(fut, concurrent.futures.Future):
        return _watch_concurrent(fut)
    if isinstance(fut, asyncio.Future):
        return asyncio.shield(fut)
    if inspect.isawaitable(fut):
        return fut
    if callable(fut):
        return as_awaitable(fut())
    if hasattr(fut, "add_callback"):
        return await_statuses([fut], None)
    raise TypeError(f"Cannot wait for {fut!r}: it is not a future, an awaitable or a status.")
