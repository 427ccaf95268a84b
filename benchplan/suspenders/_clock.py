"""Clocks for suspenders: when to release a suspension after the ``sleep``.

A suspender asks its clock for two things: the time (for the notices it
shows) and a timer (``call_later``) that ends the ``sleep`` after the signal
returns to normal. By default the timer runs on the RunEngine's loop; tests
pass a :class:`ManualClock` and move time by hand, so nothing sleeps for real.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
import weakref
from typing import Any, Callable, Protocol, runtime_checkable

__all__ = ["Clock", "LoopClock", "ManualClock"]


@runtime_checkable
class Clock(Protocol):
    """What a suspender needs of a clock.

    ``call_later`` may be called from any thread; the callback may run in any
    thread (a suspender's callbacks are thread-safe).
    """

    def time(self) -> float:
        """The current time in seconds."""
        ...

    def call_later(self, delay: float, callback: Callable[[], Any]) -> None:
        """Call ``callback()`` once, ``delay`` seconds from now."""
        ...


class LoopClock:
    """Wall-clock time, with timers on the loop of a RunEngine.

    The loop is looked up when a timer is first needed, so making this clock
    (or installing a suspender) does not start the RunEngine's loop thread.
    The RunEngine is held weakly; once it is gone, timers are dropped.

    Parameters
    ----------
    RE : RunEngine
        Any object with a ``loop`` attribute (a running asyncio loop).
    """

    __slots__ = ("_RE",)

    def __init__(self, RE: Any) -> None:
        self._RE = weakref.ref(RE)

    def time(self) -> float:
        """Seconds since the epoch (``time.time()``)."""
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], Any]) -> None:
        """Schedule ``callback`` on the RunEngine's loop; safe from any thread."""
        RE = self._RE()
        if RE is None:
            return
        loop = RE.loop
        loop.call_soon_threadsafe(loop.call_later, delay, callback)


class ManualClock:
    """A clock that moves only when told to: for tests of suspenders with a ``sleep``.

    Parameters
    ----------
    start : float, optional
        The time to start at, in seconds.

    Examples
    --------
    >>> clock = ManualClock()
    >>> clock.call_later(5, lambda: print("five seconds later"))
    >>> clock.advance(4.9)
    0
    >>> clock.advance(0.1)
    five seconds later
    1
    >>> clock.time()
    5.0
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self._heap: list[tuple[float, int, Callable[[], Any]]] = []
        self._order = itertools.count()

    def time(self) -> float:
        """The clock's current time."""
        return self._now

    def __call__(self) -> float:
        """The current time: a ManualClock also serves where a ``clock()`` callable is wanted."""
        return self._now

    @property
    def pending(self) -> int:
        """How many timers have not fired yet."""
        return len(self._heap)

    def call_later(self, delay: float, callback: Callable[[], Any]) -> None:
        """Call ``callback()`` once the clock has advanced by ``delay`` seconds."""
        if not delay >= 0 or math.isinf(delay):
            raise ValueError(
                f"Cannot schedule a timer {delay!r} s from now: the delay must be a finite "
                "number of seconds, 0 or more."
            )
        with self._lock:
            heapq.heappush(self._heap, (self._now + delay, next(self._order), callback))

    def advance(self, seconds: float) -> int:
        """Move the time forward by ``seconds`` and run the timers that are due, in order.

        Returns how many ran. A timer a callback schedules runs too if it is due.
        """
        if not seconds >= 0:
            raise ValueError(
                f"Cannot advance the clock by {seconds!r} s: time only moves forward; "
                "give 0 or more seconds."
            )
        target = self._now + seconds
        ran = 0
        while True:
            with self._lock:
                if not self._heap or self._heap[0][0] > target:
                    self._now = target
                    return ran
                when, _, callback = heapq.heappop(self._heap)
                self._now = max(self._now, when)
            callback()
            ran += 1
