"""RE(plan, subs, **md): what a call returns, subscriptions per call, RunEngineResult, RE.run."""

from __future__ import annotations

import asyncio

import pytest

from benchplan import NO_PLAN_RETURN, Msg, RunEngine, RunEngineInterrupted, RunEngineResult
from benchplan.callbacks import DocumentCollector
from benchplan.devices.sim import det, motor
from benchplan.plans import count, scan
from benchplan.plans.preprocessors import run_wrapper


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
