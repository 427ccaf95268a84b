"""benchplan: a generator-based plan execution engine for lab and test benches.

>>> from benchplan import RunEngine, Msg
>>> RE = RunEngine()
>>> RE([Msg('open_run'), Msg('close_run')])  # doctest: +ELLIPSIS
('...',)
"""

from ._remote import RemoteControl, remote
from ._script_control import pause
from ._version import __version__
from .engine import NO_PLAN_RETURN, Msg, RunEngine, RunEngineResult, State
from .errors import (
    BenchplanError,
    ControlError,
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
    "ControlError",
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
    "RemoteControl",
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
    "connect",
    "pause",
    "remote",
]

for _name in ("RemoteControl", "pause", "remote"):
    globals()[_name].__module__ = "benchplan"
del _name


def load_ipython_extension(ipython: object) -> None:
    """Register the %mov, %movr, %ct and %wa magics (``%load_ext benchplan``)."""
    from ._magics import load_ipython_extension as load

    load(ipython)


def __getattr__(name: str) -> object:
    # benchplan.connect is imported on first use: stations bring in YAML and the drivers
    if name == "connect":
        from .station import connect

        return connect
    raise AttributeError(f"module 'benchplan' has no attribute {name!r}")
