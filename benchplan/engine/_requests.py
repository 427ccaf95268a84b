"""Requests other threads make of the running plan, noticed at the next message."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = ["EndRequest", "InterruptHere", "Requests", "SuspendRequest"]


@dataclass
class SuspendRequest:
    """A request to suspend until ``fut`` is done (see ``RunEngine.request_suspend``)."""

    fut: Any
    pre_plan: Any = None
    post_plan: Any = None
    justification: str = ""
    origin: Any = None


@dataclass
class EndRequest:
    """abort (with a reason), stop or halt."""

    kind: str  # 'abort' | 'stop' | 'halt'
    reason: str = ""


class InterruptHere(Exception):
    """Raised by a handler (checkpoint with a deferred pause, 'pause') to pause after it."""


@dataclass
class Requests:
    """Flags set from any thread and read by the plan driver.

    ``attn`` is the one flag the driver reads per message; it is true whenever
    there is something for the driver to act on at once.
    """

    lock: threading.Lock = field(default_factory=threading.Lock)
    attn: bool = False
    pause: bool = False
    end: Optional[EndRequest] = None
    suspensions: list[SuspendRequest] = field(default_factory=list)
    status_failed: bool = False

    def update_attn(self) -> None:
        self.attn = bool(self.pause or self.end or self.suspensions or self.status_failed)

    def reset(self) -> None:
        with self.lock:
            self.pause = False
            self.end = None
            self.status_failed = False
            self.update_attn()
