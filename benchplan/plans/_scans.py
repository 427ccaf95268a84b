"""count, scan_nd and the 1-D scans (scan, list_scan, log_scan and their relative forms)."""

from __future__ import annotations

import inspect
import numbers
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from itertools import zip_longest
from typing import Any

import numpy as np

from ._patterns import inner_list_product, inner_product
from ._preprocessors import run_wrapper, stage_wrapper
from ._relative import relative_set_wrapper, reset_positions_wrapper
from ._stubs_steps import one_1d_step, one_nd_step, one_shot, repeat
from ._utils import MsgGenerator, check_detectors, dimension_hints, merge_cycler, pairs

__all__ = [
    "count",
    "list_scan",
    "log_scan",
    "rel_list_scan",
    "rel_log_scan",
    "rel_scan",
    "scan",
    "scan_nd",
]

PATTERNS_MODULE = "benchplan.plans.patterns"

#: ``per_step(detectors, step, pos_cache)`` for N-D scans.
PerStep = Callable[..., Any]


def start_md(defaults: Mapping[str, Any], md: Mapping[str, Any] | None,
             default_hints: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Merge a plan's start metadata with the user's; the user's keys win.

    ``hints`` are merged key by key: the plan's ``default_hints`` fill in
    what the user's hints leave out. The user's dicts are not modified.
    """
    merged = {**defaults, **(md or {})}
    merged["hints"] = {**(default_hints or {}), **(merged.get("hints") or {})}
    return merged


def md_value(value: Any) -> Any:
    """Return ``value`` fit for a start document: numpy arrays become lists."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


def check_num(num: Any, plan_name: str) -> int:
    """Return ``num`` as an int, or raise ValueError if it is not a whole number >= 1."""
    if isinstance(num, bool) or not isinstance(num, numbers.Real) or not float(num).is_integer() or num < 1:
        raise ValueError(
            f"{plan_name}: num is the number of points (not a step size) and must be a whole "
            f"number of at least 1; got {num!r}."
        )
    return int(float(num))


def relative(plan: MsgGenerator, motors: Sequence[Any]) -> MsgGenerator:
    """Make ``plan``'s moves of ``motors`` relative, and move them back at the end."""
    return reset_positions_wrapper(relative_set_wrapper(plan, motors), motors)


def count(detectors: Sequence[Any], num: int | None = 1, delay: Any = 0.0, *,
          per_shot: Callable[..., Any] | None = None,
          md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Read detectors ``num`` times, with no motors moving.

    Parameters
    ----------
    detectors : list or tuple of readable devices
    num : int or None, optional
        Number of readings (default 1); None counts until stopped.
    delay : float or iterable of float, optional
        Seconds between the starts of successive readings.
    per_shot : callable, optional
        ``per_shot(detectors)`` plan for each reading; default
        :func:`~benchplan.plans.stubs.one_shot`.
    md : dict, optional
        Metadata for the start document.

    Returns
    -------
    str
        The uid of the run.

    Examples
    --------
    >>> RE(count([dmm.voltage], num=5, delay=0.1))  # doctest: +SKIP
    """
    check_detectors(detectors, "count")
    if num is not None:
        num = check_num(num, "count")
    _md = start_md({
        "detectors": [det.name for det in detectors],
        "num_points": num,
        "num_intervals": None if num is None else num - 1,
        "plan_args": {"detectors": list(map(repr, detectors)), "num": num, "delay": delay},
        "plan_name": "count",
    }, md, {"dimensions": [(("time",), "primary")]})
    shot = partial(per_shot or one_shot, detectors)
    plan = run_wrapper(repeat(shot, num=num, delay=delay), md=_md)
    return (yield from stage_wrapper(plan, detectors))


def _per_step_takes(sig: inspect.Signature, names: tuple[str, ...]) -> bool:
    params = list(sig.parameters.values())
    if len(params) < len(names):
        return False
    for name, param in zip_longest(names, params):
        if name is not None:
            if param.name != name:
                return False
        elif param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD) and param.default is param.empty:
            return False
    return True


def _nd_per_step(per_step: PerStep | None, motors: list[Any]) -> PerStep:
    """Return an N-D per-step plan, adapting a 1-D one ``(detectors, motor, step)``."""
    if per_step is None:
        return one_nd_step
    sig = inspect.signature(per_step)
    if _per_step_takes(sig, ("detectors", "step", "pos_cache")):
        return per_step
    if _per_step_takes(sig, ("detectors", "motor", "step")):
        if len(motors) != 1:
            raise TypeError(
                f"per_step {per_step!r} moves one motor (detectors, motor, step) but the scan "
                f"moves {len(motors)}; write it as per_step(detectors, step, pos_cache)."
            )
        (motor,) = motors

        def one_d(detectors: Sequence[Any], step: Mapping[Any, Any], pos_cache: dict) -> MsgGenerator:
            (position,) = step.values()
            return (yield from per_step(detectors, motor, position))

        return one_d
    raise TypeError(
        f"per_step must take (detectors, step, pos_cache) or (detectors, motor, step); "
        f"{per_step!r} takes {sig}."
    )


def scan_nd(detectors: Sequence[Any], cycler: Any, *, per_step: PerStep | None = None,
            md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Scan over any trajectory given as a cycler of motor positions.

    Parameters
    ----------
    detectors : list or tuple of readable devices
    cycler : cycler.Cycler
        Its keys are the motors, each of its items one step
        ``{motor: position}``; build it with ``cycler(motor, positions)``,
        ``+`` (together) and ``*`` (every combination).
    per_step : callable, optional
        ``per_step(detectors, step, pos_cache)`` plan for each step; default
        :func:`~benchplan.plans.stubs.one_nd_step`.
    md : dict, optional
        Metadata for the start document.

    Returns
    -------
    str
        The uid of the run.

    Examples
    --------
    >>> from cycler import cycler
    >>> traj = cycler(motor1, [1, 2, 3]) * cycler(motor2, [0, 5])  # doctest: +SKIP
    >>> RE(scan_nd([det], traj))  # doctest: +SKIP
    """
    check_detectors(detectors, "scan_nd")
    length = len(cycler)
    if length < 1:
        raise ValueError("scan_nd: the trajectory has no points; give positions for each motor.")
    keys = list(next(iter(cycler)))  # the motors, in the order the cycler was built
    _md = start_md({
        "detectors": [det.name for det in detectors],
        "motors": [motor.name for motor in keys],
        "num_points": length,
        "num_intervals": length - 1,
        "plan_args": {"detectors": list(map(repr, detectors)), "cycler": repr(cycler),
                      "per_step": repr(per_step)},
        "plan_name": "scan_nd",
    }, md, {"dimensions": dimension_hints(keys, combined=False)})
    step_plan = _nd_per_step(per_step, keys)
    merged = merge_cycler(cycler)
    motors = list(next(iter(merged)))
    pos_cache: dict[Any, Any] = defaultdict(lambda: None)

    def steps() -> MsgGenerator:
        for step in list(merged):
            yield from step_plan(detectors, step, pos_cache)

    plan = run_wrapper(steps(), md=_md)
    return (yield from stage_wrapper(plan, list(detectors) + motors))


def _scan_args(args: tuple, num: Any) -> tuple[tuple, int]:
    if num is None:
        if len(args) % 3 != 1:
            raise ValueError(
                "scan: give the number of points as the last positional argument or as num=, "
                "after motor, start, stop for each motor, e.g. scan([det], motor, -1, 1, 5); "
                f"got {len(args)} positional argument(s)."
            )
        num, args = args[-1], args[:-1]
    num = check_num(num, "scan")
    if not args or len(args) % 3:
        raise ValueError(
            f"scan: give motor, start, stop for each motor; got {len(args)} argument(s) "
            "besides num."
        )
    return args, num


def scan(detectors: Sequence[Any], *args: Any, num: int | None = None,
         per_step: PerStep | None = None, md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Move one or more motors together in equal steps, reading detectors at each.

    Parameters
    ----------
    detectors : list or tuple of readable devices
    *args
        ``motor1, start1, stop1, motor2, start2, stop2, ..., num``; ``num``
        (the number of points) may instead be given as a keyword.
    num : int, optional
        The number of points, including both ends.
    per_step : callable, optional
        ``per_step(detectors, step, pos_cache)`` plan for each step.
    md : dict, optional
        Metadata for the start document.

    Examples
    --------
    >>> RE(scan([dmm], psu.voltage, 0, 5, 11))  # doctest: +SKIP
    """
    check_detectors(detectors, "scan")
    args, num = _scan_args(args, num)
    chunks = pairs(args, 3)
    motors = [motor for motor, _, _ in chunks]
    md_args = [item for motor, start, stop in chunks for item in (repr(motor), start, stop)]
    default_dims = dimension_hints(motors, combined=True)
    _md = start_md({
        "plan_args": {"detectors": list(map(repr, detectors)), "num": num, "args": md_args,
                      "per_step": repr(per_step)},
        "plan_name": "scan",
        "plan_pattern": "inner_product",
        "plan_pattern_module": PATTERNS_MODULE,
        "plan_pattern_args": {"num": num, "args": md_args},
        "motors": tuple(motor.name for motor in motors),
    }, md, {"dimensions": default_dims} if default_dims else {})
    return (yield from scan_nd(detectors, inner_product(num, args), per_step=per_step, md=_md))


def rel_scan(detectors: Sequence[Any], *args: Any, num: int | None = None,
             per_step: PerStep | None = None, md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """:func:`scan` with positions relative to where the motors start; they return there.

    Examples
    --------
    >>> RE(rel_scan([dmm], motor, -1, 1, 5))  # doctest: +SKIP
    """
    check_detectors(detectors, "rel_scan")
    motors = [motor for motor, _, _ in pairs(args, 3)]
    plan = scan(detectors, *args, num=num, per_step=per_step, md={"plan_name": "rel_scan", **(md or {})})
    return (yield from relative(plan, motors))


def _list_args(args: tuple, plan_name: str) -> list[tuple[Any, list]]:
    if not args or len(args) % 2:
        raise ValueError(
            f"{plan_name}: give a motor and a list of positions for each motor; "
            f"got {len(args)} argument(s)."
        )
    return [(motor, list(positions)) for motor, positions in pairs(args, 2)]


def list_scan(detectors: Sequence[Any], *args: Any, per_step: PerStep | None = None,
              md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Move motors together through lists of positions, reading detectors at each.

    Parameters
    ----------
    detectors : list or tuple of readable devices
    *args
        ``motor1, [positions1], motor2, [positions2], ...``; all lists
        equally long.
    per_step : callable, optional
    md : dict, optional

    Examples
    --------
    >>> RE(list_scan([dmm], psu.voltage, [0, 1, 2.5, 5]))  # doctest: +SKIP
    """
    check_detectors(detectors, "list_scan")
    chunks = _list_args(args, "list_scan")
    lengths = {motor.name: len(positions) for motor, positions in chunks}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            f"list_scan: every motor needs the same number of positions, but got {lengths}; "
            "make the lists equally long (or use list_grid_scan for every combination)."
        )
    motors = [motor for motor, _ in chunks]
    md_args = [item for motor, positions in pairs(args, 2) for item in (repr(motor), md_value(positions))]
    length = len(chunks[0][1])
    default_dims = dimension_hints(motors, combined=True)
    _md = start_md({
        "detectors": [det.name for det in detectors],
        "motors": list(lengths),
        "num_points": length,
        "num_intervals": length - 1,
        "plan_args": {"detectors": list(map(repr, detectors)), "args": md_args,
                      "per_step": repr(per_step)},
        "plan_name": "list_scan",
        "plan_pattern": "inner_list_product",
        "plan_pattern_module": PATTERNS_MODULE,
        "plan_pattern_args": {"args": md_args},
    }, md, {"dimensions": default_dims} if default_dims else {})
    trajectory = inner_list_product([item for chunk in chunks for item in chunk])
    return (yield from scan_nd(detectors, trajectory, per_step=per_step, md=_md))


def rel_list_scan(detectors: Sequence[Any], *args: Any, per_step: PerStep | None = None,
                  md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """:func:`list_scan` with positions relative to where the motors start; they return there.

    Examples
    --------
    >>> RE(rel_list_scan([dmm], motor, [-1, 0, 1]))  # doctest: +SKIP
    """
    motors = [motor for motor, _ in pairs(args, 2)]
    plan = list_scan(detectors, *args, per_step=per_step, md={"plan_name": "rel_list_scan", **(md or {})})
    return (yield from relative(plan, motors))


def log_scan(detectors: Sequence[Any], motor: Any, start: float, stop: float, num: int, *,
             per_step: Callable[..., Any] | None = None,
             md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Move one motor through ``num`` log-spaced positions, 10**start to 10**stop.

    Parameters
    ----------
    detectors : list or tuple of readable devices
    motor : settable device
    start, stop : float
        Exponents (base 10) of the first and last positions.
    num : int
        Number of points.
    per_step : callable, optional
        ``per_step(detectors, motor, step)`` plan for each step; default
        :func:`~benchplan.plans.stubs.one_1d_step`.
    md : dict, optional

    Examples
    --------
    >>> RE(log_scan([dmm], source.frequency, 1, 4, 13))  # 10 Hz to 10 kHz  # doctest: +SKIP
    """
    check_detectors(detectors, "log_scan")
    num = check_num(num, "log_scan")
    _md = start_md({
        "detectors": [det.name for det in detectors],
        "motors": [motor.name],
        "num_points": num,
        "num_intervals": num - 1,
        "plan_args": {"detectors": list(map(repr, detectors)), "num": num, "start": start,
                      "stop": stop, "motor": repr(motor), "per_step": repr(per_step)},
        "plan_name": "log_scan",
        "plan_pattern": "logspace",
        "plan_pattern_module": "numpy",
        "plan_pattern_args": {"start": start, "stop": stop, "num": num},
    }, md, {"dimensions": dimension_hints([motor], combined=False)})
    step_plan = per_step or one_1d_step

    def steps() -> MsgGenerator:
        for position in np.logspace(start, stop, num):
            yield from step_plan(detectors, motor, position)

    plan = run_wrapper(steps(), md=_md)
    return (yield from stage_wrapper(plan, list(detectors) + [motor]))


def rel_log_scan(detectors: Sequence[Any], motor: Any, start: float, stop: float, num: int, *,
                 per_step: Callable[..., Any] | None = None,
                 md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """:func:`log_scan` with positions relative to where the motor starts; it returns there.

    Examples
    --------
    >>> RE(rel_log_scan([dmm], motor, 0, 2, 5))  # doctest: +SKIP
    """
    plan = log_scan(detectors, motor, start, stop, num, per_step=per_step,
                    md={"plan_name": "rel_log_scan", **(md or {})})
    return (yield from relative(plan, [motor]))
