"""Scans that decide their next step as they go: adaptive_scan, ramp_plan; and fly."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from benchplan.engine import Msg
from benchplan.errors import RampFail

from ._preprocessors import monitor_during_wrapper, run_wrapper, stage_wrapper
from ._scans import relative, start_md
from ._stubs import collect, complete, kickoff, mv
from ._stubs_control import close_run, open_run, sleep
from ._utils import MsgGenerator, check_detectors, dimension_hints, ensure_generator, separate_devices, short_uid

__all__ = ["adaptive_scan", "fly", "ramp_plan", "rel_adaptive_scan"]


def adaptive_scan(detectors: Sequence[Any], target_field: str, motor: Any, start: float, stop: float,
                  min_step: float, max_step: float, target_delta: float, backstep: bool,
                  threshold: float | None = 0.8, *, md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Scan one motor with steps that shrink where ``target_field`` changes fast.

    After each reading the next step is chosen so that ``target_field``
    changes by about ``target_delta``, kept between ``min_step`` and
    ``max_step``.

    Parameters
    ----------
    detectors : list or tuple of readable devices
    target_field : str
        The data key that steers the step size.
    motor : settable device
    start, stop : float
    min_step, max_step : float
        Limits of the step size, ``0 < min_step < max_step``.
    target_delta : float
        The wanted change of ``target_field`` per step.
    backstep : bool
        Go back and retake a step that turned out too large.
    threshold : float or None, optional
        A step is too large when the new step is smaller than ``threshold``
        times it; default 0.8. None never steps back.
    md : dict, optional

    Examples
    --------
    >>> RE(adaptive_scan([dmm], 'dmm_voltage', psu.voltage, 0, 5, 0.01, 0.5, 0.05, True))  # doctest: +SKIP
    """
    check_detectors(detectors, "adaptive_scan")
    if not 0 < min_step < max_step:
        raise ValueError(
            f"adaptive_scan: need 0 < min_step < max_step, got min_step={min_step!r} and "
            f"max_step={max_step!r}."
        )
    _md = start_md({
        "detectors": [det.name for det in detectors],
        "motors": [motor.name],
        "plan_args": {"detectors": list(map(repr, detectors)), "motor": repr(motor), "start": start,
                      "stop": stop, "min_step": min_step, "max_step": max_step,
                      "target_delta": target_delta, "backstep": backstep, "threshold": threshold},
        "plan_name": "adaptive_scan",
    }, md, {"dimensions": dimension_hints([motor], combined=False)})
    devices = separate_devices(list(detectors) + [motor])
    direction = 1 if stop >= start else -1

    def steps() -> MsgGenerator:
        position = start
        step = (max_step - min_step) / 2
        past = None
        current = None
        while position * direction < stop * direction:
            yield Msg("checkpoint")
            yield from mv(motor, position)
            yield Msg("create", name="primary")
            group = short_uid("trigger")
            for det in detectors:
                yield Msg("trigger", det, group=group)
            yield Msg("wait", None, group=group)
            for dev in devices:
                reading = yield Msg("read", dev)
                if reading is not None and target_field in reading:
                    current = reading[target_field]["value"]
            yield Msg("save")
            if past is None:  # the first point: nothing to compare with yet
                past = current
                position += step * direction
                continue
            slope = np.abs(current - past) / step
            new_step = np.clip(target_delta / slope, min_step, max_step) if slope else min(step * 1.1, max_step)
            if backstep and threshold is not None and new_step < step * threshold:
                position -= step  # too big a step: go back and take a smaller one
                step = new_step
            else:
                past = current
                step = 0.2 * new_step + 0.8 * step
            position += step * direction

    plan = run_wrapper(steps(), md=_md)
    return (yield from stage_wrapper(plan, list(detectors) + [motor]))


def rel_adaptive_scan(detectors: Sequence[Any], target_field: str, motor: Any, start: float,
                      stop: float, min_step: float, max_step: float, target_delta: float,
                      backstep: bool, threshold: float | None = 0.8, *,
                      md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """:func:`adaptive_scan` relative to where the motor starts; it returns there.

    Examples
    --------
    >>> RE(rel_adaptive_scan([det], 'det', motor, -1, 1, 0.05, 0.5, 0.1, True))  # doctest: +SKIP
    """
    plan = adaptive_scan(detectors, target_field, motor, start, stop, min_step, max_step, target_delta,
                         backstep, threshold, md={"plan_name": "rel_adaptive_scan", **(md or {})})
    return (yield from relative(plan, [motor]))


def ramp_plan(go_plan: Any, monitor_sig: Any, inner_plan_func: Callable[[], Any],
              take_pre_data: bool = True, timeout: float | None = None, period: float | None = None,
              md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Start a ramp and take data repeatedly until it is done, monitoring a signal meanwhile.

    Parameters
    ----------
    go_plan : generator
        Starts the ramp and returns its status (e.g. ``abs_set(psu.voltage,
        10)`` on a supply with a slew rate).
    monitor_sig : signal
        Monitored throughout (stream ``<name>_monitor``).
    inner_plan_func : callable
        Returns the plan that takes one data point, e.g.
        ``lambda: trigger_and_read([dmm])``.
    take_pre_data : bool, optional
        Take a point before starting the ramp; default True.
    timeout : float, optional
        Raise RampFail if the ramp is not done after this many seconds.
    period : float, optional
        Seconds from the start of one point to the start of the next.
    md : dict, optional

    Examples
    --------
    >>> RE(ramp_plan(abs_set(psu.voltage, 10), psu.current,
    ...              lambda: trigger_and_read([dmm]), period=0.5))  # doctest: +SKIP
    """
    _md = {"plan_name": "ramp_plan", **(md or {})}

    def polling() -> MsgGenerator:
        deadline = None if timeout is None else time.monotonic() + timeout
        if take_pre_data:
            yield from ensure_generator(inner_plan_func())
        status = yield from ensure_generator(go_plan)
        while not status.done:
            started = time.monotonic()
            yield from ensure_generator(inner_plan_func())
            if deadline is not None and time.monotonic() > deadline:
                raise RampFail(
                    f"ramp_plan: the ramp did not finish within the timeout of {timeout} s; "
                    "raise the timeout or check the ramping device."
                )
            if period is not None:
                remaining = started + period - time.monotonic()
                if remaining > 0:
                    yield from sleep(remaining)
        yield from ensure_generator(inner_plan_func())  # a point after the ramp

    plan = run_wrapper(polling(), md=_md)
    return (yield from monitor_during_wrapper(plan, [monitor_sig]))


def fly(flyers: Sequence[Any], *, md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Kick off flyers, wait for them to complete, and collect their data, in one run.

    Examples
    --------
    >>> RE(fly([flyer]))  # doctest: +SKIP
    """
    uid = yield from open_run(md)
    for flyer in flyers:
        yield from kickoff(flyer, wait=True)
    for flyer in flyers:
        yield from complete(flyer, wait=True)
    for flyer in flyers:
        yield from collect(flyer)
    yield from close_run()
    return uid
