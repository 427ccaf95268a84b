"""Digital multimeters: Keysight 34461A style (``MEAS:VOLT:DC?`` and friends).

Each measurement is one ``MEAS...?`` query (the meter configures itself,
triggers and returns the reading). ``dc_voltage`` is read with the device;
the others are 'omitted' from ``read()`` (a range change each would slow every
point) but can be read, plotted or monitored on their own, or given another
kind: ``dmm.dc_current.kind = 'hinted'``.

>>> dmm = Keysight34461A("TCPIP0::192.168.1.50::5025::SOCKET", name="dmm")
>>> dmm.dc_voltage.get()
4.9998
"""

from __future__ import annotations

from ._factories import scpi_measurement
from ._instrument import ScpiInstrument

__all__ = ["Keithley2000", "Keysight34461A"]


class Keysight34461A(ScpiInstrument):
    """Keysight (Agilent) 34461A and the 3446xA family."""

    model = "3446"

    dc_voltage = scpi_measurement("MEAS:VOLT:DC?", units="V")
    ac_voltage = scpi_measurement("MEAS:VOLT:AC?", units="V", kind="omitted")
    dc_current = scpi_measurement("MEAS:CURR:DC?", units="A", kind="omitted")
    ac_current = scpi_measurement("MEAS:CURR:AC?", units="A", kind="omitted")
    resistance = scpi_measurement("MEAS:RES?", units="Ohm", kind="omitted")
    resistance_4w = scpi_measurement("MEAS:FRES?", units="Ohm", kind="omitted")


class Keithley2000(ScpiInstrument):
    """Keithley 2000 series multimeters (rooted ``:MEAS:...?`` headers)."""

    model = "2000"

    dc_voltage = scpi_measurement(":MEAS:VOLT:DC?", units="V")
    ac_voltage = scpi_measurement(":MEAS:VOLT:AC?", units="V", kind="omitted")
    dc_current = scpi_measurement(":MEAS:CURR:DC?", units="A", kind="omitted")
    ac_current = scpi_measurement(":MEAS:CURR:AC?", units="A", kind="omitted")
    resistance = scpi_measurement(":MEAS:RES?", units="Ohm", kind="omitted")
    resistance_4w = scpi_measurement(":MEAS:FRES?", units="Ohm", kind="omitted")
