"""SuspenderBase: trips, holds, the sleep, removal, threads and signal kinds (with a fake RE)."""

from __future__ import annotations

import asyncio
import logging
import threading

import numpy as np
import pytest
from suspenders_harness import FakeRE

from benchplan.devices import soft_signal_rw
from benchplan.suspenders import (
    ManualClock,
    SuspendBoolHigh,
    SuspendCeil,
    SuspenderBase,
    SuspendFloor,
)


@pytest.fixture
def sig():
    return soft_signal_rw(float, 0.0, name="current")


@pytest.fixture
def clock():
    return ManualClock()


def ceil(sig, clock, **kwargs):
    return SuspendCeil(sig, 1.5, clock=clock, **kwargs)


# -- construction ----------------------------------------------------------------------


def test_signal_without_subscribe_is_refused():
    with pytest.raises(TypeError, match=r"Cannot make SuspendCeil on 3\.0: it has no subscribe\(\)"):
        SuspendCeil(3.0, 1.5)


@pytest.mark.parametrize("sleep", [-1, float("inf"), float("nan")])
def test_bad_sleep_is_refused(sig, sleep):
    with pytest.raises(ValueError, match=r"sleep must be a finite number of seconds, 0 or more"):
        SuspendCeil(sig, 1.5, sleep=sleep)


@pytest.mark.parametrize("sleep", ["5", True, None])
def test_sleep_that_is_not_a_number_is_refused(sig, sleep):
    with pytest.raises(TypeError, match=r"sleep is a number of seconds"):
        SuspendCeil(sig, 1.5, sleep=sleep)


@pytest.mark.parametrize("which", ["pre_plan", "post_plan"])
def test_plan_that_is_not_a_plan_is_refused(sig, which):
    with pytest.raises(TypeError, match=rf"Cannot use 42 as the {which}: it must be a plan"):
        SuspendCeil(sig, 1.5, **{which: 42})


def test_clock_without_call_later_is_refused(sig):
    with pytest.raises(TypeError, match=r"a clock needs time\(\) and call_later"):
        SuspendCeil(sig, 1.5, clock=object())


def test_base_class_without_hooks_is_refused(sig):
    with pytest.raises(TypeError, match=r"define _should_suspend\(value\) and _should_resume"):
        SuspenderBase(sig)


def test_subclass_defines_only_the_two_hooks(sig, clock):
    class SuspendNegative(SuspenderBase):
        def _should_suspend(self, value):
            return value < 0

        def _should_resume(self, value):
            return value >= 0

    RE = FakeRE()
    suspender = SuspendNegative(sig, clock=clock)
    suspender.install(RE)
    sig.put(-1.0)
    assert RE.requests[0]["justification"] == (
        "SuspendNegative: current = -1.0; the plan resumes when the value is good again."
    )
    sig.put(1.0)
    assert RE.holds[0].done()


def test_constructor_does_not_subscribe(sig):
    calls = []
    sig.subscribe(lambda **kw: calls.append(kw["value"]), run=False)
    SuspendCeil(sig, 1.5)
    sig.put(2.0)
    assert calls == [2.0]  # only ours: the suspender is not listening


# -- tripping and releasing -----------------------------------------------------------


def test_a_trip_requests_one_suspension_with_the_plans(sig, clock):
    RE = FakeRE()
    pre, post = [], lambda: []
    suspender = ceil(sig, clock, pre_plan=pre, post_plan=post)
    suspender.install(RE)
    assert RE.requests == [] and not suspender.tripped
    sig.put(2.0)
    sig.put(3.0)  # still bad: no second request
    assert len(RE.requests) == 1
    request = RE.requests[0]
    assert request["pre_plan"] is pre and request["post_plan"] is post
    assert suspender.tripped and suspender.holding
    assert not request["fut"].done()


def test_justification_names_the_class_signal_value_threshold_and_message(sig, clock):
    RE = FakeRE()
    suspender = SuspendCeil(sig, 1.5, resume_thresh=1.0, sleep=5, clock=clock,
                            tripped_message="Check the load.")
    suspender.install(RE)
    sig.put(np.float64(1.75))
    text = RE.requests[0]["justification"]
    assert text == (
        "SuspendCeil: current = 1.75 is above the ceiling 1.5; the plan resumes when it is "
        "at or below 1.0 for 5 s. Check the load."
    )
    assert suspender.justification == text
    assert suspender.get_futures() == ([RE.requests[0]["fut"]], text)


def test_good_value_releases_at_once_without_sleep(sig, clock):
    RE = FakeRE()
    suspender = ceil(sig, clock)
    suspender.install(RE)
    sig.put(2.0)
    hold = RE.holds[0]
    sig.put(1.0)
    assert hold.done() and not suspender.tripped and not suspender.holding
    assert suspender.get_futures() == ([], "") and suspender.justification == ""
    assert clock.pending == 0


def test_each_trip_after_a_release_is_a_new_request(sig, clock):
    RE = FakeRE()
    ceil(sig, clock).install(RE)
    for _ in range(3):
        sig.put(2.0)
        sig.put(0.0)
    assert len(RE.requests) == 3
    assert all(h.done() for h in RE.holds)
    assert len({id(h) for h in RE.holds}) == 3


def test_sleep_holds_until_the_clock_has_advanced(sig, clock):
    RE = FakeRE()
    suspender = ceil(sig, clock, sleep=10)
    suspender.install(RE)
    sig.put(2.0)
    sig.put(1.0)
    hold = RE.holds[0]
    assert not suspender.tripped and suspender.holding
    assert clock.advance(9.9) == 0 and not hold.done()
    clock.advance(0.1)
    assert hold.done() and not suspender.holding


def test_trip_during_sleep_keeps_the_hold_and_waits_again(sig, clock):
    RE = FakeRE()
    suspender = ceil(sig, clock, sleep=10)
    suspender.install(RE)
    sig.put(2.0)
    sig.put(1.0)
    clock.advance(6)
    sig.put(2.0)  # trips again: the first sleep no longer counts
    clock.advance(6)
    hold = RE.holds[0]
    assert len(RE.requests) == 1 and suspender.tripped and not hold.done()
    sig.put(1.0)  # good again: a full sleep from now
    clock.advance(9)
    assert not hold.done()
    clock.advance(1)
    assert hold.done()


def test_settle_notice_is_reported_while_the_engine_is_suspending(sig, clock, capsys):
    RE = FakeRE(state="suspending")
    ceil(sig, clock, sleep=5).install(RE)
    sig.put(2.0)
    sig.put(1.0)
    out = " ".join(capsys.readouterr().out.split())  # the notice may be wrapped
    assert "current is back to normal (it is at or below 1.5); the plan resumes in 5 s" in out


def test_no_settle_notice_while_idle(sig, clock, capsys):
    RE = FakeRE(state="idle")
    ceil(sig, clock, sleep=5).install(RE)
    sig.put(2.0)
    sig.put(1.0)
    assert capsys.readouterr().out == ""


def test_judging_error_counts_as_bad(clock, caplog):
    sig = soft_signal_rw(np.ndarray, np.zeros(3), name="flags")
    RE = FakeRE()
    with caplog.at_level(logging.ERROR, logger="benchplan.suspenders"):
        SuspendBoolHigh(sig, clock=clock).install(RE)
    assert len(RE.requests) == 1
    assert "could not judge" in caplog.text


# -- the hold -------------------------------------------------------------------------


async def test_hold_wait_finishes_when_released(sig, clock):
    RE = FakeRE()
    ceil(sig, clock).install(RE)
    sig.put(2.0)
    hold = RE.holds[0]
    waiting = asyncio.ensure_future(hold())
    await asyncio.sleep(0)
    assert not waiting.done()
    threading.Thread(target=sig.put, args=(0.0,)).start()
    await asyncio.wait_for(waiting, 5)
    assert hold.done()


async def test_cancelling_a_wait_does_not_release_the_hold(sig, clock):
    RE = FakeRE()
    ceil(sig, clock).install(RE)
    sig.put(2.0)
    hold = RE.holds[0]
    first = asyncio.ensure_future(hold())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert not hold.done()
    second = asyncio.ensure_future(hold())  # the engine waits again after a pause
    sig.put(0.0)
    await asyncio.wait_for(second, 5)


# -- installing and removing ----------------------------------------------------------


def test_install_on_a_bad_signal_trips_at_once(sig, clock):
    sig.put(9.0)
    RE = FakeRE(state="idle")
    suspender = ceil(sig, clock)
    suspender.install(RE)
    assert suspender.tripped and len(RE.requests) == 1
    assert suspender.RE is RE


def test_install_twice_on_the_same_engine_subscribes_once(sig, clock):
    RE = FakeRE()
    suspender = ceil(sig, clock)
    suspender.install(RE)
    suspender.install(RE)
    sig.put(2.0)
    assert len(RE.requests) == 1


def test_install_on_a_second_engine_is_refused(sig, clock):
    suspender = ceil(sig, clock)
    first = FakeRE()
    suspender.install(first)
    with pytest.raises(RuntimeError, match=r"it is installed on another RunEngine.*remove_suspender"):
        suspender.install(FakeRE())
    assert suspender.RE is first


def test_remove_while_tripped_releases_the_hold_and_stops_listening(sig, clock):
    RE = FakeRE()
    suspender = ceil(sig, clock, sleep=5)
    suspender.install(RE)
    sig.put(2.0)
    suspender.remove()
    assert RE.holds[0].done() and not suspender.tripped and suspender.RE is None
    sig.put(0.0)
    sig.put(2.0)
    assert len(RE.requests) == 1
    suspender.remove()  # removing again does nothing


def test_remove_during_sleep_releases_and_the_timer_does_nothing_later(sig, clock):
    RE = FakeRE()
    suspender = ceil(sig, clock, sleep=5)
    suspender.install(RE)
    sig.put(2.0)
    sig.put(0.0)
    suspender.remove()
    assert RE.holds[0].done()
    suspender.install(RE)
    sig.put(2.0)
    clock.advance(5)  # the old sleep ends: it must not release the new hold
    assert len(RE.requests) == 2 and not RE.holds[1].done()


def test_reinstalled_suspender_trips_again(sig, clock):
    RE = FakeRE()
    suspender = ceil(sig, clock)
    suspender.install(RE)
    suspender.remove()
    sig.put(2.0)
    suspender.install(RE)
    assert suspender.tripped and len(RE.requests) == 1


# -- threads --------------------------------------------------------------------------


@pytest.mark.parametrize("end", [0.0, 2.0])
def test_updates_from_many_threads_leave_a_consistent_state(sig, clock, end):
    RE = FakeRE()
    suspender = ceil(sig, clock)
    suspender.install(RE)
    barrier = threading.Barrier(8)

    def hammer() -> None:
        barrier.wait()
        for _ in range(200):
            sig.put(2.0)
            sig.put(0.0)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sig.put(end)
    holds = RE.holds
    assert len(holds) >= 1
    assert all(h.done() for h in holds[:-1])  # every hold but the last was released
    assert holds[-1].done() is (end == 0.0)
    assert suspender.tripped is (end == 2.0)


# -- signals of other kinds -----------------------------------------------------------


class ReadingSignal:
    """ophyd-async style: callback(reading_dict), no keyword value, unsubscribe by token."""

    name = "volts"

    def __init__(self, value):
        self.value = value
        self.callbacks = {}

    def subscribe(self, callback):
        self.callbacks[1] = callback
        callback({self.name: {"value": self.value, "timestamp": 0.0}})
        return 1

    def unsubscribe(self, token):
        del self.callbacks[token]

    def update(self, value):
        self.value = value
        for callback in list(self.callbacks.values()):
            callback({self.name: {"value": value, "timestamp": 0.0}})


class SilentSignal:
    """Calls back on changes only, not on subscribe; has get() and clear_sub()."""

    name = "pressure"

    def __init__(self, value):
        self.value = value
        self.callbacks = []

    def get(self):
        return self.value

    def subscribe(self, callback):
        self.callbacks.append(callback)

    def clear_sub(self, callback):
        self.callbacks.remove(callback)


def test_reading_dict_callbacks_and_token_unsubscribe(clock):
    sig = ReadingSignal(10.0)
    RE = FakeRE()
    suspender = SuspendFloor(sig, 5.0, clock=clock)
    suspender.install(RE)
    assert RE.requests == []
    sig.update(4.0)
    assert suspender.tripped and "volts = 4.0 is below the floor 5.0" in RE.requests[0]["justification"]
    suspender.remove()
    assert sig.callbacks == {} and RE.holds[0].done()


def test_signal_silent_on_subscribe_is_read_on_install(clock):
    sig = SilentSignal(0.5)
    RE = FakeRE()
    suspender = SuspendFloor(sig, 1.0, clock=clock)
    suspender.install(RE)
    assert suspender.tripped and len(RE.requests) == 1
    suspender.remove()
    assert sig.callbacks == []


def test_an_installed_suspender_does_not_keep_the_engine_alive(sig, clock):
    import gc
    import weakref

    RE = FakeRE()
    suspender = ceil(sig, clock)
    suspender.install(RE)
    ref = weakref.ref(RE)
    del RE
    gc.collect()
    assert ref() is None and suspender.RE is None
    sig.put(2.0)  # the engine is gone: nothing to suspend, nothing raised
    assert not suspender.tripped
    again = FakeRE()
    suspender.install(again)  # may be installed again, subscribed once
    sig.put(2.0)
    assert len(again.requests) == 1
    suspender.remove()
