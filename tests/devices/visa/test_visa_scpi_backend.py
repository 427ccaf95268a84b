"""The SCPI signal backend: get is a query, put a checked write, subscribe polls."""

from __future__ import annotations

import logging
import threading

import pytest

from benchplan.devices import SignalR, SignalRW
from benchplan.devices.visa import ScpiBackend
from benchplan.errors import BenchplanError, ResourceInUse


def _in_range(value):
    if not 0 <= value <= 30:
        raise ValueError(f"{value} is outside [0, 30]")
    return float(value)


@pytest.fixture
def transport(pool, scpi_server):
    return pool.open(scpi_server.address, holder="psu", role="power-supply")


def _backend(transport, **kwargs):
    options = dict(
        address=transport.address, get_cmd="VOLT?", set_cmd="VOLT {:g}", parse=float,
        validator=_in_range, units="V", limits=(0, 30), poll_rate=200.0,
    )
    options.update(kwargs)
    return ScpiBackend(lambda: transport, **options)


def _wait_for(condition, timeout=10.0):
    event = threading.Event()
    for _ in range(int(timeout / 0.005)):
        if condition():
            return True
        event.wait(0.005)
    return condition()


def test_get_queries_and_parses(transport, scpi_server):
    scpi_server.replies["VOLT?"] = "+5.000000E+00"
    value, timestamp = _backend(transport).get()
    assert value == 5.0
    assert timestamp > 1e9


def test_put_writes_the_formatted_command_and_checks_errors(transport, scpi_server):
    _backend(transport).put(3.3)
    assert scpi_server.received[-2:] == ["VOLT 3.3", "SYST:ERR?"]


def test_put_rejects_a_bad_value_before_sending_anything(transport, scpi_server):
    before = list(scpi_server.received)
    with pytest.raises(ValueError, match=r"40 is outside \[0, 30\]"):
        _backend(transport).put(40)
    assert scpi_server.received == before


def test_signal_set_names_the_signal_and_sends_nothing(transport, scpi_server):
    signal = SignalRW(_backend(transport), "psu_voltage")
    before = list(scpi_server.received)
    with pytest.raises(ValueError, match=r"Cannot set 'psu_voltage' to 40: 40 is outside \[0, 30\]"):
        signal.set(40)
    assert scpi_server.received == before


def test_signal_set_returns_a_status_done_when_confirmed(transport, scpi_server):
    signal = SignalRW(_backend(transport), "psu_voltage")
    status = signal.set(12)
    status.wait(10)
    assert status.success
    assert scpi_server.received[-2:] == ["VOLT 12", "SYST:ERR?"]


def test_datakey_has_units_limits_and_source(transport):
    key = _backend(transport).datakey("psu_voltage")
    assert key == {
        "dtype": "number", "dtype_numpy": "<f8", "shape": [], "units": "V",
        "limits": {"control": {"low": 0, "high": 30}},
        "source": f"visa://{transport.address}/VOLT?",
    }


def test_read_only_signal_cannot_be_put(transport):
    backend = _backend(transport, set_cmd=None)
    with pytest.raises(TypeError, match="'VOLT\\?' at .* is read-only"):
        backend.put(1.0)


def test_a_reply_that_does_not_parse_names_the_command_and_the_reply(transport, scpi_server):
    scpi_server.replies["VOLT?"] = "OVERLOAD"
    with pytest.raises(BenchplanError, match="Reading 'VOLT\\?' from the instrument at .* gave 'OVERLOAD'"):
        _backend(transport).get()


def test_a_write_only_setting_reads_back_the_text_last_sent(transport, scpi_server):
    backend = _backend(transport, get_cmd=None, set_cmd=":BATT:MOD:RCL {}", parse=str,
                       validator=None, to_text=str, initial="")
    assert backend.get()[0] == ""
    backend.put("LI-ION4_2")
    assert backend.get()[0] == "LI-ION4_2"
    assert backend.source("x") == f"visa://{transport.address}/:BATT:MOD:RCL"
    assert scpi_server.received[-2:] == [":BATT:MOD:RCL LI-ION4_2", "SYST:ERR?"]


def test_a_backend_needs_a_command():
    with pytest.raises(ValueError, match="needs a get command, a set command, or both"):
        ScpiBackend(lambda: None, address="x", get_cmd=None, set_cmd=None, parse=float)


def test_subscribe_polls_and_pushes_changes_only(transport, scpi_server):
    scpi_server.replies["MEAS:CURR?"] = "0.5"
    backend = _backend(transport, get_cmd="MEAS:CURR?", set_cmd=None)
    updates = []
    backend.subscribe(lambda value, timestamp: updates.append(value))
    assert _wait_for(lambda: scpi_server.received.count("MEAS:CURR?") >= 5)
    assert updates == [0.5]
    scpi_server.replies["MEAS:CURR?"] = "1.7"
    assert _wait_for(lambda: updates == [0.5, 1.7])
    backend.subscribe(None)
    assert _wait_for(lambda: transport.session.poller.jobs == 0)


def test_signal_subscription_polls_through_the_backend(transport, scpi_server):
    scpi_server.replies["MEAS:CURR?"] = "0.5"
    signal = SignalR(_backend(transport, get_cmd="MEAS:CURR?", set_cmd=None), "psu_measured_current")
    seen = []
    token = signal.subscribe(lambda value, **kwargs: seen.append(value))
    scpi_server.replies["MEAS:CURR?"] = "1.6"
    assert _wait_for(lambda: seen[-1:] == [1.6])
    signal.clear_sub(token)
    assert _wait_for(lambda: transport.session.poller.jobs == 0)


def test_a_subscription_holds_the_role(pool, transport, scpi_server):
    scpi_server.replies["MEAS:CURR?"] = "0.5"
    backend = _backend(transport, get_cmd="MEAS:CURR?", set_cmd=None)
    backend.subscribe(lambda value, timestamp: None)
    battery = pool.open(scpi_server.address, holder="batt", role="battery-simulator")
    with pytest.raises(ResourceInUse, match="held in its power-supply role by 'psu'"):
        battery.claim()
    backend.subscribe(None)
    battery.claim()


def test_poll_failures_are_logged_once_and_recovery_too(transport, scpi_server, caplog):
    scpi_server.replies["MEAS:CURR?"] = "0.5"
    backend = _backend(transport, get_cmd="MEAS:CURR?", set_cmd=None)
    with caplog.at_level(logging.INFO, logger="benchplan.devices.visa._backend"):
        backend.subscribe(lambda value, timestamp: None)
        scpi_server.replies["MEAS:CURR?"] = "garbage"
        assert _wait_for(lambda: scpi_server.received.count("MEAS:CURR?") >= 6)
        scpi_server.replies["MEAS:CURR?"] = "0.6"
        assert _wait_for(lambda: "works again" in caplog.text)
        backend.subscribe(None)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Polling visa://" in warnings[0].getMessage()


def test_closing_the_transport_stops_its_polls(pool, scpi_server):
    scpi_server.replies["MEAS:CURR?"] = "0.5"
    keeper = pool.open(scpi_server.address, holder="dmm")  # keeps the session open
    transport = pool.open(scpi_server.address, holder="psu")
    backend = _backend(transport, get_cmd="MEAS:CURR?", set_cmd=None)
    backend.subscribe(lambda value, timestamp: None)
    transport.close()
    assert _wait_for(lambda: keeper.session.poller.jobs == 0)
    backend.subscribe(None)  # harmless after the close
