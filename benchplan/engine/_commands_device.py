"""Handlers of the commands that act on devices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._status_wait import status_from

if TYPE_CHECKING:
    from ._kernel import Kernel

__all__ = ["DeviceCommands"]


def _split_group(kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    if "group" not in kwargs:
        return None, kwargs
    kwargs = dict(kwargs)
    return kwargs.pop("group"), kwargs


class DeviceCommands:
    """read, locate, set, trigger, stage, unstage, configure, kickoff, complete, prepare, stop."""

    def __init__(self, kernel: "Kernel") -> None:
        self._k = kernel

    def register(self) -> None:
        reg = self._k.register
        reg("read", self.read)
        reg("locate", self.locate)
        reg("set", self.set)
        reg("trigger", self.trigger)
        reg("stage", self.stage, clears=True)
        reg("unstage", self.unstage, clears=True)
        reg("configure", self.configure, clears=True)
        reg("kickoff", self.kickoff, clears=True)
        reg("complete", self.complete, clears=True)
        reg("prepare", self.prepare)
        reg("stop", self.stop)

    def read(self, msg: Any) -> dict[str, Any]:
        obj = msg.obj
        reading: dict[str, Any] = obj.read()
        ctx = self._k.ctx
        seen = ctx.seen  # type: ignore[union-attr]
        if id(obj) not in seen:
            seen[id(obj)] = obj
        run = ctx.runs.get(msg.run)  # type: ignore[union-attr]
        if run is not None and run.bundle_open:
            run.read(obj, reading)
        return reading

    def locate(self, msg: Any) -> Any:
        objs = [msg.obj, *msg.args]
        locations = [obj.locate() for obj in objs]
        if len(locations) == 1 and msg.kwargs.get("squeeze", True):
            return locations[0]
        return locations

    def set(self, msg: Any) -> Any:
        obj = msg.obj
        group, kwargs = _split_group(msg.kwargs)
        ctx = self._k.ctx
        ctx.move(obj)  # type: ignore[union-attr]
        status = status_from(obj.set(*msg.args, **kwargs), obj)
        ctx.track(status, group)  # type: ignore[union-attr]
        return status

    def trigger(self, msg: Any) -> Any:
        obj = msg.obj
        group, kwargs = _split_group(msg.kwargs)
        ctx = self._k.ctx
        seen = ctx.seen  # type: ignore[union-attr]
        if id(obj) not in seen:
            seen[id(obj)] = obj
        status = status_from(obj.trigger(*msg.args, **kwargs), obj)
        ctx.track(status, group)  # type: ignore[union-attr]
        return status

    def _status_command(self, msg: Any, method: str) -> Any:
        obj = msg.obj
        group, kwargs = _split_group(msg.kwargs)
        ctx = self._k.ctx
        ctx.see(obj)  # type: ignore[union-attr]
        status = status_from(getattr(obj, method)(*msg.args, **kwargs), obj)
        ctx.track(status, group)  # type: ignore[union-attr]
        return status

    def kickoff(self, msg: Any) -> Any:
        return self._status_command(msg, "kickoff")

    def complete(self, msg: Any) -> Any:
        return self._status_command(msg, "complete")

    def prepare(self, msg: Any) -> Any:
        return self._status_command(msg, "prepare")

    def stage(self, msg: Any) -> Any:
        obj = msg.obj
        ctx = self._k.ctx
        ctx.see(obj)  # type: ignore[union-attr]
        stage = getattr(obj, "stage", None)
        if stage is None:  # not stageable: nothing to do
            return []
        result = stage()
        ctx.staged[id(obj)] = obj  # type: ignore[union-attr]
        return result

    def unstage(self, msg: Any) -> Any:
        obj = msg.obj
        unstage = getattr(obj, "unstage", None)
        if unstage is None:
            return []
        result = unstage()
        self._k.ctx.staged.pop(id(obj), None)  # type: ignore[union-attr]
        return result

    def configure(self, msg: Any) -> Any:
        obj = msg.obj
        ctx = self._k.ctx
        ctx.see(obj)  # type: ignore[union-attr]
        result = obj.configure(*msg.args, **msg.kwargs)
        for run in ctx.runs.values():  # type: ignore[union-attr]
            run.configuration_changed(obj)
        return result

    def stop(self, msg: Any) -> Any:
        return msg.obj.stop(*msg.args, **msg.kwargs)
