"""Plan stubs that act on devices: move, read, trigger, stage, fly, monitor."""

from __future__ import annotations

import functools
import operator
from collections.abc import Hashable, Sequence
from typing import Any

from benchplan.engine import Msg

from ._relative import relative_set_wrapper
from ._stubs_control import wait as _wait
from ._utils import MsgGenerator, get_hinted_fields, is_status, merge_axis, merge_cycler, pairs, short_uid

__all__ = [
    "abs_set",
    "collect",
    "collect_while_completing",
    "complete",
    "complete_all",
    "configure",
    "kickoff",
    "kickoff_all",
    "locate",
    "monitor",
    "mov",
    "movr",
    "mv",
    "mvr",
    "prepare",
    "rd",
    "read",
    "rel_set",
    "stage",
    "stage_all",
    "stop",
    "trigger",
    "unmonitor",
    "unstage",
    "unstage_all",
]


def abs_set(obj: Any, *args: Any, group: Hashable | None = None, wait: bool = False,
            **kwargs: Any) -> MsgGenerator:
    """Set a device to a value; return the status of the move.

    Parameters
    ----------
    obj : settable device
    *args
        Passed to ``obj.set``, usually the target value.
    group : hashable, optional
        The group a later ``wait`` waits on.
    wait : bool, optional
        Wait for the move to finish before returning; default False.
    **kwargs
        Passed to ``obj.set``.

    Examples
    --------
    >>> RE(abs_set(psu.voltage, 5.0, wait=True))  # doctest: +SKIP
    """
    if wait and group is None:
        group = short_uid("set")
    status = yield Msg("set", obj, *args, group=group, **kwargs)
    if wait:
        yield Msg("wait", None, group=group)
    return status


def rel_set(obj: Any, *args: Any, group: Hashable | None = None, wait: bool = False,
            **kwargs: Any) -> MsgGenerator:
    """Set a device to its current position plus an offset; return the status.

    Takes the same arguments as :func:`abs_set`.

    Examples
    --------
    >>> RE(rel_set(motor, 0.5, wait=True))  # doctest: +SKIP
    """
    return (yield from relative_set_wrapper(abs_set(obj, *args, group=group, wait=wait, **kwargs)))


def _move_targets(args: Sequence[Any], stub: str) -> dict[Any, Any]:
    """Turn ``(dev1, val1, dev2, val2, ...)`` into ``{dev: val}``, merging pseudo axes."""
    if not args or len(args) % 2:
        raise ValueError(
            f"{stub} takes pairs of device and value, e.g. {stub}(motor1, 1, motor2, 2); "
            f"got {len(args)} argument(s)."
        )
    targets = dict(pairs(args, 2))
    if len(targets) != len(args) // 2:
        names = [getattr(obj, "name", repr(obj)) for obj, _ in pairs(args, 2)]
        raise ValueError(f"{stub} was given the same device more than once: {names}; list each once.")
    _, complex_objs, coupled = merge_axis(targets)
    if complex_objs or coupled:
        from cycler import cycler

        cyc = functools.reduce(operator.add, (cycler(obj, [val]) for obj, val in targets.items()))
        (targets,) = merge_cycler(cyc)
    return targets


def mv(*args: Any, group: Hashable | None = None, timeout: float | None = None,
       **kwargs: Any) -> MsgGenerator:
    """Move one or more devices together and wait until all arrive.

    Parameters
    ----------
    *args
        ``device1, value1, device2, value2, ...``
    group : hashable, optional
        Group name for the moves; a unique one by default.
    timeout : float, optional
        Seconds to wait before failing; default forever.
    **kwargs
        Passed to each device's ``set``.

    Returns
    -------
    tuple
        The status of each move.

    Examples
    --------
    >>> RE(mv(motor1, 1, motor2, 10))  # doctest: +SKIP
    """
    targets = _move_targets(args, "mv")
    group = group or short_uid("mv")
    statuses = []
    for obj, value in targets.items():
        statuses.append((yield Msg("set", obj, value, group=group, **kwargs)))
    yield Msg("wait", None, group=group, timeout=timeout)
    return tuple(statuses)


def mvr(*args: Any, group: Hashable | None = None, timeout: float | None = None,
        **kwargs: Any) -> MsgGenerator:
    """Move devices by offsets from where they are, and wait; as :func:`mv`.

    Examples
    --------
    >>> RE(mvr(motor1, -0.5))  # doctest: +SKIP
    """
    _move_targets(args, "mvr")  # check the arguments before anything moves
    devices = [obj for obj, _ in pairs(args, 2)]
    plan = mv(*args, group=group, timeout=timeout, **kwargs)
    return (yield from relative_set_wrapper(plan, devices))


mov = mv
movr = mvr


def rd(obj: Any, *, default_value: Any = 0) -> MsgGenerator:
    """Return the current value of a device (one value, not the reading dict).

    A device that can ``locate`` gives its readback; otherwise the field it
    hints, or its only field, is read. When no RunEngine answers (the plan
    is being listed) ``default_value`` is returned.

    Examples
    --------
    >>> def double(dev):
    ...     value = yield from rd(dev)
    ...     yield from mv(dev, 2 * value)
    """
    if callable(getattr(obj, "locate", None)) and callable(getattr(obj, "set", None)):
        location = yield Msg("locate", obj)
        return default_value if location is None else location["readback"]
    hints = get_hinted_fields(obj)
    what = f"{obj.name!r} ({obj!r})"
    if len(hints) > 1:
        raise ValueError(
            f"rd cannot pick one value of {what}: it hints {len(hints)} fields {hints}; "
            "hint exactly one field or read one component of the device."
        )
    if not hints and len(getattr(obj, "read_attrs", ())) > 1:
        raise ValueError(
            f"rd cannot pick one value of {what}: it has {len(obj.read_attrs)} read attributes "
            "and no hint; hint one field or read one component of the device."
        )
    reading = yield Msg("read", obj)
    if reading is None:
        return default_value
    if hints:
        return reading[hints[0]]["value"]
    if len(reading) != 1:
        raise ValueError(
            f"rd cannot pick one value of {what}: its reading has {len(reading)} fields "
            f"{list(reading)}; hint one field or read one component of the device."
        )
    (data,) = reading.values()
    return data["value"]


def locate(*objs: Any, squeeze: bool = True) -> MsgGenerator:
    """Return where devices are (``{'setpoint': ..., 'readback': ...}`` each).

    With one device and ``squeeze=True`` (default) the location itself is
    returned, otherwise a list.

    Examples
    --------
    >>> location = yield from locate(motor)  # doctest: +SKIP
    """
    return (yield Msg("locate", *objs, squeeze=squeeze))


def read(obj: Any) -> MsgGenerator:
    """Read a device; return its reading dict. Must be between ``create`` and ``save``
    for the reading to go into an event.

    Examples
    --------
    >>> reading = yield from read(det)  # doctest: +SKIP
    """
    return (yield Msg("read", obj))


def stop(obj: Any) -> MsgGenerator:
    """Stop a device.

    Examples
    --------
    >>> RE(stop(motor))  # doctest: +SKIP
    """
    return (yield Msg("stop", obj))


def trigger(obj: Any, *, group: Hashable | None = None, wait: bool = False) -> MsgGenerator:
    """Trigger a device (start an acquisition); return its status.

    Examples
    --------
    >>> RE(trigger(det, wait=True))  # doctest: +SKIP
    """
    status = yield Msg("trigger", obj, group=group)
    if wait:
        yield Msg("wait", None, group=group)
    return status


def _stage_like(command: str, obj: Any, group: Hashable | None, wait: bool | None) -> MsgGenerator:
    ret = yield Msg(command, obj, group=group)
    if is_status(ret):
        if wait:
            yield Msg("wait", None, group=group)
    elif wait is False:
        raise RuntimeError(
            f"Cannot {command} {getattr(obj, 'name', obj)!r} without waiting: its {command}() "
            f"blocks and returns no status; call {command} with wait=None or True."
        )
    return ret


def stage(obj: Any, *, group: Hashable | None = None, wait: bool | None = None) -> MsgGenerator:
    """Stage a device (prepare it for acquisition).

    Devices whose ``stage()`` returns a status can be staged in the
    background with ``wait=False``; old-style devices block and return a
    list, so ``wait=False`` raises RuntimeError for them.

    Examples
    --------
    >>> RE(stage(det))  # doctest: +SKIP
    """
    return (yield from _stage_like("stage", obj, group, wait))


def unstage(obj: Any, *, group: Hashable | None = None, wait: bool | None = None) -> MsgGenerator:
    """Unstage a device; see :func:`stage`.

    Examples
    --------
    >>> RE(unstage(det))  # doctest: +SKIP
    """
    return (yield from _stage_like("unstage", obj, group, wait))


def _all(command: str, objs: Sequence[Any], group: Hashable | None) -> MsgGenerator:
    group = group or short_uid(command)
    waiting = False
    for obj in objs:
        ret = yield Msg(command, obj, group=group)
        waiting = waiting or is_status(ret)
    if waiting:
        yield Msg("wait", None, group=group)


def stage_all(*args: Any, group: Hashable | None = None) -> MsgGenerator:
    """Stage devices in order, waiting at the end for those that return a status.

    Examples
    --------
    >>> RE(stage_all(det1, det2))  # doctest: +SKIP
    """
    yield from _all("stage", args, group)


def unstage_all(*args: Any, group: Hashable | None = None) -> MsgGenerator:
    """Unstage devices in order; see :func:`stage_all`.

    Examples
    --------
    >>> RE(unstage_all(det2, det1))  # doctest: +SKIP
    """
    yield from _all("unstage", args, group)


def configure(obj: Any, *args: Any, **kwargs: Any) -> MsgGenerator:
    """Change a device's configuration; return ``(old, new)`` configuration readings.

    Examples
    --------
    >>> RE(configure(det, {'exposure': 0.1}))  # doctest: +SKIP
    """
    return (yield Msg("configure", obj, *args, **kwargs))


def _fly_step(command: str, obj: Any, args: tuple, group: Hashable | None, wait: bool,
              kwargs: dict) -> MsgGenerator:
    status = yield Msg(command, obj, *args, group=group, **kwargs)
    if wait:
        yield from _wait(group=group)
    return status


def prepare(obj: Any, *args: Any, group: Hashable | None = None, wait: bool = False,
            **kwargs: Any) -> MsgGenerator:
    """Prepare a device for a fly scan or a triggered acquisition; return the status.

    Examples
    --------
    >>> RE(prepare(flyer, trajectory, wait=True))  # doctest: +SKIP
    """
    return (yield from _fly_step("prepare", obj, args, group, wait, kwargs))


def kickoff(obj: Any, *, group: Hashable | None = None, wait: bool = False,
            **kwargs: Any) -> MsgGenerator:
    """Start a flyer; return the status that finishes once it has started.

    Examples
    --------
    >>> RE(kickoff(flyer, wait=True))  # doctest: +SKIP
    """
    return (yield from _fly_step("kickoff", obj, (), group, wait, kwargs))


def complete(obj: Any, *, group: Hashable | None = None, wait: bool = False,
             **kwargs: Any) -> MsgGenerator:
    """Tell a flyer to finish; return the status that finishes when it has.

    Examples
    --------
    >>> RE(complete(flyer, wait=True))  # doctest: +SKIP
    """
    return (yield from _fly_step("complete", obj, (), group, wait, kwargs))


def _check_flyers(objs: Sequence[Any], stub: str) -> None:
    for obj in objs:
        if not (callable(getattr(obj, "kickoff", None)) and callable(getattr(obj, "complete", None))):
            raise TypeError(
                f"{stub}: {getattr(obj, 'name', obj)!r} is not a flyer (it needs kickoff() "
                "and complete()); pass only flyable devices."
            )


def _fly_all(command: str, objs: Sequence[Any], group: Hashable | None, wait: bool,
             kwargs: dict) -> MsgGenerator:
    _check_flyers(objs, f"{command}_all")
    group = group or short_uid(command)
    statuses = []
    for obj in objs:
        statuses.append((yield Msg(command, obj, group=group, **kwargs)))
    if wait:
        yield from _wait(group=group)
    return tuple(statuses)


def kickoff_all(*args: Any, group: Hashable | None = None, wait: bool = True,
                **kwargs: Any) -> MsgGenerator:
    """Kick off several flyers, by default waiting until all have started.

    Examples
    --------
    >>> RE(kickoff_all(flyer1, flyer2))  # doctest: +SKIP
    """
    return (yield from _fly_all("kickoff", args, group, wait, kwargs))


def complete_all(*args: Any, group: Hashable | None = None, wait: bool = False,
                 **kwargs: Any) -> MsgGenerator:
    """Tell several flyers to finish; ``wait=True`` waits for all of them.

    Examples
    --------
    >>> RE(complete_all(flyer1, flyer2, wait=True))  # doctest: +SKIP
    """
    return (yield from _fly_all("complete", args, group, wait, kwargs))


def collect(obj: Any, *args: Any, stream: bool = False, return_payload: bool = True,
            name: str | None = None) -> MsgGenerator:
    """Collect the data a flyer has taken and emit it as documents.

    Examples
    --------
    >>> RE(collect(flyer))  # doctest: +SKIP
    """
    return (yield Msg("collect", obj, *args, stream=stream, return_payload=return_payload, name=name))


def collect_while_completing(flyers: Sequence[Any], dets: Sequence[Any],
                             flush_period: float | None = None, stream_name: str | None = None,
                             watch: Sequence[str] = ()) -> MsgGenerator:
    """Complete flyers, collecting from ``dets`` every ``flush_period`` seconds until done.

    Examples
    --------
    >>> RE(collect_while_completing([flyer], [flyer], flush_period=0.5))  # doctest: +SKIP
    """
    group = short_uid("complete")
    yield from complete_all(*flyers, group=group, wait=False)
    done = False
    while not done:
        done = yield from _wait(group=group, timeout=flush_period, error_on_timeout=False, watch=watch)
        yield from collect(*dets, name=stream_name)


def monitor(obj: Any, *, name: str | None = None, **kwargs: Any) -> MsgGenerator:
    """Record every update of a signal, asynchronously, in its own stream.

    Examples
    --------
    >>> RE(monitor(psu.current, name='current_monitor'))  # doctest: +SKIP
    """
    return (yield Msg("monitor", obj, name=name, **kwargs))


def unmonitor(obj: Any) -> MsgGenerator:
    """Stop monitoring a signal.

    Examples
    --------
    >>> RE(unmonitor(psu.current))  # doctest: +SKIP
    """
    return (yield Msg("unmonitor", obj))
