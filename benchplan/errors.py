"""Every exception benchplan raises, in one place.

The hierarchy::

    Exception
     +-- RunEngineInterrupted      RE(...) / RE.resume() returned because the plan paused
     +-- TransitionError           a request the RunEngine's state does not allow
     +-- IllegalMessageSequence    a plan yielded messages in an order that makes no sense
     +-- FailedPause               a device refused to pause
     +-- FailedStatus              a status the plan waited on finished unsuccessfully
     +-- NoReplayAllowed           raised by a device's pause() to forbid replay
     +-- RequestAbort              thrown into a plan by RE.abort()
     +-- RequestStop               thrown into a plan by RE.stop()
     +-- KeyError
     |    +-- InvalidCommand       a message whose command has no handler
     +-- TimeoutError
     |    +-- WaitForTimeoutError  'wait_for' / 'wait' ran out of time
     +-- BaseException
     |    +-- GeneratorExit
     |         +-- PlanHalt        used to close a plan on RE.halt()
     +-- BenchplanError            the root of benchplan's own errors
          +-- InvalidMessage       the plan yielded something that is not a message
          +-- ControlError         a control endpoint cannot be reached or used
          +-- RampFail             ramp_plan's ramp outlasted its timeout
          +-- StationError         a station cannot be found, is not started, or lacks a role
          |    +-- StationConfigError  a malformed station file (file, line, what was expected)
          +-- ResourceInUse        another process (or role) holds an instrument
          +-- InstrumentError      an instrument reported or caused an error
               +-- InstrumentTimeout          no answer within the timeout
               +-- InstrumentConnectionError  the address cannot be reached

The engine errors keep bluesky's names, so code written to catch them keeps
working; they do not derive from :class:`BenchplanError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

__all__ = [
    "BenchplanError",
    "ControlError",
    "FailedPause",
    "FailedStatus",
    "IllegalMessageSequence",
    "InstrumentConnectionError",
    "InstrumentError",
    "InstrumentTimeout",
    "InvalidCommand",
    "InvalidMessage",
    "NoReplayAllowed",
    "PlanHalt",
    "RampFail",
    "RequestAbort",
    "RequestStop",
    "ResourceInUse",
    "RunEngineInterrupted",
    "StationConfigError",
    "StationError",
    "TransitionError",
    "WaitForTimeoutError",
]


class RunEngineInterrupted(Exception):
    """Raised out of ``RE(...)`` and ``RE.resume()`` when the plan pauses.

    Also raised out of a blocking ``RE(...)`` call when another thread
    aborts, stops or halts the plan. The message lists what the user can do
    next.
    """


class TransitionError(Exception):
    """Raised by the RunEngine when its current state does not allow a request.

    The message names the current state and the request, for example
    resuming an idle RunEngine.
    """


class IllegalMessageSequence(Exception):
    """Raised into a plan when its messages come in an order that is not valid.

    For example ``create`` without an open run, ``save`` without ``create``,
    or a ``checkpoint`` between ``create`` and ``save``.
    """


class FailedPause(Exception):
    """Raised when a device's ``pause()`` fails, so the RunEngine cannot pause."""


class FailedStatus(Exception):
    """Raised into a plan when a status it waits on finishes unsuccessfully.

    The status is the first argument; the device's own exception, when it
    gave one, is the ``__cause__``.
    """


class NoReplayAllowed(Exception):
    """Raised by a device's ``pause()`` to forbid replaying messages on resume."""


class RequestAbort(Exception):
    """Thrown into a plan by :meth:`~benchplan.RunEngine.abort` so its cleanup runs.

    ``exit_status`` is 'abort'; ``reason`` is the reason given to abort().
    """

    exit_status = "abort"
    reason = ""


class RequestStop(Exception):
    """Thrown into a plan by :meth:`~benchplan.RunEngine.stop` so its cleanup runs.

    ``exit_status`` is 'success'.
    """

    exit_status = "success"
    reason = ""


class PlanHalt(GeneratorExit):
    """Used to close a plan on :meth:`~benchplan.RunEngine.halt`; its cleanup is skipped."""


class InvalidCommand(KeyError):
    """Thrown into a plan that yields a message whose command has no handler.

    The message names the command and lists how to register one.
    """

    def __str__(self) -> str:  # KeyError would show the repr of the text
        return str(self.args[0]) if self.args else ""


class WaitForTimeoutError(TimeoutError):
    """Raised into a plan when a ``wait`` or ``wait_for`` runs out of time."""


class BenchplanError(Exception):
    """The base of benchplan's own errors."""


class InvalidMessage(BenchplanError, TypeError):
    """Raised into a plan that yields an object that is not a message.

    The message names the object's type and the plan.
    """


class ControlError(BenchplanError):
    """Raised by the remote-control client (``benchplan.remote``, the ``benchplan`` command)
    when an endpoint id is unknown, its process is gone, or the endpoint refuses the
    connection (another user's endpoint). The message says which and what to do.
    """


class RampFail(BenchplanError, RuntimeError):
    """Raised into ``ramp_plan`` when its ramp is not done within the plan's timeout."""


class StationError(BenchplanError):
    """Raised by :func:`benchplan.connect` and :class:`~benchplan.station.Station` when a
    station cannot be found, is not started, or has no such role.

    The message says what was asked, why it cannot be done, and what to do.
    """


class StationConfigError(StationError, ValueError):
    """Raised when a station file (or ``benchplan.yaml``) is malformed.

    The message names the file and the line and says what was expected; the
    same facts are in :attr:`path` and :attr:`line` (1-based, None if unknown).
    """

    def __init__(self, problem: str, *, path: Union[str, Path], line: Optional[int] = None) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"Malformed station file {where}: {problem}")
        self.path = Path(path)
        self.line = line
        self.problem = problem


class ResourceInUse(BenchplanError):
    """Raised when an instrument is held by another process or another role.

    The message names the holder (pid, host, program, role) and the address.
    """


class InstrumentError(BenchplanError):
    """Raised when an instrument reports an error or a command to it fails.

    Parameters
    ----------
    message : str
        What was attempted and why it failed.
    address : str, optional
        The VISA resource address of the instrument.
    command : str, optional
        The SCPI command being sent.
    code : int, optional
        The instrument's own error code, read from ``SYST:ERR?``.
    """

    def __init__(
        self,
        message: str,
        *,
        address: str | None = None,
        command: str | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.address = address
        self.command = command
        self.code = code


class InstrumentTimeout(InstrumentError, TimeoutError):
    """Raised when an instrument does not answer within its timeout."""


class InstrumentConnectionError(InstrumentError, ConnectionError):
    """Raised when an instrument's address cannot be reached."""
