"""Rigol DP800 power supplies (DP832, DP821): one device per channel.

>>> psu = RigolDP832("TCPIP0::192.168.1.20::5555::SOCKET", name="psu")
>>> psu.ch1.voltage.set(5.0).wait()
>>> psu.ch1.output.set(True).wait()
>>> psu.ch1.measured_current.get()
0.012
"""

from __future__ import annotations

from ._factories import scpi_array, scpi_control, scpi_measurement, scpi_status, scpi_switch
from ._instrument import ScpiChannel, ScpiInstrument
from ._safety import scpi_output
from ._validators import in_range, rated

__all__ = ["RigolDP800Channel", "RigolDP821", "RigolDP832"]


class RigolDP800Channel(ScpiChannel):
    """One output of a DP800: setpoints, output, OVP/OCP and readings."""

    voltage = scpi_control(":SOUR{ch}:VOLT?", ":SOUR{ch}:VOLT {:g}",
                           validator=in_range(0, rated("voltage"), units="V"), units="V")
    current = scpi_control(":SOUR{ch}:CURR?", ":SOUR{ch}:CURR {:g}",
                           validator=in_range(0, rated("current"), units="A"), units="A")
    output = scpi_output(":OUTP? CH{ch}", ":OUTP CH{ch},{}")
    ovp = scpi_control(":OUTP:OVP:VAL? CH{ch}", ":OUTP:OVP:VAL CH{ch},{:g}",
                       validator=in_range(0.01, rated("ovp"), units="V"), units="V", kind="config")
    ovp_enabled = scpi_switch(":OUTP:OVP? CH{ch}", ":OUTP:OVP CH{ch},{}")
    ocp = scpi_control(":OUTP:OCP:VAL? CH{ch}", ":OUTP:OCP:VAL CH{ch},{:g}",
                       validator=in_range(0.001, rated("ocp"), units="A"), units="A", kind="config")
    ocp_enabled = scpi_switch(":OUTP:OCP? CH{ch}", ":OUTP:OCP CH{ch},{}")
    ovp_tripped = scpi_status(":OUTP:OVP:ALAR? CH{ch}", kind="omitted")
    ocp_tripped = scpi_status(":OUTP:OCP:ALAR? CH{ch}", kind="omitted")
    regulation = scpi_status(":OUTP:MODE? CH{ch}", kind="omitted")
    measured_voltage = scpi_measurement(":MEAS:VOLT? CH{ch}", units="V")
    measured_current = scpi_measurement(":MEAS:CURR? CH{ch}", units="A")
    measured_power = scpi_measurement(":MEAS:POWE? CH{ch}", units="W", kind="normal")
    measured_all = scpi_array(":MEAS:ALL? CH{ch}", length=3, kind="omitted")

    def clear_protection(self) -> None:
        """Clear a tripped OVP or OCP so the output can be switched on again."""
        self.connection().write(f":OUTP:OVP:CLEAR CH{self.channel}")
        self.connection().write(f":OUTP:OCP:CLEAR CH{self.channel}")


class RigolDP832(ScpiInstrument):
    """Rigol DP832/DP832A: CH1, CH2 30 V / 3 A; CH3 5 V / 3 A.

    Each channel is a device (``psu.ch1`` ...), named ``{name}_ch1``.
    """

    model = "DP83"
    channel_type = RigolDP800Channel
    channels = {
        1: {"voltage": 30.0, "current": 3.0, "ovp": 33.0, "ocp": 3.3},
        2: {"voltage": 30.0, "current": 3.0, "ovp": 33.0, "ocp": 3.3},
        3: {"voltage": 5.0, "current": 3.0, "ovp": 5.5, "ocp": 3.3},
    }
    ch1: RigolDP800Channel
    ch2: RigolDP800Channel
    ch3: RigolDP800Channel


class RigolDP821(ScpiInstrument):
    """Rigol DP821/DP821A: CH1 60 V / 1 A; CH2 8 V / 10 A."""

    model = "DP821"
    channel_type = RigolDP800Channel
    channels = {
        1: {"voltage": 60.0, "current": 1.0, "ovp": 66.0, "ocp": 1.1},
        2: {"voltage": 8.0, "current": 10.0, "ovp": 8.8, "ocp": 11.0},
    }
    ch1: RigolDP800Channel
    ch2: RigolDP800Channel
