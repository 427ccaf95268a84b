"""SCPI parameter parsing for the simulated instruments.

Each helper takes the parameter text of one unit (already split on commas)
and raises :class:`ScpiError` with the code a real instrument would push:
-109/-108 for a wrong count, -104 for the wrong type, -131 for an unknown
unit suffix, -222 for a value out of range, -224 for a word or channel list
that is not allowed.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Sequence

from ._scpi import ScpiError

__all__ = [
    "boolean",
    "channel_list",
    "choice",
    "count",
    "integer",
    "keyword_matches",
    "number",
    "string",
]

_NUMBER = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)")

#: Unit suffixes and their multipliers (SCPI: M is milli, except MOHM and MHZ).
_UNITS = {
    "": 1.0, "V": 1.0, "MV": 1e-3, "UV": 1e-6, "KV": 1e3,
    "A": 1.0, "MA": 1e-3, "UA": 1e-6,
    "OHM": 1.0, "KOHM": 1e3, "MOHM": 1e6,
    "S": 1.0, "MS": 1e-3, "US": 1e-6,
    "W": 1.0, "MW": 1e-3, "AH": 1.0, "MAH": 1e-3, "PCT": 1.0,
}  # fmt: skip


def keyword_matches(word: str, keyword: str) -> bool:
    """True when ``word`` is the short or long form of ``keyword`` (any case).

    >>> keyword_matches("max", "MAXimum"), keyword_matches("MAXI", "MAXimum")
    (True, False)
    """
    w = word.upper()
    return w == keyword.upper() or w == "".join(c for c in keyword if not c.islower())


def count(args: Sequence[str], low: int, high: int | None = None) -> None:
    """Check that between ``low`` and ``high`` (default ``low``) parameters came."""
    n = len(args)
    if n < low:
        raise ScpiError(-109, detail=f"{n} parameters, {low} needed")
    if n > (low if high is None else high):
        raise ScpiError(-108, detail=f"{n} parameters, at most {high} allowed")


def number(
    text: str,
    low: float,
    high: float,
    *,
    default: float | None = None,
    what: str = "value",
) -> float:
    """Parse a numeric parameter within ``[low, high]``.

    ``MIN``/``MAX``/``DEF`` (short or long form) give ``low``/``high``/
    ``default``; ``INF`` is accepted when ``high`` is infinite.

    >>> number("100 mA", 0, 3)
    0.1
    >>> number("max", 0, 3)
    3
    """
    if not text:
        raise ScpiError(-109, detail=f"missing {what}")
    if text[0].isalpha():
        if keyword_matches(text, "MINimum"):
            return low
        if keyword_matches(text, "MAXimum"):
            return high
        if keyword_matches(text, "DEFault") and default is not None:
            return default
        if text.upper() in ("INF", "+INF") and math.isinf(high):
            return high
        raise ScpiError(-104, detail=f"{what} {text!r} is not a number")
    m = _NUMBER.fullmatch(text)
    if m is None:
        raise ScpiError(-104, detail=f"{what} {text!r} is not a number")
    scale = _UNITS.get(m.group(2).upper())
    if scale is None:
        raise ScpiError(-131, detail=f"unknown unit {m.group(2)!r} in {text!r}")
    value = float(m.group(1)) * scale
    if not low <= value <= high:
        raise ScpiError(-222, detail=f"{what} {value:g} outside [{low:g}, {high:g}]")
    return value


def integer(text: str, low: int, high: int, *, what: str = "value") -> int:
    """Parse a numeric parameter and round it to an integer in ``[low, high]``."""
    return int(round(number(text, low, high, what=what)))


def boolean(text: str) -> bool:
    """Parse ``ON``/``OFF``/``1``/``0`` (numbers other than 0 are ON)."""
    word = text.upper()
    if word == "ON":
        return True
    if word == "OFF":
        return False
    m = _NUMBER.fullmatch(text)
    if m is not None and not m.group(2):
        return round(float(m.group(1))) != 0
    raise ScpiError(-224, detail=f"{text!r} is not ON, OFF, 1 or 0")


def choice(text: str, keywords: Iterable[str]) -> str:
    """Return the upper-case short form of the keyword ``text`` names.

    >>> choice("simulator", ("POWer", "TEST", "SIMulator"))
    'SIM'
    """
    for keyword in keywords:
        if keyword_matches(text, keyword):
            return "".join(c for c in keyword if not c.islower()).upper()
    raise ScpiError(-224, detail=f"{text!r} is not one of {', '.join(keywords)}")


def string(text: str) -> str:
    """Parse a quoted string parameter (``"..."`` or ``'...'``, doubled quotes)."""
    if len(text) >= 2 and text[0] in "\"'" and text[-1] == text[0]:
        q = text[0]
        return text[1:-1].replace(q + q, q)
    raise ScpiError(-104, detail=f"{text!r} is not a quoted string")


def channel_list(text: str, channels: int) -> list[int]:
    """Parse a channel list ``(@1)``, ``(@1,3)``, ``(@1:3)`` for ``1..channels``."""
    if not (text.startswith("(@") and text.endswith(")")):
        raise ScpiError(-224, detail=f"{text!r} is not a channel list like (@1,2)")
    out: list[int] = []
    for item in text[2:-1].split(","):
        first, sep, last = item.strip().partition(":")
        try:
            lo = int(first)
            hi = int(last) if sep else lo
        except ValueError:
            raise ScpiError(-224, detail=f"bad channel list {text!r}") from None
        if not 1 <= lo <= hi <= channels:
            raise ScpiError(-222, detail=f"channel list {text!r} outside 1..{channels}")
        out.extend(range(lo, hi + 1))
    return out
