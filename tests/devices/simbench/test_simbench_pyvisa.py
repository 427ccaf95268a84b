"""The simulated bench through the real pyvisa-py socket path."""

import time

import pytest
import pyvisa

from benchplan.devices.simbench import ManualClock, SimBench


@pytest.fixture
def bench():
    with SimBench() as b:
        yield b


def open_(rm, address, timeout_ms=2000):
    res = rm.open_resource(address, read_termination="\n", write_termination="\n")
    res.timeout = timeout_ms
    return res


def test_address_is_a_tcpip_socket_resource(bench):
    for name, address in bench.addresses.items():
        assert address == f"TCPIP0::127.0.0.1::{bench.port(name)}::SOCKET"
    assert len({bench.port(n) for n in bench.names}) == len(bench.names)


def test_each_instrument_answers_its_idn(bench, rm):
    models = {"dp832": "DP832", "dp821": "DP821", "e36312a": "E36312A", "k2281s": "2281S-20-6", "dmm": "34461A"}
    for name, model in models.items():
        inst = open_(rm, bench.address(name))
        assert inst.query("*IDN?").split(",")[1] == model
        inst.close()


def test_supply_and_dmm_agree_over_visa(bench, rm):
    psu, dmm = open_(rm, bench.address("dp832")), open_(rm, bench.address("dmm"))
    psu.write(":APPL CH1,3.3,1;:OUTP CH1,ON")
    assert float(psu.query(":MEAS:VOLT? CH1")) == pytest.approx(3.3)
    assert float(dmm.query("MEAS:VOLT:DC?")) == pytest.approx(3.3)
    assert float(dmm.query("MEAS:CURR:DC?")) == pytest.approx(0.33)
    psu.close()
    dmm.close()


def test_compound_query_comes_back_as_one_line(bench, rm):
    psu = open_(rm, bench.address("e36312a"))
    psu.write("VOLT 2,(@1);CURR 0.5,(@1)")
    assert psu.query("VOLT? (@1);CURR? (@1);*OPC?") == "+2.00000000E+00;+5.00000000E-01;1"
    psu.close()


def test_error_queue_over_visa(bench, rm):
    psu = open_(rm, bench.address("dp832"))
    psu.write(":SOUR1:VOLT 100")
    psu.write("BOGUS")
    assert psu.query("SYST:ERR?") == '-222,"Data out of range"'
    assert psu.query("SYST:ERR?") == '-113,"Undefined header"'
    assert psu.query("SYST:ERR?") == '0,"No error"'
    psu.close()


def test_battery_simulator_over_visa_with_a_manual_clock(rm):
    clock = ManualClock()
    with SimBench({"batt": "2281S"}, clock=clock) as bench:
        k = open_(rm, bench.address("batt"))
        k.write(":ENTR:FUNC SIM;:BATT:SIM:CAP:LIM 0.5;:BATT:OUTP ON")
        soc0 = float(k.query(":BATT:SIM:SOC?"))
        clock.advance(600.0)
        assert float(k.query(":BATT:SIM:SOC?")) < soc0 - 1.0
        k.write(":OUTP ON")  # a supply command in SIM mode
        assert k.query("SYST:ERR?") == '700,"Command not permitted in this mode"'
        k.close()


def test_latency_delays_each_reply_and_keeps_order(rm):
    with SimBench({"psu": "DP832"}, latency=0.05) as bench:
        psu = open_(rm, bench.address("psu"))
        start = time.perf_counter()
        psu.write("*IDN?")
        psu.write("*OPC?")
        assert psu.read().startswith("RIGOL")
        assert psu.read() == "1"
        assert time.perf_counter() - start >= 0.05
        psu.close()


def test_single_client_refuses_a_second_connection_with_a_message(rm):
    with SimBench({"psu": "DP832"}, single_client=True) as bench:
        first = open_(rm, bench.address("psu"))
        assert first.query("*IDN?").startswith("RIGOL")
        second = open_(rm, bench.address("psu"))
        reply = second.query("*IDN?")
        assert "serves one client at a time" in reply and bench.address("psu") in reply
        with pytest.raises(OSError):
            second.query("*IDN?")
        second.close()
        assert first.query("*OPC?") == "1"  # the first session is untouched
        first.close()
        again = open_(rm, bench.address("psu"))  # once the first is gone, a new one is served
        assert again.query("*IDN?").startswith("RIGOL")
        again.close()


def test_many_clients_share_one_instrument_without_single_client(bench, rm):
    a, b = open_(rm, bench.address("dp832")), open_(rm, bench.address("dp832"))
    a.write(":SOUR2:VOLT 7")
    assert b.query(":SOUR2:VOLT?") == "7.000"
    a.close()
    b.close()
