"""Keithley 2281S drivers: both roles, exact commands, mode caching, role conflicts."""

from __future__ import annotations

import threading

import pytest

from benchplan.devices.instruments import Keithley2281S, Keithley2281SBattery
from benchplan.errors import ResourceInUse

ADDRESS = "TCPIP0::k2281s.sim::5025::SOCKET"


@pytest.fixture
def pool(sim_pool):
    return sim_pool("k2281s")


@pytest.fixture
def supply(pool):
    return Keithley2281S(ADDRESS, name="psu", pool=pool)


@pytest.fixture
def battery(pool):
    return Keithley2281SBattery(ADDRESS, name="batt", pool=pool)


def _without_checks(commands):
    return [c for c in commands if c not in ("SYST:ERR?", "*IDN?")]


def test_supply_commands(supply, sent):
    supply.voltage.put(3.7)
    supply.current.put(1.5)
    supply.ovp.put(5)
    supply.ocp.put(2)
    supply.output.put(True)
    assert (supply.voltage.get(), supply.current.get(), supply.ovp.get(), supply.ocp.get()) == (3.7, 1.5, 5.0, 2.0)
    assert supply.output.get() is True
    assert supply.measured_voltage.get() == pytest.approx(3.299153)
    assert supply.measured_current.get() == 1.5  # '+1.500000E+00A': the unit suffix is dropped
    assert supply.protection_tripped.get() == "NONE"
    supply.clear_protection()
    supply.output.put(False)
    assert _without_checks(sent()) == [
        ":ENTR:FUNC POW",
        ":SOUR1:VOLT 3.7", ":SOUR1:CURR 1.5", ":SOUR1:VOLT:PROT 5", ":SOUR1:CURR:PROT 2", ":OUTP ON",
        ":SOUR1:VOLT?", ":SOUR1:CURR?", ":SOUR1:VOLT:PROT?", ":SOUR1:CURR:PROT?", ":OUTP?",
        ":MEAS:VOLT?", ":MEAS:CURR?", ":OUTP:PROT:TRIP?", ":OUTP:PROT:CLE", ":OUTP OFF",
    ]


def test_battery_commands(battery, sent):
    battery.model_recall.put("li-ion4_2")
    battery.method.put("static")
    battery.soc.put(80)
    battery.capacity_limit.put(2.5)
    battery.current_limit.put(1)
    battery.resistance_offset.put(-0.5)
    battery.output.put(True)
    assert battery.model_recall.get() == "LI-ION4_2"
    assert (battery.method.get(), battery.soc.get(), battery.capacity_limit.get()) == ("STATIC", 80.0, 2.5)
    assert battery.output.get() is True
    assert battery.terminal_voltage.get() == 3.95
    assert battery.measured_current.get() == -0.25
    assert battery.capacity.get() == 1.8
    assert battery.open_circuit_voltage.get() == 4.01
    assert battery.resistance.get() == 0.12
    assert battery.state.get() == "DISCHARGE"
    battery.output.put(False)
    assert _without_checks(sent()) == [
        ":ENTR:FUNC SIM",
        ":BATT:MOD:RCL LI-ION4_2", ":BATT:SIM:METH STATIC", ":BATT:SIM:SOC 80",
        ":BATT:SIM:CAP:LIM 2.5", ":BATT:SIM:CURR:LIM 1", ":BATT:SIM:RES:OFFS -0.5", ":BATT:OUTP ON",
        ":BATT:SIM:METH?", ":BATT:SIM:SOC?", ":BATT:SIM:CAP:LIM?", ":BATT:OUTP?",
        ":BATT:SIM:TVOL?", ":BATT:SIM:CURR?", ":BATT:SIM:CAP?", ":BATT:SIM:VOC?", ":BATT:SIM:RES?",
        ":BATT:STAT?", ":BATT:OUTP OFF",
    ]


def test_bad_battery_settings_are_rejected_before_anything_is_sent(battery, sent):
    with pytest.raises(ValueError, match="'LIPO' is not one of the allowed values: 1, 2, .*'NIMH12'"):
        battery.model_recall.put("LIPO")
    with pytest.raises(ValueError, match=r"Cannot set 'batt_soc' to 120: 120 % is outside .*\[0, 100\] %"):
        battery.soc.set(120)
    with pytest.raises(ValueError, match=r"\[0.001, 99\] Ah"):
        battery.capacity_limit.set(0)
    assert sent() == []


def test_describe_gives_units_limits_and_choices(supply, battery):
    assert supply.describe()["psu_voltage"]["limits"] == {"control": {"low": 0.0, "high": 20.0}}
    assert supply.describe()["psu_measured_current"]["units"] == "A"
    config = battery.describe_configuration()
    assert config["batt_method"]["choices"] == ["DYNAMIC", "STATIC"]
    assert "LI-ION4_2" in config["batt_model_recall"]["choices"]
    assert battery.describe()["batt_soc"]["units"] == "%"


def test_both_roles_share_one_session(pool, supply, battery):
    supply.connect()
    battery.connect()
    assert pool.refcount(ADDRESS) == 2
    supply.close()
    assert battery.terminal_voltage.get() == 3.95
    battery.close()
    assert pool.addresses == []


def test_using_one_role_then_the_other_switches_the_mode_once_each_time(supply, battery, sent):
    supply.voltage.put(3.7)
    supply.voltage.get()
    battery.soc.put(50)
    battery.soc.get()
    supply.voltage.get()
    assert _without_checks(sent()) == [
        ":ENTR:FUNC POW", ":SOUR1:VOLT 3.7", ":SOUR1:VOLT?",
        ":ENTR:FUNC SIM", ":BATT:SIM:SOC 50", ":BATT:SIM:SOC?",
        ":ENTR:FUNC POW", ":SOUR1:VOLT?",
    ]


def test_a_staged_role_makes_the_other_fail_fast_naming_it(supply, battery, sent):
    supply.stage()
    with pytest.raises(ResourceInUse) as info:
        battery.stage()
    text = str(info.value)
    assert "in its battery-simulator role for 'batt'" in text
    assert "held in its power-supply role by 'psu'" in text
    assert "The instrument's modes are exclusive" in text
    before = list(sent())
    with pytest.raises(ResourceInUse, match="held in its power-supply role by 'psu'"):
        battery.soc.get()
    assert sent() == before
    supply.unstage()
    battery.stage()
    assert battery.soc.get() == 100.0
    battery.unstage()


def test_two_concurrent_users_of_different_roles_conflict(supply, battery):
    errors = []
    holding = threading.Event()
    done = threading.Event()

    def supply_user():
        with supply.hold():
            holding.set()
            done.wait(10)

    thread = threading.Thread(target=supply_user)
    thread.start()
    holding.wait(10)
    try:
        with battery.hold():
            pass
    except ResourceInUse as exc:
        errors.append(str(exc))
    done.set()
    thread.join()
    assert len(errors) == 1 and "modes are exclusive" in errors[0]
    with battery.hold():  # free again
        assert battery.state.get() == "DISCHARGE"


def test_a_polled_measurement_holds_the_role(supply, battery):
    token = supply.measured_current.subscribe(lambda value, **kwargs: None)
    with pytest.raises(ResourceInUse, match="power-supply role by 'psu'"):
        battery.stage()
    supply.measured_current.clear_sub(token)
    battery.stage()
    battery.unstage()


def test_safe_state_switches_off_the_battery_output(battery, sent):
    battery.output.put(True)
    battery.safe_state()
    assert battery.output.get() is False
    assert _without_checks(sent())[-2:] == [":BATT:OUTP OFF", ":BATT:OUTP?"]


def test_the_context_manager_holds_and_then_closes(pool, supply, battery):
    with supply as held:
        assert held is supply
        with pytest.raises(ResourceInUse):
            battery.stage()
    assert pool.refcount(ADDRESS) == 1  # the battery's connection is still open
    battery.stage()
    battery.unstage()
