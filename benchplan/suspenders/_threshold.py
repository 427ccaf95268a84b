"""The ready-made suspenders: booleans, floors, ceilings, bands and changes.

They keep bluesky's names and arguments. A value that cannot be compared
with the threshold (None, a string, NaN) counts as bad: a guard that cannot
tell whether the bench is safe holds the plan.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Optional

from ._base import SuspenderBase, format_value, signal_name

__all__ = [
    "SuspendBoolHigh",
    "SuspendBoolLow",
    "SuspendCeil",
    "SuspendFloor",
    "SuspendWhenChanged",
    "SuspendWhenOutsideBand",
]


def _number(value: Any) -> Optional[float]:
    """``value`` as a float, or None if it is not a real number (or is NaN)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _check_threshold(cls: str, name: str, value: Any) -> float:
    number = _number(value)
    if number is None:
        raise TypeError(
            f"Cannot make {cls} with {name}={value!r}: a threshold must be a real number "
            "(not NaN)."
        )
    return number


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


class _Threshold(SuspenderBase):
    """A scalar against a suspend threshold, with a resume threshold for hysteresis."""

    _above = False  # True: suspend above the threshold (a ceiling)

    def __init__(
        self, signal: Any, suspend_thresh: float, *, resume_thresh: Optional[float] = None, **kwargs: Any
    ) -> None:
        cls = type(self).__name__
        suspend = _check_threshold(cls, "suspend_thresh", suspend_thresh)
        resume = suspend if resume_thresh is None else _check_threshold(cls, "resume_thresh", resume_thresh)
        if self._above and resume > suspend:
            raise ValueError(
                f"Cannot make {cls} on {signal_name(signal)!r} with suspend_thresh="
                f"{suspend_thresh!r} and resume_thresh={resume_thresh!r}: a ceiling resumes "
                "at or below the value that suspends it, so resume_thresh must be <= "
                "suspend_thresh."
            )
        if not self._above and resume < suspend:
            raise ValueError(
                f"Cannot make {cls} on {signal_name(signal)!r} with suspend_thresh="
                f"{suspend_thresh!r} and resume_thresh={resume_thresh!r}: a floor resumes "
                "at or above the value that suspends it, so resume_thresh must be >= "
                "suspend_thresh."
            )
        super().__init__(signal, **kwargs)
        self._suspend_thresh = suspend_thresh
        self._resume_thresh = suspend_thresh if resume_thresh is None else resume_thresh
        self._suspend_at = suspend
        self._resume_at = resume

    @property
    def suspend_thresh(self) -> float:
        return self._suspend_thresh

    @property
    def resume_thresh(self) -> float:
        return self._resume_thresh

    def _should_suspend(self, value: Any) -> bool:
        number = _number(value)
        if number is None:
            return True
        return number > self._suspend_at if self._above else number < self._suspend_at

    def _should_resume(self, value: Any) -> bool:
        number = _number(value)
        if number is None:
            return False
        return number <= self._resume_at if self._above else number >= self._resume_at

    def _explain(self, value: Any) -> str:
        name = signal_name(self.signal)
        if _number(value) is None:
            return f"{name} = {format_value(value)}, which cannot be compared with {self._suspend_thresh!r}"
        where = "above the ceiling" if self._above else "below the floor"
        return f"{name} = {format_value(value)} is {where} {self._suspend_thresh!r}"

    def _resume_condition(self) -> str:
        side = "at or below" if self._above else "at or above"
        return f"it is {side} {self._resume_thresh!r}"

    def __repr__(self) -> str:
        resume = "" if self._resume_thresh == self._suspend_thresh else f", resume_thresh={self._resume_thresh!r}"
        return f"{type(self).__name__}({signal_name(self.signal)!r}, {self._suspend_thresh!r}{resume})"


class SuspendFloor(_Threshold):
    """Suspend while a scalar is below ``suspend_thresh``; resume at or above ``resume_thresh``.

    Parameters
    ----------
    signal : signal
        The signal to watch.
    suspend_thresh : float
        Suspend when the value falls below this.
    resume_thresh : float, optional
        Resume when the value is at or above this (default ``suspend_thresh``);
        must be >= ``suspend_thresh``. The gap between them is hysteresis.
    **kwargs
        ``sleep``, ``pre_plan``, ``post_plan``, ``tripped_message``, ``clock``
        (see :class:`SuspenderBase`).

    Examples
    --------
    >>> from benchplan.devices import soft_signal_rw
    >>> supply = soft_signal_rw(float, 12.0, name="supply_volts")
    >>> SuspendFloor(supply, 11.0, resume_thresh=11.5, sleep=10)
    SuspendFloor('supply_volts', 11.0, resume_thresh=11.5)
    """


class SuspendCeil(_Threshold):
    """Suspend while a scalar is above ``suspend_thresh``; resume at or below ``resume_thresh``.

    Parameters
    ----------
    signal : signal
        The signal to watch.
    suspend_thresh : float
        Suspend when the value rises above this.
    resume_thresh : float, optional
        Resume when the value is at or below this (default ``suspend_thresh``);
        must be <= ``suspend_thresh``. The gap between them is hysteresis.
    **kwargs
        ``sleep``, ``pre_plan``, ``post_plan``, ``tripped_message``, ``clock``
        (see :class:`SuspenderBase`).

    Examples
    --------
    >>> from benchplan.devices import soft_signal_rw
    >>> current = soft_signal_rw(float, 0.2, name="psu_current")
    >>> SuspendCeil(current, 1.5, resume_thresh=1.0)
    SuspendCeil('psu_current', 1.5, resume_thresh=1.0)
    """

    _above = True


class SuspendWhenOutsideBand(SuspenderBase):
    """Suspend while a scalar is outside the open band ``(band_bottom, band_top)``.

    The plan resumes when the value is strictly inside the band again.

    Parameters
    ----------
    signal : signal
        The signal to watch.
    band_bottom, band_top : float
        The band; ``band_bottom`` must be below ``band_top``.
    **kwargs
        ``sleep``, ``pre_plan``, ``post_plan``, ``tripped_message``, ``clock``
        (see :class:`SuspenderBase`).

    Examples
    --------
    >>> from benchplan.devices import soft_signal_rw
    >>> temp = soft_signal_rw(float, 25.0, name="dut_temp")
    >>> SuspendWhenOutsideBand(temp, 20, 30, sleep=60)
    SuspendWhenOutsideBand('dut_temp', 20, 30)
    """

    def __init__(self, signal: Any, band_bottom: float, band_top: float, **kwargs: Any) -> None:
        cls = type(self).__name__
        bottom = _check_threshold(cls, "band_bottom", band_bottom)
        top = _check_threshold(cls, "band_top", band_top)
        if not bottom < top:
            raise ValueError(
                f"Cannot make {cls} on {signal_name(signal)!r} with band_bottom={band_bottom!r} "
                f"and band_top={band_top!r}: the bottom of the band must be below its top. "
                "Swap them, or widen the band."
            )
        super().__init__(signal, **kwargs)
        self._band_bottom = band_bottom
        self._band_top = band_top
        self._bottom = bottom
        self._top = top

    @property
    def band_bottom(self) -> float:
        return self._band_bottom

    @property
    def band_top(self) -> float:
        return self._band_top

    def _should_suspend(self, value: Any) -> bool:
        return not self._should_resume(value)

    def _should_resume(self, value: Any) -> bool:
        number = _number(value)
        return number is not None and self._bottom < number < self._top

    def _explain(self, value: Any) -> str:
        band = f"({self._band_bottom!r}, {self._band_top!r})"
        return f"{signal_name(self.signal)} = {format_value(value)} is outside the band {band}"

    def _resume_condition(self) -> str:
        return f"it is inside ({self._band_bottom!r}, {self._band_top!r})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({signal_name(self.signal)!r}, {self._band_bottom!r}, "
            f"{self._band_top!r})"
        )


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
