"""Keysight E36300 drivers: channel lists, exact commands against the pyvisa-sim profile."""

from __future__ import annotations

import pytest

from benchplan.devices.instruments import KeysightE36312A, KeysightE36313A

E36312A = "TCPIP0::e36312a.sim::5025::SOCKET"
E36313A = "TCPIP0::e36313a.sim::5025::SOCKET"


@pytest.fixture
def psu(sim_pool):
    return KeysightE36312A(E36312A, name="psu", pool=sim_pool("e36300"))


def _without_checks(commands):
    return [c for c in commands if c not in ("SYST:ERR?", "*IDN?")]


def test_setpoints_outputs_and_readings_use_channel_lists(psu, sent):
    psu.ch1.voltage.put(5)
    psu.ch1.current.put(0.1)
    psu.ch2.output.put(True)
    psu.ch2.ovp.put(20)
    psu.ch2.ocp_enabled.put(True)
    assert (psu.ch1.voltage.get(), psu.ch1.current.get()) == (5.0, 0.1)
    assert psu.ch2.output.get() is True
    assert (psu.ch2.ovp.get(), psu.ch2.ocp_enabled.get()) == (20.0, True)
    assert psu.ch3.measured_voltage.get() == pytest.approx(5.00012)
    assert psu.ch3.measured_current.get() == pytest.approx(0.10023)
    psu.ch2.clear_protection()
    psu.ch2.output.put(False)
    assert _without_checks(sent()) == [
        "VOLT 5,(@1)", "CURR 0.1,(@1)", "OUTP ON,(@2)", "VOLT:PROT 20,(@2)", "CURR:PROT:STAT ON,(@2)",
        "VOLT? (@1)", "CURR? (@1)", "OUTP? (@2)", "VOLT:PROT? (@2)", "CURR:PROT:STAT? (@2)",
        "MEAS:VOLT? (@3)", "MEAS:CURR? (@3)", "OUTP:PROT:CLE (@2)", "OUTP OFF,(@2)",
    ]


def test_each_channel_has_its_ratings(psu, sent):
    assert psu.ch1.describe()["psu_ch1_voltage"]["limits"]["control"]["high"] == 6.0
    assert psu.ch2.describe()["psu_ch2_voltage"]["limits"]["control"]["high"] == 25.0
    with pytest.raises(ValueError, match=r"Cannot set 'psu_ch1_voltage' to 7: 7 V is outside the allowed range \[0, 6\] V"):
        psu.ch1.voltage.set(7)
    with pytest.raises(ValueError, match=r"\[0, 1\] A"):
        psu.ch3.current.set(1.5)
    assert sent() == []


def test_e36313a_ratings(sim_pool, sent):
    psu = KeysightE36313A(E36313A, name="big", pool=sim_pool("e36300"))
    psu.ch1.current.put(9.5)
    psu.ch2.current.put(2)
    with pytest.raises(ValueError, match=r"\[0, 2\] A"):
        psu.ch3.current.put(2.5)
    assert _without_checks(sent()) == ["CURR 9.5,(@1)", "CURR 2,(@2)"]
    assert "E36313A" in psu.idn


def test_safe_state(psu, sent):
    psu.ch1.output.put(True)
    psu.safe_state()
    assert _without_checks(sent())[-1] == "OUTP OFF,(@1)"
    assert psu.ch1.output.get() is False
