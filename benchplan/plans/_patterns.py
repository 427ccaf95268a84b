"""Trajectories of the standard scans, as cyclers of ``{motor: position}`` steps.

Start documents name these functions in ``plan_pattern`` with
``plan_pattern_module = 'benchplan.plans.patterns'``, so a consumer can
rebuild a scan's trajectory.
"""

from __future__ import annotations

import enum
import functools
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from cycler import Cycler, cycler

from ._utils import is_movable, pairs

__all__ = [
    "OuterProductArgsPattern",
    "chunk_outer_product_args",
    "classify_outer_product_args_pattern",
    "inner_list_product",
    "inner_product",
    "outer_list_product",
    "outer_product",
    "snake_cyclers",
]


def inner_product(num: int, args: Sequence[Any]) -> Cycler:
    """Move all motors together, each from its start to its stop in ``num`` points.

    ``args`` is ``motor1, start1, stop1, motor2, start2, stop2, ...``.

    Examples
    --------
    >>> [float(step['x']) for step in inner_product(3, ['x', 0, 1])]
    [0.0, 0.5, 1.0]
    """
    if not args or len(args) % 3:
        raise ValueError(
            "inner_product takes triplets motor, start, stop; "
            f"got {len(args)} argument(s)."
        )
    parts = (cycler(motor, np.linspace(start, stop, num=num, endpoint=True))
             for motor, start, stop in pairs(args, 3))
    return functools.reduce(operator.add, parts)


def inner_list_product(args: Sequence[Any]) -> Cycler:
    """Move all motors together through their lists of positions.

    ``args`` is ``motor1, positions1, motor2, positions2, ...``; the lists
    must be equally long.

    Examples
    --------
    >>> list(inner_list_product(['x', [1, 2], 'y', [3, 4]]))
    [{'x': 1, 'y': 3}, {'x': 2, 'y': 4}]
    """
    if not args or len(args) % 2:
        raise ValueError(
            "inner_list_product takes pairs motor, list of positions; "
            f"got {len(args)} argument(s)."
        )
    return functools.reduce(operator.add, (cycler(motor, list(pos)) for motor, pos in pairs(args, 2)))


def snake_cyclers(cyclers: Sequence[Cycler], snake_booleans: Sequence[bool]) -> Cycler:
    """Take the outer product of cyclers, running the snaked ones back and forth.

    The first cycler is the slowest. A snaked axis runs forwards on even
    passes of the slower axes and backwards on odd ones.
    """
    if len(cyclers) != len(snake_booleans):
        raise ValueError(
            f"snake_cyclers got {len(cyclers)} cyclers but {len(snake_booleans)} snake flags; "
            "give one flag per cycler."
        )
    if not any(snake_booleans[1:]):
        return functools.reduce(operator.mul, cyclers)
    lengths = [len(c) for c in cyclers]
    parts = []
    for i, (cyc, snake) in enumerate(zip(cyclers, snake_booleans)):
        passes = int(np.prod(lengths[:i]))
        repeats = int(np.prod(lengths[i + 1 :]))
        for key, values in cyc.by_key().items():
            forward = np.repeat(np.asarray(values), repeats)
            if snake:
                backward = np.repeat(np.asarray(values)[::-1], repeats)
                full = np.concatenate([backward if p % 2 else forward for p in range(passes)])
            else:
                full = np.tile(forward, passes)
            parts.append(cycler(key, full))
    return functools.reduce(operator.add, parts)


def outer_list_product(args: Sequence[Any], snake_axes: Any) -> Cycler:
    """Visit every combination of the motors' position lists (a grid).

    ``args`` is ``motor1, positions1, motor2, positions2, ...`` with the
    first motor the slowest. ``snake_axes`` is False (no snaking), True
    (snake all but the first) or a list of motors to snake.

    Examples
    --------
    >>> [[int(v) for v in s.values()] for s in outer_list_product(['x', [1, 2], 'y', [3, 4]], True)]
    [[1, 3], [1, 4], [2, 4], [2, 3]]
    """
    if not args or len(args) % 2:
        raise ValueError(
            "outer_list_product takes pairs motor, list of positions; "
            f"got {len(args)} argument(s)."
        )
    chunks = pairs(args, 2)
    if snake_axes is True:
        snaking = [i > 0 for i in range(len(chunks))]
    elif not snake_axes:
        snaking = [False] * len(chunks)
    elif isinstance(snake_axes, Iterable):
        axes = list(snake_axes)
        snaking = [motor in axes for motor, _ in chunks]
    else:
        raise ValueError(
            f"snake_axes must be False (snake nothing), True (snake all but the first motor) "
            f"or a list of motors to snake, not {snake_axes!r}."
        )
    return snake_cyclers([cycler(motor, list(pos)) for motor, pos in chunks], snaking)


class OuterProductArgsPattern(enum.Enum):
    """How ``grid_scan`` arguments are laid out.

    ``PATTERN_1``: ``motor, start, stop, num`` for every motor.
    ``PATTERN_2`` (old style): like 1 but every motor after the first also
    has a ``snake`` flag after its ``num``.
    """

    PATTERN_1 = 1
    PATTERN_2 = 2


def _motor_slots(pattern: OuterProductArgsPattern, n_args: int) -> set[int]:
    if pattern is OuterProductArgsPattern.PATTERN_1:
        return set(range(0, n_args, 4))
    return {0} | set(range(4, n_args, 5))


def _motors_in_place(args: Sequence[Any], pattern: OuterProductArgsPattern) -> bool:
    slots = _motor_slots(pattern, len(args))
    return all(is_movable(arg) == (i in slots) for i, arg in enumerate(args))


def classify_outer_product_args_pattern(args: Sequence[Any]) -> OuterProductArgsPattern:
    """Tell which layout grid-scan arguments use; raise ValueError if neither fits.

    Examples
    --------
    >>> classify_outer_product_args_pattern([motor1, 0, 1, 3, motor2, 0, 1, 5])  # doctest: +SKIP
    <OuterProductArgsPattern.PATTERN_1: 1>
    """
    args = list(args)
    fits_1 = bool(args) and len(args) % 4 == 0
    fits_2 = len(args) > 4 and (len(args) - 4) % 5 == 0
    if not fits_1 and not fits_2:
        raise ValueError(
            f"Cannot read the grid scan arguments: got {len(args)} of them, but they must be "
            "motor, start, stop, num for each motor (a multiple of 4)."
        )
    candidates = [p for p, fits in ((OuterProductArgsPattern.PATTERN_1, fits_1),
                                    (OuterProductArgsPattern.PATTERN_2, fits_2)) if fits]
    for pattern in candidates:
        if _motors_in_place(args, pattern):
            return pattern
    raise ValueError(
        "Cannot read the grid scan arguments: the devices are not where motors belong; "
        f"give motor, start, stop, num for each motor (got {args!r})."
    )


def chunk_outer_product_args(args: Sequence[Any],
                             pattern: OuterProductArgsPattern | None = None) -> Iterator[tuple]:
    """Yield ``(motor, start, stop, num, snake)`` for each motor of grid-scan arguments.

    The first (slowest) motor never snakes.
    """
    if pattern is None:
        pattern = classify_outer_product_args_pattern(args)
    elif not isinstance(pattern, OuterProductArgsPattern):
        raise ValueError(f"pattern must be an OuterProductArgsPattern, not {type(pattern).__name__}.")
    args = list(args)
    if pattern is OuterProductArgsPattern.PATTERN_1:
        for motor, start, stop, num in pairs(args, 4):
            yield motor, start, stop, num, False
    else:
        yield (*args[:4], False)
        yield from pairs(args[4:], 5)


def outer_product(args: Sequence[Any]) -> Cycler:
    """Visit every combination of evenly spaced positions of the motors (a grid).

    ``args`` is ``motor1, start1, stop1, num1, motor2, start2, stop2, num2,
    snake2, ...``: each motor after the first has a snake flag.

    Examples
    --------
    >>> len(outer_product([motor1, 0, 1, 2, motor2, 0, 1, 3, False]))  # doctest: +SKIP
    6
    """
    cyclers = []
    snaking = []
    for motor, start, stop, num, snake in chunk_outer_product_args(args):
        cyclers.append(cycler(motor, np.linspace(start, stop, num=num, endpoint=True)))
        snaking.append(snake)
    return snake_cyclers(cyclers, snaking)
