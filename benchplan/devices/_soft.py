"""The soft backend: a value kept in memory, and the soft signal factories."""

from __future__ import annotations

import numbers
import threading
import time
from collections.abc import Sequence
from typing import Any, Callable, Generic, TypeVar

from ._backend import UpdateCallback
from ._signal import SignalR, SignalRW, limits_problem

__all__ = ["SoftSignalBackend", "soft_signal_r_and_setter", "soft_signal_rw"]

T = TypeVar("T")

_DTYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def _dtype_of(datatype: type | None, value: Any) -> str:
    if datatype in _DTYPES:
        return _DTYPES[datatype]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, numbers.Integral):
        return "integer"
    if isinstance(value, numbers.Real):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array"


def _as_int(value: Any) -> int:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"expected an integer, got {type(value).__name__}")


def _shape_of(value: Any) -> list[int]:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return [int(n) for n in shape]
    if isinstance(value, (list, tuple)):
        return [len(value)]
    return []


class SoftSignalBackend(Generic[T]):
    """A :class:`SignalBackend` holding its value in memory.

    Parameters
    ----------
    datatype : type, optional
        ``float``, ``int``, ``bool``, ``str`` (values are checked and
        converted), or another type such as ``numpy.ndarray`` (stored as is).
    initial_value : optional
        The starting value; default ``datatype()`` for the scalar types.
    units, precision : optional
        Reported in the data key.
    limits : (low, high), optional
        Inclusive control limits; either end may be None.
    choices : sequence of str, optional
        The only values allowed (an enum); reported in the data key.
    source_prefix : str, optional
        The data key's source is ``source_prefix + name``. Default ``'soft://'``.

    Examples
    --------
    >>> from benchplan.devices import SignalRW
    >>> sig = SignalRW(SoftSignalBackend(int, 3), name="n")
    >>> sig.get()
    3
    """

    blocking = False

    def __init__(
        self,
        datatype: type[T] | None = None,
        initial_value: T | None = None,
        *,
        units: str | None = None,
        limits: tuple[float | None, float | None] | None = None,
        precision: int | None = None,
        choices: Sequence[str] | None = None,
        source_prefix: str = "soft://",
    ) -> None:
        if limits is not None:
            low, high = limits
            if low is not None and high is not None and low > high:
                raise ValueError(
                    f"Cannot use limits {limits!r}: the low limit is above the "
                    "high one; give them as (low, high)."
                )
        self._datatype = datatype
        self._units = units
        self._limits = limits
        self._precision = precision
        self._choices = tuple(choices) if choices is not None else None
        self._prefix = source_prefix
        self._lock = threading.RLock()
        self._callback: UpdateCallback | None = None
        if initial_value is None and datatype in _DTYPES:
            initial_value = datatype()
        if initial_value is not None:
            try:
                initial_value = self.validate(initial_value)
            except ValueError as exc:
                raise ValueError(
                    f"Cannot start a soft signal at {initial_value!r}: {exc}."
                ) from None
        self._reading: tuple[T, float] = (initial_value, time.time())  # type: ignore[assignment]

    def source(self, name: str) -> str:
        """Return ``source_prefix + name``."""
        return self._prefix + name

    def datakey(self, name: str) -> dict[str, Any]:
        """Return the data key: dtype, shape, source, and units/limits/precision/choices."""
        value = self._reading[0]
        key: dict[str, Any] = {
            "dtype": _dtype_of(self._datatype, value),
            "shape": _shape_of(value),
            "source": self._prefix + name,
        }
        if self._units is not None:
            key["units"] = self._units
        if self._precision is not None:
            key["precision"] = self._precision
        if self._limits is not None:
            key["limits"] = {"control": {"low": self._limits[0], "high": self._limits[1]}}
        if self._choices is not None:
            key["choices"] = list(self._choices)
        return key

    def validate(self, value: Any) -> T:
        """Return ``value`` converted to the datatype, or raise ValueError saying why not."""
        datatype = self._datatype
        if datatype is float:
            if type(value) is not float:
                if not isinstance(value, numbers.Real) or isinstance(value, bool):
                    raise ValueError(f"expected a number, got {type(value).__name__}")
                value = float(value)
        elif datatype is int:
            if type(value) is not int:
                value = _as_int(value)
        elif datatype is bool:
            if type(value) is not bool:
                if not isinstance(value, numbers.Integral) or value not in (0, 1):
                    raise ValueError(f"expected True or False, got {type(value).__name__}")
                value = bool(value)
        elif datatype is str and not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        if self._choices is not None and value not in self._choices:
            raise ValueError(
                "the value must be one of " + ", ".join(repr(c) for c in self._choices)
            )
        if self._limits is not None:
            problem = limits_problem(value, self._limits[0], self._limits[1], self._units)
            if problem is not None:
                raise ValueError(problem)
        return value  # type: ignore[no-any-return]

    def get(self) -> tuple[T, float]:
        """Return ``(value, timestamp)``."""
        return self._reading

    def put(self, value: T) -> None:
        """Store ``value`` (after :meth:`validate`) and push it to the subscriber."""
        value = self.validate(value)
        with self._lock:  # store and push in one step, so pushes keep put order
            self._reading = reading = (value, time.time())
            callback = self._callback
            if callback is not None:
                callback(*reading)

    def subscribe(self, callback: UpdateCallback | None) -> None:
        """Push every future ``put`` to ``callback`` (None: stop)."""
        with self._lock:
            self._callback = callback

    def __repr__(self) -> str:
        return f"SoftSignalBackend({self._datatype.__name__ if self._datatype else None})"


def soft_signal_rw(
    datatype: type[T] | None,
    initial_value: T | None = None,
    name: str = "",
    units: str | None = None,
    limits: tuple[float | None, float | None] | None = None,
    precision: int | None = None,
    *,
    kind: str = "hinted",
) -> SignalRW[T]:
    """Make a read-write signal whose value lives in memory.

    Parameters
    ----------
    datatype : type
        ``float``, ``int``, ``bool``, ``str``, or e.g. ``numpy.ndarray``.
    initial_value : optional
        Default ``datatype()`` for the scalar types.
    name : str, optional
        The data key.
    units, precision : optional
        Reported by ``describe()``.
    limits : (low, high), optional
        ``set``/``put`` outside them raise ValueError.
    kind : {'hinted', 'normal', 'config', 'omitted'}, optional
        How a parent device uses it.

    Examples
    --------
    >>> gain = soft_signal_rw(int, 1, name="gain", limits=(1, 100))
    >>> gain.set(10).done, gain.get()
    (True, 10)
    """
    backend = SoftSignalBackend(
        datatype, initial_value, units=units, limits=limits, precision=precision
    )
    return SignalRW(backend, name, kind=kind)


def soft_signal_r_and_setter(
    datatype: type[T] | None,
    initial_value: T | None = None,
    name: str = "",
    units: str | None = None,
    limits: tuple[float | None, float | None] | None = None,
    precision: int | None = None,
    *,
    kind: str = "hinted",
) -> tuple[SignalR[T], Callable[[T], None]]:
    """Make a read-only soft signal and the function that sets its value.

    Takes the arguments of :func:`soft_signal_rw`.

    Examples
    --------
    >>> temp, set_temp = soft_signal_r_and_setter(float, 20.0, name="temp", units="degC")
    >>> set_temp(21.5)
    >>> temp.get()
    21.5
    """
    backend = SoftSignalBackend(
        datatype, initial_value, units=units, limits=limits, precision=precision
    )
    return SignalR(backend, name, kind=kind), backend.put
