"""One polling thread per instrument session.

Subscribed SCPI signals are polled here at their own rates. A session's polls
run one after another in its thread, and each is an ordinary transaction under
the address lock, so polling never interleaves with a plan's commands; separate
instruments poll in separate threads, so a slow one does not hold up the rest.
The thread starts with the first job and ends with the last.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable

__all__ = ["Poller"]

logger = logging.getLogger(__name__)


class Poller:
    """Calls jobs periodically from one daemon thread.

    Parameters
    ----------
    name : str
        Thread name suffix (the address).
    clock : callable
        Monotonic clock in seconds.

    Examples
    --------
    >>> poller = Poller("demo")
    >>> token = poller.add(lambda: None, period=0.1)
    >>> poller.remove(token)
    """

    def __init__(self, name: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._cond = threading.Condition()
        self._jobs: dict[int, tuple[Callable[[], object], float]] = {}
        self._heap: list[tuple[float, int]] = []
        self._tokens = itertools.count(1)
        self._thread: threading.Thread | None = None

    @property
    def jobs(self) -> int:
        """How many jobs are scheduled."""
        return len(self._jobs)

    def add(self, job: Callable[[], object], period: float) -> int:
        """Run ``job()`` now and then every ``period`` seconds; return a token.

        A job that returns ``False`` is removed; one that raises is logged and
        keeps its schedule.
        """
        if not period > 0:
            raise ValueError(f"A polling period must be positive; got {period!r} s.")
        with self._cond:
            token = next(self._tokens)
            self._jobs[token] = (job, period)
            heapq.heappush(self._heap, (self._clock(), token))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"benchplan-poll {self.name}", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return token

    def remove(self, token: int) -> None:
        """Stop a job (a no-op for an unknown token). A poll in progress finishes."""
        with self._cond:
            self._jobs.pop(token, None)
            self._cond.notify()

    def stop(self) -> None:
        """Remove every job; the thread ends after its current poll."""
        with self._cond:
            self._jobs.clear()
            self._heap.clear()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if not self._jobs:
                        self._heap.clear()
                        self._thread = None
                        return
                    due, token = self._heap[0]
                    if token not in self._jobs:
                        heapq.heappop(self._heap)
                        continue
                    delay = due - self._clock()
                    if delay <= 0:
                        heapq.heappop(self._heap)
                        job, period = self._jobs[token]
                        break
                    self._cond.wait(delay)
            keep: object = True
            try:
                keep = job()
            except Exception:
                logger.exception("Polling job on %s failed", self.name)
            with self._cond:
                if keep is False:
                    self._jobs.pop(token, None)
                elif token in self._jobs:
                    heapq.heappush(self._heap, (max(due + period, self._clock()), token))
