"""Signals: one named value, read and written through a :class:`SignalBackend`.

A signal adds to its backend what the RunEngine and ophyd-style code expect:
a name and a parent, ``read``/``describe`` (describe is cached), a kind,
hints, subscriptions fanned out to many callbacks, and for writable signals
``put``/``set``/``locate`` with validation before anything is written.

Validation: when the backend has a ``validate(value) -> value`` method (the
soft backend does) the signal calls it; otherwise it checks the control
limits the backend reports in its data key (``{'limits': {'control':
{'low': ..., 'high': ...}}}``). Either way ``set`` and ``put`` raise
``ValueError`` naming the signal, the value and the limits before any write.
"""

from __future__ import annotations

import itertools
import logging
import numbers
import threading
from typing import Any, Callable, Generic, TypeVar

from ._backend import SignalBackend
from ._status import Status

__all__ = ["KINDS", "SignalR", "SignalRW", "check_kind", "limits_problem"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: The kinds of a child: read in events (hinted, normal), in the descriptor's
#: configuration (config), or not at all (omitted). Hinted fields are plotted.
KINDS = ("hinted", "normal", "config", "omitted")

_tokens = itertools.count(1)
_NOTHING: Any = object()


def check_kind(kind: str, what: str) -> str:
    """Return ``kind`` if it is one of :data:`KINDS`, else raise ValueError."""
    if kind not in KINDS:
        raise ValueError(
            f"Cannot give {what} the kind {kind!r}: use one of "
            + ", ".join(repr(k) for k in KINDS)
            + "."
        )
    return kind


def limits_problem(
    value: Any, low: float | None, high: float | None, units: str | None = None
) -> str | None:
    """Return why ``value`` is outside ``[low, high]``, or None if it is inside.

    Non-numbers are not checked here. NaN is always outside.
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return None
    number = float(value)
    if number == number and (low is None or number >= low) and (high is None or number <= high):
        return None
    unit = f" {units}" if units else ""
    lo = "-inf" if low is None else f"{low}"
    hi = "inf" if high is None else f"{high}"
    return (
        f"the value is outside the limits [{lo}, {hi}]{unit}; "
        f"choose a value from {lo} to {hi}"
    )


class SignalR(Generic[T]):
    """A readable, subscribable signal over a backend.

    Parameters
    ----------
    backend : SignalBackend
        Where the value lives.
    name : str, optional
        The data key in readings; a parent device sets ``{device}_{attr}``.
    kind : {'hinted', 'normal', 'config', 'omitted'}, optional
        How a parent device uses this signal. Default 'hinted'.

    Examples
    --------
    >>> from benchplan.devices import soft_signal_r_and_setter
    >>> temp, set_temp = soft_signal_r_and_setter(float, 20.5, name="temp")
    >>> temp.read()["temp"]["value"]
    20.5
    """

    def __init__(
        self, backend: SignalBackend[T], name: str = "", *, kind: str = "hinted"
    ) -> None:
        self._backend = backend
        self._name = name
        self.kind = check_kind(kind, f"signal {name!r}")
        self.parent: Any = None
        self._lock = threading.Lock()
        self._backend_lock = threading.Lock()
        self._subs: dict[int, Callable[..., None]] = {}
        self._sub_list: tuple[Callable[..., None], ...] = ()
        self._backend_subscribed = False
        self._last: Any = None
        self._describe: dict[str, Any] | None = None
        self._limits: Any = _NOTHING

    @property
    def name(self) -> str:
        """The data key of this signal's reading."""
        return self._name

    @name.setter
    def name(self, name: str) -> None:
        self._name = name
        self.invalidate_caches()
        invalidate = getattr(self.parent, "invalidate_caches", None)
        if invalidate is not None:
            invalidate()

    @property
    def backend(self) -> SignalBackend[T]:
        """The backend this signal reads and writes."""
        return self._backend

    def invalidate_caches(self) -> None:
        """Forget the cached ``describe()`` and limits (after a rename or reconfiguration)."""
        self._describe = None
        self._limits = _NOTHING

    # -- reading -------------------------------------------------------------

    def get(self) -> T:
        """Return the current value."""
        return self._backend.get()[0]

    def read(self) -> dict[str, dict[str, Any]]:
        """Return ``{name: {'value': v, 'timestamp': t}}``."""
        value, timestamp = self._backend.get()
        return {self._name: {"value": value, "timestamp": timestamp}}

    def describe(self) -> dict[str, dict[str, Any]]:
        """Return ``{name: data key}`` (a fresh copy of a cached description)."""
        described = self._describe
        if described is None:
            described = self._describe = self._backend.datakey(self._name)
        return {self._name: described.copy()}

    def read_configuration(self) -> dict[str, dict[str, Any]]:
        """Return ``{}``: a signal has no configuration of its own."""
        return {}

    def describe_configuration(self) -> dict[str, dict[str, Any]]:
        """Return ``{}``: a signal has no configuration of its own."""
        return {}

    @property
    def hints(self) -> dict[str, list[str]]:
        """``{'fields': [name]}`` when the kind is 'hinted', else no fields."""
        return {"fields": [self._name] if self.kind == "hinted" else []}

    # -- subscriptions -------------------------------------------------------

    def subscribe(
        self, callback: Callable[..., None], event_type: str | None = None, run: bool = True
    ) -> int:
        """Call ``callback`` with each new value; return a token for :meth:`clear_sub`.

        The call is ophyd's: ``callback(value=..., old_value=..., timestamp=...,
        obj=signal, sub_type='value')``, from whichever thread produced the
        value. With ``run=True`` it is also called once now with the current
        value (``old_value=None``). A callback that raises is logged.
        """
        if event_type not in (None, "value"):
            raise ValueError(
                f"Cannot subscribe to {self._name!r} for {event_type!r} events: a "
                "signal only has 'value' events; leave event_type out."
            )
        if not callable(callback):
            raise TypeError(
                f"Cannot subscribe {callback!r} to {self._name!r}: it is not callable."
            )
        token = next(_tokens)
        with self._lock:
            self._subs[token] = callback
            self._sub_list = tuple(self._subs.values())
        self._sync_backend_subscription()
        if run:
            value, timestamp = self._backend.get()
            self._call(callback, value, None, timestamp)
        return token

    def clear_sub(self, callback: Callable[..., None] | int, event_type: str | None = None) -> None:
        """Remove a subscription, given its token or its callback (unknown ones are ignored)."""
        with self._lock:
            if isinstance(callback, int):
                self._subs.pop(callback, None)
            else:
                for token in [t for t, cb in self._subs.items() if cb == callback]:
                    del self._subs[token]
            self._sub_list = tuple(self._subs.values())
        self._sync_backend_subscription()

    def unsubscribe(self, token: int) -> None:
        """Remove the subscription with this token (ophyd's name)."""
        self.clear_sub(token)

    def _sync_backend_subscription(self) -> None:
        # Only this method starts or stops the backend's pushes, under its own
        # lock, so updates (which take self._lock) never wait on it.
        with self._backend_lock:
            wanted = bool(self._sub_list)
            if wanted and not self._backend_subscribed:
                self._last = self._backend.get()[0]
                self._backend.subscribe(self._on_update)
                self._backend_subscribed = True
            elif not wanted and self._backend_subscribed:
                self._backend.subscribe(None)
                self._backend_subscribed = False

    def _on_update(self, value: Any, timestamp: float) -> None:
        with self._lock:
            old, self._last = self._last, value
            subscribers = self._sub_list
        for callback in subscribers:
            self._call(callback, value, old, timestamp)

    def _call(self, callback: Callable[..., None], value: Any, old: Any, timestamp: float) -> None:
        try:
            callback(value=value, old_value=old, timestamp=timestamp, obj=self, sub_type="value")
        except Exception:
            logger.exception("Subscriber %r of signal %r raised; ignored", callback, self._name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, backend={self._backend!r})"


class SignalRW(SignalR[T]):
    """A signal that can also be written: ``put`` (blocking) and ``set`` (a status).

    Examples
    --------
    >>> from benchplan.devices import soft_signal_rw
    >>> volts = soft_signal_rw(float, 0.0, name="volts", units="V", limits=(0, 30))
    >>> volts.set(5.0).done
    True
    >>> volts.locate()
    {'setpoint': 5.0, 'readback': 5.0}
    """

    def __init__(
        self, backend: SignalBackend[T], name: str = "", *, kind: str = "hinted"
    ) -> None:
        super().__init__(backend, name, kind=kind)
        self._validate: Callable[[Any], Any] | None = getattr(backend, "validate", None)
        self._setpoint: Any = _NOTHING

    def check_value(self, value: Any) -> T:
        """Return ``value`` as it will be written, or raise ValueError saying why not."""
        validate = self._validate
        if validate is not None:
            try:
                return validate(value)  # type: ignore[no-any-return]
            except ValueError as exc:
                reason = str(exc).rstrip(".")
                raise ValueError(f"Cannot set {self._name!r} to {value!r}: {reason}.") from None
        limits = self._limits
        if limits is _NOTHING:
            limits = self._limits = self._read_limits()
        if limits is not None:
            problem = limits_problem(value, *limits)
            if problem is not None:
                raise ValueError(f"Cannot set {self._name!r} to {value!r}: {problem}.")
        return value  # type: ignore[no-any-return]

    def _read_limits(self) -> tuple[Any, Any, Any] | None:
        datakey = self._backend.datakey(self._name)
        control = (datakey.get("limits") or {}).get("control")
        if not control:
            return None
        return control.get("low"), control.get("high"), datakey.get("units")

    def put(self, value: T) -> None:
        """Write ``value`` and return once the backend has accepted it."""
        value = self.check_value(value)
        self._backend.put(value)
        self._setpoint = value

    def set(self, value: T, timeout: float | None = None) -> Status:
        """Start writing ``value``; return a status that finishes when written.

        Raises ValueError at once for an invalid value. With a non-blocking
        (soft) backend the write is done and the status finished on return;
        with a blocking backend the write runs in a worker thread and the
        status fails with the backend's error, or after ``timeout`` seconds.
        """
        value = self.check_value(value)
        if not self._backend.blocking:
            try:
                self._backend.put(value)
            except Exception as exc:
                return Status.failed(self, exc)
            self._setpoint = value
            return Status.finished(self)
        status = Status(self, timeout=timeout)
        worker = threading.Thread(
            target=self._put_in_worker,
            args=(value, status),
            name=f"benchplan-set-{self._name}",
            daemon=True,
        )
        worker.start()
        return status

    def _put_in_worker(self, value: T, status: Status) -> None:
        try:
            self._backend.put(value)
        except Exception as exc:
            status.set_exception(exc)
            return
        self._setpoint = value
        status.set_finished()

    def locate(self) -> dict[str, Any]:
        """Return ``{'setpoint': last value written, 'readback': current value}``."""
        readback = self._backend.get()[0]
        setpoint = self._setpoint
        return {"setpoint": readback if setpoint is _NOTHING else setpoint, "readback": readback}
