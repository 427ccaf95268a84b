"""Validators for SCPI setpoints, and the reply parsers.

A validator takes the value a user asked for and returns what will be sent,
or raises ``ValueError`` naming the value and what is allowed -- before
anything goes to the instrument. The signal prefixes the message with
``Cannot set 'psu_ch1_voltage' to 40:``.

A limit may be a number or :func:`rated`, a rating looked up on the device
the signal is built for, so one channel declaration serves channels (and
models) with different ratings.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any, Callable, Mapping, Sequence

__all__ = [
    "Rated",
    "Validator",
    "in_range",
    "one_of",
    "parse_bool",
    "parse_float",
    "parse_floats",
    "parse_str",
    "rated",
]


class Rated:
    """A limit read from the device's ``ratings`` mapping when the signal is built."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key

    def resolve(self, ratings: Mapping[str, float]) -> float:
        try:
            return ratings[self.key]
        except KeyError:
            raise TypeError(
                f"The driver declares a limit rated({self.key!r}) but the device has no "
                f"{self.key!r} rating (its ratings: {dict(ratings)})."
            ) from None

    def __repr__(self) -> str:
        return f"rated({self.key!r})"


def rated(key: str) -> Rated:
    """A limit taken from the device's rating ``key`` (e.g. a channel's ``'voltage'``).

    >>> in_range(0, rated("voltage"))
    in_range(0, rated('voltage'))
    """
    return Rated(key)


def _number(value: Any) -> float:
    kind = type(value)
    if kind is float or kind is int:  # the usual case, without the ABC checks
        if value != value:
            raise ValueError("NaN is not a value an instrument can be set to")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
    number = float(value)
    if math.isnan(number):
        raise ValueError("NaN is not a value an instrument can be set to")
    return number


class Validator:
    """Base of the validators: callable, and resolved per device by :meth:`bind`."""

    #: ``(low, high)`` for the data key's control limits, when there are any.
    limits: tuple[float | None, float | None] | None = None
    #: The allowed values, for the data key's ``choices``.
    choices: list[Any] | None = None

    def __call__(self, value: Any) -> Any:
        raise NotImplementedError

    def bind(self, ratings: Mapping[str, float]) -> Validator:
        """Return this validator with any :func:`rated` limits resolved."""
        return self


class InRange(Validator):
    """Accept a number within ``[low, high]`` (see :func:`in_range`)."""

    def __init__(self, low: float | Rated, high: float | Rated, units: str = "") -> None:
        self.low = low
        self.high = high
        self.units = units
        if not isinstance(low, Rated) and not isinstance(high, Rated):
            self.limits = (float(low), float(high))

    def __call__(self, value: Any) -> float:
        number = _number(value)
        low, high = self.limits or (None, None)
        if low is None or high is None:
            raise TypeError(f"{self!r} has unresolved ratings; bind it to a device first.")
        if not low <= number <= high:
            unit = f" {self.units}" if self.units else ""
            raise ValueError(
                f"{number:g}{unit} is outside the allowed range [{low:g}, {high:g}]{unit}; "
                f"choose a value from {low:g} to {high:g}"
            )
        return number

    def bind(self, ratings: Mapping[str, float]) -> Validator:
        if self.limits is not None:
            return self
        low = self.low.resolve(ratings) if isinstance(self.low, Rated) else self.low
        high = self.high.resolve(ratings) if isinstance(self.high, Rated) else self.high
        return InRange(low, high, self.units)

    def __repr__(self) -> str:
        return f"in_range({self.low!r}, {self.high!r})"


def in_range(low: float | Rated, high: float | Rated, *, units: str = "") -> InRange:
    """Accept numbers from ``low`` to ``high`` inclusive.

    Examples
    --------
    >>> in_range(0, 30, units="V")(40)
    Traceback (most recent call last):
    ...
    ValueError: 40 V is outside the allowed range [0, 30] V; choose a value from 0 to 30
    """
    return InRange(low, high, units)


class OneOf(Validator):
    """Accept one of a fixed set of values (see :func:`one_of`)."""

    def __init__(self, values: Sequence[Any]) -> None:
        self.values = list(values)
        self.choices = self.values
        self._upper = {v.upper(): v for v in self.values if isinstance(v, str)}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str) and value.upper() in self._upper:
            return self._upper[value.upper()]
        if not isinstance(value, (str, bool)) and value in self.values:
            return value
        allowed = ", ".join(repr(v) for v in self.values)
        raise ValueError(f"{value!r} is not one of the allowed values: {allowed}")

    def __repr__(self) -> str:
        return f"one_of({self.values!r})"


def one_of(*values: Any) -> OneOf:
    """Accept exactly one of ``values`` (strings match in any case).

    >>> one_of("DYN", "STAT")("dyn")
    'DYN'
    """
    return OneOf(values)


# -- reply parsers ---------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def parse_float(reply: str) -> float:
    """A number, ignoring a unit suffix (``'+1.5E+00A'``) or label (``'CH1:5.000'``)."""
    try:
        return float(reply)
    except ValueError:
        pass
    numbers_found = _NUMBER.findall(reply.rsplit(":", 1)[-1])
    if len(numbers_found) != 1:
        raise ValueError(f"{reply!r} is not one number")
    return float(numbers_found[0])


def parse_floats(reply: str) -> list[float]:
    """Comma-separated numbers: ``'5.000,1.000,5.000'`` -> ``[5.0, 1.0, 5.0]``."""
    return [parse_float(part) for part in reply.split(",")]


_TRUE = frozenset({"1", "ON", "YES", "TRUE"})
_FALSE = frozenset({"0", "OFF", "NO", "FALSE"})


def parse_bool(reply: str) -> bool:
    """``1``/``ON``/``YES`` -> True, ``0``/``OFF``/``NO`` -> False."""
    text = reply.strip().upper()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{reply!r} is not an on/off reply")


def parse_str(reply: str) -> str:
    """The reply without surrounding whitespace and quotes."""
    return reply.strip().strip('"')


Parser = Callable[[str], Any]
