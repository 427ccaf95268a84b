"""The rewind cache: the messages since the last checkpoint, replayed on resume."""

from __future__ import annotations

from typing import Any, Optional

__all__ = ["RewindCache"]


class RewindCache:
    """Keeps the messages of the current step so a resume can re-take it whole.

    ``resumable`` is false after ``clear_checkpoint`` (until the next
    checkpoint); ``rewindable`` is false while the plan (or a device) has
    turned replay off with ``Msg('rewindable', None, False)``.
    """

    __slots__ = ("messages", "resumable", "rewindable")

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.resumable = True
        self.rewindable = True

    @property
    def recording(self) -> bool:
        return self.resumable and self.rewindable

    def checkpoint(self) -> None:
        """A real checkpoint: start a new step; the plan is resumable again."""
        self.messages.clear()
        self.resumable = True

    def clear_checkpoint(self) -> None:
        self.messages.clear()
        self.resumable = False

    def set_rewindable(self, flag: Optional[bool]) -> bool:
        """Turn replay on or off (None only asks); return the value before."""
        before = self.rewindable
        if flag is not None and bool(flag) != before:
            self.rewindable = bool(flag)
            self.messages.clear()
        return before

    def replay_list(self, outstanding: Any, outstanding_recorded: bool) -> list[Any]:
        """The messages to run again on resume.

        ``outstanding`` is the message that was interrupted before it finished
        (or None). When replay is allowed, the cache is replayed (it already
        holds the outstanding message if ``outstanding_recorded``); otherwise
        only the outstanding message is run again, so the plan keeps its place.
        """
        msgs = list(self.messages) if self.rewindable else []
        if outstanding is not None and not (outstanding_recorded and self.rewindable):
            msgs.append(outstanding)
        self.messages.clear()
        return msgs
