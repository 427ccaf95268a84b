"""Handlers of the commands that open, fill and close runs."""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..errors import IllegalMessageSequence
from ._bundler import RunBundler
from ._status_wait import post

if TYPE_CHECKING:
    from ._kernel import Kernel

__all__ = ["RunCommands"]


def _stream_name(msg: Any, default: str = "primary") -> str:
    name = msg.kwargs.get("name")
    if name is None and msg.args:
        name = msg.args[0]
    return default if name is None else name


class RunCommands:
    """open_run, close_run, create, read's bundling, save, drop, declare_stream, monitor, unmonitor, collect."""

    def __init__(self, kernel: "Kernel") -> None:
        self._k = kernel

    def register(self) -> None:
        reg = self._k.register
        reg("open_run", self.open_run, clears=True)
        reg("close_run", self.close_run, clears=True)
        reg("create", self.create)
        reg("save", self.save, clears=True)
        reg("drop", self.drop)
        reg("declare_stream", self.declare_stream, clears=True)
        reg("monitor", self.monitor, clears=True)
        reg("unmonitor", self.unmonitor, clears=True)
        reg("collect", self.collect, clears=True)

    async def open_run(self, msg: Any) -> str:
        k = self._k
        ctx = k.ctx
        assert ctx is not None
        key = msg.run
        if key in ctx.runs:
            raise IllegalMessageSequence(
                f"Cannot 'open_run': run key {key!r} already has an open run "
                f"(uid {ctx.runs[key].uid}). Yield Msg('close_run') first, or give each "
                "simultaneous run its own run= key."
            )
        engine = k.engine
        md: dict[str, Any] = {**ctx.plan_md, **engine.md, **ctx.call_md, **msg.kwargs}
        scan_id = engine.scan_id_source(engine.md)
        if inspect.isawaitable(scan_id):
            scan_id = await scan_id
        engine.md["scan_id"] = scan_id
        md["scan_id"] = scan_id
        md.setdefault("versions", {"benchplan": __version__})
        run = RunBundler(md, k.dispatcher.emit, key, engine.record_interruptions)
        ctx.runs[key] = run
        ctx.run_uids.append(run.uid)
        run.open()
        return run.uid

    def close_run(self, msg: Any) -> str:
        ctx = self._k.ctx
        assert ctx is not None
        run = ctx.run(msg.run, "close_run")
        del ctx.runs[msg.run]
        exit_status = msg.kwargs.get("exit_status") or "success"
        reason = msg.kwargs.get("reason") or ""
        driver = self._k.driver
        ending = driver.interruptions.ending if driver is not None else None
        if not reason and ending is not None and exit_status != "fail":
            reason = ending.reason  # a plan closing its run on abort() keeps the reason given
        run.close(exit_status, reason)
        return run.uid

    def create(self, msg: Any) -> None:
        self._k.ctx.run(msg.run, "create").create(_stream_name(msg))  # type: ignore[union-attr]

    def save(self, msg: Any) -> None:
        self._k.ctx.run(msg.run, "save").save()  # type: ignore[union-attr]

    def drop(self, msg: Any) -> None:
        self._k.ctx.run(msg.run, "drop").drop()  # type: ignore[union-attr]

    def declare_stream(self, msg: Any) -> Any:
        ctx = self._k.ctx
        assert ctx is not None
        objs = [o for o in (msg.obj, *msg.args) if o is not None]
        if msg.kwargs.get("collect"):
            return None  # descriptors of collected streams come with the first collect
        return ctx.run(msg.run, "declare_stream").declare_stream(objs, _stream_name(msg))

    def monitor(self, msg: Any) -> None:
        ctx = self._k.ctx
        assert ctx is not None
        obj = msg.obj
        name = msg.kwargs.get("name") or f"{getattr(obj, 'name', 'obj')}_monitor"
        ctx.see(obj)
        run = ctx.run(msg.run, "monitor")
        run.monitor(obj, name, functools.partial(post, self._k.loop), ctx.fail_later)

    def unmonitor(self, msg: Any) -> None:
        ctx = self._k.ctx
        assert ctx is not None
        for run in ctx.runs.values():
            if run.monitored(msg.obj):
                run.unmonitor(msg.obj)
                return
        raise IllegalMessageSequence(
            f"Cannot 'unmonitor' {getattr(msg.obj, 'name', msg.obj)!r}: it is not monitored in "
            "any open run. Yield Msg('monitor', obj) first."
        )

    def collect(self, msg: Any) -> list[dict[str, Any]]:
        ctx = self._k.ctx
        assert ctx is not None
        run = ctx.run(msg.run, "collect")
        name = msg.kwargs.get("name")
        events: list[dict[str, Any]] = []
        for obj in (msg.obj, *msg.args):
            ctx.see(obj)
            events.extend(run.collect(obj, name))
        return events if msg.kwargs.get("return_payload", True) else []
