"""Multimeter drivers: one MEAS query per reading, exact strings against the profile."""

from __future__ import annotations

import pytest

from benchplan.devices.instruments import Keithley2000, Keysight34461A

K34461A = "TCPIP0::dmm34461a.sim::5025::SOCKET"
K2000 = "TCPIP0::k2000.sim::5025::SOCKET"


@pytest.fixture
def pool(sim_pool):
    return sim_pool("dmm")


def test_each_measurement_is_one_meas_query(pool, sent):
    dmm = Keysight34461A(K34461A, name="dmm", pool=pool)
    values = [dmm.dc_voltage.get(), dmm.ac_voltage.get(), dmm.dc_current.get(),
              dmm.ac_current.get(), dmm.resistance.get(), dmm.resistance_4w.get()]
    assert values == pytest.approx([4.99981234, 1.2e-3, 0.100012, 2e-5, 1000.23, 1000.01])
    assert sent() == ["*IDN?", "MEAS:VOLT:DC?", "MEAS:VOLT:AC?", "MEAS:CURR:DC?",
                      "MEAS:CURR:AC?", "MEAS:RES?", "MEAS:FRES?"]


def test_reading_the_dmm_reads_dc_voltage_only(pool, sent):
    dmm = Keysight34461A(K34461A, name="dmm", pool=pool)
    reading = dmm.read()
    assert list(reading) == ["dmm_dc_voltage"]
    assert reading["dmm_dc_voltage"]["value"] == pytest.approx(4.99981234)
    assert dmm.hints == {"fields": ["dmm_dc_voltage"]}
    assert sent()[-1] == "MEAS:VOLT:DC?"


def test_describe_gives_units(pool):
    dmm = Keysight34461A(K34461A, name="dmm", pool=pool)
    assert dmm.describe() == {"dmm_dc_voltage": {
        "dtype": "number", "dtype_numpy": "<f8", "shape": [], "units": "V",
        "source": f"visa://{K34461A}/MEAS:VOLT:DC?",
    }}
    assert dmm.resistance.describe()["dmm_resistance"]["units"] == "Ohm"


def test_another_measurement_can_be_made_part_of_the_reading(pool):
    dmm = Keysight34461A(K34461A, name="dmm", pool=pool)
    dmm.dc_current.kind = "hinted"
    dmm.invalidate_caches()
    assert list(dmm.read()) == ["dmm_dc_voltage", "dmm_dc_current"]


def test_keithley_2000_uses_rooted_headers(pool, sent):
    dmm = Keithley2000(K2000, name="k2000", pool=pool)
    assert dmm.dc_voltage.get() == pytest.approx(4.9997)
    assert dmm.resistance_4w.get() == pytest.approx(1000.02)
    assert sent() == ["*IDN?", ":MEAS:VOLT:DC?", ":MEAS:FRES?"]


def test_a_dmm_is_read_only(pool):
    dmm = Keysight34461A(K34461A, name="dmm", pool=pool)
    assert not hasattr(dmm.dc_voltage, "set")
    dmm.safe_state()  # no outputs: nothing to do
