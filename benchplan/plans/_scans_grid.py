"""Grid scans: every combination of the motors' positions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._patterns import (
    OuterProductArgsPattern,
    chunk_outer_product_args,
    classify_outer_product_args_pattern,
    outer_list_product,
    outer_product,
)
from ._scans import PATTERNS_MODULE, PerStep, _list_args, check_num, md_value, relative, scan_nd, start_md
from ._utils import MsgGenerator, check_detectors, dimension_hints, pairs

__all__ = ["grid_scan", "list_grid_scan", "rel_grid_scan", "rel_list_grid_scan"]


def _names(devices: Iterable[Any]) -> list[str]:
    return [getattr(d, "name", repr(d)) for d in devices]


def _grid_chunks(args: tuple, snake_axes: Any) -> list[tuple]:
    """Return ``(motor, start, stop, num, snake)`` per motor, snake flags resolved."""
    if not args or (len(args) % 4 and (len(args) < 9 or (len(args) - 4) % 5)):
        raise ValueError(
            "grid_scan: give motor, start, stop, num for each motor, e.g. "
            f"grid_scan([det], motor1, 0, 1, 3, motor2, 0, 1, 5); got {len(args)} argument(s)."
        )
    pattern = classify_outer_product_args_pattern(args)
    old_style = pattern is OuterProductArgsPattern.PATTERN_2
    if old_style and snake_axes is not None:
        raise ValueError(
            "grid_scan: snake flags in the arguments (the old style) cannot be combined with "
            "snake_axes; use one or the other."
        )
    chunks = [list(chunk) for chunk in chunk_outer_product_args(args, pattern)]
    motors = [chunk[0] for chunk in chunks]
    if len(set(map(id, motors))) != len(motors):
        raise ValueError(f"grid_scan: a motor is listed more than once in {_names(motors)}; list each once.")
    for chunk in chunks:
        chunk[3] = check_num(chunk[3], "grid_scan")
    if old_style or snake_axes is None or snake_axes is False:
        if not old_style:
            for chunk in chunks:
                chunk[4] = False
        return [tuple(chunk) for chunk in chunks]
    if snake_axes is True:
        snaked = motors[1:]
    elif isinstance(snake_axes, Iterable) and not isinstance(snake_axes, str):
        snaked = list(snake_axes)
        if len(set(map(id, snaked))) != len(snaked):
            raise ValueError(f"grid_scan: snake_axes lists a motor more than once: {_names(snaked)}.")
        if any(axis is motors[0] for axis in snaked):
            raise ValueError(
                f"grid_scan: snake_axes contains the first (slowest) motor {motors[0].name!r}, "
                "which cannot snake; list only later motors."
            )
        strangers = [axis for axis in snaked if not any(axis is m for m in motors)]
        if strangers:
            raise ValueError(
                f"grid_scan: snake_axes names {_names(strangers)}, which the scan does not move; "
                f"list only motors of the scan {_names(motors)}."
            )
    else:
        raise ValueError(
            f"grid_scan: snake_axes must be True, False, None or a list of motors, not {snake_axes!r}."
        )
    for i, chunk in enumerate(chunks):
        chunk[4] = i > 0 and any(chunk[0] is axis for axis in snaked)
    return [tuple(chunk) for chunk in chunks]


def grid_scan(detectors: Sequence[Any], *args: Any, snake_axes: Any = None,
              per_step: PerStep | None = None, md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Scan every combination of equally spaced positions of several motors.

    Parameters
    ----------
    detectors : list or tuple of readable devices
    *args
        ``motor1, start1, stop1, num1, motor2, start2, stop2, num2, ...``;
        the first motor is the slowest (outer loop).
    snake_axes : bool or list of motors, optional
        True runs every motor but the first back and forth instead of
        returning to its start; a list snakes just those motors.
    per_step : callable, optional
        ``per_step(detectors, step, pos_cache)`` plan for each step.
    md : dict, optional

    Examples
    --------
    >>> RE(grid_scan([dmm], psu.voltage, 0, 5, 6, load.current, 0, 1, 3))  # doctest: +SKIP
    """
    check_detectors(detectors, "grid_scan")
    chunks = _grid_chunks(args, snake_axes)
    trajectory_args: list[Any] = []
    md_args: list[Any] = []
    for i, (motor, start, stop, num, snake) in enumerate(chunks):
        trajectory_args.extend((motor, start, stop, num) + ((snake,) if i else ()))
        md_args.extend((repr(motor), start, stop, num) + ((snake,) if i else ()))
    motors = [chunk[0] for chunk in chunks]
    _md = start_md({
        "shape": tuple(chunk[3] for chunk in chunks),
        "extents": tuple([chunk[1], chunk[2]] for chunk in chunks),
        "snaking": tuple(chunk[4] for chunk in chunks),
        "plan_args": {"detectors": list(map(repr, detectors)), "args": md_args,
                      "per_step": repr(per_step)},
        "plan_name": "grid_scan",
        "plan_pattern": "outer_product",
        "plan_pattern_args": {"args": md_args},
        "plan_pattern_module": PATTERNS_MODULE,
        "motors": tuple(motor.name for motor in motors),
    }, md, {"gridding": "rectilinear", "dimensions": dimension_hints(motors, combined=False)})
    trajectory = outer_product(trajectory_args)
    return (yield from scan_nd(detectors, trajectory, per_step=per_step, md=_md))


def rel_grid_scan(detectors: Sequence[Any], *args: Any, snake_axes: Any = None,
                  per_step: PerStep | None = None, md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """:func:`grid_scan` relative to where the motors start; they return there.

    Examples
    --------
    >>> RE(rel_grid_scan([det], motor1, -1, 1, 3, motor2, -2, 2, 5))  # doctest: +SKIP
    """
    check_detectors(detectors, "rel_grid_scan")
    motors = [chunk[0] for chunk in _grid_chunks(args, snake_axes)]
    plan = grid_scan(detectors, *args, snake_axes=snake_axes, per_step=per_step,
                     md={"plan_name": "rel_grid_scan", **(md or {})})
    return (yield from relative(plan, motors))


def list_grid_scan(detectors: Sequence[Any], *args: Any, snake_axes: Any = False,
                   per_step: PerStep | None = None, md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Scan every combination of the motors' lists of positions.

    Parameters
    ----------
    detectors : list or tuple of readable devices
    *args
        ``motor1, [positions1], motor2, [positions2], ...``; the first motor
        is the slowest.
    snake_axes : bool or list of motors, optional
        As in :func:`grid_scan`; default False.
    per_step : callable, optional
    md : dict, optional

    Examples
    --------
    >>> RE(list_grid_scan([dmm], psu.voltage, [1, 2, 5], load.current, [0.1, 0.5]))  # doctest: +SKIP
    """
    check_detectors(detectors, "list_grid_scan")
    chunks = _list_args(args, "list_grid_scan")
    empty = [motor.name for motor, positions in chunks if not positions]
    if empty:
        raise ValueError(f"list_grid_scan: no positions given for {empty}; give at least one each.")
    motors = [motor for motor, _ in chunks]
    md_args = [item for motor, positions in pairs(args, 2) for item in (repr(motor), md_value(positions))]
    _md = start_md({
        "shape": tuple(len(positions) for _, positions in chunks),
        "extents": tuple([min(positions), max(positions)] for _, positions in chunks),
        "snake_axes": repr(snake_axes),
        "plan_args": {"detectors": list(map(repr, detectors)), "args": md_args,
                      "per_step": repr(per_step)},
        "plan_name": "list_grid_scan",
        "plan_pattern": "outer_list_product",
        "plan_pattern_args": {"args": md_args, "snake_axes": repr(snake_axes)},
        "plan_pattern_module": PATTERNS_MODULE,
        "motors": tuple(motor.name for motor in motors),
    }, md, {"dimensions": dimension_hints(motors, combined=False)})
    trajectory = outer_list_product([item for chunk in chunks for item in chunk], snake_axes)
    return (yield from scan_nd(detectors, trajectory, per_step=per_step, md=_md))


def rel_list_grid_scan(detectors: Sequence[Any], *args: Any, snake_axes: Any = False,
                       per_step: PerStep | None = None,
                       md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """:func:`list_grid_scan` relative to where the motors start; they return there.

    Examples
    --------
    >>> RE(rel_list_grid_scan([det], motor1, [-1, 0, 1], motor2, [0, 2]))  # doctest: +SKIP
    """
    check_detectors(detectors, "rel_list_grid_scan")
    motors = [motor for motor, _ in pairs(args, 2)]
    plan = list_grid_scan(detectors, *args, snake_axes=snake_axes, per_step=per_step,
                          md={"plan_name": "rel_list_grid_scan", **(md or {})})
    return (yield from relative(plan, motors))
