"""What a suspender hands the RunEngine to wait on, and how it words values.

A :class:`Hold` is released by its suspender, from any thread. The engine
asks ``done()`` (a request made while no plan runs is dropped if the hold was
released by then) and calls it to get an awaitable, a new one at each wait,
so that cancelling one wait (a pause during the suspension) does not release
the plan.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import numbers
from collections.abc import Mapping
from typing import Any

__all__ = ["Hold", "format_value", "signal_name", "unwrap_reading"]


def format_value(value: Any) -> str:
    """A value for a message: numbers plainly (``1.7``, not ``np.float64(1.7)``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return repr(float(value))


def signal_name(signal: Any) -> str:
    """The signal's name, or its repr when it has none."""
    return getattr(signal, "name", None) or repr(signal)


class Hold:
    """What a suspender hands ``RE.request_suspend``: released by the suspender."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: "concurrent.futures.Future[None]" = concurrent.futures.Future()

    def done(self) -> bool:
        """True once the suspender has released the plan."""
        return self._future.done()

    def release(self) -> None:
        """Let the plan go on (safe from any thread; releasing twice does nothing)."""
        if not self._future.done():
            try:
                self._future.set_result(None)
            except concurrent.futures.InvalidStateError:  # released by another thread
                pass

    def __call__(self) -> Any:
        """A new awaitable that finishes on release; cancelling it leaves the hold as it is."""
        return self._wait()

    async def _wait(self) -> None:
        # shield: cancelling this wait must not cancel the hold itself
        await asyncio.shield(asyncio.wrap_future(self._future))

    def __repr__(self) -> str:
        return f"<suspender hold {'released' if self.done() else 'held'}>"


def unwrap_reading(arg: Any) -> Any:
    """ophyd-async calls back with ``{name: {'value': v, ...}}``; take ``v``."""
    if isinstance(arg, Mapping) and len(arg) == 1:
        (reading,) = arg.values()
        if isinstance(reading, Mapping) and "value" in reading:
            return reading["value"]
    return arg
