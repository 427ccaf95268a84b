"""The asyncio loop the RunEngine runs on, in a thread of its own, started on first use."""

from __future__ import annotations

import asyncio
import threading
from typing import Optional

__all__ = ["LoopThread"]


class LoopThread:
    """Runs an asyncio event loop forever in a daemon thread.

    Parameters
    ----------
    loop : asyncio.AbstractEventLoop, optional
        A loop that is not running yet; by default a new one is made.
    """

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self._loop = loop
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, started the first time it is asked for."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._start()
        assert self._loop is not None
        return self._loop

    @property
    def thread(self) -> Optional[threading.Thread]:
        return self._thread

    def in_loop_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            if self._loop is None or self._loop.is_closed():
                self._loop = asyncio.new_event_loop()
            elif self._loop.is_running():
                raise RuntimeError(
                    "The RunEngine was given a loop that is already running; the RunEngine "
                    "runs its loop in a thread of its own. Pass a new loop, or none."
                )
            started = threading.Event()
            loop = self._loop

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(started.set)
                loop.run_forever()

            self._thread = threading.Thread(target=run, name="benchplan-RunEngine-loop", daemon=True)
            self._thread.start()
            started.wait()
