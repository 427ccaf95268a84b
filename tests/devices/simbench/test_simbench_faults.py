"""Fault injection, from Python and over the wire."""

import time

import pytest
import pyvisa
from pyvisa.errors import VisaIOError

from benchplan.devices.simbench import SimBench


@pytest.fixture
def bench(clock):
    with SimBench({"psu": "DP832", "dmm": "34461A"}, clock=clock) as b:
        yield b


@pytest.fixture
def psu(bench, rm):
    res = rm.open_resource(bench.address("psu"), read_termination="\n", write_termination="\n")
    res.timeout = 2000
    assert res.query(":APPL CH1,5,1;:OUTP CH1,ON;*OPC?") == "1"  # 0.5 A into 10 ohm
    yield res
    res.close()


def test_current_spike_goes_to_cc_for_its_duration_then_back(bench, psu, clock):
    bench.fault.current_spike(2.0, 0.5, "psu", channel=1)
    assert psu.query(":OUTP:MODE? CH1;:MEAS:CURR? CH1") == "CC;1.0000"
    clock.advance(0.4)
    assert psu.query(":OUTP:MODE? CH1") == "CC"
    clock.advance(0.2)
    assert psu.query(":OUTP:MODE? CH1;:MEAS:CURR? CH1;:MEAS:VOLT? CH1") == "CV;0.5000;5.0000"


def test_spike_over_the_ocp_level_trips_and_the_trip_stays(bench, psu, clock):
    psu.write(":OUTP:OCP:VAL CH1,0.8;:OUTP:OCP CH1,ON")
    psu.write("SIM:SPIKE 0.5,0.1,CH1")
    clock.advance(1.0)
    assert psu.query(":OUTP? CH1;:OUTP:OCP:ALAR? CH1") == "OFF;YES"


def test_spike_on_other_channels_leaves_this_one_alone(bench, psu):
    psu.write("SIM:SPIKE 5,1,2")
    assert psu.query(":OUTP:MODE? CH1") == "CV"
    assert psu.query("SYST:ERR?") == '0,"No error"'


def test_load_fault_from_python_and_over_the_wire(bench, psu, rm):
    bench.fault.set_load(2.0)  # every supply channel: 2.5 A wanted, 1 A limit
    assert psu.query(":OUTP:MODE? CH1;:MEAS:VOLT? CH1") == "CC;2.0000"
    psu.write("SIM:LOAD 100,(@1)")
    assert psu.query("SIM:LOAD? 1;:MEAS:CURR? CH1") == "100;0.0500"
    psu.write("SIM:LOAD INF")
    assert psu.query(":MEAS:CURR? CH1") == "0.0000"
    dmm = rm.open_resource(bench.address("dmm"), read_termination="\n", write_termination="\n")
    assert dmm.query("MEAS:RES?") == "+9.90000000E+37"  # open circuit
    dmm.close()


def test_drop_connection_resets_the_socket_and_new_sessions_work(bench, psu, rm):
    bench.fault.drop_connection("psu")
    with pytest.raises(ConnectionError):
        psu.query("*IDN?")
    again = rm.open_resource(bench.address("psu"), read_termination="\n", write_termination="\n")
    assert again.query(":OUTP? CH1") == "ON"  # the instrument kept its state
    again.write("SIM:DROP")
    with pytest.raises(ConnectionError):
        again.query("*IDN?")
    again.close()


def test_mute_makes_queries_time_out_until_resumed(bench, psu):
    psu.timeout = 150
    bench.fault.stop_answering("psu")
    with pytest.raises(VisaIOError) as info:
        psu.query("*IDN?")
    assert info.value.error_code == pyvisa.constants.StatusCode.error_timeout
    bench.fault.resume_answering("psu")
    assert psu.query("*OPC?") == "1"  # the timed-out query left no stale reply


def test_messages_sent_while_muted_are_discarded(bench, psu):
    bench.fault.stop_answering()
    psu.write(":SOUR1:VOLT 9")  # discarded, not executed
    psu.write("SIM:MUTE OFF")  # the one message a muted instrument obeys
    assert psu.query(":SOUR1:VOLT?") == "5.000"


def test_mute_over_the_wire_only_listens_for_unmute(bench, psu):
    psu.timeout = 150
    psu.write("SIM:MUTE ON")
    with pytest.raises(VisaIOError):
        psu.query("SIM:MUTE?")
    psu.write("sim:mute off")
    assert psu.query("SIM:MUTE?") == "0"
    assert psu.query("SYST:ERR?") == '0,"No error"'


def test_latency_fault_delays_replies(bench, psu):
    bench.fault.set_latency(0.1, "psu")
    start = time.perf_counter()
    assert psu.query("*OPC?") == "1"
    assert time.perf_counter() - start >= 0.1
    psu.write("SIM:LAT 0")
    assert psu.query("SIM:LAT?") == "0"


@pytest.mark.parametrize(
    ("call", "error", "text"),
    [
        (lambda f: f.set_load(-1.0, "psu"), ValueError, r"load of -1.0 ohm on 'psu': it must be >= 0"),
        (lambda f: f.set_load(1.0, "dmm"), ValueError, r"34461A 'dmm': it is not a supply"),
        (lambda f: f.set_load(1.0, "scope"), KeyError, r"no instrument 'scope'; it has psu, dmm"),
        (lambda f: f.current_spike(1.0, -2.0, "psu"), ValueError, r"for -2.0 s on 'psu'"),
        (lambda f: f.current_spike(1.0, 1.0, "psu", channel=4), ValueError, r"channels 1..3, not 4"),
        (lambda f: f.set_latency(-0.5), ValueError, r"latency of -0.5 s"),
    ],
)
def test_bad_fault_arguments_say_what_is_wrong(bench, call, error, text):
    with pytest.raises(error, match=text):
        call(bench.fault)


def test_bad_sim_commands_push_scpi_errors(bench, psu):
    psu.write("SIM:LOAD -1")
    psu.write("SIM:SPIKE 1")
    psu.write("SIM:LOAD 1,CH9")
    codes = [psu.query("SYST:ERR?").split(",")[0] for _ in range(3)]
    assert codes == ["-222", "-109", "-224"]
