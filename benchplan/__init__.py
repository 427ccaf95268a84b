"""benchplan: a generator-based plan execution engine for lab and test benches.

>>> from benchplan import RunEngine, Msg
>>> RE = RunEngine()
>>> RE([Msg('open_run'), Msg('close_run')])  # doctest: +ELLIPSIS
('...',)
"""

from ._version import __version__
from .engine import NO_PLAN_RETURN, Msg, RunEngine, RunEngineResult, State
from .errors import (
    BenchplanError,
    FailedPause,
    FailedStatus,
    IllegalMessageSequence,
    InstrumentError,
    InvalidCommand,
    InvalidMessage,
    NoReplayAllowed,
    PlanHalt,
    RequestAbort,
    RequestStop,
    ResourceInUse,
    RunEngineInterrupted,
    TransitionError,
    WaitForTimeoutError,
)

__all__ = [
    "BenchplanError",
    "FailedPause",
    "FailedStatus",
    "IllegalMessageSequence",
    "InstrumentError",
    "InvalidCommand",
    "InvalidMessage",
    "Msg",
    "NO_PLAN_RETURN",
    "NoReplayAllowed",
    "PlanHalt",
    "RequestAbort",
    "RequestStop",
    "ResourceInUse",
    "RunEngine",
    "RunEngineInterrupted",
    "RunEngineResult",
    "State",
    "TransitionError",
    "WaitForTimeoutError",
    "__version__",
]
