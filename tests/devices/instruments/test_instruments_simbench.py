"""The drivers end to end: pyvisa-py sockets to the simulated bench, plans on
the RunEngine (ours and bluesky's), suspenders on polled measurements, faults."""

from __future__ import annotations

import threading

import pytest

from benchplan.devices.instruments import (
    Keithley2281S,
    Keithley2281SBattery,
    Keysight34461A,
    KeysightE36312A,
    RigolDP832,
)
from benchplan.devices.simbench import ManualClock, SimBench
from benchplan.devices.visa import SessionPool
from benchplan.errors import InstrumentError, InstrumentTimeout, ResourceInUse


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def bench(clock):
    with SimBench(clock=clock) as bench:
        yield bench


@pytest.fixture
def pool(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path))
    pool = SessionPool("@py", timeout=1.0)
    yield pool
    pool.close()


@pytest.fixture
def psu(bench, pool):
    psu = RigolDP832(bench.address("dp832"), name="psu", pool=pool, poll_rate=100)
    yield psu
    psu.safe_state()


def _wait_for(condition, timeout=10.0):
    event = threading.Event()
    for _ in range(int(timeout / 0.005)):
        if condition():
            return True
        event.wait(0.005)
    return condition()


def _documents():
    docs: list[tuple[str, dict]] = []
    return docs, lambda name, doc: docs.append((name, doc))


def _scan_readings(RE, psu, dmm, scan):
    docs, collect = _documents()
    RE(scan([psu.ch1.measured_current, dmm], psu.ch1.voltage, 0, 5, 6), collect)
    events = [doc["data"] for name, doc in docs if name == "event"]
    stops = [doc for name, doc in docs if name == "stop"]
    return events, stops


def test_a_scan_on_our_run_engine_reads_the_supply_and_the_dmm(psu, bench, pool):
    from benchplan import RunEngine
    from benchplan.plans import scan

    dmm = Keysight34461A(bench.address("dmm"), name="dmm", pool=pool)
    psu.ch1.current.put(3)
    psu.ch1.output.put(True)
    events, stops = _scan_readings(RunEngine(), psu, dmm, scan)
    assert [e["psu_ch1_voltage"] for e in events] == [0, 1, 2, 3, 4, 5]
    assert [e["dmm_dc_voltage"] for e in events] == pytest.approx([0, 1, 2, 3, 4, 5])
    assert [e["psu_ch1_measured_current"] for e in events] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert stops[0]["exit_status"] == "success"


def test_a_scan_on_blueskys_run_engine_works_too(psu, bench, pool):
    from bluesky import RunEngine
    from bluesky.plans import scan

    dmm = Keysight34461A(bench.address("dmm"), name="dmm", pool=pool)
    psu.ch1.current.put(3)
    psu.ch1.output.put(True)
    events, stops = _scan_readings(RunEngine({}), psu, dmm, scan)
    assert [e["dmm_dc_voltage"] for e in events] == pytest.approx([0, 1, 2, 3, 4, 5])
    assert stops[0]["exit_status"] == "success"


@pytest.mark.parametrize("library", ["benchplan", "bluesky"])
def test_suspend_ceil_on_a_polled_measurement_trips_and_clears(psu, bench, clock, library):
    if library == "bluesky":
        from bluesky import RunEngine
        from bluesky.suspenders import SuspendCeil
        RE = RunEngine({})
    else:
        from benchplan import RunEngine
        from benchplan.suspenders import SuspendCeil
        RE = RunEngine()
    psu.ch1.voltage.put(5)
    psu.ch1.current.put(3)
    psu.ch1.output.put(True)  # 0.5 A into 10 ohm
    suspender = SuspendCeil(psu.ch1.measured_current, 1.5, resume_thresh=1.0)
    RE.install_suspender(suspender)
    try:
        assert not suspender.tripped
        bench.fault.current_spike(1.5, 10.0, "dp832", channel=1)  # 2.0 A for 10 s of bench time
        assert _wait_for(lambda: suspender.tripped)
        clock.advance(11)  # the spike is over: 0.5 A
        assert _wait_for(lambda: not suspender.tripped)
    finally:
        RE.remove_suspender(suspender)
    assert _wait_for(lambda: psu.connection().session.poller.jobs == 0)


def test_two_threads_and_a_poller_on_one_instrument_never_cross_replies(psu):
    psu.ch1.voltage.put(5)
    psu.ch2.voltage.put(12)
    token = psu.ch3.measured_voltage.subscribe(lambda value, **kwargs: None)
    wrong: list[tuple[str, float]] = []

    def hammer(channel, expected):
        for _ in range(200):
            value = channel.voltage.get()
            if value != expected:
                wrong.append((channel.name, value))

    threads = [threading.Thread(target=hammer, args=(psu.ch1, 5.0)),
               threading.Thread(target=hammer, args=(psu.ch2, 12.0))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    psu.ch3.measured_voltage.clear_sub(token)
    assert wrong == []


def test_the_2281s_roles_take_turns_with_real_mode_checks(bench, pool):
    address = bench.address("k2281s")
    supply = Keithley2281S(address, name="psu", pool=pool)
    battery = Keithley2281SBattery(address, name="batt", pool=pool)
    supply.voltage.put(3.7)
    supply.output.put(True)
    assert supply.output.get() is True
    battery.model_recall.put("LI-ION4_2")
    battery.soc.put(80)
    assert battery.soc.get() == 80.0
    assert bench.send("k2281s", ":ENTR:FUNC?") == "SIMULATOR"
    supply.safe_state()  # the switch to SIM switched the supply output off: nothing to send
    assert bench.send("k2281s", ":ENTR:FUNC?") == "SIMULATOR"
    assert supply.voltage.get() == 3.7
    assert supply.output.get() is False


def test_the_2281s_reports_a_command_of_the_other_mode(bench, pool):
    supply = Keithley2281S(bench.address("k2281s"), name="psu", pool=pool)
    supply.voltage.get()  # now in POW
    with pytest.raises(InstrumentError) as info:
        supply.write(":BATT:SIM:SOC 50")
    assert info.value.code == 700
    assert "not valid in the instrument's current mode" in str(info.value)


def test_the_2281s_roles_held_concurrently_conflict(bench, pool):
    address = bench.address("k2281s")
    supply = Keithley2281S(address, name="psu", pool=pool)
    battery = Keithley2281SBattery(address, name="batt", pool=pool)
    with battery.hold():
        with pytest.raises(ResourceInUse, match="held in its battery-simulator role by 'batt'"):
            supply.voltage.put(1)


def test_a_setpoint_the_instrument_refuses_fails_the_status(bench, pool):
    supply = Keithley2281S(bench.address("k2281s"), name="psu", pool=pool)
    status = supply.current.set(0.05)  # within our limits, below the instrument's 0.1 A
    with pytest.raises(InstrumentError) as info:
        status.wait(10)
    exc = info.value
    assert status.exception() is exc
    assert exc.code == -222
    assert exc.command == ":SOUR1:CURR 0.05"


def test_an_instrument_that_stops_answering_times_out_then_recovers(bench, pool):
    psu = KeysightE36312A(bench.address("e36312a"), name="e3", pool=pool, timeout=0.2)
    assert psu.ch1.voltage.get() == 0.0
    bench.fault.stop_answering("e36312a")
    with pytest.raises(InstrumentTimeout) as info:
        psu.ch1.measured_current.get()
    assert info.value.address == bench.address("e36312a")
    assert info.value.command == "MEAS:CURR? (@1)"
    assert "no answer within 0.2 s" in str(info.value)
    bench.fault.resume_answering("e36312a")
    assert psu.ch1.voltage.get() == 0.0


def test_a_dropped_connection_is_reopened(bench, pool):
    psu = KeysightE36312A(bench.address("e36312a"), name="e3", pool=pool, timeout=0.3)
    psu.ch2.voltage.put(7)
    bench.fault.drop_connection("e36312a")
    for _ in range(3):
        try:
            assert psu.ch2.voltage.get() == 7.0
            break
        except (InstrumentTimeout, InstrumentError):
            continue
    else:
        pytest.fail("the driver did not reconnect")


EXIT_SCRIPT = """
import sys
from benchplan.devices.instruments import RigolDP832

address, safe_off, how = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
psu = RigolDP832(address, name="psu", safe_off=safe_off)
psu.ch1.voltage.put(5)
psu.ch1.output.put(True)
psu.ch2.output.put(True)
psu.ch2.output.put(False)
print("on", flush=True)
if how == "crash":
    raise RuntimeError("the plan failed")
"""


@pytest.mark.slow
@pytest.mark.parametrize(("safe_off", "how", "expected"), [
    ("1", "normal", "OFF"), ("1", "crash", "OFF"), ("0", "normal", "ON"),
])
def test_outputs_switched_on_are_switched_off_at_exit(bench, tmp_path, safe_off, how, expected):
    import os
    import subprocess
    import sys

    script = tmp_path / "exit_script.py"
    script.write_text(EXIT_SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), bench.address("dp832"), safe_off, how],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "BENCHPLAN_DATA_DIR": str(tmp_path)},
    )
    assert result.stdout == "on\n", result.stderr
    assert bench.send("dp832", ":OUTP? CH1") == expected
    assert bench.send("dp832", ":OUTP? CH2") == "OFF"


def test_halting_a_run_switches_off_the_outputs_it_switched_on(psu, bench):
    from benchplan import RunEngine, RunEngineInterrupted
    from benchplan.plans.stubs import checkpoint, mv, pause

    psu.ch2.output.put(True)  # on before the run, but still through benchplan

    def plan():
        yield from mv(psu.ch1.voltage, 5)
        yield from mv(psu.ch1.output, True)
        yield from checkpoint()
        yield from pause()

    RE = RunEngine()
    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    assert bench.send("dp832", ":OUTP? CH1") == "ON"
    RE.halt()
    assert bench.send("dp832", ":OUTP? CH1") == "OFF"
    assert bench.send("dp832", ":OUTP? CH2") == "ON"  # the run did not set channel 2
