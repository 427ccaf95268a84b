"""Pausing, suspending and ending a running plan: rewind, devices, the interruptions stream."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from typing import TYPE_CHECKING, Any, Generator, Mapping, Optional

from .._report import notice
from ..errors import FailedPause, NoReplayAllowed, PlanHalt
from ._compat import control_exception
from ._msg import Msg
from ._requests import EndRequest, SuspendRequest
from ._state import State
from ._status_wait import failed_status, future_done

if TYPE_CHECKING:
    from ._driver import Frame, PlanDriver
    from ._kernel import Kernel

__all__ = ["Interruptions", "stop_devices", "call_devices"]

logger = logging.getLogger("benchplan.engine")


def _name(obj: Any) -> str:
    return getattr(obj, "name", None) or repr(obj)


def call_devices(objs: Any, method: str, *args: Any, **kwargs: Any) -> None:
    """Call ``method`` on each object that has it, logging (not raising) failures."""
    for obj in list(objs):
        func = getattr(obj, method, None)
        if func is None or not callable(func):
            continue
        try:
            func(*args, **kwargs)
        except Exception:
            logger.exception("%s.%s() failed", _name(obj), method)


def stop_devices(objs: Any, *, success: bool) -> None:
    """Call ``stop()`` on each device, with ``success=`` where it takes it."""
    for obj in list(objs):
        stop = getattr(obj, "stop", None)
        if stop is None or not callable(stop):
            continue
        try:
            params: Mapping[str, inspect.Parameter]
            try:
                params = inspect.signature(stop).parameters
            except (TypeError, ValueError):
                params = {}
            if "success" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
                stop(success=success)
            else:
                stop()
        except Exception:
            logger.exception("%s.stop() failed", _name(obj))


def _replay(msgs: list[Any], forward: bool, prepare: Any = None) -> Generator[Any, Any, Any]:
    if prepare is not None:
        prepare()
    response = None
    for msg in msgs:
        response = yield msg
    return response if forward else None


class Interruptions:
    """Acts on the requests the driver notices: pause, suspend, abort/stop/halt, failed statuses."""

    PROCEED: Any = object()

    def __init__(self, kernel: "Kernel", driver: "PlanDriver") -> None:
        self._k = kernel
        self._driver = driver
        #: the abort/stop/halt request that is ending the plan, once acted on
        self.ending: Optional[EndRequest] = None
        self._decision: Optional[asyncio.Future[None]] = None

    # -- what to do ----------------------------------------------------------------
    def _next(self) -> Optional[str]:
        req = self._k.requests
        with req.lock:
            if req.end is not None:
                return "end"
            if req.pause:
                return "pause"
            if req.suspensions:
                return "suspend"
            if req.status_failed:
                return "failed"
            req.attn = False
            return None

    async def at_boundary(self, msg: Any, frame: "Frame") -> Any:
        """Called before ``msg`` runs when a request is pending."""
        kind = self._next()
        if kind is None:
            return self.PROCEED
        if kind == "failed":
            failures = self._k.ctx.take_failures()  # type: ignore[union-attr]
            with self._k.requests.lock:
                self._k.requests.update_attn()
            if not failures:
                return self.PROCEED
            status, cause = failures[0]
            if status is None:  # an error raised on the loop, e.g. by a monitor's callback
                return cause
            return failed_status(status, cause)
        return await self.interrupt(msg, frame, executed=False, recorded=False)

    async def interrupt(self, msg: Any, frame: "Frame", *, executed: bool, recorded: bool) -> Any:
        """Act on the pending request. ``executed``: ``msg`` finished (a checkpoint or a
        'pause'); otherwise it was interrupted or not started and must run again.
        Returns the exception to throw into the plan, or None."""
        kind = self._next()
        if kind == "end":
            return self._end()
        if executed or kind == "pause":
            return await self._pause(msg, frame, executed, recorded)
        if kind == "suspend":
            return self._suspend(msg, frame, executed, recorded)
        # nothing to act on (the request went away): run the interrupted message again
        self._push_replay([msg], forward=True, record=frame.record)
        return None

    # -- ending --------------------------------------------------------------------
    def _end(self) -> BaseException:
        req = self._k.requests
        with req.lock:
            end, req.end = req.end, None
            req.update_attn()
        assert end is not None
        self.ending = end
        if end.kind == "halt":
            raise PlanHalt(end.reason or "halted")
        return control_exception(end.kind, end.reason)

    def _abort_instead(self, reason: str) -> BaseException:
        state = self._k.state
        with state.lock:
            if state.state not in (State.ABORTING, State.HALTING):
                state.change(State.ABORTING)
        logger.warning("%s", reason)  # RE(...) raises with the reason too
        self.ending = EndRequest("abort", reason)
        return control_exception("abort", reason)

    # -- rewinding -----------------------------------------------------------------
    def _rewind(self, msg: Any, frame: "Frame", executed: bool, recorded: bool) -> list[Any]:
        ctx = self._k.ctx
        assert ctx is not None
        return ctx.cache.replay_list(None if executed else msg, recorded)

    def _prepare_replay(self, msgs: list[Any], from_checkpoint: bool) -> None:
        """Just before a replay starts: drop the partial bundles it re-creates and forget
        the readings it takes again. Statuses are forgotten when the step is re-taken
        from its checkpoint; otherwise the plan still waits on them."""
        ctx = self._k.ctx
        assert ctx is not None
        for run in ctx.runs.values():
            if not run.bundle_open:
                continue
            mine = [m for m in msgs if m.run == run.key]
            if any(m.command == "create" for m in mine):
                run.drop()
            else:
                run.forget(m.obj for m in mine if m.command == "read")
        ctx.pardon_statuses(keep_groups=not from_checkpoint)

    def _push_replay(
        self, msgs: list[Any], *, forward: bool, record: bool, from_checkpoint: bool = False
    ) -> None:
        if msgs or from_checkpoint:
            self._driver.push(
                _replay(msgs, forward, lambda: self._prepare_replay(msgs, from_checkpoint)),
                record=record,
                passthrough=True,
            )

    def _record(self, kind: str) -> None:
        for run in list(self._k.ctx.runs.values()):  # type: ignore[union-attr]
            run.interruption(kind)

    def _quiet_devices(self) -> bool:
        """pause() devices and stop() moved ones; return False if a device forbids replay."""
        ctx = self._k.ctx
        assert ctx is not None
        replay = True
        for obj in list(ctx.seen.values()):
            pause = getattr(obj, "pause", None)
            if pause is None or not callable(pause):
                continue
            try:
                pause()
            except NoReplayAllowed:
                replay = False
            except Exception as exc:
                raise FailedPause(f"{_name(obj)}.pause() failed: {exc}") from exc
        stop_devices(ctx.moved.values(), success=False)
        return replay

    def _stop_step(
        self, msg: Any, frame: "Frame", executed: bool, recorded: bool, verb: str
    ) -> Any:
        """Rewind the step and quiet the devices, for a pause or a suspension.

        Returns ``(replay, from_checkpoint)``, or the exception that aborts the plan
        when a device refuses to pause.
        """
        ctx = self._k.ctx
        assert ctx is not None
        replay = self._rewind(msg, frame, executed, recorded)
        from_checkpoint = ctx.cache.rewindable
        ctx.pardon_statuses(keep_groups=True)
        try:
            if not self._quiet_devices():
                replay, from_checkpoint = ([] if executed else [msg]), False
        except FailedPause as exc:
            return self._abort_instead(f"Could not {verb}, so the plan was aborted: {exc}")
        return replay, from_checkpoint

    # -- pausing -------------------------------------------------------------------
    async def _pause(self, msg: Any, frame: "Frame", executed: bool, recorded: bool) -> Any:
        k = self._k
        ctx = k.ctx
        assert ctx is not None
        req = k.requests
        with k.state.lock:  # one step: a request landing now sees 'pausing' and is dropped
            with req.lock:
                req.pause = False
                req.update_attn()
            ctx.deferred_pause = False
            if k.state.state in (State.RUNNING, State.SUSPENDING):
                k.state.change(State.PAUSING)
        if not ctx.cache.resumable:
            return self._abort_instead(
                "The plan cannot be paused: it cleared its last checkpoint (clear_checkpoint), "
                "so there is no safe place to resume from. It was aborted instead."
            )
        step = self._stop_step(msg, frame, executed, recorded, "pause")
        if isinstance(step, BaseException):
            return step
        replay, from_checkpoint = step
        self._record("pause")
        if await self._wait_for_decision() == "end":
            return self._end()
        call_devices(ctx.seen.values(), "resume")
        self._record("resume")
        self._push_replay(
            replay, forward=not executed, record=frame.record, from_checkpoint=from_checkpoint
        )
        return None

    async def _wait_for_decision(self) -> str:
        k = self._k
        loop = asyncio.get_running_loop()
        paused = False
        with k.state.lock:
            if k.requests.end is None:
                k.state.change(State.PAUSED)
                self._decision = loop.create_future()
                paused = True
        if paused:
            assert self._decision is not None
            k.engine._segment_done()
            await self._decision
            self._decision = None
        return "end" if k.requests.end is not None else "resume"

    def decide(self) -> None:
        """On the loop: a resume/abort/stop/halt request for the paused plan."""
        if self._decision is not None and not self._decision.done():
            self._decision.set_result(None)

    # -- suspending ----------------------------------------------------------------
    def _suspend(self, msg: Any, frame: "Frame", executed: bool, recorded: bool) -> Any:
        k = self._k
        ctx = k.ctx
        assert ctx is not None
        req = k.requests
        with req.lock:
            pending, req.suspensions = req.suspensions, []
            req.update_attn()
        pending = [r for r in pending if not future_done(r.fut)]
        if not pending:
            if not executed:
                self._push_replay([msg], forward=True, record=frame.record)
            return None
        why = "; ".join(r.justification or "a suspender tripped" for r in pending)
        k.active_suspensions.extend(pending)
        if not ctx.cache.resumable:
            return self._abort_instead(
                f"The plan cannot be suspended ({why}): it cleared its last checkpoint "
                "(clear_checkpoint), so it cannot resume. It was aborted instead."
            )
        with k.state.lock:
            if k.state.state is State.RUNNING:
                k.state.change(State.SUSPENDING)
        step = self._stop_step(msg, frame, executed, recorded, "suspend")
        if isinstance(step, BaseException):
            return step
        replay, from_checkpoint = step
        self._record("suspend")
        notice(f"Suspending the plan at {time.strftime('%Y-%m-%d %H:%M:%S')}: {why}")
        k.suspension_depth += 1
        self._push_replay(
            replay, forward=not executed, record=frame.record, from_checkpoint=from_checkpoint
        )
        self._driver.push(self._suspension(pending), record=False, passthrough=False)
        return None

    @staticmethod
    def _suspension(pending: list[SuspendRequest]) -> Generator[Any, Any, None]:
        for request in pending:
            if request.pre_plan is not None:
                yield from _as_plan(request.pre_plan)
        yield Msg("_suspension_wait", None, pending)
        for request in pending:
            if request.post_plan is not None:
                yield from _as_plan(request.post_plan)
        yield Msg("_suspension_end", None, pending)

    def end_suspension(self, pending: list[SuspendRequest]) -> None:
        k = self._k
        for request in pending:
            if request in k.active_suspensions:
                k.active_suspensions.remove(request)
        k.suspension_depth = max(0, k.suspension_depth - 1)
        if k.suspension_depth:
            return
        call_devices(k.ctx.seen.values(), "resume")  # type: ignore[union-attr]
        self._record("resume")
        with k.state.lock:
            if k.state.state is State.SUSPENDING:
                k.state.change(State.RUNNING)
        notice(f"Resuming the plan at {time.strftime('%Y-%m-%d %H:%M:%S')}.")


def _as_plan(plan: Any) -> Generator[Any, Any, Any]:
    if callable(plan) and not hasattr(plan, "send"):
        plan = plan()
    if hasattr(plan, "send") and hasattr(plan, "throw"):
        return (yield from plan)
    response = None
    for msg in plan:
        response = yield msg
    return response
