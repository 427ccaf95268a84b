"""RE(plan, subs, **md): what a call returns, subscriptions per call, RunEngineResult, RE.run."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from benchplan import (
    NO_PLAN_RETURN,
    Msg,
    RunEngine,
    RunEngineInterrupted,
    RunEngineResult,
    TransitionError,
)
from benchplan.callbacks import DocumentCollector
from benchplan.devices import Status
from benchplan.devices.sim import det, motor
from benchplan.plans import count, scan


def two_runs():
    for _ in range(2):
        yield Msg("open_run")
        yield Msg("close_run")


def test_call_returns_the_uids_of_the_runs_it_opened(RE, docs):
    uids = RE(two_runs())
    assert isinstance(uids, tuple)
    assert uids == tuple(d["uid"] for d in docs.starts)
    assert len(uids) == 2


def test_plan_without_runs_returns_empty_tuple(RE, docs):
    assert RE([Msg("null")]) == ()
    assert docs.docs == []


def test_call_accepts_a_list_of_messages(RE, docs):
    uids = RE([Msg("open_run"), Msg("close_run")])
    assert len(uids) == 1 and docs.names == ["start", "stop"]


def test_keyword_metadata_goes_into_the_start_document(RE, docs):
    RE(count([det]), sample="A1", operator="me")
    assert docs.start["sample"] == "A1"
    assert docs.start["operator"] == "me"
    assert "sample" not in RE.md


def test_subs_callable_is_subscribed_for_that_call_only(RE):
    collected = DocumentCollector()
    RE(count([det]), collected)
    assert collected.names == ["start", "descriptor", "event", "stop"]
    RE(count([det]))
    assert len(collected) == 4


def test_subs_list_subscribes_each(RE):
    first, second = DocumentCollector(), DocumentCollector()
    RE(count([det], 2), [first, second])
    assert first.names == second.names == ["start", "descriptor", "event", "event", "stop"]
    RE(count([det]))
    assert len(first) == len(second) == 5


def test_subs_dict_subscribes_by_document_name(RE):
    starts, events = DocumentCollector(), DocumentCollector()
    also_events = DocumentCollector()
    RE(count([det], 3), {"start": starts, "event": [events, also_events]})
    assert starts.names == ["start"]
    assert events.names == also_events.names == ["event"] * 3
    RE(count([det]))
    assert len(starts) == 1 and len(events) == 3


def test_subs_are_unsubscribed_even_when_the_plan_fails(RE):
    collected = DocumentCollector()

    def failing():
        yield Msg("open_run")
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        RE(failing(), collected)
    n = len(collected)
    RE(count([det]))
    assert len(collected) == n


def test_subs_of_the_wrong_type_are_refused_with_a_message(RE):
    with pytest.raises(TypeError, match="subs must be a callable"):
        RE(count([det]), 42)
    assert RE.state == "idle"


def test_calling_with_a_plan_function_instead_of_a_plan_says_to_call_it(RE):
    with pytest.raises(TypeError, match=r"RE\(my_plan\(...\)\)"):
        RE(count)
    assert RE.state == "idle"


def test_calling_with_a_non_iterable_says_what_it_got(RE):
    with pytest.raises(TypeError, match="needs a plan.*int"):
        RE(5)


def test_call_returns_result_gives_a_run_engine_result():
    RE = RunEngine(call_returns_result=True)

    def plan():
        yield from count([det])
        return "the answer"

    result = RE(plan())
    assert isinstance(result, RunEngineResult)
    assert len(result.run_start_uids) == 1
    assert result.plan_result == "the answer"
    assert result.exit_status == "success"
    assert result.interrupted is False
    assert result.reason == ""
    assert result.exception is None


def test_call_returns_result_on_abort_reports_the_interruption():
    RE = RunEngine(call_returns_result=True)
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("open_run"), Msg("checkpoint"), Msg("pause"), Msg("close_run")])
    result = RE.abort("beam lost")
    assert isinstance(result, RunEngineResult)
    assert result.exit_status == "abort"
    assert result.interrupted is True
    assert result.reason == "beam lost"
    assert result.plan_result is NO_PLAN_RETURN
    assert len(result.run_start_uids) == 1


def test_call_returns_result_carries_the_exception_of_a_failed_plan():
    RE = RunEngine(call_returns_result=True)

    def plan():
        yield Msg("open_run")
        raise ValueError("bad sample")

    with pytest.raises(ValueError, match="bad sample"):
        RE(plan())
    assert RE.state == "idle"


def test_uids_are_returned_for_a_scan(RE, docs):
    (uid,) = RE(scan([det], motor, -1, 1, 3))
    assert docs.start["uid"] == uid
    assert docs.stop["run_start"] == uid


async def test_await_run_inside_a_running_loop(RE, docs):
    uids = await RE.run(count([det], 2))
    assert uids == (docs.start["uid"],)
    assert docs.names == ["start", "descriptor", "event", "event", "stop"]
    # the caller's loop is not the engine's loop
    assert asyncio.get_running_loop() is not RE.loop


async def test_await_run_accepts_subs_and_metadata(RE):
    collected = DocumentCollector()
    await RE.run(count([det]), collected, sample="B2")
    assert collected.start["sample"] == "B2"


def test_loop_is_running_in_its_own_thread(RE):
    loop = RE.loop
    assert loop.is_running()
    fut = asyncio.run_coroutine_threadsafe(asyncio.sleep(0, result=3), loop)
    assert fut.result(timeout=2) == 3


def test_repr_names_the_state(RE):
    assert "idle" in repr(RE)


def test_subs_of_the_call_keep_receiving_after_a_resume(RE):
    collected = DocumentCollector()
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("open_run"), Msg("checkpoint"), Msg("pause"), Msg("close_run")], collected)
    assert collected.names == ["start"]
    RE.resume()
    assert collected.names == ["start", "stop"]
    RE([Msg("open_run"), Msg("close_run")])
    assert collected.names == ["start", "stop"]


async def test_await_run_raises_when_the_plan_pauses(RE, docs):
    with pytest.raises(RunEngineInterrupted):
        await RE.run([Msg("open_run"), Msg("checkpoint"), Msg("pause"), Msg("close_run")])
    assert RE.state == "paused"
    RE.resume()
    assert docs.names == ["start", "stop"]


def test_given_loop_is_the_one_plans_run_on():
    loop = asyncio.new_event_loop()
    RE = RunEngine(loop=loop)
    assert RE.loop is loop and loop.is_running()
    seen = []

    async def where(msg):
        seen.append(asyncio.get_running_loop())

    RE.register_command("where", where)
    RE([Msg("where")])
    assert seen == [loop]


def test_context_managers_are_entered_around_each_blocking_call():
    log = []

    class Manager:
        def __init__(self, RE):
            self.RE = RE

        def __enter__(self):
            log.append(("enter", None))
            return self

        def __exit__(self, *exc):
            log.append(("exit", str(self.RE.state)))

    RE = RunEngine(context_managers=[Manager])
    assert RE.context_managers == [Manager]
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("checkpoint"), Msg("pause")])
    RE.resume()
    assert log == [("enter", None), ("exit", "paused"), ("enter", None), ("exit", "idle")]


def test_call_from_the_loop_thread_is_refused_before_the_plan_starts(RE):
    outcome = []
    ran = []
    RE.msg_hook = ran.append
    done = threading.Event()

    def on_loop():
        try:
            RE([Msg("null", "should not run")])
        except RuntimeError as exc:
            outcome.append(str(exc))
        done.set()

    RE.loop.call_soon_threadsafe(on_loop)
    assert done.wait(5)
    assert "own loop thread" in outcome[0]
    time.sleep(0.02)  # a plan wrongly started would have run its one message by now
    assert ran == []
    assert RE.state == "idle"


def test_call_returns_result_through_a_pause_keeps_the_plan_result():
    RE = RunEngine(call_returns_result=True)

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield Msg("pause")
        yield Msg("close_run")
        return "kept"

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    result = RE.resume()
    assert result.plan_result == "kept"
    assert (result.exit_status, result.interrupted) == ("success", False)
    assert len(result.run_start_uids) == 1


def test_call_returns_result_after_stop_is_success_and_interrupted():
    RE = RunEngine(call_returns_result=True)
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("open_run"), Msg("checkpoint"), Msg("pause"), Msg("close_run")])
    result = RE.stop()
    assert (result.exit_status, result.interrupted) == ("success", True)
    assert result.plan_result is NO_PLAN_RETURN


def test_dropped_run_engine_stops_its_loop_thread():
    import gc

    before = set(threading.enumerate())
    engine = RunEngine()
    engine([Msg("null")])
    (thread,) = [t for t in threading.enumerate() if t not in before and "loop" in t.name]
    del engine
    gc.collect()
    thread.join(1)
    assert not thread.is_alive()


def test_close_stops_the_loop_thread_and_refuses_new_plans():
    before = set(threading.enumerate())
    engine = RunEngine()
    engine([Msg("null")])
    (thread,) = [t for t in threading.enumerate() if t not in before and "loop" in t.name]
    engine.close()
    assert not thread.is_alive()
    engine.close()  # twice is fine


def test_call_after_close_is_refused_and_leaves_the_engine_idle():
    engine = RunEngine()
    engine([Msg("null")])
    engine.close()
    with pytest.raises(RuntimeError, match="closed"):
        engine([Msg("null")])
    assert engine.state == "idle"


def test_close_while_paused_is_a_transition_error(RE):
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("checkpoint"), Msg("pause")])
    with pytest.raises(TransitionError, match="Cannot close the RunEngine: the RunEngine is 'paused'"):
        RE.close()
    RE.resume()


def test_status_finishing_after_close_logs_no_error(caplog):
    class Detector:
        name = "late_det"
        parent = None

        def trigger(self):
            self.status = Status(self)
            return self.status

    detector = Detector()
    engine = RunEngine()
    engine([Msg("trigger", detector, group="g"),
            Msg("wait", None, group="g", timeout=0.01, error_on_timeout=False)])
    engine.close()
    with caplog.at_level(logging.ERROR):
        detector.status.set_finished()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
