"""Behaviour of the simulated instrument models (no TCP)."""

import pytest

from benchplan.devices.simbench import SimBench


@pytest.fixture
def bench(clock):
    return SimBench(
        {"dp832": "DP832", "dp821": "DP821", "e3": "E36312A", "k": "2281S", "dmm": "34461A"},
        clock=clock,
        load=10.0,
    )


def err(bench, name):
    return bench.send(name, "SYST:ERR?")


def q(bench, name, message):
    return float(bench.send(name, message))


# -- supplies: CV / CC ---------------------------------------------------------


def test_rigol_goes_from_cv_to_cc_when_the_load_asks_for_more_than_the_limit(bench):
    bench.send("dp832", ":APPL CH1,5,1;:OUTP CH1,ON")
    assert bench.send("dp832", ":MEAS:ALL? CH1") == "5.0000,0.5000,2.5000"
    assert bench.send("dp832", ":OUTP:MODE? CH1") == "CV"
    bench.send("dp832", ":SOUR1:CURR 0.2")  # 5 V into 10 ohm wants 0.5 A
    assert bench.send("dp832", ":OUTP:MODE? CH1") == "CC"
    assert q(bench, "dp832", ":MEAS:CURR? CH1") == pytest.approx(0.2)
    assert q(bench, "dp832", ":MEAS:VOLT? CH1") == pytest.approx(2.0)  # Ilim * R
    assert q(bench, "dp832", ":MEAS:POWE? CH1") == pytest.approx(0.4)


def test_output_off_reads_zero(bench):
    bench.send("dp832", ":APPL CH2,12,1")
    assert bench.send("dp832", ":OUTP? CH2") == "OFF"
    assert q(bench, "dp832", ":MEAS:VOLT? CH2") == 0.0


def test_selected_channel_is_used_when_none_is_named(bench):
    bench.send("dp832", ":INST:NSEL 3;:VOLT 3.3;:OUTP ON")
    assert bench.send("dp832", ":INST?") == "CH3"
    assert bench.send("dp832", ":APPL? CH3") == "CH3,3.300,3.0000"
    assert bench.send("dp832", ":OUTP? CH3") == "ON"
    bench.send("dp832", ":INST CH2")
    assert bench.send("dp832", ":INST:NSEL?") == "2"


def test_rigol_channel_ranges_differ_per_model(bench):
    bench.send("dp832", ":SOUR3:VOLT 6")  # CH3 is 5 V
    assert err(bench, "dp832").startswith("-222")
    bench.send("dp821", ":APPL CH1,60,1;:APPL CH2,8,10")
    assert err(bench, "dp821") == '0,"No error"'
    bench.send("dp821", ":APPL CH3,1,1")
    assert err(bench, "dp821").startswith("-224")


def test_rigol_ocp_trips_switches_off_and_needs_clearing(bench):
    bench.send("dp832", ":APPL CH1,5,1;:OUTP:OCP:VAL CH1,0.4;:OUTP:OCP CH1,ON")
    assert bench.send("dp832", ":OUTP:OCP? CH1;:OUTP:OCP:VAL? CH1") == "ON;0.4000"
    bench.send("dp832", ":OUTP CH1,ON")  # 0.5 A > 0.4 A
    assert bench.send("dp832", ":OUTP? CH1;:OUTP:OCP:ALAR? CH1") == "OFF;YES"
    bench.send("dp832", ":OUTP CH1,ON")
    assert err(bench, "dp832").startswith("-221")
    bench.send("dp832", ":OUTP:OCP:CLEAR CH1;:OUTP:OCP:VAL CH1,1;:OUTP CH1,ON")
    assert bench.send("dp832", ":OUTP? CH1;:OUTP:OCP:QUES? CH1") == "ON;NO"


def test_rigol_ovp_trips_when_the_setpoint_passes_its_level(bench):
    bench.send("dp832", ":OUTP:OVP:VAL CH2,6;:OUTP:OVP CH2,ON;:APPL CH2,5,1;:OUTP CH2,ON")
    assert bench.send("dp832", ":OUTP? CH2") == "ON"
    bench.send("dp832", ":SOUR2:VOLT 7")
    assert bench.send("dp832", ":OUTP? CH2;:OUTP:OVP:ALAR? CH2;:SOUR2:VOLT:PROT:QUES?") == "OFF;YES;YES"


def test_keysight_ocp_trips_on_entering_cc(bench):
    bench.send("e3", "VOLT 5,(@1);CURR 1,(@1);CURR:PROT:STAT ON,(@1);:OUTP ON,(@1)")
    assert bench.send("e3", "OUTP? (@1);CURR:PROT:TRIP? (@1)") == "1;0"
    bench.fault.set_load(1.0, "e3", channel=1)  # 5 A wanted, 1 A limit -> CC -> trip
    assert bench.send("e3", "OUTP? (@1);CURR:PROT:TRIP? (@1)") == "0;1"
    bench.send("e3", "OUTP:PROT:CLE (@1)")
    assert bench.send("e3", "CURR:PROT:TRIP? (@1)") == "0"


def test_keysight_measures_several_channels(bench):
    bench.send("e3", "APPL CH2,5,1;APPL CH3,8,1;OUTP ON,(@2,3)")
    assert bench.send("e3", "MEAS:VOLT? (@2,3)") == "+5.00000000E+00,+8.00000000E+00"
    assert bench.send("e3", "MEAS:CURR? (@2:3)") == "+5.00000000E-01,+8.00000000E-01"
    assert bench.send("e3", "OUTP? (@1:3)") == "0,1,1"
    assert bench.send("e3", "APPL? CH3") == "+8.00000000E+00,+1.00000000E+00"


# -- Keithley 2281S ------------------------------------------------------------


def test_2281s_power_mode_supply(bench):
    assert bench.send("k", ":ENTR:FUNC?") == "POWER"
    bench.send("k", ":SOUR1:VOLT 3.3;:SOUR1:CURR 1.5;:OUTP ON")
    assert bench.send("k", ":OUTP?") == "1"
    assert q(bench, "k", ":MEAS:VOLT?") == pytest.approx(3.3)
    assert q(bench, "k", ":MEAS:CURR?") == pytest.approx(0.33)
    assert bench.send("k", ":MEAS:CONC:DC?") == "+3.300000E-01A,+3.300000E+00V,+0.000000E+00s"


def test_2281s_ocp_trip_reads_back_as_ocp(bench):
    bench.send("k", ":SOUR1:VOLT 5;:SOUR1:CURR:PROT 0.3;:OUTP ON")
    assert bench.send("k", ":OUTP?;:OUTP:PROT:TRIP?") == "0;OCP"
    bench.send("k", ":OUTP:PROT:CLE")
    assert bench.send("k", ":OUTP:PROT:TRIP?") == "NONE"


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("SIM", ":SOUR1:VOLT 5"),
        ("SIM", ":OUTP ON"),
        ("TEST", ":OUTP:PROT:TRIP?"),
        ("POW", ":BATT:SIM:SOC 50"),
        ("POW", ":BATT:OUTP ON"),
        ("TEST", ":BATT:SIM:TVOL?"),
        ("SIM", ":BATT:TEST:VOLT 4"),
    ],
)
def test_2281s_commands_of_another_mode_fail_with_700(bench, mode, message):
    bench.send("k", f":ENTR:FUNC {mode}")
    assert bench.send("k", message) is None
    assert err(bench, "k") == '700,"Command not permitted in this mode"'


def test_2281s_mode_query_answers_long_forms_and_rejects_unknown_modes(bench):
    answers = [bench.send("k", f":ENTR:FUNC {m};:ENTR:FUNC?") for m in ("sim", "TEST", "POWer")]
    assert answers == ["SIMULATOR", "TEST", "POWER"]
    bench.send("k", ":ENTR:FUNC BATT")
    assert err(bench, "k").startswith("-224")


def test_2281s_mode_change_switches_the_output_off(bench):
    bench.send("k", ":SOUR1:VOLT 5;:OUTP ON;:ENTR:FUNC SIM;:ENTR:FUNC POW")
    assert bench.send("k", ":OUTP?") == "0"


def test_battery_terminal_voltage_is_voc_minus_ir(bench):
    bench.send("k", ":ENTR:FUNC SIM;:BATT:MOD:RCL LI-ION4_2;:BATT:SIM:SOC 50;:BATT:SIM:CURR:LIM 3;:BATT:OUTP ON")
    voc = q(bench, "k", ":BATT:SIM:VOC?")
    r = q(bench, "k", ":BATT:SIM:RES?")
    i = q(bench, "k", ":BATT:SIM:CURR?")
    v = q(bench, "k", ":BATT:SIM:TVOL?")
    assert 3.6 < voc < 3.8
    assert i == pytest.approx(voc / (10.0 + r), rel=1e-6)
    assert v == pytest.approx(voc - i * r, rel=1e-6)
    assert bench.send("k", ":BATT:STAT?") == "DISCHARGE"


def test_battery_current_limit_caps_the_discharge(bench):
    bench.fault.set_load(0.5, "k")
    bench.send("k", ":ENTR:FUNC SIM;:BATT:SIM:CURR:LIM 1;:BATT:OUTP ON")
    assert q(bench, "k", ":BATT:SIM:CURR?") == pytest.approx(1.0)
    assert q(bench, "k", ":BATT:SIM:TVOL?") == pytest.approx(0.5)


def test_battery_soc_drains_with_current_over_time(bench, clock):
    bench.send("k", ":ENTR:FUNC SIM;:BATT:SIM:CAP:LIM 1;:BATT:SIM:SOC 80;:BATT:OUTP ON")
    i = q(bench, "k", ":BATT:SIM:CURR?")
    clock.advance(360.0)  # 0.1 h
    soc = q(bench, "k", ":BATT:SIM:SOC?")
    assert soc == pytest.approx(80.0 - 100.0 * i * 0.1, rel=0.02)
    assert q(bench, "k", ":BATT:SIM:CAP?") == pytest.approx(soc / 100.0, rel=1e-6)


def test_battery_static_method_keeps_the_soc(bench, clock):
    bench.send("k", ":ENTR:FUNC SIM;:BATT:SIM:METH STAT;:BATT:SIM:SOC 60;:BATT:OUTP ON")
    clock.advance(3600.0)
    assert q(bench, "k", ":BATT:SIM:SOC?") == 60.0
    assert bench.send("k", ":BATT:SIM:METH?") == "STATIC"


def test_battery_capacity_limit_refused_while_output_on(bench):
    bench.send("k", ":ENTR:FUNC SIM;:BATT:OUTP ON;:BATT:SIM:CAP:LIM 2")
    assert err(bench, "k").startswith("704,")
    bench.send("k", ":BATT:SIM:CAP:LIM 100")
    assert err(bench, "k").startswith("-222")


def test_battery_voc_setpoint_moves_the_soc(bench):
    bench.send("k", ":ENTR:FUNC SIM;:BATT:MOD:RCL 4;:BATT:SIM:VOC 12.2")  # slot 4: lead-acid 12 V
    assert q(bench, "k", ":BATT:SIM:VOC?") == pytest.approx(12.2, abs=1e-6)
    assert q(bench, "k", ":BATT:SIM:SOC?") == pytest.approx(50.0, abs=1e-3)


def test_battery_model_upload_checks_length_and_order(bench):
    bench.send("k", ":ENTR:FUNC SIM")
    rising = ",".join(f"{3 + k / 100:.2f}" for k in range(101))
    bench.send("k", f':BATT:MOD7:VOC "{rising}"')
    assert err(bench, "k") == '0,"No error"'
    assert bench.send("k", ":BATT:MOD7:VOC?").split(",")[100] == "4"
    bench.send("k", ':BATT:MOD7:VOC "3.0,3.1"')
    assert err(bench, "k").startswith("702,")
    bench.send("k", f':BATT:MOD7:RES "{rising}"')  # resistance must not rise
    assert err(bench, "k").startswith("710,")


# -- DMM -------------------------------------------------------------------------


def test_dmm_reads_the_supply_output_across_its_load(bench):
    bench.send("dp832", ":APPL CH1,4,1;:OUTP CH1,ON")
    assert bench.send("dmm", "MEAS:VOLT:DC?") == "+4.00000000E+00"
    assert bench.send("dmm", "MEAS:CURR:DC?") == "+4.00000000E-01"
    assert bench.send("dmm", "MEAS:RES?") == "+1.00000000E+01"


def test_dmm_configure_then_read_or_init_fetch(bench):
    bench.send("dmm", 'SIM:NODE "dp832.ch2"')
    bench.send("dp832", ":APPL CH2,2.5,1;:OUTP CH2,ON")
    bench.send("dmm", "CONF:VOLT:DC 10;:SAMP:COUN 3")
    assert err(bench, "dmm") == '0,"No error"'
    assert bench.send("dmm", "CONF?") == '"VOLT +1.00000000E+01,+3.00000000E-06"'
    assert bench.send("dmm", "READ?") == ",".join(["+2.50000000E+00"] * 3)
    bench.send("dmm", "CONF:VOLT:DC")
    assert bench.send("dmm", "FETC?") is None  # CONF clears the readings
    assert err(bench, "dmm").startswith("-230")
    bench.send("dmm", "INIT")
    assert bench.send("dmm", "FETC?").count(",") == 2


def test_dmm_fixed_range_overloads(bench):
    bench.send("dp832", ":APPL CH1,5,1;:OUTP CH1,ON")
    assert bench.send("dmm", "MEAS:VOLT:DC? 1") == "+9.90000000E+37"
    assert bench.send("dmm", "MEAS:VOLT:DC? AUTO") == "+5.00000000E+00"


def test_dmm_noise_is_seeded(clock):
    def readings(seed):
        b = SimBench({"psu": "DP832", "dmm": "34461A"}, clock=clock, noise=1e-3, seed=seed)
        b.send("psu", ":APPL CH1,5,1;:OUTP CH1,ON")
        return [float(b.send("dmm", "MEAS:VOLT:DC?")) for _ in range(5)]

    first = readings(7)
    assert first == readings(7)
    assert first != readings(8)
    assert all(abs(v - 5.0) < 0.05 for v in first) and len(set(first)) == 5


def test_dmm_node_errors_name_the_problem(bench):
    bench.send("dmm", 'SIM:NODE "nope.ch1"')
    assert err(bench, "dmm").startswith("-224")
    with pytest.raises(KeyError, match="no instrument 'nope'"):
        bench.instrument("dmm").node = "nope"
    with pytest.raises(ValueError, match="'<instrument>.ch<n>'"):
        bench.instrument("dmm").node = "dp832.one"


def test_rst_restores_defaults_but_keeps_errors(bench):
    bench.send("dp832", ":APPL CH1,5,1;:OUTP CH1,ON;NOPE")
    bench.send("dp832", "*RST")
    assert bench.send("dp832", ":APPL? CH1;:OUTP? CH1") == "CH1,0.000,3.0000;OFF"
    assert err(bench, "dp832").startswith("-113")


def test_idn_names_maker_model_serial_firmware(bench):
    idns = [bench.send(n, "*IDN?").split(",") for n in ("dp832", "e3", "k", "dmm")]
    assert [i[:2] for i in idns] == [
        ["RIGOL TECHNOLOGIES", "DP832"],
        ["Keysight Technologies", "E36312A"],
        ["KEITHLEY INSTRUMENTS", "2281S-20-6"],
        ["Keysight Technologies", "34461A"],
    ]
    assert len({i[2] for i in idns}) == 4 and all(len(i) == 4 for i in idns)
