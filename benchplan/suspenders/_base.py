"""SuspenderBase: watch a signal and hold the running plan while its value is bad.

How a suspender works, in the thread that delivers the signal's update:

- It keeps one of three states, under a lock, so updates from several
  threads are taken one at a time and in order: ``ok``; ``tripped`` (the
  value is bad, a hold is out); ``settling`` (the value is good again and the
  ``sleep`` is running, the hold is still out).
- On the first bad value it makes a *hold* and calls
  ``RE.request_suspend(hold, ...)`` at once. The call is thread-safe and only
  queues a request, so a trip is never lost, whatever the engine is doing.
- When the value is good again it starts the ``sleep`` on its clock; when the
  sleep ends (and no bad value came meanwhile) it releases the hold. A bad
  value during the sleep sends it back to ``tripped``: the same hold stays
  out, and the sleep starts again from zero at the next good value.
- ``remove()`` releases the hold, so removing a tripped suspender lets the
  plan go on.

The hold is a :class:`~._hold.Hold`. Only the public RunEngine API is used:
``RE.request_suspend``, ``RE.state`` (to word notices) and ``RE.loop`` (for
the default clock's timers).
"""

from __future__ import annotations

import asyncio
import logging
import numbers
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any, Callable, Optional

from .._report import notice
from ._clock import Clock, LoopClock
from ._hold import Hold, format_value, signal_name, unwrap_reading

__all__ = ["SuspenderBase"]

logger = logging.getLogger("benchplan.suspenders")

_OK, _TRIPPED, _SETTLING = "ok", "tripped", "settling"


def _nothing() -> None:
    return None


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_plan(plan: Any, what: str) -> Any:
    if plan is None or callable(plan) or isinstance(plan, Iterable):
        return plan
    raise TypeError(
        f"Cannot use {plan!r} as the {what}: it must be a plan (a generator or a list of "
        "messages) or a callable returning one, such as a plan function with no arguments."
    )


class SuspenderBase:
    """Suspend the running plan while a signal's value is bad.

    Subclasses say what is bad with ``_should_suspend(value)``, when to resume
    with ``_should_resume(value)`` (values that are neither leave the state
    as it is, which gives hysteresis), and explain a trip with
    ``_explain(value)`` and ``_resume_condition()``.

    Parameters
    ----------
    signal : signal
        Any object with ``subscribe(callback)`` and ``clear_sub(callback)``
        calling ``callback(value=..., **kwargs)`` on each new value (benchplan
        and ophyd signals), or ``callback(reading)`` (ophyd-async).
    sleep : float, optional
        Seconds the value must stay good before the plan resumes; a new trip
        in that time starts the wait again.
    pre_plan, post_plan : plan or callable, optional
        Run when the plan is suspended, and before it resumes. A callable
        (e.g. a plan function with no arguments) is called each time.
    tripped_message : str, optional
        Added to the notice shown when the suspender trips.
    clock : Clock, optional
        Time and timers for the ``sleep``; by default wall-clock time and the
        RunEngine's loop. Tests pass a :class:`~benchplan.suspenders.ManualClock`.

    Examples
    --------
    >>> from benchplan import RunEngine
    >>> from benchplan.devices import soft_signal_rw
    >>> from benchplan.suspenders import SuspendCeil
    >>> current = soft_signal_rw(float, 0.2, name="current")
    >>> RE = RunEngine()
    >>> RE.install_suspender(SuspendCeil(current, 1.5, resume_thresh=1.0, sleep=5))
    """

    def __init__(
        self,
        signal: Any,
        *,
        sleep: float = 0,
        pre_plan: Any = None,
        post_plan: Any = None,
        tripped_message: str = "",
        clock: Optional[Clock] = None,
    ) -> None:
        cls = type(self).__name__
        if type(self)._should_suspend is SuspenderBase._should_suspend:
            raise TypeError(
                f"Cannot make a {cls}: it does not define _should_suspend(value) and "
                "_should_resume(value). Subclass SuspenderBase and define them, or use a "
                "ready-made suspender such as SuspendCeil or SuspendBoolHigh."
            )
        if not callable(getattr(signal, "subscribe", None)):
            raise TypeError(
                f"Cannot make {cls} on {signal!r}: it has no subscribe() method. Give a "
                "signal that reports its values (a benchplan, ophyd or ophyd-async signal)."
            )
        if not _is_real(sleep):
            raise TypeError(f"Cannot make {cls} with sleep={sleep!r}: sleep is a number of seconds.")
        if not 0 <= sleep < float("inf"):
            raise ValueError(
                f"Cannot make {cls} with sleep={sleep!r}: sleep must be a finite number of "
                "seconds, 0 or more."
            )
        if clock is not None and not isinstance(clock, Clock):
            raise TypeError(
                f"Cannot make {cls} with clock={clock!r}: a clock needs time() and "
                "call_later(delay, callback), like benchplan.suspenders.ManualClock."
            )
        self._signal = signal
        self._sleep = float(sleep)
        self._pre_plan = _check_plan(pre_plan, "pre_plan")
        self._post_plan = _check_plan(post_plan, "post_plan")
        self._tripped_message = str(tripped_message or "")
        self._clock_given = clock
        self._clock: Optional[Clock] = clock
        self._lock = threading.Lock()
        self._engine: Callable[[], Any] = _nothing  # a weak reference to the RunEngine
        self._state = _OK
        self._hold: Optional[Hold] = None
        self._justification = ""
        self._generation = 0  # bumped to cancel a running sleep
        self._updates = 0
        self._token: Any = None
        self._subscribed = False
        #: the one callback object given to subscribe() and clear_sub()
        self._callback: Callable[..., None] = self._on_update

    # -- what subclasses define ---------------------------------------------------------
    def _should_suspend(self, value: Any) -> bool:
        """True if ``value`` is bad: the plan must be suspended."""
        raise NotImplementedError

    def _should_resume(self, value: Any) -> bool:
        """True if ``value`` is good enough to resume (after the ``sleep``)."""
        raise NotImplementedError

    def _explain(self, value: Any) -> str:
        return f"{signal_name(self._signal)} = {format_value(value)}"

    def _resume_condition(self) -> str:
        return "the value is good again"

    def _on_install(self) -> None:
        """Called by :meth:`install` before subscribing."""

    # -- read-only view -------------------------------------------------------------------
    @property
    def signal(self) -> Any:
        """The watched signal."""
        return self._signal

    @property
    def sleep(self) -> float:
        """Seconds the value must stay good before the plan resumes."""
        return self._sleep

    @property
    def pre_plan(self) -> Any:
        """The plan (or callable returning one) run when the plan is suspended."""
        return self._pre_plan

    @property
    def post_plan(self) -> Any:
        """The plan (or callable returning one) run before the plan resumes."""
        return self._post_plan

    @property
    def tripped_message(self) -> str:
        """Text added to the notice shown when the suspender trips."""
        return self._tripped_message

    @property
    def RE(self) -> Any:
        """The RunEngine this suspender is installed on, or None.

        The suspender holds it weakly: a signal that outlives the RunEngine
        does not keep it (and its loop thread) alive.
        """
        return self._engine()

    @property
    def tripped(self) -> bool:
        """True while the value is bad (not yet back to good)."""
        return self._state == _TRIPPED

    @property
    def holding(self) -> bool:
        """True while this suspender holds the plan: tripped, or good but still in its sleep."""
        hold = self._hold
        return hold is not None and not hold.done()

    @property
    def justification(self) -> str:
        """Why it tripped (the signal, its value, the threshold), or '' when not holding."""
        return self._justification if self.holding else ""

    def get_futures(self) -> tuple[list[Hold], str]:
        """Return ``([hold], justification)`` while holding the plan, else ``([], '')``.

        The hold has ``done()`` and, called, returns an awaitable that finishes
        when the suspender releases the plan (bluesky's ``get_futures`` shape).
        """
        with self._lock:
            hold = self._hold
            if hold is None or hold.done():
                return [], ""
            return [hold], self._justification

    # -- installing -----------------------------------------------------------------------
    def install(self, RE: Any, *, event_type: Optional[str] = None) -> None:
        """Start watching the signal on behalf of ``RE``. Use ``RE.install_suspender(s)``.

        If the value is already bad the next plan suspends before its first message.
        """
        with self._lock:
            current = self._engine()
            if current is RE:
                return
            if current is not None:
                raise RuntimeError(
                    f"Cannot install {self!r} on {RE!r}: it is installed on another RunEngine, "
                    f"{current!r}. Remove it there first (RE.remove_suspender(suspender)), or "
                    "make a second suspender."
                )
            stale = self._subscribed  # installed on a RunEngine that has been collected
        if stale:
            self.remove()
        with self._lock:
            self._on_install()
            self._engine = weakref.ref(RE)
            if self._clock_given is None:
                self._clock = LoopClock(RE)
            updates = self._updates
        try:
            if event_type is None:
                self._token = self._signal.subscribe(self._callback)
            else:
                self._token = self._signal.subscribe(self._callback, event_type=event_type)
            self._subscribed = True
        except BaseException:
            with self._lock:
                self._engine = _nothing
            raise
        if self._updates == updates:  # the signal did not report its value on subscribe
            self._check_current_value()

    def _check_current_value(self) -> None:
        get = getattr(self._signal, "get", None)
        if get is None or not callable(get):
            return
        try:
            value = get()
        except Exception:
            logger.exception("Could not read %s to check it on install", signal_name(self._signal))
            return
        if asyncio.iscoroutine(value):
            value.close()
            return
        self._on_update(value=value)

    def remove(self) -> None:
        """Stop watching the signal and release the plan if this suspender holds it.

        Use ``RE.remove_suspender(s)``, which also forgets it in ``RE.suspenders``.
        """
        with self._lock:
            if not self._subscribed and self._hold is None:
                return
            self._engine = _nothing
            hold, self._hold = self._hold, None
            self._state = _OK
            self._generation += 1
            token, self._token = self._token, None
            subscribed, self._subscribed = self._subscribed, False
        if subscribed:
            self._unsubscribe(token)
        if hold is not None and not hold.done():
            logger.info("%s removed while holding the plan; releasing it", self)
            hold.release()

    def _unsubscribe(self, token: Any) -> None:
        clear_sub = getattr(self._signal, "clear_sub", None)
        try:
            if callable(clear_sub):
                clear_sub(self._callback)
            elif token is not None and callable(getattr(self._signal, "unsubscribe", None)):
                self._signal.unsubscribe(token)
        except Exception:
            logger.exception("Could not unsubscribe %s from %s", self, signal_name(self._signal))

    # -- the signal's updates -------------------------------------------------------------
    def _on_update(self, *args: Any, **kwargs: Any) -> None:
        if "value" in kwargs:
            value = kwargs["value"]
        elif args:
            value = unwrap_reading(args[0])
        else:
            return
        message = None
        with self._lock:
            self._updates += 1
            RE = self._engine()
            if RE is None:
                return
            try:
                bad = bool(self._should_suspend(value))
            except Exception:
                logger.exception("%s could not judge %r; treating it as bad", self, value)
                bad = True
            if bad:
                self._trip(RE, value)
            elif self._state == _TRIPPED and self._resumes(value):
                message = self._settle(RE)
        if message:
            notice(message)

    def _resumes(self, value: Any) -> bool:
        try:
            return bool(self._should_resume(value))
        except Exception:
            logger.exception("%s could not judge %r; not resuming on it", self, value)
            return False

    def _trip(self, RE: Any, value: Any) -> None:
        self._generation += 1  # a sleep that was running no longer counts
        if self._state == _TRIPPED:
            return
        self._state = _TRIPPED
        self._justification = self._compose_justification(value)
        if self._hold is not None and not self._hold.done():
            logger.info("%s tripped again during its sleep: %s", self, self._justification)
            return
        logger.info("%s tripped: %s", self, self._justification)
        self._hold = Hold()
        RE.request_suspend(
            self._hold,
            pre_plan=self._pre_plan,
            post_plan=self._post_plan,
            justification=self._justification,
        )

    def _settle(self, RE: Any) -> Optional[str]:
        if self._sleep == 0:
            self._release()
            return None
        self._state = _SETTLING
        self._generation += 1
        generation = self._generation
        assert self._clock is not None
        self._clock.call_later(self._sleep, lambda: self._sleep_ended(generation))
        if RE.state != "suspending":
            return None
        at = time.strftime("%H:%M:%S", time.localtime(self._clock.time() + self._sleep))
        return (
            f"{signal_name(self._signal)} is back to normal ({self._resume_condition()}); "
            f"the plan resumes in {self._sleep:g} s, at {at}, unless it trips again."
        )

    def _sleep_ended(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation or self._state != _SETTLING:
                return
            self._release()

    def _release(self) -> None:
        self._state = _OK
        hold, self._hold = self._hold, None
        if hold is not None:
            logger.info("%s released the plan", self)
            hold.release()

    def _compose_justification(self, value: Any) -> str:
        wait = f" for {self._sleep:g} s" if self._sleep else ""
        text = (
            f"{type(self).__name__}: {self._explain(value)}; the plan resumes when "
            f"{self._resume_condition()}{wait}."
        )
        if self._tripped_message:
            text = f"{text} {self._tripped_message}"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({signal_name(self._signal)!r})"
