"""Keithley 2281S-20-6: a power supply and a battery simulator on one output.

The two roles are two drivers on the same address; they share one VISA
session. Each switches the instrument's function (``:ENTR:FUNC POW`` or
``SIM``) before its commands when the instrument is in the other one (the
mode is cached per session, so it is sent only on a change). The firmware's
modes are exclusive: while one role holds the instrument (staged in a run,
polled by a subscription, or inside ``with driver.hold():``) the other role
fails fast with :class:`~benchplan.errors.ResourceInUse` naming the holder.

>>> supply = Keithley2281S("TCPIP0::192.168.1.30::5025::SOCKET", name="psu")
>>> supply.voltage.set(3.7).wait()
>>> supply.output.set(True).wait()
>>> supply.close()
>>> battery = Keithley2281SBattery("TCPIP0::192.168.1.30::5025::SOCKET", name="batt")
>>> battery.model.set("LI-ION4_2").wait()
>>> battery.soc.set(80).wait()
>>> battery.terminal_voltage.get()
4.02
"""

from __future__ import annotations

from ._factories import (
    scpi_choice,
    scpi_control,
    scpi_measurement,
    scpi_setting,
    scpi_status,
)
from ._instrument import ScpiInstrument
from ._safety import scpi_output
from ._validators import in_range, one_of

__all__ = ["BATTERY_MODELS", "Keithley2281S", "Keithley2281SBattery"]

#: What ``:BATT:MOD:RCL`` accepts: a saved model slot or a built-in model.
BATTERY_MODELS = (
    *range(1, 10), "LI-ION4_2", "NIMH1_2", "NICD1_2", "LEAD-ACID12", "NIMH12",
)


class Keithley2281S(ScpiInstrument):
    """The 2281S in its power-supply role (``:ENTR:FUNC POW``): 0-20 V, 0-6.1 A."""

    role = "power-supply"
    mode = (":ENTR:FUNC", ":ENTR:FUNC POW")
    model = "2281S"

    voltage = scpi_control(":SOUR1:VOLT?", ":SOUR1:VOLT {:g}",
                           validator=in_range(0, 20, units="V"), units="V")
    current = scpi_control(":SOUR1:CURR?", ":SOUR1:CURR {:g}",
                           validator=in_range(0, 6.1, units="A"), units="A")
    ovp = scpi_control(":SOUR1:VOLT:PROT?", ":SOUR1:VOLT:PROT {:g}",
                       validator=in_range(0.5, 21, units="V"), units="V", kind="config")
    ocp = scpi_control(":SOUR1:CURR:PROT?", ":SOUR1:CURR:PROT {:g}",
                       validator=in_range(0.1, 6.1, units="A"), units="A", kind="config")
    output = scpi_output(":OUTP?", ":OUTP {}")
    protection_tripped = scpi_status(":OUTP:PROT:TRIP?", kind="omitted")
    measured_voltage = scpi_measurement(":MEAS:VOLT?", units="V")
    measured_current = scpi_measurement(":MEAS:CURR?", units="A")

    def clear_protection(self) -> None:
        """Clear a tripped OVP/OCP (``:OUTP:PROT:CLE``)."""
        self.write(":OUTP:PROT:CLE")


class Keithley2281SBattery(ScpiInstrument):
    """The 2281S in its battery-simulator role (``:ENTR:FUNC SIM``)."""

    role = "battery-simulator"
    mode = (":ENTR:FUNC", ":ENTR:FUNC SIM")
    model = "2281S"

    model_recall = scpi_setting(":BATT:MOD:RCL {}", one_of(*BATTERY_MODELS))
    method = scpi_choice(":BATT:SIM:METH?", ":BATT:SIM:METH {}", one_of("DYNAMIC", "STATIC"))
    soc = scpi_control(":BATT:SIM:SOC?", ":BATT:SIM:SOC {:g}",
                       validator=in_range(0, 100, units="%"), units="%")
    capacity_limit = scpi_control(":BATT:SIM:CAP:LIM?", ":BATT:SIM:CAP:LIM {:g}",
                                  validator=in_range(0.001, 99, units="Ah"), units="Ah",
                                  kind="config")
    current_limit = scpi_control(":BATT:SIM:CURR:LIM?", ":BATT:SIM:CURR:LIM {:g}",
                                 validator=in_range(0, 6.1, units="A"), units="A",
                                 kind="config")
    resistance_offset = scpi_control(":BATT:SIM:RES:OFFS?", ":BATT:SIM:RES:OFFS {:g}",
                                     validator=in_range(-100, 100, units="Ohm"),
                                     units="Ohm", kind="config")
    output = scpi_output(":BATT:OUTP?", ":BATT:OUTP {}")
    terminal_voltage = scpi_measurement(":BATT:SIM:TVOL?", units="V")
    measured_current = scpi_measurement(":BATT:SIM:CURR?", units="A")
    capacity = scpi_measurement(":BATT:SIM:CAP?", units="Ah")
    open_circuit_voltage = scpi_measurement(":BATT:SIM:VOC?", units="V", kind="normal")
    resistance = scpi_measurement(":BATT:SIM:RES?", units="Ohm", kind="normal")
    state = scpi_status(":BATT:STAT?", kind="omitted")
