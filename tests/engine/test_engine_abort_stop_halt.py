"""abort(reason), stop() and halt(): from 'paused' and from another thread while running."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import pytest

from benchplan import Msg, RunEngine, RunEngineInterrupted, RunEngineResult, TransitionError
from benchplan.devices.sim import SimMotor, det
from benchplan.plans import count
from benchplan.plans.preprocessors import finalize_wrapper, run_wrapper
from benchplan.plans.stubs import trigger_and_read

from engine_helpers import (
    Background,
    PendingMover,
    Recorder,
    assert_runs_closed,
    on_message,
    reached,
    validate_all,
)


def paused_plan(cleanup, *, mover=None):
    """A run that pauses after a checkpoint, wrapped so its cleanup is recorded."""

    def body():
        yield Msg("open_run")
        if mover is not None:
            yield Msg("set", mover, 1)
        yield Msg("checkpoint")
        yield Msg("pause")
        yield Msg("close_run")

    def final():
        cleanup.append("cleanup started")
        yield Msg("null", "cleanup")
        cleanup.append("cleanup finished")

    return finalize_wrapper(body(), final)


def forever():
    """An awaitable that never finishes: only an interruption gets a plan past it."""
    return asyncio.get_running_loop().create_future()


def long_plan(cleanup, *, mover=None, runs=(None,)):
    """Open runs, maybe start a move, then wait for ever."""

    def body():
        for key in runs:
            yield Msg("open_run", run=key)
        yield Msg("checkpoint")
        if mover is not None:
            yield Msg("set", mover, 10, group="m")
            yield Msg("wait", None, group="m")
        yield Msg("wait_for", None, [forever])
        for key in runs:
            yield Msg("close_run", run=key)

    def final():
        cleanup.append("cleanup started")
        yield Msg("null", "cleanup")
        cleanup.append("cleanup finished")

    return finalize_wrapper(body(), final)


# -- from 'paused' -----------------------------------------------------------------------


def test_abort_from_paused_runs_cleanup_and_closes_with_abort_and_reason(RE, docs):
    cleanup = []
    with pytest.raises(RunEngineInterrupted):
        RE(paused_plan(cleanup))
    assert cleanup == []
    uids = RE.abort("sample is on fire")
    assert cleanup == ["cleanup started", "cleanup finished"]
    assert uids == (docs.start["uid"],)
    assert docs.stop["exit_status"] == "abort"
    assert docs.stop["reason"] == "sample is on fire"
    assert RE.state == "idle"
    validate_all(docs)


def test_stop_from_paused_runs_cleanup_and_closes_with_success(RE, docs):
    cleanup = []
    with pytest.raises(RunEngineInterrupted):
        RE(paused_plan(cleanup))
    uids = RE.stop()
    assert cleanup == ["cleanup started", "cleanup finished"]
    assert uids == (docs.start["uid"],)
    assert docs.stop["exit_status"] == "success"
    assert RE.state == "idle"


def test_halt_from_paused_skips_cleanup_but_stops_moved_devices(RE, docs):
    cleanup = []
    mover = Recorder("mover")
    with pytest.raises(RunEngineInterrupted):
        RE(paused_plan(cleanup, mover=mover))
    stops_at_pause = mover.count("stop")
    RE.halt()
    assert cleanup == []
    assert mover.count("stop") == stops_at_pause + 1
    assert docs.stop["exit_status"] == "abort"
    assert RE.state == "idle"
    assert_runs_closed(docs)


def test_abort_without_reason_gives_an_empty_reason(RE, docs):
    with pytest.raises(RunEngineInterrupted):
        RE(paused_plan([]))
    RE.abort()
    assert docs.stop["exit_status"] == "abort"
    assert docs.stop["reason"] == ""


def test_abort_from_paused_with_run_wrapper_passes_the_reason(RE, docs):
    def plan():
        yield Msg("checkpoint")
        yield Msg("pause")

    with pytest.raises(RunEngineInterrupted):
        RE(run_wrapper(plan()))
    RE.abort("operator said so")
    assert docs.stop["exit_status"] == "abort"
    assert docs.stop["reason"] == "operator said so"
    assert_runs_closed(docs)


def test_abort_with_call_returns_result_reports_it(docs):
    RE = RunEngine(call_returns_result=True)
    RE.subscribe(docs)
    with pytest.raises(RunEngineInterrupted):
        RE(paused_plan([]))
    result = RE.abort("why not")
    assert isinstance(result, RunEngineResult)
    assert (result.exit_status, result.interrupted, result.reason) == ("abort", True, "why not")


def test_engine_is_usable_after_abort_stop_and_halt(RE, docs):
    for end in (RE.abort, RE.stop, RE.halt):
        with pytest.raises(RunEngineInterrupted):
            RE(paused_plan([]))
        end()
        assert RE.state == "idle"
    RE(count([det]))
    assert docs.stops[-1]["exit_status"] == "success"
    assert_runs_closed(docs)


def test_second_abort_after_the_plan_ended_is_a_transition_error(RE):
    with pytest.raises(RunEngineInterrupted):
        RE(paused_plan([]))
    RE.abort()
    with pytest.raises(TransitionError, match="'idle'"):
        RE.abort()


# -- from another thread while running ------------------------------------------------


def test_abort_from_another_thread_interrupts_the_blocked_call(RE, docs):
    cleanup = []
    RE.msg_hook = on_message("wait_for", lambda: RE.abort("lights out"))
    with pytest.raises(RunEngineInterrupted) as info:
        RE(long_plan(cleanup))
    assert "aborted" in str(info.value) and "lights out" in str(info.value)
    assert cleanup == ["cleanup started", "cleanup finished"]
    assert docs.stop["exit_status"] == "abort"
    assert docs.stop["reason"] == "lights out"
    assert RE.state == "idle"


def test_stop_from_another_thread_runs_cleanup_and_succeeds(RE, docs):
    cleanup = []
    RE.msg_hook = on_message("wait_for", RE.stop)
    with pytest.raises(RunEngineInterrupted, match="stopped"):
        RE(long_plan(cleanup))
    assert cleanup == ["cleanup started", "cleanup finished"]
    assert docs.stop["exit_status"] == "success"


def test_halt_from_another_thread_skips_cleanup_and_stops_the_move(RE, docs):
    cleanup = []
    mover = PendingMover("axis")
    RE.msg_hook = on_message("wait", RE.halt)
    with pytest.raises(RunEngineInterrupted, match="halted"):
        RE(long_plan(cleanup, mover=mover))
    assert cleanup == []
    assert mover.stops >= 1
    assert docs.stop["exit_status"] == "abort"
    assert RE.state == "idle"


def test_abort_while_a_slow_motor_moves_stops_it(RE, docs):
    cleanup = []
    slow = SimMotor("slow_abort", delay=10)
    RE.msg_hook = on_message("wait", lambda: RE.abort("stuck"))
    with pytest.raises(RunEngineInterrupted):
        RE(long_plan(cleanup, mover=slow))
    assert slow.position < 10
    assert cleanup == ["cleanup started", "cleanup finished"]
    assert docs.stop["reason"] == "stuck"


def test_abort_from_another_thread_does_not_wait_for_the_cleanup(RE, docs):
    release = threading.Event()

    def body():
        yield Msg("open_run")
        yield Msg("wait_for", None, [forever])
        yield Msg("close_run")

    def final():  # the cleanup ends only once abort() has returned
        yield Msg("wait_for", None, [lambda: RE.loop.run_in_executor(None, release.wait, 5)])

    waiting = reached(RE, "wait_for")
    bg = Background(RE, finalize_wrapper(body(), final))
    assert waiting.wait(5)
    requester = Background(RE.abort, "from here").join()
    assert requester.exception is None
    assert requester.result == (docs.start["uid"],)
    assert not bg.done.is_set()
    release.set()
    bg.join()
    assert isinstance(bg.exception, RunEngineInterrupted)
    assert docs.stop["reason"] == "from here"


@pytest.mark.parametrize("end", ["abort", "stop", "halt"])
def test_every_open_run_gets_its_stop_document(RE, docs, end):
    RE.msg_hook = on_message("wait_for", getattr(RE, end))
    with pytest.raises(RunEngineInterrupted):
        RE(long_plan([], runs=("a", "b", "c")))
    assert len(docs.starts) == 3
    assert_runs_closed(docs)
    expected = "success" if end == "stop" else "abort"
    assert {s["exit_status"] for s in docs.stops} == {expected}
    validate_all(docs)


def test_halt_during_a_hanging_cleanup_ends_the_plan(RE, docs):
    def body():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield Msg("pause")

    def final():
        yield Msg("wait_for", None, [forever])

    with pytest.raises(RunEngineInterrupted):
        RE(finalize_wrapper(body(), final))

    RE.msg_hook = on_message("wait_for", RE.halt)  # the cleanup's endless wait
    RE.abort("first try")
    assert RE.state == "idle"
    assert docs.stop["exit_status"] == "abort"


def test_halt_calls_stop_on_moved_devices_only(RE):
    moved = Recorder("moved")
    read_only = Recorder("read_only")
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("set", moved, 1), Msg("read", read_only), Msg("checkpoint"), Msg("pause")])
    moved_stops = moved.count("stop")
    RE.halt()
    assert moved.count("stop") == moved_stops + 1
    assert read_only.count("stop") == 0


def test_stop_at_the_end_of_a_plan_calls_stop_on_moved_devices(RE):
    moved = Recorder("moved")
    RE([Msg("set", moved, 1)])
    assert moved.count("stop") == 1


def test_plan_finally_runs_on_abort(RE):
    ran = []

    def plan():
        try:
            yield Msg("checkpoint")
            yield Msg("pause")
        finally:
            ran.append("finally")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.abort()
    assert ran == ["finally"]


def test_abort_overrides_a_pending_deferred_pause(RE, docs):
    released = threading.Event()
    cleanup = []

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield Msg("wait_for", None, [lambda: RE.loop.run_in_executor(None, released.wait, 5)])
        yield Msg("checkpoint")
        yield Msg("close_run")

    def final():
        cleanup.append("ran")
        yield Msg("null")

    waiting = reached(RE, "wait_for")
    bg = Background(RE, finalize_wrapper(plan(), final))
    assert waiting.wait(5)
    RE.request_pause(defer=True)
    RE.abort("changed my mind")
    released.set()
    bg.join()
    assert isinstance(bg.exception, RunEngineInterrupted)
    assert "aborted" in str(bg.exception)
    assert cleanup == ["ran"]
    assert docs.stop["exit_status"] == "abort"
    assert RE.state == "idle"


@pytest.mark.parametrize("end, status", [("abort", "abort"), ("stop", "success")])
def test_abort_after_a_pause_inside_a_bundle(RE, docs, end, status):
    cleanup = []
    other = Recorder("other")

    reads = []

    def hook(msg):
        if msg.command == "read":
            reads.append(msg.obj)
            if len(reads) == 1:
                RE.request_pause()  # acted on at the second read, inside the bundle

    RE.msg_hook = hook

    def body():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield from trigger_and_read([det, other])
        yield Msg("close_run")

    def final():
        cleanup.append("ran")
        yield Msg("null")

    with pytest.raises(RunEngineInterrupted):
        RE(finalize_wrapper(body(), final))
    RE.msg_hook = None
    getattr(RE, end)()
    assert cleanup == ["ran"]
    assert docs.stop["exit_status"] == status


def test_abort_during_a_suspension_inside_a_bundle(RE, docs):
    other = Recorder("other")
    released: concurrent.futures.Future = concurrent.futures.Future()
    reads = []

    def hook(msg):
        if msg.command == "read":
            reads.append(msg.obj)
            if len(reads) == 1:
                RE.request_suspend(released, justification="test trip")

    RE.msg_hook = hook
    suspended = threading.Event()
    RE.state_hook = lambda new, old: suspended.set() if new == "suspending" else None

    def body():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield from trigger_and_read([det, other])
        yield Msg("close_run")

    def abort_when_suspended():
        assert suspended.wait(5)
        RE.abort("gave up waiting")

    helper = Background(abort_when_suspended)
    with pytest.raises(RunEngineInterrupted):
        RE(body())
    helper.join()
    assert docs.stop["exit_status"] == "abort"
    assert docs.stop["reason"] == "gave up waiting"


def test_halt_puts_moved_devices_in_their_safe_state(RE):
    class Supply(Recorder):
        def safe_state(self):
            self.calls.append("safe_state")

    supply = Supply("psu")
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("set", supply, 5), Msg("checkpoint"), Msg("pause")])
    assert "safe_state" not in supply.calls
    RE.halt()
    assert supply.count("safe_state") == 1


def test_abort_does_not_call_safe_state(RE):
    class Supply(Recorder):
        def safe_state(self):
            self.calls.append("safe_state")

    supply = Supply("psu")
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("set", supply, 5), Msg("checkpoint"), Msg("pause")])
    RE.abort()
    assert "safe_state" not in supply.calls


def test_run_left_open_by_a_finished_plan_is_closed(RE, docs):
    RE([Msg("open_run"), Msg("create"), Msg("read", det), Msg("save")])
    assert_runs_closed(docs)
    assert docs.stop["exit_status"] == "success"
    assert docs.stop["num_events"] == {"primary": 1}
