"""What a finished (or paused) plan left behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = ["NO_PLAN_RETURN", "Outcome", "RunEngineResult"]


class _NoPlanReturn:
    def __repr__(self) -> str:
        return "NO_PLAN_RETURN"


#: The plan_result of a plan that did not return (it was aborted, stopped, halted or failed).
NO_PLAN_RETURN: Any = _NoPlanReturn()


@dataclass(frozen=True)
class RunEngineResult:
    """Returned by ``RE(...)`` when the RunEngine was made with ``call_returns_result=True``.

    Attributes
    ----------
    run_start_uids : tuple of str
        The uids of the runs the plan opened.
    plan_result : object
        What the plan returned, or ``NO_PLAN_RETURN``.
    exit_status : str
        'success', 'abort' or 'fail'.
    interrupted : bool
        True when the plan was aborted, stopped or halted.
    reason : str
        Why it ended, if not by finishing.
    exception : BaseException or None
        The exception that ended the plan, if any.
    """

    run_start_uids: tuple[str, ...]
    plan_result: Any
    exit_status: str
    interrupted: bool
    reason: str
    exception: Optional[BaseException]


@dataclass
class Outcome:
    """Where a segment of a plan's execution ended: paused, or finished."""

    paused: bool = False
    plan_result: Any = NO_PLAN_RETURN
    exit_status: str = "success"
    reason: str = ""
    exception: Optional[BaseException] = None
    interrupted: bool = False
    ending: str = ""
    run_uids: tuple[str, ...] = field(default_factory=tuple)

    def result(self) -> RunEngineResult:
        return RunEngineResult(
            self.run_uids,
            self.plan_result,
            self.exit_status,
            self.interrupted,
            self.reason,
            self.exception,
        )
