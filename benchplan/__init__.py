"""benchplan: a generator-based plan execution engine for lab and test benches."""

from ._version import __version__
from .engine import Msg
from .errors import (
    BenchplanError,
    FailedPause,
    FailedStatus,
    IllegalMessageSequence,
    InstrumentError,
    InvalidCommand,
    NoReplayAllowed,
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
    "Msg",
    "NoReplayAllowed",
    "ResourceInUse",
    "RunEngineInterrupted",
    "TransitionError",
    "WaitForTimeoutError",
    "__version__",
]
