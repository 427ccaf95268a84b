"""Instrument drivers and the factories and validators they are declared with.

A driver is created on an address and connects on first use, sharing the
address's VISA session with every other driver on it::

    from benchplan.devices.instruments import RigolDP832
    psu = RigolDP832("TCPIP0::192.168.1.20::5555::SOCKET", name="psu")
    RE(scan([psu.ch1.measured_current], psu.ch1.voltage, 0, 5, 11))
"""

from ._factories import (
    ScpiSignalRW,
    ScpiSignalSpec,
    scpi_array,
    scpi_choice,
    scpi_control,
    scpi_measurement,
    scpi_setting,
    scpi_status,
    scpi_switch,
)
from ._instrument import ScpiChannel, ScpiInstrument
from ._safety import outputs_on, scpi_output, switch_off_all
from ._sim import sim_profile
from ._validators import in_range, one_of, rated
from .dmm import Keithley2000, Keysight34461A
from .keithley_2281s import BATTERY_MODELS, Keithley2281S, Keithley2281SBattery
from .keysight_e36300 import KeysightE36300Channel, KeysightE36312A, KeysightE36313A
from .rigol_dp800 import RigolDP800Channel, RigolDP821, RigolDP832

__all__ = [
    "BATTERY_MODELS",
    "Keithley2000",
    "Keithley2281S",
    "Keithley2281SBattery",
    "Keysight34461A",
    "KeysightE36300Channel",
    "KeysightE36312A",
    "KeysightE36313A",
    "RigolDP800Channel",
    "RigolDP821",
    "RigolDP832",
    "ScpiChannel",
    "ScpiInstrument",
    "ScpiSignalRW",
    "ScpiSignalSpec",
    "in_range",
    "one_of",
    "outputs_on",
    "rated",
    "scpi_array",
    "scpi_choice",
    "scpi_control",
    "scpi_measurement",
    "scpi_output",
    "scpi_setting",
    "scpi_status",
    "scpi_switch",
    "sim_profile",
    "switch_off_all",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) or callable(_obj):
        _obj.__module__ = __name__
del _name, _obj
