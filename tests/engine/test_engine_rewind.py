"""Checkpoints and rewind: what a resume replays, and what it must never replay."""

from __future__ import annotations

import threading

import pytest

from benchplan import Msg, NoReplayAllowed, RunEngineInterrupted
from benchplan.callbacks import DocumentCollector
from benchplan.devices import Status, soft_signal_r_and_setter, soft_signal_rw
from benchplan.devices.sim import det
from benchplan.plans import count
from benchplan.plans.preprocessors import finalize_wrapper
from benchplan.plans.stubs import trigger_and_read

from engine_helpers import (
    Counter,
    Recorder,
    assert_runs_closed,
    on_message,
    seq_nums,
    validate_all,
)


def run_to_end(RE, plan, max_pauses=20):
    """Run ``plan``, resuming after every pause; return how many pauses there were."""
    pauses = 0
    try:
        RE(plan)
        return 0
    except RunEngineInterrupted:
        pauses = 1
    while True:
        try:
            RE.resume()
            return pauses
        except RunEngineInterrupted:
            pauses += 1
            assert pauses < max_pauses


def test_event_before_a_planned_pause_is_not_emitted_again(RE, docs):
    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield from trigger_and_read([det])
        yield Msg("pause")
        yield from trigger_and_read([det])
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    assert seq_nums(docs) == [1]
    RE.resume()
    assert seq_nums(docs) == [1, 2]
    assert docs.stop["num_events"] == {"primary": 2}
    validate_all(docs)


def test_planned_pause_replays_from_the_last_checkpoint(RE, docs):
    rec = Recorder()

    def plan():
        yield Msg("checkpoint")
        yield Msg("set", rec, 1)
        yield Msg("null")
        yield Msg("pause")
        yield Msg("set", rec, 2)

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    assert rec.count("set") == 1
    RE.resume()
    # the set after the checkpoint was taken again, then the plan went on
    assert rec.count("set") == 3
    assert rec.value == 2


def test_pause_inside_a_bundle_drops_the_partial_bundle(RE, docs):
    ctr = Counter()
    other = Counter("other")

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield Msg("trigger", ctr, group="t")
        yield Msg("wait", None, group="t")
        yield Msg("create", name="primary")
        yield Msg("read", ctr)
        yield Msg("pause")
        yield Msg("read", other)
        yield Msg("save")
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    assert docs.events() == []
    RE.resume()
    (event,) = docs.events()
    # the point was re-taken whole: triggered again, read again, one event
    assert ctr.triggers == 2
    assert event["data"] == {"ctr": 2, "other": 0}
    assert event["seq_num"] == 1
    validate_all(docs)


def test_immediate_pause_requested_mid_bundle_retakes_the_point(RE, docs):
    ctr = Counter()
    other = Counter("other")
    reads = [0]

    def hook(msg):
        if msg.command == "read" and msg.obj is ctr:
            reads[0] += 1
            if reads[0] == 2:
                RE.request_pause()  # noticed before the next message runs

    RE.msg_hook = hook
    with pytest.raises(RunEngineInterrupted):
        RE(count([ctr, other], 3))
    assert seq_nums(docs) == [1]
    RE.msg_hook = None
    RE.resume()
    assert seq_nums(docs) == [1, 2, 3]
    assert docs.data("ctr") == [1, 3, 4]  # point 2 was re-triggered
    assert_runs_closed(docs)


def test_implicit_checkpoint_after_stage_does_not_restage(RE):
    rec = Recorder()

    def plan():
        yield Msg("checkpoint")
        yield Msg("stage", rec)
        yield Msg("set", rec, 1)
        yield Msg("pause")
        yield Msg("unstage", rec)

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.resume()
    assert rec.count("stage") == 1
    assert rec.count("set") == 2
    assert rec.count("unstage") == 1


def test_implicit_checkpoint_after_open_run_does_not_reopen(RE, docs):
    rec = Recorder()

    def plan():
        yield Msg("checkpoint")
        yield Msg("open_run")
        yield Msg("set", rec, 1)
        yield Msg("pause")
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.resume()
    assert len(docs.starts) == 1
    assert rec.count("set") == 2
    assert docs.stop["exit_status"] == "success"


def test_implicit_checkpoint_after_monitor_does_not_monitor_twice(RE, docs):
    sig = soft_signal_rw(float, 1.0, name="mon")

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield Msg("monitor", sig, name="mon_monitor")
        yield Msg("null")
        yield Msg("pause")
        yield Msg("unmonitor", sig)
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.resume()
    assert docs.stop["exit_status"] == "success"
    assert len([d for d in docs.descriptors if d["name"] == "mon_monitor"]) == 1


def test_implicit_checkpoint_after_subscribe_does_not_subscribe_twice(RE):
    got = DocumentCollector()

    def plan():
        yield Msg("checkpoint")
        yield Msg("subscribe", None, got, "all")
        yield Msg("null")
        yield Msg("pause")
        yield Msg("open_run")
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.resume()
    assert got.names == ["start", "stop"]


@pytest.mark.parametrize("setup", ["stage", "open_run", "monitor", "subscribe", "save"])
def test_implicit_checkpoints_do_not_fire_a_deferred_pause(RE, docs, setup):
    rec = Recorder()
    sig = soft_signal_rw(float, 0.0, name="sig")
    steps = {
        "stage": [Msg("stage", rec)],
        "open_run": [Msg("open_run", run="second")],
        "monitor": [Msg("monitor", sig, name="m")],
        "subscribe": [Msg("subscribe", None, lambda name, doc: None, "all")],
        "save": [Msg("create"), Msg("read", det), Msg("save")],
    }[setup]
    after = []

    def plan():
        yield Msg("open_run")
        yield Msg("pause", None, defer=True)
        for msg in steps:
            yield msg
        after.append("went past the implicit checkpoint")
        yield Msg("null")
        yield Msg("checkpoint")
        after.append("went past the real checkpoint")
        if setup == "open_run":
            yield Msg("close_run", run="second")
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    assert after == ["went past the implicit checkpoint"]
    RE.resume()
    assert after[-1] == "went past the real checkpoint"
    assert_runs_closed(docs)


def test_clear_checkpoint_makes_a_pause_abort_the_plan(RE, docs):
    cleanup = []

    def body():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield Msg("clear_checkpoint")
        yield Msg("pause")
        yield Msg("close_run")

    def final():
        cleanup.append("cleanup")
        yield Msg("null")

    with pytest.raises(RunEngineInterrupted) as info:
        RE(finalize_wrapper(body(), final))
    assert RE.state == "idle"
    assert cleanup == ["cleanup"]
    assert docs.stop["exit_status"] == "abort"
    assert "clear_checkpoint" in docs.stop["reason"]
    assert "cannot be paused" in docs.stop["reason"]
    assert "aborted" in str(info.value)


def test_clear_checkpoint_with_a_pause_requested_from_a_thread(RE, docs):
    def hook(msg):
        if msg.command == "null":
            RE.request_pause()

    RE.msg_hook = hook
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("open_run"), Msg("clear_checkpoint"), Msg("null"), Msg("null"),
            Msg("close_run")])
    assert RE.state == "idle"
    assert docs.stop["exit_status"] == "abort"
    assert "clear_checkpoint" in docs.stop["reason"]


def test_checkpoint_after_clear_checkpoint_makes_the_plan_resumable_again(RE, docs):
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("open_run"), Msg("clear_checkpoint"), Msg("checkpoint"), Msg("pause"),
            Msg("close_run")])
    assert RE.state == "paused"
    RE.resume()
    assert docs.stop["exit_status"] == "success"


def test_rewindable_false_keeps_the_place_without_replay(RE):
    rec = Recorder()

    def plan():
        yield Msg("checkpoint")
        yield Msg("rewindable", None, False)
        yield Msg("set", rec, 1)
        yield Msg("pause")
        yield Msg("set", rec, 2)
        yield Msg("rewindable", None, True)

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.resume()
    assert rec.count("set") == 2
    assert rec.value == 2


def test_device_with_rewindable_signal_false_is_not_retriggered(RE, docs):
    class OneShot(Recorder):
        def __init__(self):
            super().__init__("oneshot")
            self.rewindable, _ = soft_signal_r_and_setter(bool, False, name="oneshot_rw")

    shot = OneShot()

    def hook(msg):
        if msg.command == "read" and msg.obj is shot:
            RE.request_pause()

    RE.msg_hook = hook

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield from trigger_and_read([shot, det])
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.msg_hook = None
    RE.resume()
    assert shot.count("trigger") == 1
    assert seq_nums(docs) == [1]
    assert set(docs.events()[0]["data"]) == {"oneshot", "det"}


def test_device_whose_pause_raises_no_replay_allowed_is_not_replayed(RE):
    rec = Recorder("no_replay")
    rec.pause_error = NoReplayAllowed("cannot go back")

    def plan():
        yield Msg("checkpoint")
        yield Msg("set", rec, 1)
        yield Msg("pause")
        yield Msg("set", rec, 2)

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.resume()
    assert rec.count("set") == 2
    assert rec.value == 2


def test_no_replay_allowed_inside_a_bundle_keeps_the_bundle(RE, docs):
    rec = Recorder("no_replay")
    rec.pause_error = NoReplayAllowed("cannot go back")

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield Msg("create")
        yield Msg("read", rec)
        yield Msg("pause")
        yield Msg("read", det)
        yield Msg("save")
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.resume()
    assert docs.stop["exit_status"] == "success"
    assert seq_nums(docs) == [1]
    assert rec.count("read") == 1


def test_failing_pause_aborts_the_plan_with_a_reason(RE, docs):
    rec = Recorder("stubborn")
    rec.pause_error = RuntimeError("gearbox jammed")
    with pytest.raises(RunEngineInterrupted):
        RE([Msg("open_run"), Msg("read", rec), Msg("checkpoint"), Msg("pause"),
            Msg("close_run")])
    assert RE.state == "idle"
    assert docs.stop["exit_status"] == "abort"
    assert "stubborn.pause() failed" in docs.stop["reason"]
    assert "gearbox jammed" in docs.stop["reason"]


def test_seq_nums_stay_contiguous_over_many_pauses(RE, docs):
    ctr = Counter()
    calls = [0]

    def hook(msg):
        calls[0] += 1
        if calls[0] % 7 == 0:
            RE.request_pause()

    RE.msg_hook = hook
    pauses = run_to_end(RE, count([ctr], 10), max_pauses=100)
    assert pauses > 3
    assert seq_nums(docs) == list(range(1, 11))
    assert docs.stop["num_events"] == {"primary": 10}
    assert_runs_closed(docs)
    validate_all(docs)


def test_pause_during_replay_rewinds_again(RE, docs):
    rec = Recorder()

    def hook(msg):
        if msg.command == "null" and msg.obj == "b" and rec.count("set") == 1:
            RE.request_pause()  # first pause: after the step's set
        elif msg.command == "set" and rec.count("set") == 1:
            RE.request_pause()  # second pause: during the replay of that set

    RE.msg_hook = hook

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield Msg("set", rec, 1)
        yield Msg("null", "a")
        yield Msg("null", "b")
        yield from trigger_and_read([rec])
        yield Msg("close_run")

    assert run_to_end(RE, plan()) == 2
    assert rec.count("set") == 3
    assert rec.count("trigger") == 1
    assert seq_nums(docs) == [1]
    assert docs.stop["exit_status"] == "success"


class SlowOneShot(Recorder):
    """A detector that must not be re-triggered, whose acquisition takes a while."""

    def __init__(self, acquire_time):
        super().__init__("slow_shot")
        self.rewindable, _ = soft_signal_r_and_setter(bool, False, name="slow_shot_rw")
        self.acquire_time = acquire_time
        self.status = None
        self.read_after_done = []

    def trigger(self):
        self.calls.append("trigger")
        status = self.status = Status(self)
        threading.Timer(self.acquire_time, status.set_finished).start()
        return status

    def read(self):
        self.read_after_done.append(self.status is not None and self.status.done)
        return super().read()


def test_resume_without_replay_still_waits_for_the_pending_trigger(RE, docs):
    shot = SlowOneShot(acquire_time=0.1)
    RE.msg_hook = on_message("wait", RE.request_pause)

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        yield from trigger_and_read([shot])
        yield Msg("close_run")

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.msg_hook = None
    RE.resume()
    assert shot.count("trigger") == 1
    assert shot.read_after_done == [True]
    assert seq_nums(docs) == [1]
