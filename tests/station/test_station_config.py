"""Station files: parsing, and every malformation reported with the file, the line and
what was expected."""

from __future__ import annotations

import pytest

from benchplan.devices.instruments import Keithley2281S, Keysight34461A, RigolDP832
from benchplan.errors import BenchplanError
from benchplan.station import StationConfigError, load_station

GOOD = """
name: bench-a
description: charger bench
instruments:
  psu:
    driver: RigolDP832
    address: TCPIP0::192.168.1.20::5555::SOCKET
    options:
      timeout: 5
      poll_rate: 20
  vbat:
    driver: RigolDP832
    address: TCPIP::192.168.1.20::5555::SOCKET
    channel: ch2
  supply:
    driver: benchplan.devices.instruments.Keithley2281S
    sim: true
  dmm:
    driver: Keysight34461A
    sim: 34461A
"""


@pytest.fixture
def load(tmp_path, write_file):
    def load_text(text: str):
        return load_station(write_file(tmp_path / "stations" / "bench.yaml", text))

    return load_text


def problem(load, text: str) -> StationConfigError:
    with pytest.raises(StationConfigError) as info:
        load(text)
    return info.value


def test_a_good_file_gives_roles_in_file_order_with_their_drivers(load):
    config = load(GOOD)
    assert config.name == "bench-a"
    assert config.description == "charger bench"
    assert list(config.roles) == ["psu", "vbat", "supply", "dmm"]
    psu, vbat, supply, dmm = config.roles.values()
    assert psu.driver is RigolDP832 and dict(psu.options) == {"timeout": 5, "poll_rate": 20}
    assert (vbat.channel, vbat.line) == (2, 10)
    assert supply.driver is Keithley2281S and supply.address is None and supply.sim_model() == "2281S"
    assert dmm.driver is Keysight34461A and dmm.sim_model() == "34461A"


def test_the_name_defaults_to_the_file_name(load):
    assert load("instruments: {}").name == "bench"


def test_invalid_yaml_gives_the_line_of_the_syntax_error(load):
    err = problem(load, "instruments:\n  psu:\n    driver: RigolDP832\n   address: [oops\n")
    assert err.line == 4
    assert "bench.yaml, line 4" in str(err) and "not valid YAML" in str(err)


def test_an_unknown_driver_lists_the_known_ones_and_suggests_the_closest(load):
    err = problem(load, """
instruments:
  psu:
    driver: RigolDP8321
    address: TCPIP0::1.2.3.4::5555::SOCKET
""")
    text = str(err)
    assert err.line == 3
    assert "unknown driver 'RigolDP8321' (did you mean RigolDP832?)" in text
    for name in ("Keithley2000", "Keithley2281S", "Keysight34461A", "KeysightE36312A", "RigolDP832"):
        assert name in text
    assert isinstance(err, BenchplanError) and isinstance(err, ValueError)


def test_a_missing_address_names_the_role_and_its_line(load):
    err = problem(load, """
instruments:
  dmm:
    driver: Keysight34461A
    address: TCPIP0::1.2.3.4::5025::SOCKET
  psu:
    driver: RigolDP832
""")
    assert err.line == 5
    assert "role 'psu' has no address" in str(err) and "'sim: true'" in str(err)


@pytest.mark.parametrize(
    ("channel", "expected"),
    [("4", "channel 4 does not exist on RigolDP832; expected one of 1, 2, 3"),
     ("two", "channel 'two' does not exist on RigolDP832; expected one of 1, 2, 3")],
)
def test_a_bad_channel_lists_the_instruments_channels(load, channel, expected):
    err = problem(load, f"""
instruments:
  psu:
    driver: RigolDP832
    address: TCPIP0::1.2.3.4::5555::SOCKET
    channel: {channel}
""")
    assert err.line == 5 and expected in str(err)


def test_a_channel_on_a_single_output_instrument_is_refused(load):
    err = problem(load, """
instruments:
  dmm:
    driver: Keysight34461A
    address: TCPIP0::1.2.3.4::5025::SOCKET
    channel: 1
""")
    assert err.line == 5 and "Keysight34461A has no channels" in str(err)


def test_a_misspelt_entry_suggests_the_right_one(load):
    err = problem(load, """
instruments:
  psu:
    driver: RigolDP832
    adress: TCPIP0::1.2.3.4::5555::SOCKET
""")
    assert err.line == 4
    assert "unknown entry 'adress'" in str(err) and "did you mean 'address'?" in str(err)


def test_an_option_the_driver_does_not_take_lists_those_it_does(load):
    err = problem(load, """
instruments:
  psu:
    driver: RigolDP832
    address: TCPIP0::1.2.3.4::5555::SOCKET
    options:
      timeout: 2
      polling: 5
""")
    assert err.line == 7 and "unknown entry 'polling'" in str(err) and "poll_rate" in str(err)


def test_address_in_the_options_points_to_the_role_entry(load):
    err = problem(load, """
instruments:
  psu:
    driver: RigolDP832
    address: TCPIP0::1.2.3.4::5555::SOCKET
    options: {address: X}
""")
    assert err.line == 5 and "the role's 'address:' entry" in str(err)


def test_a_role_given_twice_names_both_lines(load):
    err = problem(load, """
instruments:
  psu:
    driver: RigolDP832
    address: A
  psu:
    driver: RigolDP821
    address: B
""")
    assert err.line == 5 and "'psu' appears twice" in str(err) and "first on line 2" in str(err)


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [("", 1, "the file is empty"),
     ("- psu\n- dmm\n", 1, "the file is a list; expected a mapping"),
     ("description: x\n", 1, "no 'instruments:' section"),
     ("instruments:\n", 1, "the 'instruments' section is nothing; expected a mapping"),
     ("instruments: {}\nstations: 2\n", 2, "unknown entry 'stations' in the file"),
     ("instruments:\n  psu: RigolDP832\n", 2, "role 'psu' is 'RigolDP832'; expected a mapping"),
     ("instruments:\n  class:\n    driver: RigolDP832\n", 2, "role name 'class' cannot be used"),
     ("instruments:\n  items:\n    driver: RigolDP832\n", 2, "role name 'items' cannot be used"),
     ("instruments:\n  psu:\n    address: A\n", 2, "role 'psu' has no driver"),
     ("instruments:\n  psu:\n    driver: RigolDP832\n    sim: maybe\n", 4, "sim is 'maybe'"),
     ("instruments:\n  psu:\n    driver: [a]\n", 3, "found a list; expected a driver name")],
)
def test_each_malformation_gives_its_line_and_what_was_expected(load, text, line, expected):
    err = problem(load, text)
    assert err.line == line, str(err)
    assert expected in str(err)
    assert str(err).startswith(f"Malformed station file {err.path}, line {line}: ")


def test_a_dotted_driver_that_cannot_be_imported_says_so(load):
    err = problem(load, "instruments:\n  load:\n    driver: nowhere_pkg.drivers.Load\n    address: A\n")
    assert err.line == 3
    assert "cannot import the module of driver 'nowhere_pkg.drivers.Load'" in str(err)
    assert "ModuleNotFoundError" in str(err)


def test_a_dotted_driver_without_the_class_says_so(load):
    err = problem(load, "instruments:\n  load:\n    driver: benchplan.devices.Nothing\n    address: A\n")
    assert "benchplan.devices has no driver class 'Nothing'" in str(err)


def test_sim_true_on_a_driver_without_a_simulated_model_asks_for_one(load):
    err = problem(load, "instruments:\n  x:\n    driver: benchplan.devices.Device\n    sim: true\n")
    assert err.line == 4
    assert "no simulated model for Device" in str(err) and "'sim: MODEL'" in str(err)
    assert "DP832" in str(err)


def test_a_dotted_driver_with_an_explicit_model_can_be_simulated(load):
    config = load("instruments:\n  x:\n    driver: benchplan.devices.Device\n    sim: DP832\n")
    assert config.roles["x"].sim_model() == "DP832"
