"""Ctrl+C while ``RE(...)`` runs: first a deferred pause, a second within 10 s pauses now."""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Any, Optional

from .._report import report
from ..errors import TransitionError

if TYPE_CHECKING:
    from ._run_engine import RunEngine

__all__ = ["SigintHandler", "DEFERRED_PAUSE_MESSAGE"]

logger = logging.getLogger("benchplan.engine")

DEFERRED_PAUSE_MESSAGE = (
    "A 'deferred pause' has been requested. The RunEngine will pause at the next "
    "checkpoint. To pause immediately, hit Ctrl+C again in the next 10 seconds."
)
_WINDOW = 10.0


class SigintHandler:
    """A context manager installed around a blocking ``RE(...)`` call.

    In the main thread it replaces the SIGINT handler for the duration of the
    call and puts the previous one back afterwards; elsewhere it does nothing.
    The handler never raises, so key mashing cannot corrupt the engine.
    """

    def __init__(self, RE: "RunEngine") -> None:
        self._RE = RE
        self._previous: Any = None
        self._installed = False
        self._first = 0.0
        self._count = 0

    def __enter__(self) -> "SigintHandler":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        state = self._RE.state
        if state in ("aborting", "stopping", "halting"):
            report(
                f"The RunEngine is {state.value!r}: the plan's cleanup is running. To skip it, "
                "call RE.halt() (or `benchplan halt ID` from another terminal)."
            )
            return
        now = time.monotonic()
        if self._count == 0 or now - self._first > _WINDOW:
            self._count, self._first = 1, now
            if self._request(defer=True):
                report(DEFERRED_PAUSE_MESSAGE)
        elif self._count == 1:
            self._count = 2
            if self._request(defer=False):
                report("Pausing immediately.")
        else:
            self._count += 1
            if self._count == 3:
                report("The RunEngine is already pausing; it will give the prompt back shortly.")

    def _request(self, *, defer: bool) -> bool:
        try:
            self._RE.request_pause(defer=defer)
            return True
        except TransitionError as exc:
            logger.info("Ctrl+C ignored: %s", exc)
            return False
        except Exception:
            logger.exception("Ctrl+C: the pause request failed")
            return False
