"""VISA sessions, locks and the SCPI signal backend.

One pyvisa session per address per process, shared by every driver on that
address (:class:`SessionPool`, :func:`default_pool`); one lock per address
around every transaction (:class:`Transport`); cross-process lock files
(:class:`InstrumentLock`); and :class:`ScpiBackend`, which makes an
instrument setting or reading a signal.
"""

from ._backend import DEFAULT_POLL_RATE, ScpiBackend
from ._errors import map_error, parse_scpi_error
from ._lockfile import InstrumentLock, LockHolder, canonical_address, lock_dir, lock_path
from ._poller import Poller
from ._pool import SessionPool, configure, default_pool
from ._session import Session
from ._transport import Transport

__all__ = [
    "DEFAULT_POLL_RATE",
    "InstrumentLock",
    "LockHolder",
    "Poller",
    "ScpiBackend",
    "Session",
    "SessionPool",
    "Transport",
    "canonical_address",
    "configure",
    "default_pool",
    "lock_dir",
    "lock_path",
    "map_error",
    "parse_scpi_error",
]

for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__") and callable(_obj):
        _obj.__module__ = __name__
del _name, _obj
