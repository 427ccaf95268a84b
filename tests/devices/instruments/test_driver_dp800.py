"""Rigol DP800 drivers: exact command strings against the pyvisa-sim profile."""

from __future__ import annotations

import logging

import pytest

from benchplan.devices.instruments import RigolDP800Channel, RigolDP821, RigolDP832
from benchplan.errors import InstrumentError

DP832 = "TCPIP0::dp832.sim::5555::SOCKET"
DP821 = "TCPIP0::dp821.sim::5555::SOCKET"


@pytest.fixture
def psu(sim_pool):
    return RigolDP832(DP832, name="psu", pool=sim_pool("dp800"))


def _without_checks(commands):
    return [c for c in commands if c not in ("SYST:ERR?", "*IDN?")]


def test_one_device_per_channel_named_after_the_instrument(psu):
    assert list(psu.children) == ["ch1", "ch2", "ch3"]
    assert all(isinstance(ch, RigolDP800Channel) for ch in psu.children.values())
    assert psu.ch2.name == "psu_ch2"
    assert psu.ch2.voltage.name == "psu_ch2_voltage"
    assert psu.ch2.instrument is psu
    assert psu.ch2.channel == 2


def test_creating_the_driver_does_no_io(sim_pool, sent):
    pool = sim_pool("dp800")
    RigolDP832(DP832, name="psu", pool=pool)
    assert pool.addresses == []
    assert sent() == []


def test_setpoints_send_exact_commands_and_read_back(psu, sent):
    psu.ch2.voltage.set(12.5).wait(5)
    psu.ch2.current.set(0.25).wait(5)
    assert _without_checks(sent()) == [":SOUR2:VOLT 12.5", ":SOUR2:CURR 0.25"]
    assert psu.ch2.voltage.get() == 12.5
    assert psu.ch2.current.get() == 0.25
    assert psu.ch1.voltage.get() == 0.0
    assert _without_checks(sent())[2:] == [":SOUR2:VOLT?", ":SOUR2:CURR?", ":SOUR1:VOLT?"]


def test_each_setpoint_is_confirmed_through_the_error_queue(psu, sent):
    psu.ch1.voltage.put(5)
    assert sent() == ["*IDN?", ":SOUR1:VOLT 5", "SYST:ERR?"]


def test_output_switch(psu, sent):
    psu.ch3.output.set(True).wait(5)
    assert psu.ch3.output.get() is True
    psu.ch3.output.set(False).wait(5)
    assert psu.ch3.output.get() is False
    assert _without_checks(sent()) == [":OUTP CH3,ON", ":OUTP? CH3", ":OUTP CH3,OFF", ":OUTP? CH3"]


def test_protection_settings_and_alarms(psu, sent):
    ch = psu.ch1
    ch.ovp.put(12)
    ch.ovp_enabled.put(True)
    ch.ocp.put(1.5)
    ch.ocp_enabled.put(True)
    assert (ch.ovp.get(), ch.ovp_enabled.get(), ch.ocp.get(), ch.ocp_enabled.get()) == (12.0, True, 1.5, True)
    assert (ch.ovp_tripped.get(), ch.ocp_tripped.get()) == ("NO", "NO")
    ch.clear_protection()
    assert _without_checks(sent()) == [
        ":OUTP:OVP:VAL CH1,12", ":OUTP:OVP CH1,ON", ":OUTP:OCP:VAL CH1,1.5", ":OUTP:OCP CH1,ON",
        ":OUTP:OVP:VAL? CH1", ":OUTP:OVP? CH1", ":OUTP:OCP:VAL? CH1", ":OUTP:OCP? CH1",
        ":OUTP:OVP:ALAR? CH1", ":OUTP:OCP:ALAR? CH1",
        ":OUTP:OVP:CLEAR CH1", ":OUTP:OCP:CLEAR CH1",
    ]


def test_readings(psu, sent):
    ch = psu.ch2
    assert ch.measured_voltage.get() == 4.998
    assert ch.measured_current.get() == 0.502
    assert ch.measured_power.get() == 2.509
    assert ch.measured_all.get() == [4.998, 0.502, 2.509]
    assert ch.regulation.get() == "CV"
    assert _without_checks(sent()) == [
        ":MEAS:VOLT? CH2", ":MEAS:CURR? CH2", ":MEAS:POWE? CH2", ":MEAS:ALL? CH2", ":OUTP:MODE? CH2",
    ]


def test_read_and_configuration_of_a_channel(psu):
    assert list(psu.ch1.read()) == [
        "psu_ch1_voltage", "psu_ch1_current",
        "psu_ch1_measured_voltage", "psu_ch1_measured_current", "psu_ch1_measured_power",
    ]
    assert list(psu.ch1.read_configuration()) == [
        "psu_ch1_output", "psu_ch1_ovp", "psu_ch1_ovp_enabled", "psu_ch1_ocp", "psu_ch1_ocp_enabled",
    ]
    assert psu.ch1.hints == {"fields": ["psu_ch1_measured_voltage", "psu_ch1_measured_current"]}


def test_describe_has_units_and_per_channel_limits(psu):
    ch1 = psu.ch1.describe()
    assert ch1["psu_ch1_voltage"]["units"] == "V"
    assert ch1["psu_ch1_voltage"]["limits"] == {"control": {"low": 0.0, "high": 30.0}}
    assert ch1["psu_ch1_current"]["limits"] == {"control": {"low": 0.0, "high": 3.0}}
    assert ch1["psu_ch1_measured_current"]["units"] == "A"
    assert ch1["psu_ch1_measured_current"]["source"] == f"visa://{DP832}/:MEAS:CURR? CH1"
    assert psu.ch3.describe()["psu_ch3_voltage"]["limits"] == {"control": {"low": 0.0, "high": 5.0}}
    assert psu.ch1.describe_configuration()["psu_ch1_output"]["dtype"] == "boolean"


def test_out_of_range_setpoint_is_rejected_before_anything_is_sent(psu, sent):
    with pytest.raises(ValueError) as info:
        psu.ch3.voltage.set(6)
    assert str(info.value) == (
        "Cannot set 'psu_ch3_voltage' to 6: 6 V is outside the allowed range [0, 5] V; "
        "choose a value from 0 to 5."
    )
    with pytest.raises(ValueError, match="expected True or False"):
        psu.ch1.output.set("yes")
    with pytest.raises(ValueError, match="expected a number, got str 'five'"):
        psu.ch1.voltage.put("five")
    assert sent() == []


def test_dp821_channels_have_their_own_ratings(sim_pool, sent):
    psu = RigolDP821(DP821, name="psu2", pool=sim_pool("dp800"))
    assert list(psu.children) == ["ch1", "ch2"]
    psu.ch1.voltage.put(55)
    psu.ch2.current.put(9.5)
    with pytest.raises(ValueError, match=r"outside the allowed range \[0, 8\] V"):
        psu.ch2.voltage.put(9)
    assert _without_checks(sent()) == [":SOUR1:VOLT 55", ":SOUR2:CURR 9.5"]


def test_safe_state_switches_off_only_outputs_benchplan_switched_on(psu, sent):
    psu.ch1.output.put(True)
    psu.ch2.output.put(True)
    psu.ch2.output.put(False)
    psu.ch3.output.put(True)
    before = len(sent())
    psu.safe_state()
    assert _without_checks(sent()[before:]) == [":OUTP CH1,OFF", ":OUTP CH3,OFF"]
    psu.safe_state()  # nothing left to do
    assert _without_checks(sent()[before:]) == [":OUTP CH1,OFF", ":OUTP CH3,OFF"]


def test_a_channels_safe_state_switches_off_that_channel(psu, sent):
    psu.ch1.output.put(True)
    psu.ch2.output.put(True)
    psu.ch2.safe_state()
    assert psu.ch1.output.backend.switched_on
    assert not psu.ch2.output.backend.switched_on
    assert _without_checks(sent())[-1] == ":OUTP CH2,OFF"


def test_safe_off_false_leaves_outputs_on(sim_pool, sent):
    psu = RigolDP832(DP832, name="psu", pool=sim_pool("dp800"), safe_off=False)
    psu.ch1.output.put(True)
    psu.safe_state()
    assert psu.ch1.output.get() is True
    psu.ch1.output.put(False)


def test_a_command_outside_the_profile_fails_its_test(psu):
    with pytest.raises(InstrumentError, match="rejected ':SOUR1:VOLTAGEX 5': error -113"):
        psu.write(":SOUR1:VOLTAGEX 5")


def test_a_driver_on_the_wrong_model_is_logged(sim_pool, caplog):
    psu = RigolDP832(DP821, name="psu", pool=sim_pool("dp800"))
    with caplog.at_level(logging.WARNING, logger="benchplan.devices.instruments._instrument"):
        psu.connect()
    assert "RigolDP832 'psu' expects a DP83 at TCPIP0::dp821.sim::5555::SOCKET" in caplog.text


def test_closing_a_polled_driver_warns_that_polling_stops(psu, caplog):
    token = psu.ch1.measured_current.subscribe(lambda value, **kwargs: None)
    with caplog.at_level(logging.WARNING, logger="benchplan.devices.instruments._instrument"):
        psu.close()
    assert "Closing 'psu' stops polling psu_ch1_measured_current" in caplog.text
    assert not psu.ch1.measured_current.backend.polling
    psu.ch1.measured_current.clear_sub(token)


def test_a_setpoints_safe_state_is_its_channels(psu, sent):
    psu.ch1.output.put(True)
    psu.ch2.output.put(True)
    psu.ch1.voltage.safe_state()  # what the RunEngine calls on halt for a moved setpoint
    assert not psu.ch1.output.backend.switched_on
    assert psu.ch2.output.backend.switched_on
    assert _without_checks(sent())[-1] == ":OUTP CH1,OFF"
