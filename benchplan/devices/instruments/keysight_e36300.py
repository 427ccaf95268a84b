"""Keysight E36300 triple-output supplies (E36312A, E36313A): channel lists ``(@n)``.

>>> psu = KeysightE36312A("TCPIP0::192.168.1.40::5025::SOCKET", name="psu")
>>> psu.ch2.voltage.set(12).wait()
>>> psu.ch2.output.set(True).wait()
"""

from __future__ import annotations

from ._factories import scpi_control, scpi_measurement, scpi_switch
from ._instrument import ScpiChannel, ScpiInstrument
from ._safety import scpi_output
from ._validators import in_range, rated

__all__ = ["KeysightE36300Channel", "KeysightE36312A", "KeysightE36313A"]


class KeysightE36300Channel(ScpiChannel):
    """One output of an E36300: setpoints, output, OVP, OCP and readings."""

    voltage = scpi_control("VOLT? (@{ch})", "VOLT {:g},(@{ch})",
                           validator=in_range(0, rated("voltage"), units="V"), units="V")
    current = scpi_control("CURR? (@{ch})", "CURR {:g},(@{ch})",
                           validator=in_range(0, rated("current"), units="A"), units="A")
    output = scpi_output("OUTP? (@{ch})", "OUTP {},(@{ch})")
    ovp = scpi_control("VOLT:PROT? (@{ch})", "VOLT:PROT {:g},(@{ch})",
                       validator=in_range(0, rated("ovp"), units="V"), units="V", kind="config")
    ocp_enabled = scpi_switch("CURR:PROT:STAT? (@{ch})", "CURR:PROT:STAT {},(@{ch})")
    measured_voltage = scpi_measurement("MEAS:VOLT? (@{ch})", units="V")
    measured_current = scpi_measurement("MEAS:CURR? (@{ch})", units="A")

    def clear_protection(self) -> None:
        """Clear a tripped OVP/OCP on this channel (``OUTP:PROT:CLE (@n)``)."""
        self.connection().write(f"OUTP:PROT:CLE (@{self.channel})")


class KeysightE36312A(ScpiInstrument):
    """Keysight E36312A: ch1 6 V / 5 A; ch2, ch3 25 V / 1 A."""

    model = "E36312A"
    channel_type = KeysightE36300Channel
    channels = {
        1: {"voltage": 6.0, "current": 5.0, "ovp": 6.6},
        2: {"voltage": 25.0, "current": 1.0, "ovp": 27.5},
        3: {"voltage": 25.0, "current": 1.0, "ovp": 27.5},
    }
    ch1: KeysightE36300Channel
    ch2: KeysightE36300Channel
    ch3: KeysightE36300Channel


class KeysightE36313A(ScpiInstrument):
    """Keysight E36313A: ch1 6 V / 10 A; ch2, ch3 25 V / 2 A."""

    model = "E36313A"
    channel_type = KeysightE36300Channel
    channels = {
        1: {"voltage": 6.0, "current": 10.0, "ovp": 6.6},
        2: {"voltage": 25.0, "current": 2.0, "ovp": 27.5},
        3: {"voltage": 25.0, "current": 2.0, "ovp": 27.5},
    }
    ch1: KeysightE36300Channel
    ch2: KeysightE36300Channel
    ch3: KeysightE36300Channel
