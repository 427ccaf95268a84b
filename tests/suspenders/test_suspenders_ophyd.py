"""Our suspenders watch ophyd signals, with ophyd.sim devices and bluesky plans, on our engine."""

from __future__ import annotations

import bluesky.plans as bp
import bluesky.preprocessors as bpp
import pytest
from ophyd import Signal
from ophyd.sim import det as ophyd_det
from ophyd.sim import motor as ophyd_motor
from suspenders_harness import WAIT, Bench, FakeRE, in_thread, on_nth

from benchplan import RunEngine
from benchplan.callbacks import DocumentCollector
from benchplan.plans import scan
from benchplan.suspenders import (
    ManualClock,
    SuspendBoolLow,
    SuspendCeil,
    SuspendWhenChanged,
    SuspendWhenOutsideBand,
)


@pytest.fixture
def bench():
    b = Bench(record_interruptions=True)
    yield b
    b.close()


@pytest.fixture(scope="module")
def reference():
    docs = DocumentCollector()
    RunEngine(context_managers=[])(scan([ophyd_det], ophyd_motor, -1, 1, 5), docs)
    return docs.data("det")


def test_ophyd_signal_trips_from_another_thread_and_resumes(bench, reference):
    current = Signal(name="current", value=0.0)
    suspender = SuspendCeil(current, 1.5, resume_thresh=1.0)
    bench.RE.install_suspender(suspender)
    bench.RE.msg_hook = on_nth("trigger", 3, lambda: in_thread(lambda: current.put(2.0)))
    run = bench.start(scan([ophyd_det], ophyd_motor, -1, 1, 5))
    bench.wait_for("suspending")
    assert "current = 2.0 is above the ceiling 1.5" in suspender.justification
    current.put(1.2)  # hysteresis: not yet
    assert suspender.holding
    current.put(0.9)
    run.result(WAIT)
    assert bench.docs.data("det") == reference
    assert [e["seq_num"] for e in bench.docs.events()] == [1, 2, 3, 4, 5]
    assert bench.docs.data("interruptions", stream="interruptions") == ["suspend", "resume"]


def test_ophyd_signal_already_bad_suspends_a_bluesky_plan_first(bench, reference):
    enabled = Signal(name="enabled", value=0)
    bench.RE.install_suspender(SuspendBoolLow(enabled))
    run = bench.start(bp.scan([ophyd_det], ophyd_motor, -1, 1, 5))
    bench.wait_for("suspending")
    assert bench.docs.names == []
    enabled.put(1)
    run.result(WAIT)
    assert bench.docs.data("det") == reference


def test_bluesky_suspend_wrapper_installs_and_removes_our_suspender(bench, reference):
    temp = Signal(name="temp", value=25.0)
    suspender = SuspendWhenOutsideBand(temp, 20, 30)
    bench.RE.msg_hook = on_nth("trigger", 2, lambda: temp.put(35.0))
    plan = bpp.suspend_wrapper(bp.scan([ophyd_det], ophyd_motor, -1, 1, 5), suspender)
    run = bench.start(plan)
    bench.wait_for("suspending")
    temp.put(25.0)
    run.result(WAIT)
    assert bench.docs.data("det") == reference
    assert bench.RE.suspenders == () and suspender.RE is None


def test_removed_suspender_no_longer_watches_the_ophyd_signal():
    current = Signal(name="current", value=0.0)
    suspender = SuspendCeil(current, 1.5, clock=ManualClock())
    RE = FakeRE()
    suspender.install(RE)
    suspender.remove()
    current.put(5.0)
    assert RE.requests == [] and not suspender.tripped


def test_when_changed_reads_the_ophyd_signal_at_install():
    mode = Signal(name="mode", value="remote")
    suspender = SuspendWhenChanged(mode, allow_resume=True, clock=ManualClock())
    RE = FakeRE()
    suspender.install(RE)
    assert suspender.expected_value == "remote"
    mode.put("local")
    assert RE.requests[0]["justification"].startswith(
        "SuspendWhenChanged: mode = 'local', expected 'remote'")
    mode.put("remote")
    assert RE.holds[0].done()


def test_sleep_with_an_ophyd_signal():
    current = Signal(name="current", value=0.0)
    clock = ManualClock()
    suspender = SuspendCeil(current, 1.5, sleep=3, clock=clock)
    RE = FakeRE()
    suspender.install(RE)
    current.put(2.0)
    current.put(0.0)
    assert suspender.holding
    clock.advance(3)
    assert not suspender.holding and RE.holds[0].done()
