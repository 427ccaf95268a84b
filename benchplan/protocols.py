"""The duck-typed device protocols the RunEngine talks to.

These follow bluesky's protocols, so ophyd and ophyd-async devices satisfy
them unchanged; no base class is needed. Each protocol is
``runtime_checkable``, but ``isinstance`` on a protocol inspects every member
and costs microseconds, so hot paths ask :func:`capabilities` instead, which
answers once per type.

This module imports nothing else from benchplan, so the engine can depend on
it without depending on :mod:`benchplan.devices`.

Examples
--------
>>> from benchplan.protocols import capabilities
>>> class Knob:
...     name = "knob"
...     def set(self, value): ...
...     def stop(self, *, success=False): ...
>>> sorted(capabilities(Knob()))
['HasName', 'Movable', 'Stoppable']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Collectable",
    "Configurable",
    "Flyable",
    "HasHints",
    "HasName",
    "HasParent",
    "Locatable",
    "Movable",
    "Pausable",
    "Preparable",
    "Readable",
    "SafeState",
    "Stageable",
    "Status",
    "Stoppable",
    "Subscribable",
    "Triggerable",
    "capabilities",
]


@runtime_checkable
class Status(Protocol):
    """The promise returned by ``set``, ``trigger``, ``kickoff`` and friends."""

    def add_callback(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(status)`` once when done; at once if already done."""
        ...

    def exception(self, timeout: float | None = 0.0) -> BaseException | None:
        """Return the failure, or None if the action succeeded."""
        ...

    @property
    def done(self) -> bool:
        """True once the action has finished, successfully or not."""
        ...

    @property
    def success(self) -> bool:
        """True if the action has finished successfully."""
        ...


@runtime_checkable
class HasName(Protocol):
    """Anything with a ``name``: the prefix of its data keys."""

    @property
    def name(self) -> str:
        """The object's name."""
        ...


@runtime_checkable
class HasParent(Protocol):
    """Anything that knows the device containing it (None at the top)."""

    @property
    def parent(self) -> Any | None:
        """The containing device, or None."""
        ...


@runtime_checkable
class Readable(HasName, Protocol):
    """A device whose current values go into events."""

    def read(self) -> dict[str, dict[str, Any]]:
        """Return ``{data key: {'value': v, 'timestamp': t}}``."""
        ...

    def describe(self) -> dict[str, dict[str, Any]]:
        """Return ``{data key: {'dtype', 'shape', 'source', ...}}``."""
        ...


@runtime_checkable
class Configurable(Protocol):
    """A device whose settings go into the event descriptor."""

    def read_configuration(self) -> dict[str, dict[str, Any]]:
        """Return the configuration readings, shaped like ``read()``."""
        ...

    def describe_configuration(self) -> dict[str, dict[str, Any]]:
        """Return the configuration data keys, shaped like ``describe()``."""
        ...


@runtime_checkable
class Triggerable(Protocol):
    """A device that acquires on demand."""

    def trigger(self) -> Status:
        """Start an acquisition; the status finishes when it has."""
        ...


@runtime_checkable
class Movable(Protocol):
    """A device that can be set to a value."""

    def set(self, value: Any) -> Status:
        """Start moving to ``value``; the status finishes on arrival."""
        ...


@runtime_checkable
class Locatable(Movable, Protocol):
    """A movable device that reports where it is and where it is going."""

    def locate(self) -> dict[str, Any]:
        """Return ``{'setpoint': ..., 'readback': ...}``."""
        ...


@runtime_checkable
class Stageable(Protocol):
    """A device that is prepared before a run and restored after it."""

    def stage(self) -> Any:
        """Prepare the device; return a status or a list of staged devices."""
        ...

    def unstage(self) -> Any:
        """Undo :meth:`stage`; return a status or a list of unstaged devices."""
        ...


@runtime_checkable
class Pausable(Protocol):
    """A device that must act when the RunEngine pauses and resumes."""

    def pause(self) -> None:
        """Called when the plan pauses; may raise NoReplayAllowed."""
        ...

    def resume(self) -> None:
        """Called when the plan resumes."""
        ...


@runtime_checkable
class Stoppable(Protocol):
    """A device that can be stopped safely at any time."""

    def stop(self, *, success: bool = False) -> None:
        """Stop what the device is doing.

        The RunEngine calls ``stop()`` with no argument, so a device may give
        ``success`` any default.
        """
        ...


@runtime_checkable
class Subscribable(HasName, Protocol):
    """A device that pushes new values to callbacks."""

    def subscribe(self, callback: Callable[..., None]) -> Any:
        """Call ``callback`` whenever the value changes; return a token."""
        ...

    def clear_sub(self, callback: Callable[..., None]) -> None:
        """Stop calling ``callback``."""
        ...


@runtime_checkable
class Flyable(HasName, Protocol):
    """A device that acquires on its own once kicked off."""

    def kickoff(self) -> Status:
        """Start flying; the status finishes once flying has started."""
        ...

    def complete(self) -> Status:
        """Return a status that finishes when flying is done."""
        ...


@runtime_checkable
class Collectable(HasName, Protocol):
    """A device whose data is collected after acquisition (a flyer)."""

    def describe_collect(self) -> dict[str, Any]:
        """Return the data keys of the collected data, per stream."""
        ...

    def collect(self) -> Iterator[dict[str, Any]]:
        """Yield partial events: ``{'data', 'timestamps', 'time'}``."""
        ...


@runtime_checkable
class Preparable(Protocol):
    """A device that must be prepared for a fly scan."""

    def prepare(self, value: Any) -> Status:
        """Prepare for ``value``; the status finishes once ready."""
        ...


@runtime_checkable
class HasHints(HasName, Protocol):
    """A device that says which of its fields are worth plotting."""

    @property
    def hints(self) -> dict[str, Any]:
        """Return ``{'fields': [data keys]}``."""
        ...


@runtime_checkable
class SafeState(Protocol):
    """A device with a safe state: outputs off, motion stopped.

    The RunEngine calls :meth:`safe_state` on halt and on panic, on every
    device it set during the run.
    """

    def safe_state(self) -> None:
        """Put the device in its safe state; must not raise for a no-op."""
        ...


_PROTOCOLS: tuple[tuple[str, type], ...] = tuple(
    (name, globals()[name]) for name in __all__ if name != "capabilities"
)
_by_type: dict[type, frozenset[str]] = {}


def capabilities(obj: object) -> frozenset[str]:
    """Return the names of the protocols ``obj`` satisfies, e.g. ``'Readable'``.

    The answer is computed from the first object of a type seen and reused
    for every later object of that type, so it costs one dict lookup. Objects
    whose capabilities differ per instance (members added in ``__init__`` on
    some instances only) should be checked with ``isinstance`` instead.

    Parameters
    ----------
    obj : object
        Any object; ``None`` has no capabilities.

    Returns
    -------
    frozenset of str
        Names from this module's protocols: ``'Readable'``, ``'Movable'``,
        ``'Status'``, ``'SafeState'`` ...

    Examples
    --------
    >>> 'Readable' in capabilities(None)
    False
    """
    cls = type(obj)
    try:
        return _by_type[cls]
    except KeyError:
        pass
    found = frozenset(name for name, proto in _PROTOCOLS if isinstance(obj, proto))
    _by_type[cls] = found
    return found
