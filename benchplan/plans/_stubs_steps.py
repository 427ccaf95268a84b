"""Plan stubs for one step of a scan, and for repeating plans."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from benchplan.engine import Msg

from ._mutators import rewindable_wrapper
from ._utils import MsgGenerator, all_safe_rewind, ensure_generator, separate_devices, short_uid

__all__ = [
    "caching_repeater",
    "move_per_step",
    "one_1d_step",
    "one_nd_step",
    "one_shot",
    "repeat",
    "repeater",
    "trigger_and_read",
]

#: A plan function taking a list of devices and returning their readings.
TakeReading = Callable[[list[Any]], MsgGenerator]

_NOT_MOVED = object()


def trigger_and_read(devices: Sequence[Any], name: str = "primary") -> MsgGenerator:
    """Trigger devices, wait for them, and read them all into one event.

    Devices that can be triggered are triggered together and waited for;
    then every device is read between ``create`` and ``save``. If a read
    fails the event is dropped. A device whose ``rewindable`` signal reads
    False makes this step non-rewindable: the RunEngine will not replay it
    after a pause. Duplicates and children of listed parents are read once.

    Parameters
    ----------
    devices : sequence of readable devices
    name : str, optional
        The event stream; default ``'primary'``.

    Returns
    -------
    dict
        All readings merged, ``{field: {'value': ..., 'timestamp': ...}}``.

    Examples
    --------
    >>> [m.command for m in trigger_and_read([])]
    ['null']
    """
    devices = separate_devices(devices)
    if not devices:
        yield Msg("null")
        return {}
    if all_safe_rewind(devices):
        return (yield from _trigger_and_read(devices, name))
    return (yield from rewindable_wrapper(_trigger_and_read(devices, name), False))


def _trigger_and_read(devices: list[Any], name: str) -> MsgGenerator:
    group = short_uid("trigger")
    triggered = False
    for obj in devices:
        if hasattr(obj, "trigger"):
            triggered = True
            yield Msg("trigger", obj, group=group)
    if triggered:
        yield Msg("wait", None, group=group, error_on_timeout=True, timeout=None, watch=())
    yield Msg("create", name=name)
    readings: dict[str, Any] = {}
    try:
        for obj in devices:
            reading = yield Msg("read", obj)
            if reading is not None:
                readings.update(reading)
    except Exception:
        yield Msg("drop")
        raise
    yield Msg("save")
    return readings


def one_shot(detectors: Sequence[Any], take_reading: TakeReading | None = None) -> MsgGenerator:
    """One step of :func:`~benchplan.plans.count`: a checkpoint, then a reading.

    Examples
    --------
    >>> [m.command for m in one_shot([])]
    ['checkpoint', 'null']
    """
    take_reading = trigger_and_read if take_reading is None else take_reading
    yield Msg("checkpoint")
    return (yield from take_reading(list(detectors)))


def one_1d_step(detectors: Sequence[Any], motor: Any, step: Any,
                take_reading: TakeReading | None = None) -> MsgGenerator:
    """One step of a 1-D scan: checkpoint, move ``motor`` to ``step``, read all.

    Examples
    --------
    >>> [m.command for m in one_1d_step([], 'motor', 1.0, take_reading=lambda devs: iter([]))]
    ['checkpoint', 'set', 'wait']
    """
    take_reading = trigger_and_read if take_reading is None else take_reading
    group = short_uid("set")
    yield Msg("checkpoint")
    yield Msg("set", motor, step, group=group)
    yield Msg("wait", None, group=group)
    return (yield from take_reading(list(detectors) + [motor]))


def move_per_step(step: Mapping[Any, Any], pos_cache: dict[Any, Any]) -> MsgGenerator:
    """Checkpoint, then move the motors of ``step`` that are not already there.

    ``pos_cache`` remembers where each motor was last sent and is updated.

    Examples
    --------
    >>> cache = {}
    >>> [m.command for m in move_per_step({'m1': 1, 'm2': 2}, cache)]
    ['checkpoint', 'set', 'set', 'wait']
    >>> [m.command for m in move_per_step({'m1': 1, 'm2': 3}, cache)]
    ['checkpoint', 'set', 'wait']
    """
    yield Msg("checkpoint")
    group = short_uid("set")
    for motor, position in step.items():
        if position == pos_cache.get(motor, _NOT_MOVED):
            continue
        yield Msg("set", motor, position, group=group)
        pos_cache[motor] = position
    yield Msg("wait", None, group=group)


def one_nd_step(detectors: Sequence[Any], step: Mapping[Any, Any], pos_cache: dict[Any, Any],
                take_reading: TakeReading | None = None) -> MsgGenerator:
    """One step of an N-D scan: :func:`move_per_step`, then read detectors and motors.

    Examples
    --------
    >>> plan = one_nd_step([], {'m1': 1}, {}, take_reading=lambda devs: iter([]))
    >>> [m.command for m in plan]
    ['checkpoint', 'set', 'wait']
    """
    take_reading = trigger_and_read if take_reading is None else take_reading
    yield from move_per_step(step, pos_cache)
    return (yield from take_reading(list(detectors) + list(step.keys())))


def repeater(n: int | None, gen_func: Callable[..., Any], *args: Any, **kwargs: Any) -> MsgGenerator:
    """Run ``gen_func(*args, **kwargs)`` ``n`` times (forever if ``n`` is None).

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.command for m in repeater(2, lambda: iter([Msg('null')]))]
    ['null', 'null']
    """
    counter = itertools.count() if n is None else range(n)
    for _ in counter:
        yield from ensure_generator(gen_func(*args, **kwargs))


def caching_repeater(n: int | None, plan: Iterable[Any]) -> MsgGenerator:
    """Run the messages of ``plan`` ``n`` times (forever if None), collected once up front.

    Only for plans that do not use the RunEngine's responses.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.command for m in caching_repeater(2, [Msg('null')])]
    ['null', 'null']
    """
    messages = list(plan)
    counter = itertools.count() if n is None else range(n)
    for _ in counter:
        yield from ensure_generator(messages)


def _delays(num: int | None, delay: Any) -> Any:
    if not isinstance(delay, Iterable):
        return itertools.repeat(delay)
    try:
        available = len(delay)  # type: ignore[arg-type]
    except TypeError:
        pass
    else:
        if num and num - 1 > available:
            raise ValueError(
                f"repeat: num={num} needs {num - 1} delays between repetitions but "
                f"delay has only {available}; give more delays or a single number."
            )
    return iter(delay)


def repeat(plan: Callable[[], Any], num: int | None = 1, delay: Any = 0.0) -> MsgGenerator:
    """Run ``plan()`` ``num`` times with a checkpoint before each, spaced by ``delay``.

    Parameters
    ----------
    plan : callable
        Returns the plan to run each time.
    num : int or None, optional
        Number of repetitions; None repeats until the plan is stopped.
    delay : float or iterable of float, optional
        Seconds from the start of one repetition to the start of the next
        (no sleep when a repetition takes longer); an iterable gives one
        delay per gap. Nothing is slept after the last repetition.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.command for m in repeat(lambda: iter([Msg('null')]), num=2)]
    ['checkpoint', 'null', 'checkpoint', 'null']
    """
    delays = _delays(num, delay)
    counter = itertools.count() if num is None else range(num)
    for i in counter:
        started = time.monotonic()
        yield Msg("checkpoint")
        yield from ensure_generator(plan())
        if num is not None and i + 1 == num:
            break
        try:
            gap = next(delays)
        except StopIteration:
            if num is None:
                break
            raise ValueError(
                f"repeat: num={num} but delay gave only {i} delays; give more delays "
                "or a single number."
            ) from None
        if gap is not None:
            remaining = gap - (time.monotonic() - started)
            if remaining > 0:
                yield Msg("sleep", None, remaining)
