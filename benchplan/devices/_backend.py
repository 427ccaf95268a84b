"""The interface between a signal and where its value lives.

A :class:`SignalBackend` is what a signal (``SignalR`` / ``SignalRW``) talks
to. The soft backend keeps the value in memory; the SCPI backend of
``benchplan.devices.visa`` sends commands to an instrument; simulated devices
compute values. Signals add naming, reading, describing, statuses and
callbacks on top; backends only move values.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Protocol, TypeVar, runtime_checkable

__all__ = ["SignalBackend", "UpdateCallback"]

T = TypeVar("T")

#: Called by a backend with ``(value, timestamp)`` whenever a new value is known.
UpdateCallback = Callable[[Any, float], None]


@runtime_checkable
class SignalBackend(Protocol, Generic[T]):
    """Where a signal's value lives.

    Every method may be called from any thread. ``get`` and ``put`` may block
    (an instrument query); signals call ``put`` from a worker thread when the
    backend declares itself ``blocking``.
    """

    #: True when ``put``/``get`` do I/O that can take noticeable time.
    blocking: bool

    def source(self, name: str) -> str:
        """Return the ``source`` string of the data key, e.g. ``'soft://x'``."""
        ...

    def datakey(self, name: str) -> dict[str, Any]:
        """Return the describe() entry: ``dtype``, ``shape``, ``source``, and
        ``units``, ``limits``, ``precision`` where known."""
        ...

    def get(self) -> tuple[T, float]:
        """Return the current value and its timestamp (seconds since the epoch)."""
        ...

    def put(self, value: T) -> None:
        """Write ``value``; return when the value has been accepted.

        Raises ``ValueError`` for a value outside the limits (before any I/O)
        and a :class:`benchplan.errors.BenchplanError` when the write fails.
        """
        ...

    def subscribe(self, callback: UpdateCallback | None) -> None:
        """Start (callback) or stop (None) pushing ``(value, timestamp)`` updates.

        A soft backend pushes on every ``put``; an instrument backend polls.
        Only one callback is held; the signal fans out to its subscribers.
        """
        ...
