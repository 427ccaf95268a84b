"""Every pyvisa and socket error leaves the transport as a benchplan error."""

from __future__ import annotations

import inspect
import socket

import pytest
from pyvisa import errors as visa_errors
from pyvisa.constants import EventType, StatusCode

from benchplan.devices.visa import map_error, parse_scpi_error
from benchplan.devices.visa._errors import scpi_error
from benchplan.errors import (
    BenchplanError,
    InstrumentConnectionError,
    InstrumentError,
    InstrumentTimeout,
    ResourceInUse,
)

ADDRESS = "TCPIP0::10.0.0.7::5025::SOCKET"
COMMAND = ":MEAS:CURR?"

#: One instance of every exception class pyvisa.errors defines.
PYVISA_ERRORS = {
    visa_errors.Error: visa_errors.Error("generic"),
    visa_errors.VisaIOError: visa_errors.VisaIOError(StatusCode.error_io),
    visa_errors.VisaTypeError: visa_errors.VisaTypeError("bad type"),
    visa_errors.UnknownHandler: visa_errors.UnknownHandler(EventType.service_request, print, None),
    visa_errors.OSNotSupported: visa_errors.OSNotSupported("plan9"),
    visa_errors.InvalidBinaryFormat: visa_errors.InvalidBinaryFormat("x"),
    visa_errors.InvalidSession: visa_errors.InvalidSession(),
    visa_errors.LibraryError: visa_errors.LibraryError("libvisa.so not found"),
}

SOCKET_ERRORS = [
    (ConnectionRefusedError(111, "Connection refused"), InstrumentConnectionError),
    (ConnectionResetError(104, "Connection reset by peer"), InstrumentConnectionError),
    (ConnectionAbortedError(103, "Software caused connection abort"), InstrumentConnectionError),
    (BrokenPipeError(32, "Broken pipe"), InstrumentConnectionError),
    (socket.gaierror(-2, "Name or service not known"), InstrumentConnectionError),
    (socket.timeout("timed out"), InstrumentTimeout),
    (TimeoutError("timed out"), InstrumentTimeout),
    (OSError(113, "No route to host"), InstrumentConnectionError),
]


def _assert_names_address_and_command(err: BaseException) -> None:
    assert ADDRESS in str(err)
    assert COMMAND in str(err)
    if isinstance(err, InstrumentError):
        assert err.address == ADDRESS
        assert err.command == COMMAND


def test_the_table_covers_every_pyvisa_exception_class():
    defined = {
        cls
        for _, cls in inspect.getmembers(visa_errors, inspect.isclass)
        if issubclass(cls, Exception) and not issubclass(cls, Warning)
        and cls.__module__ == visa_errors.__name__
    }
    assert defined == set(PYVISA_ERRORS)


@pytest.mark.parametrize("exc", list(PYVISA_ERRORS.values()), ids=lambda e: type(e).__name__)
def test_every_pyvisa_exception_maps_to_a_benchplan_error(exc):
    err = map_error(exc, address=ADDRESS, command=COMMAND)
    assert isinstance(err, BenchplanError)
    _assert_names_address_and_command(err)


@pytest.mark.parametrize("code", [c for c in StatusCode if c < 0], ids=lambda c: c.name)
def test_every_visa_status_code_maps_to_a_benchplan_error(code):
    err = map_error(visa_errors.VisaIOError(code), address=ADDRESS, command=COMMAND)
    assert isinstance(err, (InstrumentError, ResourceInUse))
    _assert_names_address_and_command(err)


@pytest.mark.parametrize(("exc", "expected"), SOCKET_ERRORS, ids=lambda e: type(e).__name__)
def test_socket_errors_map_by_kind(exc, expected):
    err = map_error(exc, address=ADDRESS, command=COMMAND, timeout=2.0)
    assert type(err) is expected
    _assert_names_address_and_command(err)


def test_visa_timeout_is_instrument_timeout_naming_the_limit():
    err = map_error(
        visa_errors.VisaIOError(StatusCode.error_timeout), address=ADDRESS, command=COMMAND, timeout=2.5
    )
    assert isinstance(err, InstrumentTimeout)
    assert isinstance(err, TimeoutError)
    assert "timed out: no answer within 2.5 s" in str(err)


def test_connection_refused_says_nothing_listens():
    err = map_error(ConnectionRefusedError(111, "refused"), address=ADDRESS, command="*IDN?")
    assert isinstance(err, ConnectionError)
    assert "connection refused, nothing listens at that host and port" in str(err)
    assert "Check the address" in str(err)


@pytest.mark.parametrize(
    "code", [StatusCode.error_resource_busy, StatusCode.error_resource_locked], ids=lambda c: c.name
)
def test_busy_and_locked_map_to_resource_in_use(code):
    err = map_error(visa_errors.VisaIOError(code), address=ADDRESS, command=COMMAND)
    assert isinstance(err, ResourceInUse)
    assert "another program" in str(err)


@pytest.mark.parametrize(
    "exc",
    [Exception("could not connect: [Errno -2] Name or service not known"),
     ValueError("Please install PySerial (>=3.0) to use this resource type.")],
    ids=["bare-exception", "missing-pyserial"],
)
def test_failures_while_opening_are_connection_errors(exc):
    err = map_error(exc, address=ADDRESS, command=None)
    assert isinstance(err, InstrumentConnectionError)
    assert f"Opening the instrument at {ADDRESS} failed" in str(err)
    assert str(exc) in str(err)


def test_an_unexpected_error_during_io_keeps_its_type_in_the_message():
    err = map_error(RuntimeError("boom"), address=ADDRESS, command=COMMAND)
    assert type(err) is InstrumentError
    assert "RuntimeError: boom" in str(err)


def test_undecodable_reply_is_an_instrument_error():
    try:
        b"\xff".decode()
    except UnicodeDecodeError as decode_error:
        err = map_error(decode_error, address=ADDRESS, command=COMMAND)
    assert type(err) is InstrumentError
    assert "the reply is not text" in str(err)


def test_benchplan_errors_pass_through_unchanged():
    original = InstrumentTimeout("already mapped", address=ADDRESS, command=COMMAND)
    assert map_error(original, address=ADDRESS, command=COMMAND) is original


@pytest.mark.parametrize(
    ("reply", "expected"),
    [('-222,"Data out of range"', (-222, "Data out of range")),
     ('+0,"No error"', (0, "No error")),
     ("0, No Error", (0, "No Error")),
     ('700,"Command not permitted in this mode"', (700, "Command not permitted in this mode"))],
)
def test_parse_scpi_error(reply, expected):
    assert parse_scpi_error(reply) == expected


def test_parse_scpi_error_rejects_other_text():
    with pytest.raises(ValueError, match="'4.998' is not a SYST:ERR\\? reply"):
        parse_scpi_error("4.998")


def test_scpi_error_names_code_command_address_and_the_rest_of_the_queue():
    err = scpi_error(
        [(700, "Command not permitted in this mode"), (-222, "Data out of range")],
        address=ADDRESS, command=":BATT:SIM:SOC 50",
    )
    assert err.code == 700
    assert err.command == ":BATT:SIM:SOC 50"
    assert err.address == ADDRESS
    text = str(err)
    assert f"The instrument at {ADDRESS} rejected ':BATT:SIM:SOC 50': error 700" in text
    assert "not valid in the instrument's current mode" in text
    assert 'Also in its error queue: -222, "Data out of range"' in text
