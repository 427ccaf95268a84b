"""Status: the promise a device returns from ``set``, ``trigger`` and friends.

A :class:`Status` starts pending and finishes exactly once, successfully
(:meth:`Status.set_finished`) or with an exception
(:meth:`Status.set_exception`, or its own timeout). Any thread may finish it;
callbacks run once, in the thread that finishes it. It has the surface
bluesky's RunEngine relies on (``add_callback``, ``done``, ``success``,
``exception()``), so it works there too.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

__all__ = ["Status", "StatusCallback"]

logger = logging.getLogger(__name__)

#: A status callback: called with the status once it is done.
StatusCallback = Callable[[Any], None]

# Finished statuses never change, so they can share one lock.
_FINISHED_LOCK = threading.Lock()


def _label(obj: Any) -> str:
    name = getattr(obj, "name", None)
    return f"{name!r}" if name else repr(obj)


class Status:
    """The progress of one action on a device.

    Parameters
    ----------
    obj : object, optional
        The device acting; named in messages.
    timeout : float, optional
        Fail the status with a ``TimeoutError`` if it has not finished after
        this many seconds.
    settle_time : float, optional
        Seconds to wait, once the action has finished, before the status
        reports done and runs its callbacks.

    Examples
    --------
    >>> st = Status()
    >>> st.add_callback(lambda s: print("done:", s.success))
    >>> st.set_finished()
    done: True
    >>> Status.finished().done
    True
    """

    __slots__ = (
        "obj",
        "timeout",
        "settle_time",
        "_lock",
        "_claimed",
        "_done",
        "_exc",
        "_callbacks",
        "_event",
        "_timer",
        "__weakref__",
    )

    def __init__(
        self, obj: Any = None, timeout: float | None = None, settle_time: float = 0
    ) -> None:
        if timeout is not None and not timeout > 0:
            raise ValueError(
                f"Cannot make a status with timeout={timeout!r}: it must be a "
                "positive number of seconds, or None for no timeout."
            )
        if not settle_time >= 0:
            raise ValueError(
                f"Cannot make a status with settle_time={settle_time!r}: it must "
                "be zero or a positive number of seconds."
            )
        self.obj = obj
        self.timeout = timeout
        self.settle_time = settle_time
        self._lock = threading.Lock()
        self._claimed: str | None = None  # how it finished: finished/failed/timed out
        self._done = False
        self._exc: BaseException | None = None
        self._callbacks: list[StatusCallback] | None = []
        self._event: threading.Event | None = None
        self._timer: threading.Timer | None = None
        if timeout is not None:
            timer = threading.Timer(timeout, self._time_out)
            timer.daemon = True
            self._timer = timer
            timer.start()

    @classmethod
    def finished(cls, obj: Any = None) -> Status:
        """Return a status that is already done and successful (cheap)."""
        st = cls.__new__(cls)
        st.obj = obj
        st.timeout = None
        st.settle_time = 0
        st._lock = _FINISHED_LOCK
        st._claimed = "finished"
        st._done = True
        st._exc = None
        st._callbacks = None
        st._event = None
        st._timer = None
        return st

    @classmethod
    def failed(cls, obj: Any, exc: BaseException) -> Status:
        """Return a status that is already done, failed with ``exc``."""
        st = cls.finished(obj)
        st._claimed = "failed"
        st._exc = exc
        return st

    # -- state ---------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once the action has finished, successfully or not."""
        return self._done

    @property
    def success(self) -> bool:
        """True once the action has finished without an exception."""
        return self._done and self._exc is None

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Return the exception the action failed with, or None on success.

        Waits up to ``timeout`` seconds (None: for ever) for the action to
        finish, and raises ``TimeoutError`` if it has not.
        """
        if not self._done and not self._wait(timeout):
            raise TimeoutError(
                f"The status of {_label(self.obj)} has not finished after "
                f"waiting {timeout} s; ask again later or wait longer."
            )
        return self._exc

    def wait(self, timeout: float | None = None) -> None:
        """Block until the action finishes; raise its exception if it failed.

        Raises ``TimeoutError`` naming ``timeout`` if it is still running
        after that many seconds (None: wait for ever).
        """
        if not self._done and not self._wait(timeout):
            raise TimeoutError(
                f"Waited {timeout} s for the status of {_label(self.obj)} to "
                "finish, but it is still running; wait longer or stop the device."
            )
        if self._exc is not None:
            raise self._exc

    def add_callback(self, callback: StatusCallback) -> None:
        """Call ``callback(status)`` once when done (at once if already done)."""
        if not self._done:
            with self._lock:
                if not self._done:
                    assert self._callbacks is not None
                    self._callbacks.append(callback)
                    return
        self._run_callback(callback)

    # -- finishing -----------------------------------------------------------

    def set_finished(self) -> None:
        """Mark the action finished successfully and run the callbacks."""
        self._finish(None, "finished")

    def set_exception(self, exc: BaseException) -> None:
        """Mark the action failed with ``exc`` and run the callbacks."""
        if not isinstance(exc, BaseException):
            raise TypeError(
                f"Cannot fail the status of {_label(self.obj)} with {exc!r}: "
                "set_exception() takes an exception instance."
            )
        self._finish(exc, "failed")

    def _finish(self, exc: BaseException | None, how: str) -> None:
        with self._lock:
            claimed = self._claimed
            if claimed is None:
                self._claimed = how
                timer, self._timer = self._timer, None
        if claimed is not None:
            if claimed == "timed out":  # the action lost the race with its timeout
                logger.debug("%s: %r after the status timed out; ignored", self, how)
                return
            raise RuntimeError(
                f"Cannot mark the status of {_label(self.obj)} {how}: it has "
                f"already {claimed}. A status finishes exactly once."
            )
        if timer is not None:
            timer.cancel()
        if self.settle_time:
            settle = threading.Timer(self.settle_time, self._complete, (exc,))
            settle.daemon = True
            settle.start()
        else:
            self._complete(exc)

    def _time_out(self) -> None:
        with self._lock:
            if self._claimed is not None:
                return
            self._claimed = "timed out"
            self._timer = None
        self._complete(
            TimeoutError(
                f"The status of {_label(self.obj)} did not finish within its "
                f"timeout of {self.timeout} s; check the device, or give a "
                "longer timeout."
            )
        )

    def _complete(self, exc: BaseException | None) -> None:
        with self._lock:
            self._exc = exc
            self._done = True
            callbacks, self._callbacks = self._callbacks, None
            event = self._event
        if event is not None:
            event.set()
        for callback in callbacks or ():
            self._run_callback(callback)

    def _run_callback(self, callback: StatusCallback) -> None:
        try:
            callback(self)
        except Exception:
            logger.exception("Callback %r of %r raised; ignored", callback, self)

    def _wait(self, timeout: float | None) -> bool:
        with self._lock:
            if self._done:
                return True
            if self._event is None:
                self._event = threading.Event()
            event = self._event
        return event.wait(timeout)

    # -- combining -----------------------------------------------------------

    def __and__(self, other: Any) -> Status:
        """Return a status done when both are; it fails as soon as either fails."""
        both = Status((self.obj, getattr(other, "obj", other)))
        lock = threading.Lock()
        left = [2]  # statuses still pending; 0 once `both` is settled

        def one_done(st: Any) -> None:
            failure = None
            if not st.success:
                failure = st.exception(0) or RuntimeError(
                    f"The status of {_label(getattr(st, 'obj', st))} failed."
                )
            with lock:
                if left[0] == 0:
                    return
                left[0] = 0 if failure is not None else left[0] - 1
                if left[0]:
                    return
            both._finish(failure, "finished" if failure is None else "failed")

        self.add_callback(one_done)
        other.add_callback(one_done)
        return both

    def __repr__(self) -> str:
        if not self._done:
            state = "pending"
        elif self._exc is None:
            state = "success"
        else:
            state = f"failed: {self._exc!r}"
        return f"Status(obj={_label(self.obj)}, {state})"
