"""A SuspendCeil on the supply's polled measured current, against faults of the
simulated load: the plan suspends, resumes when the fault clears, and its data
are those of a run without the fault."""

from __future__ import annotations

import threading

import pytest

from benchplan import RunEngine
from benchplan.callbacks import DocumentCollector
from benchplan.plans import scan
from benchplan.suspenders import ManualClock, SuspendCeil

POINTS = 6
FIELDS = ("psu_ch1_voltage", "dmm_dc_voltage", "psu_ch1_measured_current")


def _plan(psu, dmm):
    return scan([dmm, psu.ch1.measured_current], psu.ch1.voltage, 0, 5, POINTS)


def _primary(docs):
    return [(e["seq_num"], *(e["data"][f] for f in FIELDS)) for e in docs.events()]


@pytest.fixture
def supply_on(psu):
    psu.ch1.current.put(2.0)  # a short draws 2 A; the load at 5 V draws 0.5 A
    psu.ch1.output.put(True)
    return psu


@pytest.fixture
def reference(supply_on, dmm):
    """The primary data of the scan without a fault."""
    docs = DocumentCollector()
    RunEngine()(_plan(supply_on, dmm), docs)
    assert docs.stop["exit_status"] == "success"
    return _primary(docs)


def _fault_at(point, RE, suspender, wait_until, inject, clear):
    """A callback: after event ``point``, inject the fault and wait until the suspender
    has seen it (so no later point is read during the fault); once the RunEngine is
    suspended, ``clear`` it from another thread."""
    errors: list[str] = []

    def clear_when_suspended():
        if not wait_until(lambda: RE.state == "suspending"):
            errors.append(f"the RunEngine never suspended (state {RE.state!r})")
        clear()

    def callback(name, doc):
        if name == "event" and doc["seq_num"] == point and "psu_ch1_voltage" in doc["data"]:
            inject()
            if not wait_until(lambda: suspender.tripped):
                errors.append("the suspender did not trip")
            threading.Thread(target=clear_when_suspended, daemon=True).start()

    return callback, errors


def test_a_short_mid_plan_suspends_and_resumes_with_the_data_of_an_unfaulted_run(
    bench, supply_on, dmm, reference, wait_until, capsys
):
    psu = supply_on
    RE = RunEngine(record_interruptions=True)
    suspender = SuspendCeil(psu.ch1.measured_current, 1.0, resume_thresh=0.8)
    RE.install_suspender(suspender)
    fault, errors = _fault_at(
        3, RE, suspender, wait_until,
        inject=lambda: bench.fault.set_load(0.0, "dp832", channel=1),
        clear=lambda: bench.fault.set_load(10.0, "dp832", channel=1),
    )
    docs = DocumentCollector()
    try:
        RE(_plan(psu, dmm), [docs, fault])
    finally:
        RE.remove_suspender(suspender)

    assert errors == []
    assert docs.stop["exit_status"] == "success"
    assert docs.data("interruptions", stream="interruptions") == ["suspend", "resume"]
    assert _primary(docs) == reference
    out = capsys.readouterr().out
    assert "Suspending the plan at " in out
    assert "psu_ch1_measured_current = 2.0 is above the ceiling 1.0" in out
    assert "Resuming the plan at " in out


def test_the_plan_stays_suspended_until_the_current_has_been_normal_for_the_sleep(
    bench, supply_on, dmm, reference, wait_until, capsys
):
    psu = supply_on
    clock = ManualClock()
    RE = RunEngine(record_interruptions=True)
    suspender = SuspendCeil(psu.ch1.measured_current, 1.0, resume_thresh=0.8, sleep=30, clock=clock)
    RE.install_suspender(suspender)
    cleared = threading.Event()

    def clear():
        bench.fault.set_load(10.0, "dp832", channel=1)
        cleared.set()

    fault, errors = _fault_at(
        2, RE, suspender, wait_until,
        inject=lambda: bench.fault.set_load(0.0, "dp832", channel=1),
        clear=clear,
    )
    docs = DocumentCollector()
    outcome: list[object] = []
    runner = threading.Thread(target=lambda: outcome.append(RE(_plan(psu, dmm), [docs, fault])))
    runner.start()
    try:
        assert cleared.wait(10)
        assert wait_until(lambda: clock.pending == 1)  # a poll saw 0.1 A: the sleep started
        assert RE.state == "suspending"
        assert "resumes in 30 s" in capsys.readouterr().out
        clock.advance(29)
        assert clock.pending == 1 and suspender.holding and RE.state == "suspending"
        clock.advance(1)
        runner.join(10)
    finally:
        RE.remove_suspender(suspender)
        runner.join(10)
    assert errors == []
    assert outcome and docs.stop["exit_status"] == "success"
    assert docs.data("interruptions", stream="interruptions") == ["suspend", "resume"]
    assert _primary(docs) == reference
