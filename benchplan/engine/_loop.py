"""The asyncio loop the RunEngine runs on, in a thread of its own, started on first use."""

from __future__ import annotations

import asyncio
import threading
from typing import Awaitable, Callable, Optional

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
        self._closed = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, started the first time it is asked for."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            if self._closed:
                raise RuntimeError("This RunEngine was closed; make a new one.")
            self._start()
        assert self._loop is not None
        return self._loop

    @property
    def thread(self) -> Optional[threading.Thread]:
        return self._thread

    def in_loop_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def stop(self, cleanup: Optional[Callable[[], Awaitable[None]]] = None) -> None:
        """Run ``cleanup()`` on the loop, stop the loop and wait for its thread to end
        (safe to call twice, and from the loop thread itself)."""
        with self._lock:
            thread, loop = self._thread, self._loop
            self._thread = None
            self._closed = True
        if thread is None or loop is None or not thread.is_alive():
            return

        async def finish() -> None:
            try:
                if cleanup is not None:
                    await cleanup()
                await loop.shutdown_asyncgens()
                for _ in range(3):  # let closing transports finish (connection_lost callbacks)
                    await asyncio.sleep(0)
            finally:
                loop.stop()

        loop.call_soon_threadsafe(lambda: loop.create_task(finish()))
        if threading.current_thread() is not thread:
            thread.join(5)
        if not loop.is_running():
            loop.close()

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
