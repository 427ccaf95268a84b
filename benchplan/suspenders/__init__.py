"""Suspenders: hold a running plan while a signal is out of bounds, then resume it.

Install one with ``RE.install_suspender(s)`` (for every plan) or
:func:`benchplan.plans.preprocessors.suspend_wrapper` (for one plan). See
:class:`SuspenderBase` for how they work, and the how-to "Guard a long run
with suspenders".
"""

from ._base import SuspenderBase
from ._clock import Clock, LoopClock, ManualClock
from ._state import SuspendBoolHigh, SuspendBoolLow, SuspendWhenChanged
from ._threshold import SuspendCeil, SuspendFloor, SuspendWhenOutsideBand

__all__ = [
    "Clock",
    "LoopClock",
    "ManualClock",
    "SuspendBoolHigh",
    "SuspendBoolLow",
    "SuspendCeil",
    "SuspendFloor",
    "SuspendWhenChanged",
    "SuspendWhenOutsideBand",
    "SuspenderBase",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
