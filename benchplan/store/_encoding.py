"""Documents to JSON: a careful encoder that keeps NaN, and a fast one for events."""

from __future__ import annotations

import json
import logging
import os
import sys
from enum import Enum
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from math import isfinite
from typing import Any, Callable, Iterable

__all__ = ["batch_encoder", "encode_for_queries", "encoder"]

logger = logging.getLogger("benchplan.store")

def _default(obj: Any) -> Any:
    """What JSON cannot write by itself: numpy values, enums, sets, paths; else repr."""
    import numpy as np

    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.tolist()
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "backslashreplace")
    logger.warning(
        "The document store cannot write a %s as JSON; it stores its repr instead. "
        "Convert the value in the device's read() or the metadata to keep it.",
        type(obj).__name__,
    )
    return repr(obj)


def encoder() -> Callable[[Any], str]:
    """A compact ASCII JSON encoder (numpy values converted, NaN kept as ``NaN``).

    The C encoder of :mod:`json` made once: ``json.dumps`` makes it anew at
    every call, which is most of its cost on a small event.
    """
    if c_make_encoder is None:  # pragma: no cover - CPython always has it
        return json.JSONEncoder(default=_default, separators=(",", ":")).encode
    make = c_make_encoder(None, _default, encode_basestring_ascii, None, ":", ",", False, False, True)
    join = "".join
    return lambda obj: join(make(obj, 0))


_PLAIN = frozenset({str, int, bool, type(None)})


def _finite(values: Iterable[Any]) -> bool:
    """True when no float in ``values`` (nested in lists, dicts, arrays) is NaN or infinite."""
    for value in values:
        kind = type(value)
        if kind is float:
            if value - value:  # NaN for NaN and the infinities, 0.0 otherwise
                return False
        elif kind not in _PLAIN and not _finite_other(value):
            return False
    return True


def _finite_other(value: Any) -> bool:
    if isinstance(value, float):
        return not value - value
    if isinstance(value, dict):
        return _finite(value.values())
    if isinstance(value, (list, tuple)):
        return _finite(value)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind in "fc":
            return bool(np.isfinite(value).all())
        return value.dtype.kind != "O"  # object arrays: the careful encoder
    return True


def batch_encoder() -> Callable[[str, dict], bytes]:
    """The encoder of batched documents: ``(name, doc) -> UTF-8 JSON``.

    orjson (several times faster than :mod:`json` on an event) when it is
    installed, unless the document holds a NaN or an infinity, which orjson
    would write as null: then the encoder of :func:`encoder`, which keeps them.
    """
    careful = encoder()
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency
        return lambda name, doc: careful(doc).encode()
    dumps = orjson.dumps
    option = orjson.OPT_SERIALIZE_NUMPY

    def encode(name: str, doc: dict) -> bytes:
        if name == "event":
            try:  # a sum of the readings is finite only if each is: the common case, fast
                fast = isfinite(sum(doc["data"].values(), sum(doc["timestamps"].values())))
            except (TypeError, ValueError):
                fast = _finite(doc["data"].values()) and _finite(doc["timestamps"].values())
        else:
            fast = _finite(doc.values())
        if fast:
            try:
                return dumps(doc, default=_default, option=option)  # type: ignore[no-any-return]
            except TypeError:  # e.g. an int beyond 64 bits, a key that is not a str
                pass
        return careful(doc).encode()

    return encode


def encode_for_queries(doc: dict) -> str:
    """The start document as strict JSON (NaN as null), which SQLite's JSON functions read."""
    try:
        return json.dumps(doc, default=_default, allow_nan=False, separators=(",", ":"))
    except ValueError:
        text = json.dumps(doc, default=_default, separators=(",", ":"))
        return json.dumps(json.loads(text, parse_constant=lambda _: None), separators=(",", ":"))


