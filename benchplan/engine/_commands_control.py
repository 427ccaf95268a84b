"""Handlers of the flow-control commands: checkpoints, pause, subscriptions, suspenders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import IllegalMessageSequence
from ._requests import InterruptHere

if TYPE_CHECKING:
    from ._kernel import Kernel

__all__ = ["ControlCommands"]


class ControlCommands:
    """null, checkpoint, clear_checkpoint, rewindable, pause, subscribe, unsubscribe,
    install_suspender, remove_suspender."""

    def __init__(self, kernel: "Kernel") -> None:
        self._k = kernel

    def register(self) -> None:
        reg = self._k.register
        reg("null", self.null, record=False)
        reg("checkpoint", self.checkpoint, record=False)
        reg("clear_checkpoint", self.clear_checkpoint, record=False)
        reg("rewindable", self.rewindable, record=False)
        reg("pause", self.pause, record=False)
        reg("subscribe", self.subscribe, clears=True)
        reg("unsubscribe", self.unsubscribe, clears=True)
        reg("install_suspender", self.install_suspender, clears=True)
        reg("remove_suspender", self.remove_suspender, clears=True)

    def null(self, msg: Any) -> None:
        return None

    def checkpoint(self, msg: Any) -> None:
        ctx = self._k.ctx
        assert ctx is not None
        for run in ctx.runs.values():
            if run.bundle_open:
                raise IllegalMessageSequence(
                    f"Cannot 'checkpoint' between 'create' and 'save': the "
                    f"{run.bundle_name!r} bundle of run {run.uid[:8]} is open, and a resume "
                    "would replay half a bundle. Put the checkpoint before 'create' or after "
                    "'save'."
                )
        ctx.cache.checkpoint()
        if ctx.deferred_pause:
            raise InterruptHere("pause")

    def clear_checkpoint(self, msg: Any) -> None:
        self._k.ctx.cache.clear_checkpoint()  # type: ignore[union-attr]

    def rewindable(self, msg: Any) -> bool:
        flag = msg.args[0] if msg.args else msg.kwargs.get("rewindable")
        cache = self._k.ctx.cache  # type: ignore[union-attr]
        cache.set_rewindable(flag)
        return cache.rewindable

    def pause(self, msg: Any) -> None:
        defer = msg.kwargs.get("defer", msg.args[0] if msg.args else False)
        if defer:
            self._k.ctx.deferred_pause = True  # type: ignore[union-attr]
            return
        raise InterruptHere("pause")

    def subscribe(self, msg: Any) -> int:
        args = list(msg.args)
        func = msg.kwargs.get("func", args.pop(0) if args else None)
        name = msg.kwargs.get("name", args.pop(0) if args else "all")
        if isinstance(func, str) and callable(name):  # the (name, func) order
            func, name = name, func
        token = self._k.dispatcher.subscribe(func, name)
        self._k.ctx.sub_tokens.append(token)  # type: ignore[union-attr]
        return token

    def unsubscribe(self, msg: Any) -> None:
        token = msg.kwargs.get("token", msg.args[0] if msg.args else None)
        self._k.dispatcher.unsubscribe(token)
        tokens = self._k.ctx.sub_tokens  # type: ignore[union-attr]
        if token in tokens:
            tokens.remove(token)

    def install_suspender(self, msg: Any) -> None:
        suspender = _suspender(msg)
        self._k.engine.install_suspender(suspender)
        self._k.ctx.suspenders.append(suspender)  # type: ignore[union-attr]

    def remove_suspender(self, msg: Any) -> None:
        suspender = _suspender(msg)
        self._k.engine.remove_suspender(suspender)
        suspenders = self._k.ctx.suspenders  # type: ignore[union-attr]
        if suspender in suspenders:
            suspenders.remove(suspender)


def _suspender(msg: Any) -> Any:
    """The suspender of an install/remove message: ``Msg(cmd, None, s)`` (bluesky's form)
    or ``Msg(cmd, s)``."""
    suspender = msg.args[0] if msg.args else msg.kwargs.get("suspender", msg.obj)
    if suspender is None:
        raise TypeError(
            f"Msg({msg.command!r}) carries no suspender: yield Msg({msg.command!r}, None, suspender)."
        )
    return suspender
