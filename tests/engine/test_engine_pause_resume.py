"""Pausing (immediate and deferred) and resuming, and what devices are told."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from benchplan import Msg, RunEngineInterrupted
from benchplan.devices.sim import SimMotor, det
from benchplan.plans import count, scan
from benchplan.plans.stubs import checkpoint, trigger_and_read

from engine_helpers import (
    Background,
    Counter,
    Recorder,
    assert_runs_closed,
    on_message,
    reached,
    validate_all,
)


def pause_when(RE, command, *, defer=False, nth=1):
    """Set a msg_hook that requests a pause from another thread at the nth ``command``."""
    requested = threading.Event()
    times = []

    def action():
        times.append(time.monotonic())
        RE.request_pause(defer=defer)
        requested.set()

    RE.msg_hook = on_message(command, action, nth=nth)
    return requested, times


def test_immediate_pause_during_a_long_sleep_pauses_quickly(RE, docs):
    requested, times = pause_when(RE, "sleep")
    with pytest.raises(RunEngineInterrupted) as info:
        RE([Msg("open_run"), Msg("checkpoint"), Msg("sleep", None, 10), Msg("close_run")])
    elapsed = time.monotonic() - times[0]
    assert RE.state == "paused"
    assert elapsed < 1.0
    text = str(info.value)
    for option in ("RE.resume()", "RE.abort()", "RE.stop()", "RE.halt()"):
        assert option in text
    RE.msg_hook = None
    RE.stop()
    assert RE.state == "idle"
    assert docs.stop["exit_status"] == "success"


def test_immediate_pause_during_a_slow_move_stops_it_and_resume_retakes_the_move(RE, docs):
    slow = SimMotor("slow", delay=10)
    requested, times = pause_when(RE, "wait")
    with pytest.raises(RunEngineInterrupted):
        RE(scan([det], slow, 0, 1, 2))
    assert time.monotonic() - times[0] < 1.0
    assert RE.state == "paused"
    assert slow.position < 0.5  # stopped on the way, not arrived
    slow.delay = 0  # the replayed move finishes at once
    RE.msg_hook = None
    RE.resume()
    assert RE.state == "idle"
    assert docs.data("slow") == [0.0, 1.0]
    assert [e["seq_num"] for e in docs.events()] == [1, 2]
    assert docs.stop["exit_status"] == "success"
    validate_all(docs)


def test_resume_retakes_the_interrupted_step_whole(RE, docs):
    ctr = Counter()
    slow = SimMotor("slow2", delay=10)

    def plan():
        yield Msg("open_run")
        for target in (1.0, 2.0, 3.0):
            yield Msg("checkpoint")
            yield Msg("set", slow, target, group="move")
            yield Msg("wait", None, group="move")
            yield from trigger_and_read([ctr, slow])
        yield Msg("close_run")

    slow.delay = 0
    armed = []

    def hook(msg):
        if msg.command == "set" and msg.args == (2.0,) and not armed:
            armed.append(True)
            slow.delay = 10
        elif msg.command == "wait" and msg.kwargs.get("group") == "move" and slow.delay:
            threading.Thread(target=RE.request_pause).start()

    RE.msg_hook = hook
    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    assert len(docs.events()) == 1
    RE.msg_hook = None
    slow.delay = 0
    RE.resume()
    events = docs.events()
    assert [e["data"]["slow2"] for e in events] == [1.0, 2.0, 3.0]
    assert [e["data"]["ctr"] for e in events] == [1, 2, 3]
    assert [e["seq_num"] for e in events] == [1, 2, 3]


def test_pause_message_lists_the_options(RE):
    with pytest.raises(RunEngineInterrupted) as info:
        RE([Msg("checkpoint"), Msg("pause")])
    assert "paused" in str(info.value)
    assert "RE.resume()" in str(info.value)
    RE.resume()


def test_deferred_pause_waits_for_the_next_checkpoint(RE, docs):
    ctr = Counter()
    pause_when(RE, "trigger", defer=True, nth=2)
    with pytest.raises(RunEngineInterrupted):
        RE(count([ctr], 5))
    assert RE.state == "paused"
    # the second point was finished before the pause: the pause waited for a checkpoint
    assert [e["data"]["ctr"] for e in docs.events()] == [1, 2]
    RE.msg_hook = None
    RE.resume()
    assert [e["data"]["ctr"] for e in docs.events()] == [1, 2, 3, 4, 5]
    assert [e["seq_num"] for e in docs.events()] == [1, 2, 3, 4, 5]
    assert ctr.triggers == 5
    assert_runs_closed(docs)


def test_deferred_pause_from_another_thread_while_waiting(RE, docs):
    requested, _ = pause_when(RE, "wait_for", defer=True)

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        # waits until the other thread has made its request
        yield Msg("wait_for", None, [lambda: RE.loop.run_in_executor(None, requested.wait, 5)])
        yield Msg("null", "after the wait")
        yield Msg("checkpoint")
        yield Msg("null", "after checkpoint")
        yield Msg("close_run")

    seen = []
    inner = RE.msg_hook
    RE.msg_hook = lambda msg: (seen.append(msg.obj), inner(msg))
    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    assert "after the wait" in seen and "after checkpoint" not in seen
    RE.resume()
    assert "after checkpoint" in seen
    assert seen.count("after the wait") == 1
    assert docs.stop["exit_status"] == "success"


def test_deferred_pause_never_reached_is_dropped(RE, docs):
    def plan():
        yield Msg("checkpoint")
        RE.request_pause(defer=True)
        yield Msg("null")

    RE(plan())
    assert RE.state == "idle"
    # not carried into the next call: this plan has checkpoints and must not pause
    RE(count([det], 3))
    assert RE.state == "idle"
    assert len(docs.events()) == 3


def test_deferred_pause_message_pauses_at_the_next_checkpoint(RE, docs):
    ctr = Counter()

    def plan():
        yield Msg("open_run")
        yield Msg("pause", None, defer=True)
        yield from trigger_and_read([ctr])
        yield Msg("checkpoint")
        yield from trigger_and_read([ctr])
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    assert docs.data("ctr") == [1]
    RE.resume()
    assert docs.data("ctr") == [1, 2]


def test_immediate_pause_twice_in_one_plan(RE, docs):
    ctr = Counter()

    def plan():
        yield Msg("open_run")
        for _ in range(3):
            yield Msg("checkpoint")
            yield from trigger_and_read([ctr])
            yield Msg("pause")
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    with pytest.raises(RunEngineInterrupted):
        RE.resume()
    with pytest.raises(RunEngineInterrupted):
        RE.resume()
    RE.resume()
    assert docs.data("ctr") == [1, 2, 3]
    assert [e["seq_num"] for e in docs.events()] == [1, 2, 3]
    assert_runs_closed(docs)


def test_pause_calls_pause_on_devices_and_stop_on_moved_ones_then_resume(RE):
    moved = Recorder("moved")
    read_only = Recorder("read_only")

    def plan():
        yield Msg("open_run")
        yield Msg("set", moved, 1)
        yield Msg("read", read_only)
        yield Msg("checkpoint")
        yield Msg("pause")
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    assert "pause" in moved.calls and "pause" in read_only.calls
    assert moved.count("stop") == 1
    assert read_only.count("stop") == 0
    assert "resume" not in moved.calls
    RE.resume()
    assert moved.count("resume") == 1 and read_only.count("resume") == 1
    assert moved.calls.index("pause") < moved.calls.index("resume")


def test_failing_stop_on_pause_is_logged_not_raised(RE, caplog):
    moved = Recorder("grumpy")
    moved.fail_on.add("stop")
    with caplog.at_level(logging.ERROR, logger="benchplan.engine"):
        with pytest.raises(RunEngineInterrupted):
            RE([Msg("set", moved, 1), Msg("checkpoint"), Msg("pause")])
    assert RE.state == "paused"
    assert any("grumpy.stop() failed" in r.getMessage() for r in caplog.records)
    RE.resume()
    assert RE.state == "idle"


def test_devices_without_pause_are_still_stopped(RE):
    moved = Recorder("plain", pausable=False)
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("set", moved, 1), Msg("checkpoint"), Msg("pause")])
    assert moved.count("stop") == 1
    RE.resume()


def test_resume_from_another_thread_than_the_call(RE, docs):
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("open_run"), Msg("checkpoint"), Msg("pause"), Msg("close_run")])
    bg = Background(RE.resume).join()
    assert bg.exception is None
    assert len(bg.result) == 1
    assert docs.stop["exit_status"] == "success"


def test_request_pause_from_a_thread_while_call_runs_in_another_thread(RE, docs):
    release = threading.Event()

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield Msg("wait_for", None, [lambda: RE.loop.run_in_executor(None, release.wait, 10)])
        yield Msg("close_run")

    waiting = reached(RE, "wait_for")
    bg = Background(RE, plan())
    assert waiting.wait(5)
    RE.request_pause()
    bg.join()
    assert isinstance(bg.exception, RunEngineInterrupted)
    assert RE.state == "paused"
    release.set()
    RE.resume()
    assert docs.stop["exit_status"] == "success"


def test_resume_returns_the_run_uids(RE, docs):
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("open_run"), Msg("checkpoint"), Msg("pause"), Msg("close_run")])
    uids = RE.resume()
    assert uids == (docs.start["uid"],)


def test_pause_outside_any_run_then_resume(RE):
    steps = []

    def plan():
        yield from checkpoint()
        steps.append("a")
        yield Msg("pause")
        steps.append("b")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    assert steps == ["a"]
    RE.resume()
    assert steps == ["a", "b"]


def test_pause_from_another_thread_reaches_a_plan_that_never_awaits(RE):
    looping = threading.Event()

    def endless():
        while True:
            yield Msg("checkpoint")
            yield Msg("null")
            looping.set()

    bg = Background(lambda: RE(endless()))
    assert looping.wait(5)
    RE.request_pause()
    bg.join()
    assert isinstance(bg.exception, RunEngineInterrupted)
    assert RE.state == "paused"
    RE.halt()
    assert RE.state == "idle"


def test_callback_can_request_a_pause(RE, docs):
    ctr = Counter()

    def pause_on_second_event(name, doc):
        if name == "event" and doc["seq_num"] == 2:
            RE.request_pause()

    with pytest.raises(RunEngineInterrupted):
        RE(count([ctr], 4), pause_on_second_event)
    assert seq_nums_of(docs) == [1, 2]
    RE.resume()
    assert seq_nums_of(docs) == [1, 2, 3, 4]
    assert docs.data("ctr") == [1, 2, 3, 4]


def test_waiting_hook_gets_none_when_a_pause_interrupts_the_wait(RE):
    calls = []
    slow = SimMotor("slow_hook", delay=10)
    RE.waiting_hook = calls.append
    RE.msg_hook = on_message("wait", RE.request_pause)
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("checkpoint"), Msg("set", slow, 1, group="g"), Msg("wait", None, group="g")])
    assert len(calls) == 2 and calls[-1] is None
    RE.msg_hook = None
    slow.delay = 0
    RE.resume()
    assert slow.position == 1


def seq_nums_of(collector):
    return [e["seq_num"] for e in collector.events()]
