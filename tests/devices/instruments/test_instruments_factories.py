"""Validators, reply parsers and the signal factories drivers are declared with."""

from __future__ import annotations

import math

import pytest

from benchplan.devices import SignalR, SignalRW
from benchplan.devices.instruments import (
    ScpiChannel,
    ScpiInstrument,
    ScpiSignalSpec,
    in_range,
    one_of,
    rated,
    scpi_control,
    scpi_measurement,
)
from benchplan.devices.instruments._validators import (
    parse_bool,
    parse_float,
    parse_floats,
    parse_str,
)


def test_in_range_accepts_the_ends_and_returns_floats():
    check = in_range(0, 30, units="V")
    assert check(0) == 0.0 and check(30) == 30.0
    assert type(check(5)) is float
    assert check.limits == (0.0, 30.0)


@pytest.mark.parametrize(
    ("value", "message"),
    [(30.5, "30.5 V is outside the allowed range [0, 30] V; choose a value from 0 to 30"),
     (-1, "-1 V is outside the allowed range [0, 30] V; choose a value from 0 to 30"),
     ("5", "expected a number, got str '5'"),
     (True, "expected a number, got bool True"),
     (math.nan, "NaN is not a value an instrument can be set to")],
)
def test_in_range_names_the_value_and_the_range(value, message):
    with pytest.raises(ValueError) as info:
        in_range(0, 30, units="V")(value)
    assert str(info.value) == message


def test_rated_limits_resolve_per_device_ratings():
    check = in_range(0, rated("voltage"), units="V")
    assert check.limits is None
    bound = check.bind({"voltage": 5.0})
    assert bound.limits == (0.0, 5.0)
    with pytest.raises(ValueError, match=r"\[0, 5\] V"):
        bound(6)
    with pytest.raises(TypeError, match="has no 'voltage' rating"):
        check.bind({"current": 3.0})
    with pytest.raises(TypeError, match="unresolved ratings"):
        check(1)
    assert repr(check) == "in_range(0, rated('voltage'))"


def test_one_of_matches_words_in_any_case_and_lists_the_choices():
    check = one_of("DYNAMIC", "STATIC", 3)
    assert check("static") == "STATIC"
    assert check(3) == 3
    assert check.choices == ["DYNAMIC", "STATIC", 3]
    with pytest.raises(ValueError, match="'FAST' is not one of the allowed values: 'DYNAMIC', 'STATIC', 3"):
        check("FAST")
    with pytest.raises(ValueError, match="True is not one of"):
        one_of(1, 2)(True)


@pytest.mark.parametrize(
    ("reply", "value"),
    [("4.998", 4.998), ("+1.500000E+00A", 1.5), ("CH1:5.000", 5.0), ("-2.5e-3", -0.0025), (" 7 ", 7.0)],
)
def test_parse_float(reply, value):
    assert parse_float(reply) == value


def test_parse_float_rejects_several_numbers_or_none():
    with pytest.raises(ValueError, match="is not one number"):
        parse_float("CH1,5.000,1.0000")
    with pytest.raises(ValueError, match="is not one number"):
        parse_float("CH1:30V/3A")
    with pytest.raises(ValueError, match="is not one number"):
        parse_float("OVERLOAD")


def test_other_parsers():
    assert parse_floats("5.000,1.000,5.000") == [5.0, 1.0, 5.0]
    assert [parse_bool(r) for r in ("1", "ON", "yes", "0", "off", "NO")] == [True] * 3 + [False] * 3
    with pytest.raises(ValueError, match="'MAYBE' is not an on/off reply"):
        parse_bool("MAYBE")
    assert parse_str(' "DC VOLT" ') == "DC VOLT"


class _Meter(ScpiInstrument):
    voltage = scpi_control("VOLT?", "VOLT {:g}", validator=in_range(0, 10), units="V")
    reading = scpi_measurement("READ?", units="V")


class _Quiet(_Meter):
    reading = None  # a subclass drops a declaration


def test_a_spec_on_the_class_is_the_declaration_and_on_the_instance_a_signal():
    assert isinstance(_Meter.voltage, ScpiSignalSpec)
    assert repr(_Meter.voltage) == "<ScpiSignalSpec voltage: VOLT?>"
    meter = _Meter("TCPIP0::10.0.0.1::5025::SOCKET", name="m")
    assert isinstance(meter.voltage, SignalRW)
    assert isinstance(meter.reading, SignalR) and not isinstance(meter.reading, SignalRW)
    assert list(meter.children) == ["voltage", "reading"]
    assert meter.voltage.kind == "normal" and meter.reading.kind == "hinted"


def test_a_subclass_can_drop_a_declaration():
    assert list(_Quiet("TCPIP0::10.0.0.1::5025::SOCKET", name="q").children) == ["voltage"]


def test_a_driver_that_skips_the_base_init_gets_a_clear_error():
    class Broken(ScpiInstrument):
        volts = scpi_measurement("MEAS?")

        def __init__(self):  # forgets super().__init__
            pass

    with pytest.raises(AttributeError, match="Broken.volts is not built yet"):
        Broken().volts  # noqa: B018


def test_the_poll_rate_reaches_every_signal():
    meter = _Meter("TCPIP0::10.0.0.1::5025::SOCKET", name="m", poll_rate=25.0)
    assert meter.reading.backend.poll_rate == 25.0


def test_a_channel_replaces_ch_in_its_commands():
    class Ch(ScpiChannel):
        volts = scpi_measurement("MEAS:VOLT? (@{ch})")

    class Supply(ScpiInstrument):
        channel_type = Ch
        channels = {1: {}, 2: {}}

    supply = Supply("TCPIP0::10.0.0.1::5025::SOCKET", name="s")
    assert supply.ch2.volts.backend.get_cmd == "MEAS:VOLT? (@2)"
    assert supply.ch1.volts.name == "s_ch1_volts"
