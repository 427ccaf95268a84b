"""SupplementalData: baseline readings, monitors and flyers added to every run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._preprocessors import baseline_wrapper, fly_during_wrapper, monitor_during_wrapper
from ._utils import MsgGenerator

__all__ = ["SupplementalData"]


class SupplementalData:
    """Add baseline readings, monitors and flyers to every run of every plan.

    An instance is a preprocessor: call it on a plan, or append it to the
    RunEngine's preprocessors so it applies to everything the RunEngine
    runs. Edit the lists at any time; each plan uses them as they are when
    it starts.

    For every run the plan opens, in order: the ``baseline`` devices are
    read into the ``'baseline'`` stream, the ``monitors`` start, and the
    ``flyers`` are kicked off; the plan runs; then the flyers are completed
    and collected, the monitors stop, and the baseline is read again.

    Parameters
    ----------
    baseline : iterable of devices, optional
    monitors : iterable of signals, optional
    flyers : iterable of flyers, optional

    Examples
    --------
    >>> sd = SupplementalData(baseline=[psu.voltage], monitors=[psu.current])  # doctest: +SKIP
    >>> RE.preprocessors.append(sd)  # doctest: +SKIP
    >>> RE(count([dmm], 10))  # with a 'baseline' and a 'current_monitor' stream  # doctest: +SKIP
    """

    def __init__(self, *, baseline: Iterable[Any] | None = None,
                 monitors: Iterable[Any] | None = None, flyers: Iterable[Any] | None = None) -> None:
        self.baseline = list(baseline or [])
        self.monitors = list(monitors or [])
        self.flyers = list(flyers or [])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(baseline={self.baseline!r}, monitors={self.monitors!r}, "
            f"flyers={self.flyers!r})"
        )

    def __getstate__(self) -> tuple[list[Any], list[Any], list[Any]]:
        return (self.baseline, self.monitors, self.flyers)

    def __setstate__(self, state: tuple[list[Any], list[Any], list[Any]]) -> None:
        self.baseline, self.monitors, self.flyers = state

    def __call__(self, plan: Iterable[Any]) -> MsgGenerator:
        """Return ``plan`` with the baseline, monitors and flyers added to its runs."""
        # Innermost first: flyers, then monitors, then the baseline outside.
        plan = fly_during_wrapper(plan, list(self.flyers))
        plan = monitor_during_wrapper(plan, list(self.monitors))
        plan = baseline_wrapper(plan, list(self.baseline))
        return (yield from plan)
