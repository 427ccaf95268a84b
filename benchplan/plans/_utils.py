"""Private helpers shared by the plan library.

Everything here is duck-typed: a device is whatever has the attribute a
helper looks for (``parent``, ``hints``, ``rewindable``, ``set``...), so
benchplan devices, ophyd devices and ophyd-async devices all work.
"""

from __future__ import annotations

import functools
import itertools
import operator
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from typing import Any

from benchplan.engine import Msg

__all__ = [
    "MsgGenerator",
    "all_safe_rewind",
    "ancestry",
    "check_detectors",
    "dimension_hints",
    "ensure_generator",
    "get_hinted_fields",
    "is_movable",
    "is_status",
    "make_decorator",
    "merge_axis",
    "merge_cycler",
    "pairs",
    "root_ancestor",
    "separate_devices",
    "short_uid",
    "single_gen",
]

#: A plan: a generator of messages that may return a value.
MsgGenerator = Generator[Msg, Any, Any]

# Group names only need to be unique within one process, so a counter with a
# per-process prefix does the job of a uuid at a fraction of the cost.
_UID_PREFIX = os.urandom(3).hex()
_uid_counter = itertools.count()


def short_uid(label: str | None = None) -> str:
    """Return a readable id unique in this process, like ``'set-a1b2c3-7'``."""
    n = next(_uid_counter)
    if label:
        return f"{label}-{_UID_PREFIX}-{n}"
    return f"{_UID_PREFIX}-{n}"


def single_gen(msg: Any) -> MsgGenerator:
    """Yield one message and return what the engine sends back for it."""
    return (yield msg)


def _is_msg(obj: Any) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "command") and hasattr(obj, "kwargs")


def _wrap_iterator(it: Iterator[Any]) -> MsgGenerator:
    # Not ``yield from it``: that would pass the engine's answers to it.send().
    for msg in it:
        yield msg


def ensure_generator(plan: Any) -> MsgGenerator:
    """Return something with ``send``/``throw``/``close`` for a plan.

    A single message becomes a one-message generator, a list or any other
    iterable of messages is wrapped, and a generator is returned as it is.
    """
    if _is_msg(plan):
        return single_gen(plan)
    gen = iter(plan)
    if hasattr(gen, "send") and hasattr(gen, "throw"):
        return gen
    return _wrap_iterator(gen)


def pairs(args: Sequence[Any], size: int) -> list[tuple[Any, ...]]:
    """Split ``args`` into consecutive tuples of ``size`` items (no remainder)."""
    return [tuple(args[i : i + size]) for i in range(0, len(args) - len(args) % size, size)]


def check_detectors(detectors: Any, plan_name: str) -> None:
    """Raise TypeError unless ``detectors`` is a list or tuple of devices."""
    if not isinstance(detectors, Sequence) or isinstance(detectors, str):
        raise TypeError(
            f"{plan_name}: 'detectors' must be a list or tuple of readable devices, "
            f"not {type(detectors).__name__}; wrap a single detector as [det]."
        )


# --- device trees -----------------------------------------------------------


def ancestry(obj: Any) -> list[Any]:
    """Return ``[obj, obj.parent, obj.parent.parent, ...]`` up to the root."""
    chain = [obj]
    parent = getattr(obj, "parent", None)
    while parent is not None:
        chain.append(parent)
        parent = getattr(parent, "parent", None)
    return chain


def root_ancestor(obj: Any) -> Any:
    """Return the top-most parent of ``obj`` (``obj`` itself if it has none)."""
    return ancestry(obj)[-1]


def separate_devices(devices: Iterable[Any]) -> list[Any]:
    """Drop duplicates and devices already covered by one of their ancestors.

    The order of first appearance is kept, except that when a child comes
    first and its parent later, the child is dropped and the parent goes at
    the end (as in bluesky).
    """
    result: list[Any] = []
    for dev in devices:
        line = ancestry(dev)
        if any(existing in line for existing in result):
            continue  # dev or one of its ancestors is already there
        result = [existing for existing in result if dev not in ancestry(existing)]
        result.append(dev)
    return result


def all_safe_rewind(devices: Iterable[Any]) -> bool:
    """Return False if any device has a ``rewindable`` signal reading False."""
    for dev in devices:
        flag = getattr(dev, "rewindable", None)
        if flag is not None and not flag.get():
            return False
    return True


# --- capabilities -------------------------------------------------------------


def is_status(obj: Any) -> bool:
    """Return True if ``obj`` quacks like a status (``add_callback`` and ``done``)."""
    return hasattr(obj, "add_callback") and hasattr(obj, "done")


def is_movable(obj: Any) -> bool:
    """Return True if ``obj`` can be both set and read."""
    return callable(getattr(obj, "set", None)) and callable(getattr(obj, "read", None))


def get_hinted_fields(obj: Any) -> list[str]:
    """Return the fields a device hints as interesting (``obj.hints['fields']``)."""
    hints = getattr(obj, "hints", None)
    if isinstance(hints, Mapping):
        return list(hints.get("fields", []))
    return []


def _fields_or_name(obj: Any) -> list[str]:
    hints = getattr(obj, "hints", None)
    if isinstance(hints, Mapping) and "fields" in hints:
        return list(hints["fields"])
    return [obj.name]


def dimension_hints(motors: Sequence[Any], *, combined: bool) -> list[tuple[list[str], str]]:
    """Return the ``hints['dimensions']`` entry for scans over ``motors``.

    With ``combined`` all motors move together along one axis (an inner
    product), giving one dimension; otherwise each motor is its own
    dimension. A motor without hints is represented by its name.
    """
    if combined:
        fields = [f for m in motors for f in _fields_or_name(m)]
        return [(fields, "primary")] if fields else []
    return [(_fields_or_name(m), "primary") for m in motors]


# --- decorators -----------------------------------------------------------------


def make_decorator(wrapper: Callable[..., MsgGenerator]) -> Callable[..., Any]:
    """Turn ``wrapper(plan, *args, **kwargs)`` into a generator-function decorator.

    ``make_decorator(stage_wrapper)([det])(my_plan)`` is a generator function
    that returns ``stage_wrapper(my_plan(...), [det])``.

    Examples
    --------
    >>> from benchplan import Msg
    >>> def twice(plan):
    ...     msgs = list(plan)
    ...     yield from msgs + msgs
    >>> @make_decorator(twice)()
    ... def ping():
    ...     yield Msg('null')
    >>> [m.command for m in ping()]
    ['null', 'null']
    """

    @functools.wraps(wrapper)
    def decorator_factory(*args: Any, **kwargs: Any) -> Callable[..., Any]:
        def decorator(gen_func: Callable[..., Any]) -> Callable[..., MsgGenerator]:
            @functools.wraps(gen_func)
            def wrapped(*inner_args: Any, **inner_kwargs: Any) -> MsgGenerator:
                return (yield from wrapper(gen_func(*inner_args, **inner_kwargs), *args, **kwargs))

            return wrapped

        return decorator

    name = wrapper.__name__.replace("_wrapper", "_decorator")
    decorator_factory.__name__ = name
    decorator_factory.__qualname__ = name
    return decorator_factory


# --- pseudo positioners -----------------------------------------------------------
# A pseudo positioner (ophyd's PseudoPositioner) has a ``RealPosition``
# attribute and lists its axes in ``pseudo_positioners``/``real_positioners``.
# Moving several of its pseudo axes in one step must be one ``set`` on the
# parent, so scans merge those axes before stepping.


def _is_pseudo_parent(obj: Any) -> bool:
    return obj is not None and hasattr(obj, "RealPosition")


def merge_axis(objs: Iterable[Any]) -> tuple[list[Any], list[Any], dict[Any, dict[str, list[Any]]]]:
    """Sort objects into independent ones, pseudo positioners and pseudo-axis children.

    Returns ``(independent, pseudo_parents, coupled)`` where ``coupled`` maps
    a pseudo positioner to ``{'real': [...], 'pseudo': [...], 'unrelated':
    [...]}`` of its children found in ``objs``. Order of appearance is kept.
    """
    independent: list[Any] = []
    complex_objs: list[Any] = []
    coupled: dict[Any, dict[str, list[Any]]] = {}
    for obj in objs:
        parent: Any = getattr(obj, "parent", None)
        if _is_pseudo_parent(obj):
            complex_objs.append(obj)
        elif _is_pseudo_parent(parent):
            kinds = coupled.setdefault(parent, {"real": [], "pseudo": [], "unrelated": []})
            if obj in list(parent.pseudo_positioners):
                kinds["pseudo"].append(obj)
            elif obj in list(parent.real_positioners):
                kinds["real"].append(obj)
            else:
                kinds["unrelated"].append(obj)
        else:
            independent.append(obj)
    return independent, complex_objs, coupled


def _attr_name(child: Any) -> str:
    parent = child.parent
    for name in parent.component_names:
        if getattr(parent, name) is child:
            return str(name)
    raise ValueError(f"{child.name!r} is not a component of {parent.name!r}")


def merge_cycler(cyc: Any) -> Any:
    """Merge pseudo axes of one pseudo positioner into a single key.

    A cycler over ``p.h`` and ``p.k`` becomes a cycler over ``p`` whose
    values are ``{'h': ..., 'k': ...}``; other keys are left alone.
    """
    from cycler import cycler

    independent, complex_objs, coupled = merge_axis(cyc.keys)
    if not complex_objs and not coupled:
        return cyc
    data = cyc.by_key()
    parts = [cycler(obj, data[obj]) for obj in independent + complex_objs]
    for parent, kinds in coupled.items():
        if parent in complex_objs and (kinds["pseudo"] or kinds["real"]):
            raise ValueError(
                f"Cannot scan the pseudo positioner {parent.name!r} together with its own "
                "axes; scan either the positioner or its axes."
            )
        if kinds["real"] and kinds["pseudo"]:
            raise ValueError(
                f"Cannot scan real and pseudo axes of {parent.name!r} at once; "
                "choose one kind of axis."
            )
        pseudo = kinds["pseudo"]
        if len(pseudo) > 1:
            joined = functools.reduce(operator.add, (cycler(_attr_name(c), data[c]) for c in pseudo))
            parts.append(cycler(parent, list(joined)))
        elif pseudo:
            parts.append(cycler(pseudo[0], data[pseudo[0]]))
        parts.extend(cycler(c, data[c]) for c in kinds["real"] + kinds["unrelated"])
    return functools.reduce(operator.add, parts)
