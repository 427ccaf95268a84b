"""Suspenders on a real RunEngine: suspend, rewind, wait, resume, with documents checked."""

from __future__ import annotations

import threading

import pytest
from suspenders_harness import WAIT, Bench, in_thread, on_nth

from benchplan import Msg, RunEngine, RunEngineInterrupted
from benchplan.callbacks import DocumentCollector
from benchplan.devices import soft_signal_rw
from benchplan.devices.sim import SimMotor, det, motor
from benchplan.plans import count, list_scan, scan
from benchplan.plans.preprocessors import suspend_wrapper
from benchplan.suspenders import (
    ManualClock,
    SuspendBoolHigh,
    SuspendBoolLow,
    SuspendCeil,
    SuspendFloor,
    SuspendWhenChanged,
    SuspendWhenOutsideBand,
)


def the_scan():
    return scan([det], motor, -1, 1, 5)


@pytest.fixture(scope="module")
def reference():
    """The primary data of an untripped run of the_scan()."""
    docs = DocumentCollector()
    RunEngine(context_managers=[])(the_scan(), docs)
    return {"det": docs.data("det"), "motor": docs.data("motor")}


@pytest.fixture
def bench():
    b = Bench(record_interruptions=True)
    yield b
    b.close()


@pytest.fixture
def current():
    return soft_signal_rw(float, 0.0, name="current")


def check_whole(bench, reference):
    """The run succeeded and its primary stream equals an untripped run's."""
    docs = bench.docs
    events = docs.events()
    assert [e["seq_num"] for e in events] == list(range(1, len(reference["det"]) + 1))
    assert docs.data("det") == reference["det"]
    assert docs.data("motor") == reference["motor"]
    assert docs.stop["exit_status"] == "success"
    assert docs.stop["num_events"]["primary"] == len(reference["det"])


def interruptions(bench):
    return bench.docs.data("interruptions", stream="interruptions")


def watch_triggers(bench, *signals):
    """Record the signals' values each time the plan triggers (to see if it ran while bad)."""
    seen = []
    previous = bench.RE.msg_hook

    def hook(msg):
        if msg.command == "trigger":
            seen.append(tuple(s.get() for s in signals))
        if previous is not None:
            previous(msg)

    bench.RE.msg_hook = hook
    return seen


# -- each class trips mid-step and resumes -----------------------------------------------

CASES = [
    (lambda s: SuspendBoolHigh(s), bool, False, True),
    (lambda s: SuspendBoolLow(s), bool, True, False),
    (lambda s: SuspendFloor(s, 5.0, resume_thresh=6.0), float, 6.0, 4.0),
    (lambda s: SuspendCeil(s, 1.5, resume_thresh=1.0), float, 1.0, 2.0),
    (lambda s: SuspendWhenOutsideBand(s, 20, 30), float, 25.0, 31.0),
    (lambda s: SuspendWhenChanged(s, allow_resume=True), str, "A", "B"),
]


@pytest.mark.parametrize("make, dtype, good, bad", CASES, ids=[
    "bool_high", "bool_low", "floor", "ceil", "band", "changed"])
def test_trip_mid_step_retakes_the_step_and_data_match_an_untripped_run(
    bench, reference, make, dtype, good, bad
):
    sig = soft_signal_rw(dtype, good, name="guard")
    suspender = make(sig)
    bench.RE.install_suspender(suspender)
    # the 3rd point: after its move and trigger, before its reading
    bench.RE.msg_hook = on_nth("trigger", 3, lambda: in_thread(lambda: sig.put(bad)))
    seen = watch_triggers(bench, sig)
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    assert len(bench.docs.events()) == 2 and suspender.tripped
    sig.put(good)
    run.result(WAIT)
    check_whole(bench, reference)
    assert interruptions(bench) == ["suspend", "resume"]
    assert (bad,) not in seen  # nothing was triggered while the guard was bad
    assert len(seen) == 6  # 5 points, the 3rd taken twice
    assert not suspender.holding


def test_justification_is_reported_with_the_time(bench, current, capsys):
    bench.RE.install_suspender(SuspendCeil(current, 1.5, tripped_message="Check the load."))
    bench.RE.msg_hook = on_nth("trigger", 1, lambda: current.put(2.0))
    run = bench.start(count([det], 2))
    bench.wait_for("suspending")
    current.put(0.0)
    run.result(WAIT)
    out = " ".join(capsys.readouterr().out.split())  # the notice may be wrapped
    assert "Suspending the plan at 2" in out
    assert ("SuspendCeil: current = 2.0 is above the ceiling 1.5; the plan resumes when it is "
            "at or below 1.5. Check the load.") in out
    assert "Resuming the plan at" in out


# -- pre_plan, post_plan, sleep ------------------------------------------------------------


def test_pre_and_post_plans_run_in_order_on_each_trip(bench, reference, current):
    log = []
    pre_ran = threading.Semaphore(0)

    def mark(msg):
        log.append(msg.args[0])
        if msg.args[0] == "pre":
            pre_ran.release()

    bench.RE.register_command("mark", mark)

    def pre():
        yield Msg("mark", None, "pre")

    suspender = SuspendCeil(current, 1.5, pre_plan=pre, post_plan=[Msg("mark", None, "post")])
    bench.RE.install_suspender(suspender)
    trips = {"n": 0}

    def hook(msg):
        if msg.command == "trigger":
            log.append("trigger")
            trips["n"] += 1
            if trips["n"] in (2, 5):
                current.put(2.0)

    bench.RE.msg_hook = hook
    run = bench.start(the_scan())
    for _ in range(2):
        assert pre_ran.acquire(timeout=WAIT)
        log.append("good")
        current.put(0.0)
    run.result(WAIT)
    check_whole(bench, reference)
    assert log == [
        "trigger", "trigger", "pre", "good", "post", "trigger",  # the 2nd point re-taken
        "trigger", "trigger", "pre", "good", "post", "trigger", "trigger",
    ]
    assert interruptions(bench) == ["suspend", "resume", "suspend", "resume"]


def test_sleep_holds_the_plan_until_the_value_has_been_good_long_enough(bench, reference, current):
    clock = ManualClock()
    suspender = SuspendCeil(current, 1.5, resume_thresh=1.0, sleep=30, clock=clock)
    bench.RE.install_suspender(suspender)
    bench.RE.msg_hook = on_nth("trigger", 2, lambda: current.put(2.0))
    seen = watch_triggers(bench, current)
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    current.put(0.5)
    clock.advance(29)
    current.put(1.7)  # trips again within the sleep
    clock.advance(30)
    assert bench.RE.state == "suspending" and suspender.holding
    current.put(1.2)  # in the hysteresis band: not good enough to start the sleep
    clock.advance(30)
    assert bench.RE.state == "suspending" and suspender.tripped
    current.put(0.5)
    clock.advance(30)
    run.result(WAIT)
    check_whole(bench, reference)
    assert [v for (v,) in seen] == [0.0, 0.0, 0.5, 0.5, 0.5, 0.5]


# -- pause, removal, several suspenders -----------------------------------------------------



def test_pause_during_suspension_then_resume_waits_for_the_condition(bench, reference, current):
    suspender = SuspendCeil(current, 1.5)
    bench.RE.install_suspender(suspender)
    bench.RE.msg_hook = on_nth("trigger", 2, lambda: current.put(2.0))
    seen = watch_triggers(bench, current)
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    bench.RE.request_pause()
    with pytest.raises(RunEngineInterrupted, match=r"paused"):
        run.result(WAIT)
    assert bench.RE.state == "paused"
    resumed = bench.resume()
    bench.wait_for("suspending", 2)
    assert suspender.holding
    current.put(0.0)
    resumed.result(WAIT)
    check_whole(bench, reference)
    assert (2.0,) not in seen  # nothing ran while the current was high
    marks = interruptions(bench)
    assert marks[0] == "suspend" and "pause" in marks and marks[-1] == "resume"


def test_pause_during_suspension_resumes_at_once_if_the_condition_cleared(bench, reference, current):
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    bench.RE.msg_hook = on_nth("trigger", 4, lambda: current.put(2.0))
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    bench.RE.request_pause()
    with pytest.raises(RunEngineInterrupted):
        run.result(WAIT)
    current.put(0.0)
    bench.RE.resume()
    check_whole(bench, reference)


def test_removing_a_tripped_suspender_releases_the_plan(bench, reference, current):
    suspender = SuspendCeil(current, 1.5)
    bench.RE.install_suspender(suspender)
    bench.RE.msg_hook = on_nth("trigger", 2, lambda: current.put(2.0))
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    bench.RE.remove_suspender(suspender)
    run.result(WAIT)
    check_whole(bench, reference)
    assert bench.RE.suspenders == () and current.get() == 2.0


def test_clear_suspenders_releases_the_plan(bench, reference, current):
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    bench.RE.msg_hook = on_nth("trigger", 2, lambda: current.put(2.0))
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    bench.RE.clear_suspenders()
    run.result(WAIT)
    check_whole(bench, reference)


def test_plan_resumes_only_when_every_suspender_is_good(bench, reference, current):
    door = soft_signal_rw(bool, False, name="door_open")
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    bench.RE.install_suspender(SuspendBoolHigh(door))

    def both():
        current.put(2.0)
        door.put(True)

    bench.RE.msg_hook = on_nth("trigger", 2, both)
    seen = watch_triggers(bench, current, door)
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    current.put(0.0)
    door.put(False)
    run.result(WAIT)
    check_whole(bench, reference)
    assert seen[2:] == [(0.0, False)] * 4


def test_second_trip_during_a_suspension_is_waited_for_too(bench, reference, current):
    door = soft_signal_rw(bool, False, name="door_open")
    first, second = SuspendCeil(current, 1.5), SuspendBoolHigh(door)
    bench.RE.install_suspender(first)
    bench.RE.install_suspender(second)
    bench.RE.msg_hook = on_nth("trigger", 2, lambda: current.put(2.0))
    seen = watch_triggers(bench, current, door)
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    door.put(True)  # from the test thread, while the engine waits on the first
    current.put(0.0)
    assert second.holding
    door.put(False)
    run.result(WAIT)
    check_whole(bench, reference)
    assert all(values == (0.0, False) for values in seen[2:])
    assert interruptions(bench)[0] == "suspend" and interruptions(bench)[-1] == "resume"


# -- already tripped, idle trips ------------------------------------------------------------


def test_suspender_already_tripped_suspends_before_the_first_message(bench, reference, current):
    current.put(3.0)
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    assert bench.docs.names == []
    current.put(0.0)
    run.result(WAIT)
    check_whole(bench, reference)



def test_install_and_remove_suspender_messages_with_the_suspender_as_obj(bench, reference, current):
    suspender = SuspendCeil(current, 1.5)

    def plan():
        yield Msg("install_suspender", suspender)
        assert bench.RE.suspenders == (suspender,)
        yield from the_scan()
        yield Msg("remove_suspender", suspender)

    bench.RE.msg_hook = on_nth("trigger", 3, lambda: current.put(2.0))
    run = bench.start(plan())
    bench.wait_for("suspending")
    current.put(0.0)
    run.result(WAIT)
    check_whole(bench, reference)
    assert bench.RE.suspenders == () and suspender.RE is None


def test_suspend_wrapper_with_a_tripped_suspender(bench, reference, current):
    current.put(3.0)
    suspender = SuspendCeil(current, 1.5)
    run = bench.start(suspend_wrapper(the_scan(), suspender))
    bench.wait_for("suspending")
    assert bench.docs.names == [] and bench.RE.suspenders == (suspender,)
    current.put(0.0)
    run.result(WAIT)
    check_whole(bench, reference)
    assert bench.RE.suspenders == () and suspender.RE is None


def test_suspend_wrapper_trips_mid_plan_and_removes_after(bench, reference, current):
    suspender = SuspendCeil(current, 1.5)
    bench.RE.msg_hook = on_nth("trigger", 3, lambda: in_thread(lambda: current.put(2.0)))
    run = bench.start(suspend_wrapper(the_scan(), [suspender]))
    bench.wait_for("suspending")
    current.put(0.0)
    run.result(WAIT)
    check_whole(bench, reference)
    assert bench.RE.suspenders == ()
    current.put(5.0)  # no longer watched
    assert not suspender.tripped


def test_trip_and_recovery_while_idle_do_not_suspend_the_next_plan(bench, reference, current):
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    current.put(2.0)
    current.put(0.0)
    bench.start(the_scan()).result(WAIT)
    check_whole(bench, reference)
    assert "suspending" not in bench.states


def test_trip_while_idle_suspends_the_next_plan(bench, reference, current):
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    current.put(2.0)
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    current.put(0.0)
    run.result(WAIT)
    check_whole(bench, reference)


# -- trips while the engine is busy -------------------------------------------------------------


def test_trip_during_a_long_device_wait_suspends_at_once():
    bench = Bench(record_interruptions=True)
    slow = SimMotor("slow", delay=1000)
    current = soft_signal_rw(float, 0.0, name="current")
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    waiting = threading.Event()
    bench.RE.waiting_hook = lambda statuses: statuses and waiting.set()
    try:
        run = bench.start(list_scan([det], slow, [1.0, 2.0, 3.0]))
        assert waiting.wait(WAIT)
        current.put(2.0)  # mid-move: the 1000 s wait is interrupted
        bench.wait_for("suspending")
        slow.delay = 0  # the re-taken move is quick
        current.put(0.0)
        run.result(WAIT)
        docs = bench.docs
        assert docs.data("slow") == [1.0, 2.0, 3.0]
        assert [e["seq_num"] for e in docs.events()] == [1, 2, 3]
        assert docs.stop["exit_status"] == "success"
    finally:
        bench.close()


def test_trip_during_a_slow_callback_is_not_lost(bench, reference, current):
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    events = []

    def slow_callback(name, doc):
        if name == "event":
            events.append(doc)
            if len(events) == 2:  # the engine is busy in this callback when the trip comes
                in_thread(lambda: current.put(2.0))

    bench.RE.subscribe(slow_callback)
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    current.put(0.0)
    run.result(WAIT)
    check_whole(bench, reference)
    assert interruptions(bench) == ["suspend", "resume"]


# -- plans that cannot be resumed, and suspensions that do not end -----------------------------


def unresumable(signal):
    """A plan with no checkpoint to resume from."""
    yield Msg("open_run")
    yield Msg("clear_checkpoint")
    yield Msg("null")
    yield Msg("null")
    yield Msg("close_run")


def test_trip_in_an_unresumable_plan_aborts_it_naming_the_suspender(bench, current):
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    bench.RE.msg_hook = on_nth("null", 1, lambda: current.put(2.0))
    run = bench.start(unresumable(current))
    with pytest.raises(RunEngineInterrupted, match=r"aborted.*cannot be suspended.*SuspendCeil"):
        run.result(WAIT)
    stop = bench.docs.stop
    assert stop["exit_status"] == "abort"
    assert "SuspendCeil: current = 2.0" in stop["reason"]
    assert bench.RE.state == "idle"


def test_changed_without_resume_holds_until_aborted(bench, current):
    owner = soft_signal_rw(str, "bench-A", name="owner")
    bench.RE.install_suspender(SuspendWhenChanged(owner))
    bench.RE.msg_hook = on_nth("trigger", 2, lambda: owner.put("bench-B"))
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    owner.put("bench-A")  # the same value again does not release it
    assert bench.RE.state == "suspending"
    bench.RE.request_pause()
    with pytest.raises(RunEngineInterrupted):
        run.result(WAIT)
    bench.RE.abort("the instrument changed hands")
    assert bench.docs.stop["exit_status"] == "abort"
    assert bench.RE.state == "idle"


def next_plan_suspends_first(bench, reference, current):
    """The next plan suspends before its first message, and resumes when the current is low."""
    bench.RE.msg_hook = None
    bench.clear_states()
    bench.docs.clear()
    run = bench.start(the_scan())
    bench.wait_for("suspending")
    assert bench.docs.names == []
    current.put(0.0)
    run.result(WAIT)
    check_whole(bench, reference)


def test_next_plan_suspends_after_an_unresumable_plan_was_aborted_by_a_trip(
    bench, reference, current
):
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    bench.RE.msg_hook = on_nth("null", 1, lambda: current.put(2.0))
    with pytest.raises(RunEngineInterrupted):
        bench.start(unresumable(current)).result(WAIT)
    next_plan_suspends_first(bench, reference, current)


def test_next_plan_suspends_after_an_abort_during_a_suspension(bench, reference, current):
    bench.RE.install_suspender(SuspendCeil(current, 1.5))
    bench.RE.msg_hook = on_nth("trigger", 1, lambda: current.put(2.0))
    run = bench.start(count([det], 3))
    bench.wait_for("suspending")
    bench.RE.abort("operator")
    with pytest.raises(RunEngineInterrupted, match="aborted"):
        run.result(WAIT)
    next_plan_suspends_first(bench, reference, current)
