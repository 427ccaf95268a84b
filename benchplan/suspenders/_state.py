"""Suspenders on states: a boolean high or low, a value that changed.

They keep bluesky's names and arguments.
"""

from __future__ import annotations

from typing import Any

from ._base import SuspenderBase
from ._hold import format_value, signal_name

__all__ = ["SuspendBoolHigh", "SuspendBoolLow", "SuspendWhenChanged"]


class SuspendBoolHigh(SuspenderBase):
    """Suspend while a boolean signal is high (true); resume when it goes low.

    Takes the arguments of :class:`SuspenderBase`.

    Examples
    --------
    >>> from benchplan.devices import soft_signal_rw
    >>> interlock = soft_signal_rw(bool, False, name="door_open")
    >>> suspender = SuspendBoolHigh(interlock, sleep=2, tripped_message="Close the door.")
    """

    def _should_suspend(self, value: Any) -> bool:
        return bool(value)

    def _should_resume(self, value: Any) -> bool:
        return not bool(value)

    def _explain(self, value: Any) -> str:
        return f"{signal_name(self.signal)} is high ({format_value(value)})"

    def _resume_condition(self) -> str:
        return "it is low"


class SuspendBoolLow(SuspenderBase):
    """Suspend while a boolean signal is low (false); resume when it goes high.

    Takes the arguments of :class:`SuspenderBase`.

    Examples
    --------
    >>> from benchplan.devices import soft_signal_rw
    >>> output_on = soft_signal_rw(bool, True, name="output_on")
    >>> suspender = SuspendBoolLow(output_on)
    """

    def _should_suspend(self, value: Any) -> bool:
        return not bool(value)

    def _should_resume(self, value: Any) -> bool:
        return bool(value)

    def _explain(self, value: Any) -> str:
        return f"{signal_name(self.signal)} is low ({format_value(value)})"

    def _resume_condition(self) -> str:
        return "it is high"


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays: elementwise ==
        import numpy

        return bool(numpy.array_equal(a, b))


class SuspendWhenChanged(SuspenderBase):
    """Suspend when a signal's value differs from the expected one.

    Made for values that select a configuration (which bench owns a shared
    instrument, a fixture id): by default the plan does not resume, since the
    session was set up for the old value; abort it (Ctrl+C, then
    ``RE.abort()``) and set up again.

    Parameters
    ----------
    signal : signal
        The signal to watch.
    expected_value : optional
        The value it must keep. By default, its value when the suspender is
        first installed.
    allow_resume : bool, optional
        Resume when the value is the expected one again (default False).
    **kwargs
        ``sleep``, ``pre_plan``, ``post_plan``, ``tripped_message``, ``clock``
        (see :class:`SuspenderBase`).

    Examples
    --------
    >>> from benchplan.devices import soft_signal_rw
    >>> owner = soft_signal_rw(str, "bench-A", name="dmm_owner")
    >>> SuspendWhenChanged(owner, expected_value="bench-A")
    SuspendWhenChanged('dmm_owner', expected_value='bench-A', allow_resume=False)
    """

    def __init__(
        self, signal: Any, *, expected_value: Any = None, allow_resume: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(signal, **kwargs)
        self.expected_value = expected_value
        self.allow_resume = bool(allow_resume)

    def _on_install(self) -> None:
        if self.expected_value is not None:
            return
        get = getattr(self.signal, "get", None)
        if not callable(get):
            raise TypeError(
                f"Cannot install {self!r}: expected_value was not given and "
                f"{signal_name(self.signal)!r} has no get() to read it from; pass expected_value."
            )
        self.expected_value = get()

    def _should_suspend(self, value: Any) -> bool:
        return not _equal(value, self.expected_value)

    def _should_resume(self, value: Any) -> bool:
        return self.allow_resume and _equal(value, self.expected_value)

    def _explain(self, value: Any) -> str:
        return (
            f"{signal_name(self.signal)} = {format_value(value)}, expected "
            f"{format_value(self.expected_value)}"
        )

    def _resume_condition(self) -> str:
        if self.allow_resume:
            return f"it is {format_value(self.expected_value)} again"
        return (
            "the suspender is removed (allow_resume=False): to use the new value, pause with "
            "Ctrl+C, RE.abort() and set up again"
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({signal_name(self.signal)!r}, expected_value="
            f"{self.expected_value!r}, allow_resume={self.allow_resume!r})"
        )
