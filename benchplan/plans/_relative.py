"""Wrappers that make moves relative and put devices back where they were."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from benchplan.engine import Msg

from ._mutators import finalize_wrapper, msg_mutator, pchain, plan_mutator
from ._utils import MsgGenerator, get_hinted_fields, make_decorator, merge_axis, short_uid, single_gen

__all__ = [
    "relative_set_decorator",
    "relative_set_wrapper",
    "reset_positions_decorator",
    "reset_positions_wrapper",
]

logger = logging.getLogger(__name__)


def _normalize_devices(devices: Iterable[Any]) -> tuple[set[Any], set[Any]]:
    """Return the devices to watch and the pseudo positioners among them.

    Moving one pseudo axis moves its siblings, so they are watched too.
    """
    devices = list(devices)
    _, complex_objs, coupled = merge_axis(devices)
    watched = set(devices)
    parents = set()
    for parent in complex_objs:
        watched.update(parent.pseudo_positioners)
        parents.add(parent)
    for parent, kinds in coupled.items():
        if kinds["pseudo"]:
            watched.update(parent.pseudo_positioners)
            watched.add(parent)
            parents.add(parent)
    return watched, parents


def _current_position(obj: Any) -> MsgGenerator:
    """Find where a device is: its location, its ``position``, or its reading."""
    if callable(getattr(obj, "locate", None)) and callable(getattr(obj, "set", None)):
        location = yield Msg("locate", obj)
        if location is None:  # no engine behind (the plan is being listed)
            logger.info("positions of %s are relative to its current position", obj.name)
            return 0
        return location["setpoint"]
    if hasattr(obj, "position"):
        return obj.position
    reading = yield Msg("read", obj)
    if reading is None:
        logger.info("positions of %s are relative to its current position", obj.name)
        return 0
    fields = get_hinted_fields(obj)
    if len(fields) > 1:
        raise ValueError(
            f"Cannot find the position of {obj.name!r} for a relative move: it hints "
            f"{len(fields)} fields {fields}; hint exactly one field, or move a single "
            "component of it."
        )
    key = fields[0] if fields else next(iter(reading))
    return reading[key]["value"]


def _stash_position(obj: Any, positions: dict[Any, Any], parents: set[Any]) -> MsgGenerator:
    position = yield from _current_position(obj)
    positions[obj] = position
    if obj in parents:  # a pseudo positioner: note each of its axes too
        for child, child_pos in zip(obj.pseudo_positioners, position):
            positions[child] = child_pos
    parent: Any = getattr(obj, "parent", None)
    if parent in parents and obj in list(parent.pseudo_positioners):
        parent_pos = parent.position
        positions[parent] = parent_pos
        for child, child_pos in zip(parent.pseudo_positioners, parent_pos):
            positions[child] = child_pos


def _stash_before_first_set(devices: Any, positions: dict[Any, Any], parents: set[Any]) -> Any:
    def insert_read(msg: Any) -> tuple[Any, Any]:
        if msg.command != "set" or msg.obj in positions:
            return None, None
        if devices is not None and msg.obj not in devices:
            return None, None
        return pchain(_stash_position(msg.obj, positions, parents), single_gen(msg)), None

    return insert_read


def relative_set_wrapper(plan: Iterable[Any], devices: Iterable[Any] | None = None) -> MsgGenerator:
    """Treat the positions ``plan`` sets as offsets from where each device started.

    Before the first ``set`` of each device its position is found (with
    ``locate``, its ``position`` attribute, or a ``read``) and added to
    every position the plan sets for it.

    Parameters
    ----------
    plan : iterable of Msg
    devices : iterable, optional
        Only these devices move relatively; default all.

    Examples
    --------
    >>> from benchplan.plans.stubs import mv
    >>> plan = relative_set_wrapper(mv(motor, 1))  # doctest: +SKIP
    >>> RE(plan)  # moves motor by +1  # doctest: +SKIP
    """
    positions: dict[Any, Any] = {}
    watched, parents = _normalize_devices(devices) if devices is not None else (None, set())

    def shift(msg: Any) -> Any:
        if msg.command == "set" and msg.obj in positions:
            (offset,) = msg.args
            return msg._replace(args=(positions[msg.obj] + offset,))
        return msg

    inserted = plan_mutator(plan, _stash_before_first_set(watched, positions, parents))
    return (yield from msg_mutator(inserted, shift))


def reset_positions_wrapper(plan: Iterable[Any], devices: Iterable[Any] | None = None) -> MsgGenerator:
    """Move every device ``plan`` sets back to where it started, at the end.

    The positions are noted before each device's first ``set``; at the end
    (also after an error, an abort or a stop) all are set back together and
    waited for.

    Parameters
    ----------
    plan : iterable of Msg
    devices : iterable, optional
        Only reset these devices; default all that were set.

    Examples
    --------
    >>> from benchplan.plans.stubs import mv
    >>> RE(reset_positions_wrapper(mv(motor, 5)))  # motor ends where it began  # doctest: +SKIP
    """
    positions: dict[Any, Any] = {}
    watched, parents = _normalize_devices(devices) if devices is not None else (None, set())

    def reset() -> MsgGenerator:
        group = short_uid("reset")
        for obj, position in positions.items():
            if getattr(obj, "parent", None) in parents:
                continue  # the pseudo positioner itself is reset
            yield Msg("set", obj, position, group=group)
        yield Msg("wait", None, group=group)

    inserted = plan_mutator(plan, _stash_before_first_set(watched, positions, parents))
    return (yield from finalize_wrapper(inserted, reset))


relative_set_decorator = make_decorator(relative_set_wrapper)
reset_positions_decorator = make_decorator(reset_positions_wrapper)
