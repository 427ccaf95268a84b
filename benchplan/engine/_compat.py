"""Interoperation with plans written for bluesky, without importing bluesky.

bluesky's ``run_wrapper`` recognises abort and stop by ``isinstance`` against its own
exception classes. When (and only when) the user's process has already imported
``bluesky.utils``, the exceptions the engine throws into plans also derive from those
classes, so bluesky's plans close their runs with the right exit status.
"""

from __future__ import annotations

import sys
from typing import Any

from ..errors import RequestAbort, RequestStop

__all__ = ["control_exception"]

_cache: dict[tuple[type, type], type] = {}


def control_exception(kind: str, reason: str = "") -> BaseException:
    """The exception to throw into a plan for ``kind`` ('abort' or 'stop')."""
    ours: type = RequestAbort if kind == "abort" else RequestStop
    cls = ours
    peer = sys.modules.get("bluesky.utils")
    theirs: Any = getattr(peer, ours.__name__, None) if peer is not None else None
    if isinstance(theirs, type) and issubclass(theirs, BaseException):
        key = (ours, theirs)
        if key not in _cache:
            _cache[key] = type(ours.__name__, (ours, theirs), {"__module__": ours.__module__})
        cls = _cache[key]
    exc: BaseException = cls(reason) if reason else cls()
    exc.reason = reason  # type: ignore[attr-defined]
    exc.exit_status = "abort" if kind == "abort" else "success"  # type: ignore[attr-defined]
    return exc
