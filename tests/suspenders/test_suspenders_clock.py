"""ManualClock and LoopClock."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from benchplan import RunEngine
from benchplan.suspenders import Clock, LoopClock, ManualClock


def test_manual_clock_runs_due_timers_in_time_order():
    clock = ManualClock(start=100.0)
    fired = []
    clock.call_later(3, lambda: fired.append(("b", clock.time())))
    clock.call_later(1, lambda: fired.append(("a", clock.time())))
    clock.call_later(3, lambda: fired.append(("c", clock.time())))
    assert clock.pending == 3
    assert clock.advance(2) == 1
    assert clock.advance(1) == 2
    assert fired == [("a", 101.0), ("b", 103.0), ("c", 103.0)]
    assert clock.time() == 103.0 and clock.pending == 0


def test_manual_clock_runs_a_timer_scheduled_by_a_timer_if_due():
    clock = ManualClock()
    fired = []
    clock.call_later(1, lambda: clock.call_later(1, lambda: fired.append(clock.time())))
    assert clock.advance(5) == 2
    assert fired == [2.0] and clock.time() == 5.0


def test_manual_clock_refuses_going_back_and_bad_delays():
    clock = ManualClock()
    with pytest.raises(ValueError, match=r"advance the clock by -1 s: time only moves forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match=r"delay must be a finite number of seconds"):
        clock.call_later(float("inf"), lambda: None)
    with pytest.raises(ValueError, match=r"delay must be a finite number of seconds"):
        clock.call_later(-2, lambda: None)


def test_both_clocks_satisfy_the_protocol():
    assert isinstance(ManualClock(), Clock)
    assert isinstance(LoopClock(RunEngine()), Clock)


def test_loop_clock_runs_the_callback_on_the_engine_loop():
    RE = RunEngine()
    clock = LoopClock(RE)
    done = threading.Event()
    loops = []

    def callback() -> None:
        loops.append(asyncio.get_running_loop())
        done.set()

    clock.call_later(0, callback)
    assert done.wait(10)
    assert loops == [RE.loop]
    assert abs(clock.time() - time.time()) < 60
