"""One plan from start to end: run it, work out how it ended, clean up, close every run."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Generator

from ..errors import PlanHalt, RequestAbort, RequestStop
from ._interruptions import call_devices, stop_devices
from ._result import Outcome
from ._state import State
from ._status_wait import future_done

if TYPE_CHECKING:
    from ._driver import PlanDriver
    from ._kernel import Kernel

__all__ = ["execute"]

logger = logging.getLogger("benchplan.engine")


def _describe_exception(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def execute(
    kernel: "Kernel", driver: "PlanDriver", gen: Generator[Any, Any, Any], tokens: list[int]
) -> None:
    """Run the plan; whatever happens, close its runs and report the outcome."""
    outcome = Outcome()
    halted = False
    try:
        try:
            outcome.plan_result = await driver.run(gen)
        except RequestAbort as exc:
            outcome.exit_status, outcome.reason = "abort", str(exc)
        except RequestStop:
            outcome.exit_status = "success"
        except (PlanHalt, asyncio.CancelledError) as exc:
            halted = True
            outcome.exit_status, outcome.reason = "abort", str(exc) or "halted"
        except BaseException as exc:
            outcome.exit_status, outcome.reason = "fail", _describe_exception(exc)
            outcome.exception = exc
        ending = driver.interruptions.ending
        if ending is not None:
            outcome.interrupted = True
            outcome.ending = ending.kind
            if outcome.exception is None:
                if ending.kind == "stop":
                    outcome.exit_status, outcome.reason = "success", ending.reason
                else:
                    outcome.exit_status = "abort"
                    outcome.reason = ending.reason or outcome.reason
        if halted:
            with kernel.state.lock:
                if kernel.state.state is not State.HALTING:
                    kernel.state.change(State.HALTING)
            driver.close_frames()
        _cleanup(kernel, outcome, halted)
    except BaseException as exc:  # the engine itself failed: close what we can
        logger.exception("The RunEngine failed while running %r", driver.plan_name)
        outcome.exception = exc
        outcome.exit_status, outcome.reason = "fail", f"RunEngine error: {_describe_exception(exc)}"
        try:
            _cleanup(kernel, outcome, True)
        finally:
            with kernel.state.lock:
                if kernel.state.state is not State.PANICKED:
                    kernel.state.change(State.PANICKED)
    finally:
        ctx = kernel.ctx
        if ctx is not None:
            outcome.run_uids = tuple(ctx.run_uids)
        kernel.dispatcher.unsubscribe_all(tokens)
        kernel.suspension_depth = 0
        _requeue_suspensions(kernel)
        kernel.requests.reset()
        segment = kernel.segment
        kernel.ctx = kernel.driver = kernel.task = kernel.segment = None
        with kernel.state.lock:
            if kernel.state.state is not State.PANICKED:
                kernel.state.change(State.IDLE)
        if segment is not None and not segment.done():
            segment.set_result(outcome)


def _requeue_suspensions(kernel: "Kernel") -> None:
    """Suspensions still unresolved when the plan ended apply to the next plan."""
    pending, kernel.active_suspensions = kernel.active_suspensions, []
    unresolved = [r for r in pending if not future_done(r.fut)]
    if unresolved:
        with kernel.requests.lock:
            kernel.requests.suspensions[:0] = unresolved
            kernel.requests.attn = True


def _cleanup(kernel: "Kernel", outcome: Outcome, halted: bool) -> None:
    ctx = kernel.ctx
    if ctx is None:
        return
    ctx.pardon_statuses()
    for obj in reversed(list(ctx.staged.values())):
        try:
            obj.unstage()
        except Exception:
            logger.exception("Failed to unstage %r", getattr(obj, "name", obj))
    ctx.staged.clear()
    stop_devices(ctx.moved.values(), success=not halted)
    if halted:
        call_devices(ctx.moved.values(), "safe_state")
    kernel.dispatcher.unsubscribe_all(ctx.sub_tokens)
    for suspender in ctx.suspenders:
        try:
            kernel.engine.remove_suspender(suspender)
        except Exception:
            logger.exception("Failed to remove suspender %r", suspender)
    for run in list(ctx.runs.values()):
        try:
            run.close(outcome.exit_status, outcome.reason)
        except Exception:
            logger.exception("A callback failed on the stop document of run %s", run.uid)
    ctx.runs.clear()


