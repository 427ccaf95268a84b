"""Simulated Keysight E36312A supply (ch1 6 V / 5 A; ch2, ch3 25 V / 1 A).

Channels are given as a trailing channel list (``VOLT 5,(@1)``,
``MEAS:CURR? (@1,2)``); without one, the channel chosen by ``INST:NSEL`` /
``INST CH<n>`` is used. A query over several channels answers one value per
channel, comma-separated. Numbers read back as ``+5.00000000E+00``, switches
and trip flags as ``1``/``0``. OVP is always armed (at its level, 110 % of
the range after ``*RST``); OCP, once armed with ``CURR:PROT:STAT ON``, trips
when the channel enters CC.
"""

from __future__ import annotations

from typing import Sequence

from . import _params as P
from ._psu import ChannelSpec, SupplyChannel, SupplyInstrument
from ._scpi import CommandTree, Handler, ScpiError, Suffixes

__all__ = ["E36312A"]

Args = Sequence[str]


def _num(value: float) -> str:
    return f"{value:+.8E}"


class E36312A(SupplyInstrument):
    """Keysight E36312A triple-output supply with channel lists."""

    maker = "Keysight Technologies"
    model = "E36312A"
    firmware = "2.1.0-1.0.4-1.12"
    specs = (ChannelSpec(6.0, 5.0), ChannelSpec(25.0, 1.0), ChannelSpec(25.0, 1.0))
    ocp_on_cc = True
    protection_default = True

    @classmethod
    def build_commands(cls, tree: CommandTree) -> None:
        super().build_commands(tree)
        c = E36312A
        for pattern, attr in (
            ("[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "vset"),
            ("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]", "iset"),
            ("[:SOURce]:VOLTage:PROTection[:LEVel]", "ovp_level"),
            ("[:SOURce]:CURRent:PROTection:STATe", "ocp_on"),
            ("[:SOURce]:CURRent:PROTection:DELay[:TIME]", "ocp_delay"),
            (":OUTPut[:STATe]", "output"),
        ):
            tree.add(pattern, write=c._writer(attr), query=c._reader(attr))
        tree.add("[:SOURce]:VOLTage:PROTection:TRIPped", query=c._tripped("OVP"))
        tree.add("[:SOURce]:CURRent:PROTection:TRIPped", query=c._tripped("OCP"))
        tree.add(":OUTPut:PROTection:CLEar", write=c._protection_clear)
        tree.add(":MEASure[:SCALar]:VOLTage[:DC]", query=c._measure(0))
        tree.add(":MEASure[:SCALar]:CURRent[:DC]", query=c._measure(1))
        tree.add(":INSTrument[:SELect]", write=c._inst_select, query=lambda s, a, x: f"CH{s.selected}")
        tree.add(":INSTrument:NSELect", write=c._inst_nselect, query=lambda s, a, x: str(s.selected))
        tree.add(":APPLy", write=c._apply, query=c._apply_query)

    # -- channel lists -------------------------------------------------------

    def _listed(self, args: Args, first: int) -> list[SupplyChannel]:
        """The channels of an optional channel list at ``args[first]``."""
        P.count(args, first, first + 1)
        if len(args) > first:
            return [self.channels[n - 1] for n in P.channel_list(args[first], len(self.channels))]
        return [self.scpi_channel(None)]

    def _channel_word(self, text: str) -> SupplyChannel:
        if text[:2].upper() == "CH" and text[2:].isdigit() and 1 <= int(text[2:]) <= len(self.channels):
            return self.channels[int(text[2:]) - 1]
        raise ScpiError(-224, detail=f"{text!r} is not CH1..CH{len(self.channels)}")

    @staticmethod
    def _limits(ch: SupplyChannel, attr: str) -> tuple[float, float]:
        spec = ch.spec
        return {
            "vset": (0.0, spec.vmax),
            "iset": (0.0, spec.imax),
            "ovp_level": (0.0, spec.ovp_max),
            "ocp_delay": (0.0, 0.255),
        }[attr]

    # -- handler factories ---------------------------------------------------

    @staticmethod
    def _writer(attr: str) -> Handler:
        def write(self: E36312A, args: Args, sfx: Suffixes) -> None:
            chans = self._listed(args, 1)
            if attr == "output":
                on = P.boolean(args[0])
                for ch in chans:
                    ch.switch(on)
            elif attr == "ocp_on":
                on = P.boolean(args[0])
                for ch in chans:
                    ch.ocp_on = on
            else:
                values = [
                    P.number(args[0], *self._limits(ch, attr), what=f"CH{ch.number} {attr}") for ch in chans
                ]
                for ch, value in zip(chans, values):
                    setattr(ch, attr, value)

        return write

    @staticmethod
    def _reader(attr: str) -> Handler:
        def read(self: E36312A, args: Args, sfx: Suffixes) -> str:
            values = [getattr(ch, attr) for ch in self._listed(args, 0)]
            if attr in ("output", "ocp_on"):
                return ",".join("1" if v else "0" for v in values)
            return ",".join(_num(v) for v in values)

        return read

    @staticmethod
    def _tripped(kind: str) -> Handler:
        def read(self: E36312A, args: Args, sfx: Suffixes) -> str:
            return ",".join("1" if ch.tripped == kind else "0" for ch in self._listed(args, 0))

        return read

    @staticmethod
    def _measure(index: int) -> Handler:
        def read(self: E36312A, args: Args, sfx: Suffixes) -> str:
            return ",".join(_num(ch.evaluate()[:2][index]) for ch in self._listed(args, 0))

        return read

    # -- other handlers ------------------------------------------------------

    def _protection_clear(self, args: Args, sfx: Suffixes) -> None:
        for ch in self._listed(args, 0):
            ch.clear()

    def _inst_select(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.selected = self._channel_word(args[0]).number

    def _inst_nselect(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.selected = P.integer(args[0], 1, len(self.channels), what="channel")

    def _apply(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 2, 3)
        ch = self._channel_word(args[0])
        vset = P.number(args[1], *self._limits(ch, "vset"), what=f"CH{ch.number} voltage")
        if len(args) > 2:
            ch.iset = P.number(args[2], *self._limits(ch, "iset"), what=f"CH{ch.number} current")
        ch.vset = vset

    def _apply_query(self, args: Args, sfx: Suffixes) -> str:
        P.count(args, 0, 1)
        ch = self._channel_word(args[0]) if args else self.scpi_channel(None)
        return f"{_num(ch.vset)},{_num(ch.iset)}"
