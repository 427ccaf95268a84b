"""Suspenders on numbers: floors, ceilings and bands.

They keep bluesky's names and arguments. A value that cannot be compared
with the threshold (None, a string, NaN) counts as bad: a guard that cannot
tell whether the bench is safe holds the plan.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Optional

from ._base import SuspenderBase
from ._hold import format_value, signal_name

__all__ = ["SuspendCeil", "SuspendFloor", "SuspendWhenOutsideBand"]


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
        """The value past which the plan is suspended."""
        return self._suspend_thresh

    @property
    def resume_thresh(self) -> float:
        """The value the signal must be back to (or beyond) for the plan to resume."""
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
        """The bottom of the band (outside it, the plan is suspended)."""
        return self._band_bottom

    @property
    def band_top(self) -> float:
        """The top of the band."""
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
