"""An instrument that stops answering (or drops its connection) in the middle of a
plan: the run closes with exit_status 'fail' and an error naming the address, and
the driver works again once the instrument does."""

from __future__ import annotations

import pytest

from benchplan import RunEngine
from benchplan.callbacks import DocumentCollector
from benchplan.devices.instruments import Keysight34461A, RigolDP832
from benchplan.errors import (
    FailedStatus,
    InstrumentConnectionError,
    InstrumentError,
    InstrumentTimeout,
)
from benchplan.plans import scan


def _after_point(point, action):
    def callback(name, doc):
        if name == "event" and doc["seq_num"] == point:
            action()

    return callback


def _instrument_error(exc):
    """The instrument's error: raised by a reading, or the cause of a failed setpoint's status."""
    if isinstance(exc, FailedStatus):
        exc = exc.__cause__
    assert isinstance(exc, InstrumentError), repr(exc)
    return exc


def _scan(psu, dmm):
    return scan([dmm, psu.ch1.measured_current], psu.ch1.voltage, 0, 5, 6)


@pytest.fixture
def quick_psu(bench, pool):
    """The supply with a short I/O timeout, so a silent instrument fails fast."""
    return RigolDP832(bench.address("dp832"), name="psu", pool=pool, timeout=0.2)


@pytest.mark.parametrize(
    ("silent", "failure", "voltage_left"),
    [
        ("dp832", FailedStatus, 1.0),  # setting 2 V gets no answer (and is not executed)
        ("dmm", InstrumentTimeout, 2.0),  # the supply is at 2 V; reading the DMM gets none
    ],
)
def test_an_instrument_that_stops_answering_mid_plan_fails_the_run_naming_its_address(
    bench, pool, quick_psu, silent, failure, voltage_left
):
    dmm = Keysight34461A(bench.address("dmm"), name="dmm", pool=pool, timeout=0.2)
    address = bench.address(silent)
    docs = DocumentCollector()
    mute = _after_point(2, lambda: bench.fault.stop_answering(silent))
    with pytest.raises(failure) as info:
        RunEngine()(_scan(quick_psu, dmm), [docs, mute])

    error = _instrument_error(info.value)
    assert isinstance(error, InstrumentTimeout)
    assert error.address == address
    assert f"to the instrument at {address} timed out: no answer within 0.2 s" in str(error)
    assert address in str(info.value)
    assert docs.stop["exit_status"] == "fail"
    assert address in docs.stop["reason"]
    assert [e["seq_num"] for e in docs.events()] == [1, 2]

    bench.fault.resume_answering(silent)
    assert quick_psu.ch1.voltage.get() == voltage_left
    assert dmm.dc_voltage.get() == 0.0  # the output is off


def test_a_dropped_connection_mid_plan_fails_the_run_and_the_driver_reconnects(bench, pool, quick_psu, dmm):
    address = bench.address("dp832")
    docs = DocumentCollector()
    drop = _after_point(3, lambda: bench.fault.drop_connection("dp832"))
    with pytest.raises(FailedStatus) as info:
        RunEngine()(_scan(quick_psu, dmm), [docs, drop])

    error = _instrument_error(info.value)
    # a reset seen on the write, or the reply never coming
    assert isinstance(error, (InstrumentConnectionError, InstrumentTimeout))
    assert error.address == address
    assert f"to the instrument at {address}" in str(error)
    assert docs.stop["exit_status"] == "fail"
    assert address in docs.stop["reason"]
    assert [e["seq_num"] for e in docs.events()] == [1, 2, 3]

    docs = DocumentCollector()
    RunEngine()(_scan(quick_psu, dmm), docs)  # the next run reconnects
    assert docs.stop["exit_status"] == "success"
    assert docs.data("psu_ch1_voltage") == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
