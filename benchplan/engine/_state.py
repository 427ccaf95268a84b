"""The RunEngine's lifecycle: one enum, one transition table, one place that changes it."""

from __future__ import annotations

import enum
import logging
import threading
from typing import Callable, Optional

from ..errors import TransitionError

__all__ = ["State", "StateMachine"]

logger = logging.getLogger("benchplan.engine")


class State(str, enum.Enum):
    """The states of a :class:`~benchplan.RunEngine`.

    Each member compares equal to its name, so ``RE.state == 'paused'`` works.
    """

    IDLE = "idle"
    RUNNING = "running"
    PAUSING = "pausing"
    PAUSED = "paused"
    HALTING = "halting"
    STOPPING = "stopping"
    ABORTING = "aborting"
    SUSPENDING = "suspending"
    PANICKED = "panicked"

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return repr(self.value)


_S = State
_ENDING = {_S.HALTING, _S.STOPPING, _S.ABORTING}

#: For each state, the states it may change to.
_TRANSITIONS: dict[State, frozenset[State]] = {
    _S.IDLE: frozenset({_S.RUNNING, _S.PANICKED}),
    _S.RUNNING: frozenset({_S.IDLE, _S.PAUSING, _S.SUSPENDING, *_ENDING, _S.PANICKED}),
    _S.PAUSING: frozenset({_S.PAUSED, *_ENDING, _S.IDLE, _S.PANICKED}),
    _S.PAUSED: frozenset({_S.RUNNING, _S.SUSPENDING, *_ENDING, _S.PANICKED}),
    _S.SUSPENDING: frozenset({_S.RUNNING, _S.PAUSING, *_ENDING, _S.IDLE, _S.PANICKED}),
    _S.ABORTING: frozenset({_S.IDLE, _S.HALTING, _S.PANICKED}),
    _S.STOPPING: frozenset({_S.IDLE, _S.HALTING, _S.PANICKED}),
    _S.HALTING: frozenset({_S.IDLE, _S.PANICKED}),
    _S.PANICKED: frozenset({_S.IDLE}),
}

_WHAT_NOW = {
    _S.IDLE: "start a plan with RE(plan)",
    _S.RUNNING: "wait for the plan, or request_pause(), abort(), stop() or halt() it",
    _S.PAUSING: "wait until it is 'paused', then resume(), abort(), stop() or halt() it",
    _S.PAUSED: "resume(), abort(), stop() or halt() it first",
    _S.SUSPENDING: "wait for the suspension to end, or request_pause(), abort(), stop() or halt() it",
    _S.ABORTING: "wait for the plan's cleanup to finish, or halt() it",
    _S.STOPPING: "wait for the plan's cleanup to finish, or halt() it",
    _S.HALTING: "wait for it to become 'idle'",
    _S.PANICKED: "halt() it to reset the RunEngine to 'idle'",
}


class StateMachine:
    """Holds the current :class:`State`; thread-safe.

    Parameters
    ----------
    hook : callable, optional
        A function returning the current ``state_hook`` (or None); the hook is
        called as ``hook(new, old)`` on every transition.
    """

    __slots__ = ("_state", "_lock", "_hook")

    def __init__(self, hook: Callable[[], Optional[Callable[[State, State], None]]]) -> None:
        self._state = State.IDLE
        self._lock = threading.RLock()
        self._hook = hook

    @property
    def state(self) -> State:
        return self._state

    @property
    def lock(self) -> threading.RLock:
        """Held while a request checks the state and acts on it."""
        return self._lock

    def can(self, new: State) -> bool:
        return new in _TRANSITIONS[self._state]

    def change(self, new: State) -> State:
        """Change to ``new``; return the old state. Raises TransitionError if not allowed."""
        with self._lock:
            old = self._state
            if old is new:
                return old
            if new not in _TRANSITIONS[old]:
                raise TransitionError(
                    f"The RunEngine cannot go from {old.value!r} to {new.value!r}: "
                    f"it is {old.value!r}; {_WHAT_NOW[old]}."
                )
            self._state = new
        hook = self._hook()
        if hook is not None:
            try:
                hook(new, old)
            except Exception:
                logger.exception("state_hook failed on %r -> %r", old.value, new.value)
        return old

    def require(self, action: str, *allowed: State) -> State:
        """Raise TransitionError naming ``action`` unless the state is one of ``allowed``."""
        state = self._state
        if state not in allowed:
            valid = " or ".join(repr(s.value) for s in allowed)
            raise TransitionError(
                f"Cannot {action}: the RunEngine is {state.value!r}; "
                f"{action} is valid only when it is {valid}. Now: {_WHAT_NOW[state]}."
            )
        return state
